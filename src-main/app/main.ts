/**
 * Electron entry: the one place services are wired together for the desktop app.
 * Security: contextIsolation, sandbox, no nodeIntegration, CSP (in index.html and as a
 * response header), no remote content, no new windows, navigation locked to our page.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { app, BrowserWindow, session as electronSession, shell } from 'electron'
import { initBackend } from '../compute/backend'
import { Session } from '../services/session'
import { createSampleProject } from '../services/sample'
import { ProjectStore } from '../store/project'
import { registerIpc } from '../ipc/electron'

const here = import.meta.dirname
/** resources/ of the checkout (out/main -> ../../resources), or of a packaged app. */
const resourcesDir = app.isPackaged ? join(process.resourcesPath, 'resources') : join(here, '../../resources')

/**
 * better-sqlite3 built for Electron's ABI by `npm start` (scripts/start.mjs) lives apart from
 * the Node build that the CLI and the tests use, so neither breaks the other.
 */
function nativeBinding(): string | undefined {
  const p = join(here, '../../.cache/electron-native/better_sqlite3.node')
  return existsSync(p) ? p : undefined
}

/** Report PDFs by Electron's own Chromium: an offscreen, script-less window prints the self-contained HTML. */
async function printToPdf(htmlFile: string, pdfFile: string): Promise<void> {
  const w = new BrowserWindow({ show: false, webPreferences: { sandbox: true, javascript: false } })
  try {
    await w.loadFile(htmlFile)
    writeFileSync(pdfFile, await w.webContents.printToPDF({ pageSize: 'A4', printBackground: true }))
  } finally {
    w.destroy()
  }
}

async function createWindow() {
  const backend = await initBackend()
  const storeOpts = { nativeBinding: nativeBinding() }
  const session = new Session({
    mode: 'electron',
    backend,
    worker: { entry: new URL('./job-worker.js', import.meta.url) },
    settingsDir: app.getPath('userData'),
    store: storeOpts,
    pdfPrinter: printToPdf,
  })
  const recent = session.recent.list()[0]
  let store: ProjectStore
  try {
    store = recent && existsSync(recent.path) ? ProjectStore.open(recent.path, storeOpts) : await createSampleProject(join(app.getPath('userData'), 'sample.popdyn'), resourcesDir, storeOpts)
  } catch {
    store = await createSampleProject(join(app.getPath('userData'), 'sample.popdyn'), resourcesDir, storeOpts)
  }
  await session.adopt(store)

  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'PopDyn Studio',
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  })
  const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
  const indexFile = join(here, '../renderer/index.html')
  const allowedOrigins = devUrl ? [devUrl] : [pathToFileURL(indexFile).href]
  registerIpc(session, win, allowedOrigins)

  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (e, url) => {
    if (!allowedOrigins.some((o) => url.startsWith(o))) e.preventDefault()
  })
  win.once('ready-to-show', () => win.show())
  if (devUrl) await win.loadURL(devUrl)
  else await win.loadFile(indexFile)

  app.on('before-quit', () => void session.close())
}

app.whenReady().then(() => {
  // No remote content: refuse every permission request (camera, geolocation, ...).
  electronSession.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false))
  void createWindow()
})
app.on('window-all-closed', () => app.quit())
