/**
 * End-to-end check of the app shell in Debian's Chromium, driven by playwright-core, against
 * the headless host (`popdyn serve`). No @playwright/test: `runShellE2E` returns one result per
 * case and the caller (npm test) decides what to do with them.
 *
 *   node test/e2e/shell.e2e.mjs [PROJECT.popdyn]   starts `popdyn serve [PROJECT]`, runs, prints
 *
 * Case 1 expects the bundled sample project (a tracks and a snapshots dataset): without
 * PROJECT the host creates it in a temporary POPDYN_HOME.
 *
 * Never `npx playwright install`: the browser is /usr/bin/chromium (research/stack.md §5).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const RESULTS_DIR = join(ROOT, 'test-results')

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
]

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function until(fn, timeoutMs, what) {
  const end = Date.now() + timeoutMs
  let last
  while (Date.now() < end) {
    last = await fn()
    if (last) return last
    await sleep(100)
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${what}`)
}

/**
 * Runs the shell cases against a running host.
 * @param {{ url: string, chromium?: string }} opts  the URL the host printed (with its ?token=);
 *   the browser binary @default '/usr/bin/chromium'
 * @returns {Promise<{ name: string, ok: boolean, error?: string }[]>}
 */
export async function runShellE2E({ url, chromium: executablePath = '/usr/bin/chromium' }) {
  /** @type {{ name: string, ok: boolean, error?: string }[]} */
  const results = []
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })
  const scratch = mkdtempSync(join(tmpdir(), 'popdyn-e2e-'))
  const pageErrors = []
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`))
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`)
    })
    page.on('request', (r) => {
      const u = new URL(r.url())
      if (!['127.0.0.1', 'localhost'].includes(u.hostname) && u.protocol !== 'data:') pageErrors.push(`external request: ${r.url()}`)
    })

    const step = async (name, fn) => {
      try {
        await fn()
        results.push({ name, ok: true })
      } catch (err) {
        results.push({ name, ok: false, error: err instanceof Error ? err.message : String(err) })
      }
    }
    const tid = (id) => page.getByTestId(id)

    await page.goto(url, { waitUntil: 'load' })

    await step('home shows the project name and the sample datasets', async () => {
      const name = await until(async () => {
        const t = (await tid('project-name').first().textContent({ timeout: 500 }).catch(() => null))?.trim()
        return t && t !== 'No project open' ? t : null
      }, 15_000, 'a project name in [data-testid=project-name]')
      const rows = tid('dataset-row')
      await until(async () => (await rows.count()) >= 2, 10_000, 'at least 2 dataset rows')
      const text = (await tid('datasets-table').textContent()) ?? ''
      if (!text.includes('tracks') || !text.includes('snapshots')) throw new Error(`expected a tracks and a snapshots dataset, table reads: ${text.slice(0, 300)}`)
      if (!name) throw new Error('empty project name')
    })

    await step('status bar shows the compute backend', async () => {
      const text = await until(async () => {
        const t = (await tid('status-backend').textContent()) ?? ''
        return /\b(tensorflow-gpu|tensorflow|wasm|cpu)\b/.test(t) ? t : null
      }, 10_000, 'a backend name (tensorflow-gpu|tensorflow|wasm|cpu) in the status bar')
      if (!text.trim()) throw new Error('empty backend text')
    })

    mkdirSync(RESULTS_DIR, { recursive: true })
    await page.screenshot({ path: join(RESULTS_DIR, 'home.png') })

    let jobId = null
    await step('benchmark job shows a progress bar that advances', async () => {
      const before = new Set(await tid('job').evaluateAll((els) => els.map((e) => e.getAttribute('data-job-id'))))
      await tid('bench-button').click()
      jobId = await until(
        async () => (await tid('job').evaluateAll((els) => els.map((e) => e.getAttribute('data-job-id')))).find((id) => id && !before.has(id)),
        10_000,
        'a new job in the jobs panel',
      )
      const job = page.locator(`[data-testid="job"][data-job-id="${jobId}"]`)
      const bar = job.getByTestId('job-progress')
      const read = async () => Number(await bar.getAttribute('aria-valuenow'))
      const first = await read()
      if (!(first >= 0 && first <= 100)) throw new Error(`aria-valuenow out of range: ${first}`)
      await until(async () => (await read()) > first, 20_000, `aria-valuenow to rise above ${first}`)
      await page.screenshot({ path: join(RESULTS_DIR, 'job-running.png') })
    })

    await step('Cancel ends the benchmark job in state "cancelled"', async () => {
      if (!jobId) throw new Error('no job from the previous case')
      const job = page.locator(`[data-testid="job"][data-job-id="${jobId}"]`)
      const state = (await job.getByTestId('job-state').textContent())?.trim()
      if (state !== 'running') throw new Error(`the job was already "${state}" before Cancel (make the benchmark longer)`)
      await job.getByTestId('job-cancel').click()
      await until(async () => (await job.getByTestId('job-state').textContent())?.trim() === 'cancelled', 15_000, 'job-state "cancelled"')
      if (await job.getByTestId('job-cancel').count()) throw new Error('Cancel button still shown after the job ended')
    })

    await step('opening a file that is not a project shows the message in a toast', async () => {
      const bogus = join(scratch, 'notes.popdyn')
      writeFileSync(bogus, 'these are my notes, not a database\n')
      await tid('open-project-button').click()
      await tid('path-input').fill(bogus)
      await tid('path-submit').click()
      await until(
        async () => (await tid('toast').allTextContents()).some((t) => t.includes('not a PopDyn Studio project')),
        10_000,
        'a toast containing "not a PopDyn Studio project"',
      )
      // The message is shown verbatim, and the current project stays open.
      const name = (await tid('project-name').first().textContent())?.trim()
      if (!name || name === 'No project open') throw new Error('the current project was closed by a failed open')
      await page.screenshot({ path: join(RESULTS_DIR, 'toast.png') })
    })

    await step('import wizard: a preview plot of the first rows follows the column mapping', async () => {
      // 3 tracks x 6 frames; x grows with the frame, y is the track's lane.
      const file = join(scratch, 'preview-tracks.csv')
      let csv = 'cell,frame,px,py\n'
      for (let f = 0; f < 6; f++) for (let c = 1; c <= 3; c++) csv += `${c},${f},${(f * 2 + c * 0.3).toFixed(2)},${(c * 4 + f * 0.2).toFixed(2)}\n`
      writeFileSync(file, csv)
      // Close the Open dialog left open by the failed open (the page behind it is inert).
      if (await tid('path-dialog').isVisible()) await tid('path-dialog').getByRole('button', { name: 'Cancel' }).click()
      await tid('import-button').click()
      await tid('import-path').fill(file)
      await tid('import-inspect').click()
      await until(async () => /csv/.test((await tid('import-summary').textContent().catch(() => '')) ?? ''), 15_000, 'the inspect summary')
      // Column names the importer does not guess: choose the kind and map them by hand.
      await tid('import-kind').selectOption('tracks')
      for (const [f, c] of [['track', 'cell'], ['time', 'frame'], ['x', 'px'], ['y', 'py']]) await tid(`import-map-${f}`).selectOption(c)
      const plot = tid('import-preview-plot')
      await plot.waitFor({ timeout: 15_000 })
      const read = async () => ({
        points: Number(await plot.getAttribute('data-points')),
        lines: await plot.locator('polyline').count(),
        xy: (await plot.locator('circle').evaluateAll((cs) => cs.map((c) => `${c.getAttribute('cx')},${c.getAttribute('cy')}`))).join(' '),
        colours: new Set(await plot.locator('circle').evaluateAll((cs) => cs.map((c) => c.getAttribute('fill')))).size,
      })
      const a = await read()
      if (a.points !== 18 || a.lines !== 3 || a.colours !== 3) throw new Error(`expected 18 points on 3 tracks in 3 colours, got ${JSON.stringify({ ...a, xy: undefined })}`)
      await page.screenshot({ path: join(RESULTS_DIR, 'import-preview.png') })
      // Map x to another column: the same points move.
      await tid('import-map-x').selectOption('py')
      await tid('import-map-y').selectOption('px')
      const b = await until(async () => {
        const r = await read()
        return r.xy !== a.xy ? r : null
      }, 5_000, 'the plot redrawn after the mapping changed')
      if (b.points !== 18) throw new Error(`${b.points} points after remapping`)
      // Unmapping y leaves a message instead of a plot.
      await tid('import-map-y').selectOption('')
      const msg = await tid('import-preview-message').textContent({ timeout: 5_000 })
      if (!msg?.includes('Map the x and y columns')) throw new Error(`message: ${msg}`)
    })

    await step('import wizard: a file dropped in browser mode gets a clear "type its path" message', async () => {
      await page.evaluate(() => {
        const dt = new DataTransfer()
        dt.items.add(new File(['track,t,x,y\n1,0,0,0\n'], 'dropped-tracks.csv', { type: 'text/csv' }))
        const target = document.querySelector('[data-testid=import-drop-zone]')
        if (!target) throw new Error('no drop zone')
        for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }))
      })
      const note = (await tid('import-drop-note').textContent({ timeout: 5_000 })) ?? ''
      if (!note.includes('dropped-tracks.csv') || !/full path in the File field/.test(note)) throw new Error(`note: ${note}`)
      await tid('import-dialog').getByRole('button', { name: 'Cancel' }).click()
      await until(async () => (await tid('import-drop-note').count()) === 0, 5_000, 'the wizard closed')
    })

    await step('no page errors, CSP violations or external requests', async () => {
      // Expected failures (the not-a-project open) arrive as data, never as console errors.
      if (pageErrors.length) throw new Error(pageErrors.slice(0, 5).join('\n'))
    })

    await page.keyboard.press('Escape') // close the Open dialog left open by the failed open
    await page.setViewportSize({ width: 1024, height: 700 })
    await page.screenshot({ path: join(RESULTS_DIR, 'home-1024x700.png') })
  } finally {
    await browser.close()
    rmSync(scratch, { recursive: true, force: true })
  }
  return results
}

