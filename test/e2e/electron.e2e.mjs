/**
 * Electron window tests (Playwright's _electron). They run only where the Electron binary is
 * installed (after a first `npm start` on a workstation with internet); scripts/test.mjs skips
 * them with a message elsewhere.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron } from 'playwright-core'

export async function runElectronE2E({ root, binary }) {
  const results = []
  const check = async (name, fn) => {
    try {
      await fn()
      results.push({ name, ok: true })
    } catch (err) {
      results.push({ name, ok: false, error: err.message })
    }
  }
  if (!existsSync(join(root, '.cache/electron-native/better_sqlite3.node'))) {
    return [{ name: 'electron native modules', ok: false, error: 'better-sqlite3 is not built for Electron yet: run "npm start" once (scripts/start.mjs builds it).' }]
  }
  const userData = mkdtempSync(join(tmpdir(), 'popdyn-electron-'))
  const app = await _electron.launch({ executablePath: binary, args: [root, `--user-data-dir=${userData}`], env: { ...process.env, ELECTRON_RENDERER_URL: '' } })
  try {
    const win = await app.firstWindow()
    await check('the window opens on the sample project with its datasets', async () => {
      await win.getByTestId('dataset-row').first().waitFor({ timeout: 30_000 })
      const n = await win.getByTestId('dataset-row').count()
      if (n < 2) throw new Error(`expected the 2 sample datasets, saw ${n}`)
    })
    await check('the renderer is isolated: no Node in the page, only the contract bridge', async () => {
      const r = await win.evaluate(() => ({ require: typeof globalThis.require, process: typeof globalThis.process, bridge: typeof window.popdyn?.invoke }))
      if (r.require !== 'undefined' || r.process !== 'undefined' || r.bridge !== 'function') throw new Error(JSON.stringify(r))
    })
    await check('the status bar shows the compute backend', async () => {
      const text = await win.getByTestId('status-backend').innerText()
      if (!/wasm|tensorflow|cpu/i.test(text)) throw new Error(`status bar says "${text}"`)
    })
  } finally {
    await app.close()
  }
  return results
}
