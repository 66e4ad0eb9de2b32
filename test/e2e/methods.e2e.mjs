/**
 * Browser tests of the workflow after import: look at a dataset in 3-D, run a method from the
 * UI, see its run finish. Runs against the headless host on the sample project.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS, until } from './shell.e2e.mjs'
import { canvasStats } from './viewer.e2e.mjs'

const RESULTS_DIR = join(fileURLToPath(new URL('../..', import.meta.url)), 'test-results')

export async function runMethodsE2E({ url, chromium: executablePath = '/usr/bin/chromium', home }) {
  const results = []
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })
  const errors = []
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
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
    await until(async () => (await tid('dataset-row').count()) >= 2, 15_000, 'the sample datasets')
    mkdirSync(RESULTS_DIR, { recursive: true })

    await step('View shows the sample tracks in 3-D (a non-blank canvas)', async () => {
      await tid('dataset-row').filter({ hasText: 'sample tracks' }).getByTestId('dataset-view').click()
      await until(async () => (await tid('viewer').getAttribute('data-state').catch(() => null)) === 'ready', 20_000, 'viewer ready')
      const coloured = await until(async () => {
        const st = await canvasStats(page)
        return st && st.coloured > 200 ? st.coloured : null
      }, 15_000, 'coloured track pixels on the canvas')
      if (!coloured) throw new Error('blank canvas')
      await page.screenshot({ path: join(RESULTS_DIR, 'app-viewer.png') })
    })

    await step('Import data…: inspect a tracks CSV, set units, import; the new dataset is listed with its units', async () => {
      const file = join(home ?? tmpdir(), 'e2e-tracks.csv')
      writeFileSync(file, 'cell,frame,x,y\n' + Array.from({ length: 60 }, (_, i) => `${1 + (i % 3)},${Math.floor(i / 3)},${(i * 0.7).toFixed(2)},${((i % 5) * 1.3).toFixed(2)}`).join('\n') + '\n')
      const before = await tid('dataset-row').count()
      await tid('import-button').click()
      await tid('import-path').fill(file)
      await tid('import-inspect').click()
      await until(async () => /csv/.test((await tid('import-summary').textContent().catch(() => '')) ?? ''), 15_000, 'the inspect summary')
      await tid('import-name').fill('e2e tracks')
      await page.screenshot({ path: join(RESULTS_DIR, 'app-import.png') })
      await tid('import-start').click()
      await until(async () => (await tid('dataset-row').count()) > before, 30_000, 'the imported dataset in the list')
      const row = (await tid('dataset-row').filter({ hasText: 'e2e tracks' }).textContent()) ?? ''
      if (!/tracks/.test(row) || !/µm/.test(row)) throw new Error(`unexpected row: ${row}`)
      // ... and its tracks show in the viewer (a canvas that is not blank).
      await tid('dataset-row').filter({ hasText: 'e2e tracks' }).getByTestId('dataset-view').click()
      await until(async () => (await tid('viewer').getAttribute('data-state').catch(() => null)) === 'ready', 20_000, 'viewer ready for the imported tracks')
      await until(async () => ((await canvasStats(page))?.coloured ?? 0) > 100, 15_000, 'coloured pixels of the imported tracks')
      await page.screenshot({ path: join(RESULTS_DIR, 'app-imported-view.png') })
    })

    await step('Import data… recognises a file already imported (same content) and offers the existing dataset', async () => {
      const file = join(home ?? tmpdir(), 'e2e-tracks.csv')
      await tid('import-button').click()
      await tid('import-path').fill(file)
      await tid('import-inspect').click()
      const text = await until(async () => (await tid('import-existing').textContent().catch(() => '')) || null, 15_000, 'the already-imported notice')
      if (!/e2e tracks/.test(text)) throw new Error(`notice does not name the dataset: ${text}`)
      await tid('import-use-existing').click()
      await tid('import-dialog').waitFor({ state: 'hidden' })
    })

    await step('Run… starts ensemble separation on the sample snapshots and the run finishes', async () => {
      const before = await tid('run-row').count()
      await tid('dataset-row').filter({ hasText: 'sample snapshots' }).getByTestId('dataset-run').click()
      await tid('run-dialog').waitFor({ state: 'visible' })
      await tid('param-K').fill('2')
      await tid('param-restarts').fill('2')
      await tid('param-restarts').fill('2')
      await page.screenshot({ path: join(RESULTS_DIR, 'app-run-dialog.png') })
      await tid('run-start').click()
      await until(async () => (await tid('run-row').count()) > before, 10_000, 'a new run row')
      const row = tid('run-row').filter({ hasText: /ensemble separation/i }).first()
      await until(async () => /done/.test((await row.textContent().catch(() => '')) ?? ''), 120_000, 'the ensembles run to finish (status done)')
      await page.screenshot({ path: join(RESULTS_DIR, 'app-run-done.png') })
    })
    if (errors.length) results.push({ name: 'no page errors during the workflow', ok: false, error: errors.join('; ') })
    else results.push({ name: 'no page errors during the workflow', ok: true })
  } finally {
    await browser.close()
  }
  return results
}
