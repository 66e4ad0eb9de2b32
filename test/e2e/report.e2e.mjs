/**
 * Browser tests of results out (issue #9): Report… and Export… on a finished run write files on
 * the host; the HTML report opens in Chromium with no console errors and no network requests;
 * the run's figures show in the app and save as SVG and PNG. Runs against the headless host on
 * the sample project (after methods.e2e.mjs, which leaves a finished ensembles run; one is
 * started here when there is none).
 */
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS, until } from './shell.e2e.mjs'

export async function runReportE2E({ url, chromium: executablePath = '/usr/bin/chromium', home }) {
  const results = []
  const dir = home ?? tmpdir()
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })
  const errors = []
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
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
    const toastText = async () => (await tid('toast').allTextContents().catch(() => [])).join(' | ')
    const dismissToasts = async () => {
      for (const b of await tid('toast-dismiss').all()) await b.click().catch(() => {})
    }
    const finished = () => tid('run-row').filter({ has: tid('run-report') }).first()
    /** Opens Export…/Report… on the first finished run, picks `kind`, writes to `file`. */
    const writeOut = async (button, kind, file, overwrite = false) => {
      await finished().getByTestId(button).click()
      await tid('run-output-dialog').waitFor({ state: 'visible' })
      await tid('output-kind').selectOption(kind)
      await tid('output-path').fill(file)
      if (overwrite) await tid('output-overwrite').check()
      await tid('output-submit').click()
    }

    await page.goto(url, { waitUntil: 'load' })
    await until(async () => (await tid('dataset-row').count()) >= 2, 15_000, 'the sample datasets')

    await step('a finished run is listed with Figures, Export… and Report…', async () => {
      if ((await tid('run-report').count()) === 0) {
        await tid('dataset-row').filter({ hasText: 'sample snapshots' }).getByTestId('dataset-run').click()
        await tid('run-dialog').waitFor({ state: 'visible' })
        await tid('param-K').fill('2')
        await tid('param-restarts').fill('2')
        await tid('run-start').click()
      }
      await until(async () => (await tid('run-report').count()) > 0, 120_000, 'a finished run with a Report… button')
    })

    const html = join(dir, 'e2e-report.html')
    await step('Report… writes a self-contained HTML report on the host', async () => {
      await writeOut('run-report', 'report-html', html)
      await until(async () => /Report written/.test(await toastText()), 60_000, 'the "Report written" notice')
      await tid('run-output-dialog').waitFor({ state: 'hidden' })
      const text = readFileSync(html, 'utf8')
      for (const id of ['data', 'method', 'software', 'results', 'methods-text', 'references']) if (!text.includes(`<section id="${id}">`)) throw new Error(`section ${id} missing`)
      if (!/<svg[^>]*popdyn-figure/.test(text)) throw new Error('no figure in the report')
      await dismissToasts()
    })

    await step('the HTML report opens in Chromium with no console errors and no network requests', async () => {
      const p = await browser.newPage()
      const problems = []
      const requests = []
      p.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      p.on('pageerror', (e) => problems.push(e.message))
      p.on('request', (r) => requests.push(r.url()))
      const fileUrl = pathToFileURL(html).href
      await p.goto(fileUrl, { waitUntil: 'load' })
      const figures = await p.locator('svg.popdyn-figure').count()
      await p.screenshot({ path: join(dir, 'e2e-report.png'), fullPage: true }).catch(() => {})
      await p.close()
      const external = requests.filter((u) => u !== fileUrl && !u.startsWith('data:'))
      if (external.length) throw new Error(`requests: ${external.join(', ')}`)
      if (problems.length) throw new Error(`console errors: ${problems.join('; ')}`)
      if (figures < 2) throw new Error(`only ${figures} figures rendered`)
    })

    await step('Report… refuses an existing file unless "Replace an existing file" is ticked', async () => {
      await writeOut('run-report', 'report-html', html)
      await until(async () => /already exists/.test(await toastText()), 20_000, 'the "already exists" error')
      await dismissToasts()
      await tid('output-overwrite').check()
      await tid('output-submit').click()
      await until(async () => /Report written/.test(await toastText()), 60_000, 'the report written over the old one')
      await dismissToasts()
    })

    await step('Report… as PDF writes a PDF (headless Chromium on the host)', async () => {
      const pdf = join(dir, 'e2e-report.pdf')
      await writeOut('run-report', 'report-pdf', pdf)
      await until(async () => /Report written/.test(await toastText()), 90_000, 'the PDF report notice')
      if (readFileSync(pdf).subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error('not a PDF')
      await dismissToasts()
    })

    await step('Export… writes the labelled CSV on the host', async () => {
      const csv = join(dir, 'e2e-labels.csv')
      await writeOut('run-export', 'labels', csv)
      await until(async () => /Exported/.test(await toastText()), 30_000, 'the "Exported" notice')
      const head = readFileSync(csv, 'utf8').split('\n')[0]
      if (!/,(ensemble|species),confidence$/.test(head)) throw new Error(`unexpected header: ${head}`)
      await dismissToasts()
    })

    await step('Figures shows the run’s figures; Save SVG and Save PNG download them', async () => {
      await finished().getByTestId('run-figures').click()
      await until(async () => (await tid('run-figure').count()) > 0, 30_000, 'the run figures')
      const first = tid('run-figure').first()
      const svgMarks = await first.locator('svg .marks > *').count()
      if (svgMarks === 0) throw new Error('the first figure has no marks')
      await page.screenshot({ path: join(dir, 'e2e-run-figures.png') }).catch(() => {})
      const [svgDl] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), first.getByTestId('save-svg').click()])
      const svgText = readFileSync(await svgDl.path(), 'utf8')
      if (!svgText.startsWith('<svg')) throw new Error(`saved SVG starts with ${svgText.slice(0, 20)}`)
      if (!/\.svg$/.test(svgDl.suggestedFilename())) throw new Error(`file name ${svgDl.suggestedFilename()}`)
      const [pngDl] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), first.getByTestId('save-png').click()])
      const png = readFileSync(await pngDl.path())
      if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('saved PNG is not a PNG')
      if (png.length < 2000) throw new Error(`PNG suspiciously small (${png.length} bytes)`)
    })

    if (errors.length) results.push({ name: 'no page errors while writing results', ok: false, error: errors.join('; ') })
    else results.push({ name: 'no page errors while writing results', ok: true })
  } finally {
    await browser.close()
  }
  return results
}