async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address())
      s.close(() => res(port))
    })
  })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // With no PROJECT, `popdyn serve` opens the bundled sample project, created in a fresh
  // settings folder (POPDYN_HOME) so the run neither reads nor changes the user's own.
  const project = process.argv[2]
  const home = project ? null : mkdtempSync(join(tmpdir(), 'popdyn-e2e-home-'))
  const port = await freePort()
  const server = spawn(process.execPath, [join(ROOT, 'bin/popdyn.mjs'), 'serve', ...(project ? [project] : []), '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: home ? { ...process.env, POPDYN_HOME: home } : process.env,
  })
  let code = 1
  try {
    const url = await new Promise((res, rej) => {
      let buf = ''
      const timer = setTimeout(() => rej(new Error(`no "serving at" line within 60 s; got: ${buf}`)), 60_000)
      server.stdout.on('data', (c) => {
        buf += c
        const m = /serving at (http:\/\/\S+)/.exec(buf)
        if (m) {
          clearTimeout(timer)
          res(m[1])
        }
      })
      server.once('exit', (c) => rej(new Error(`popdyn serve exited with ${c}: ${buf}`)))
    })
    const results = await runShellE2E({ url })
    for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.error ? `\n     ${r.error.replace(/\n/g, '\n     ')}` : ''}`)
    code = results.every((r) => r.ok) ? 0 : 1
  } catch (err) {
    console.error(err)
  } finally {
    const exited = new Promise((r) => (server.exitCode !== null ? r(undefined) : server.once('exit', r)))
    server.kill('SIGTERM')
    await Promise.race([exited, sleep(5000)])
    if (home) rmSync(home, { recursive: true, force: true })
  }
  process.exit(code)
}
