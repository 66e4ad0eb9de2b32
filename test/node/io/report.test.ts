import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { SaxesParser } from 'saxes'
import { beforeAll, describe, expect, it } from 'vitest'
import { importIntoProject } from '../../../src-main/io/import/index'
import { findChromium, writeReport, REPORT_SECTIONS } from '../../../src-main/io/report/index'
import { runCommand } from '../../../src-main/cli/run'
import { synthCommand } from '../../../src-main/cli/synth'
import { ProjectStore } from '../../../src-main/store/project'
import { tempDir } from '../helpers/tmp'
import { main } from '../../../src-main/cli/main'

/** src/href attribute values pointing outside the document (http, https, protocol-relative). */
function externalRefs(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*((?:https?:)?\/\/[^"'\s>]*)/gi)].map((m) => m[1]!)
}

/** Every inline <svg> parses as XML; returns the figures' mark counts. */
function svgs(html: string): { kind: string; marks: number; title: string }[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => {
    let kind = ''
    let title = ''
    let inTitle = false
    let marks = 0
    const p = new SaxesParser()
    p.on('error', (e) => {
      throw e
    })
    p.on('opentag', (t) => {
      if (t.name === 'svg') kind = String(t.attributes['data-figure'])
      if (/\b(pt|line|bar|cell)\b/.test(String(t.attributes.class ?? ''))) marks++
      inTitle = t.name === 'title'
    })
    p.on('text', (x) => {
      if (inTitle) title += x
    })
    p.on('closetag', () => (inTitle = false))
    p.write(m[0]).close()
    return { kind, marks, title }
  })
}

const section = (html: string, id: string) => html.match(new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`))?.[1] ?? ''

let dir: string
let path: string
let ensRun: number
let dynRun: number
let srcHash: string

beforeAll(async () => {
  dir = tempDir()
  process.env.POPDYN_HOME = dir
  const ens = join(dir, 'ens.csv')
  await synthCommand('linear-ensembles', ens, ['sizes=10,14', 'times=4', 'noise=1e-4'], 4)
  srcHash = createHash('sha256').update(readFileSync(ens)).digest('hex')
  const pot = join(dir, 'pot.csv')
  await synthCommand('potential', pot, ['potential=quadratic-task', 'n=60'], 0)
  path = join(dir, 'p.popdyn')
  const store = ProjectStore.create(path)
  await importIntoProject(store, ens, { kind: 'snapshots', name: 'ens' })
  await importIntoProject(store, pot, { kind: 'snapshots', name: 'pot' })
  store.close()
  const r1 = await runCommand(path, 'ensembles', { dataset: 'ens', sets: ['K=2', 'restarts=2'], seed: 3, json: true }, () => {})
  expect(r1.ok).toBe(true)
  ensRun = (r1.output as { run: number }).run
  const r2 = await runCommand(path, 'ijkonet', { dataset: 'pot', sets: ['epochs=2'], seed: 1, json: true }, () => {})
  expect(r2.ok).toBe(true)
  dynRun = (r2.output as { run: number }).run
}, 180_000)

describe('HTML report', () => {
  it('ensembles: every section, every parameter with defaults marked, the source hash, figures that parse, no external URLs', async () => {
    const s = ProjectStore.open(path)
    const out = join(dir, 'ens.html')
    const r = await writeReport(s, ensRun, { out })
    s.close()
    expect(r).toMatchObject({ file: out, format: 'html', sections: [...REPORT_SECTIONS] })
    const html = readFileSync(out, 'utf8')
    for (const id of REPORT_SECTIONS) expect(html).toContain(`<section id="${id}">`)
    // Data: the source file's full content hash, counts, units.
    const data = section(html, 'data')
    expect(data).toContain(srcHash)
    expect(data).toContain('ens.csv')
    expect(data).toMatch(/Rows<\/td><td class="num">96</)
    // Method: every parameter of the schema, changed ones (K, restarts) marked, the rest default.
    const method = section(html, 'method')
    for (const k of ['K', 'restarts', 'affine', 'solver', 'maxIter', 'tol', 'epsRelative']) expect(method).toContain(`<td>${k}</td>`)
    expect(method).toMatch(/<td>K<\/td><td class="num">2<\/td><td class="num">3<\/td><td>changed<\/td>/)
    expect(method).toMatch(/<td>maxIter<\/td><td class="num">100<\/td><td class="num">100<\/td><td>default<\/td>/)
    // Software, backend, seed.
    const sw = section(html, 'software')
    expect(sw).toContain('PopDyn Studio 0.1.0')
    expect(sw).toMatch(/Random seed<\/td><td class="num">3</)
    expect(sw).toMatch(/Compute backend<\/td><td>(wasm|cpu|tensorflow|tensorflow-gpu)</)
    // Results: A_k tables and one scatter per time point (4), each with one mark per particle of that time.
    const res = section(html, 'results')
    expect(res).toContain('A_1 (ensemble E1)')
    expect(res).toContain('A_2 (ensemble E2)')
    const figs = svgs(html)
    const scatters = figs.filter((f) => f.kind === 'scatter')
    expect(scatters).toHaveLength(4)
    for (const f of scatters) expect(f.marks).toBe(24)
    expect(r.figures).toBe(figs.length)
    // Methods paragraph and citation.
    expect(section(html, 'methods-text')).toMatch(/K = 2 ensembles.*random restarts \(2\).*random seed 3/)
    expect(section(html, 'references')).toContain('Mixtures of ensembles')
    expect(externalRefs(html)).toEqual([])
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/<link/i)
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`)
  })

  it('dynamics (iJKOnet): loss curve, observed vs predicted per time, metrics table and the learned potential surface', async () => {
    const s = ProjectStore.open(path)
    const out = join(dir, 'dyn.html')
    const r = await writeReport(s, dynRun, { out })
    s.close()
    const html = readFileSync(out, 'utf8')
    const figs = svgs(html)
    const kinds = figs.map((f) => f.kind)
    expect(kinds.filter((k) => k === 'heatmap')).toHaveLength(1) // learned energy on the grid
    expect(kinds.filter((k) => k === 'scatter').length).toBeGreaterThanOrEqual(2) // observed vs predicted per time
    expect(html).toContain('Training loss')
    expect(html).toContain('One-step prediction error')
    const line = figs.find((f) => f.kind === 'line')!
    expect(line.marks).toBeGreaterThanOrEqual(1)
    expect(html).toMatch(/<td>epochs<\/td><td class="num">2<\/td><td class="num">200<\/td><td>changed<\/td>/)
    expect(section(html, 'references')).toContain('inverse optimization meets JKO scheme')
    expect(r.notes.join(' ')).not.toMatch(/could not be evaluated/)
    expect(externalRefs(html)).toEqual([])
  })

  it('species: tracks coloured by species (one line per track), GMM histograms per round and force laws from the engine result', async () => {
    const cells = join(dir, 'cells.csv')
    await synthCommand('cells', cells, ['n=12', 'steps=20', 'B=1', 'C=1'], 3)
    const s = ProjectStore.open(path)
    const { datasetId } = await importIntoProject(s, cells, { kind: 'tracks', name: 'cells' })
    const ds = s.getDataset(datasetId)
    const track = s.getArtifact({ datasetId }, 'track')!.data
    // A finished species run as the worker records it (labels per row, species table in metrics), plus one stored GMM round.
    const run = s.createRun({ datasetId, method: 'species', params: { maxSpecies: 3 }, seed: 9, backend: 'wasm' })
    s.markRunning(run)
    const label = Array.from(track, (t) => (t < 6 ? 'S1' : 'S2'))
    // The figure arrays from an engine result (round errors + mixture, per-species coefficients on the library).
    const { makeLibrary, evaluateForce } = await import('../../../src-main/engines/wsindy/index')
    const { speciesFigureArrays } = await import('../../../src-main/io/report/index')
    const lib = makeLibrary()
    const w1 = new Float64Array(200), w2 = new Float64Array(200)
    w1[0] = 0.8
    w1[1] = -0.3
    w2[0] = -0.5
    const errors = Float64Array.from({ length: 12 }, (_, i) => 10 ** (i < 6 ? -2.5 + 0.05 * i : -0.5 + 0.1 * i))
    const arrays = speciesFigureArrays({
      rounds: [{ cells: [], code: 0, averaged: 1, errors, gmm: { deltaBic: 10, means: [-2.4, 0.2], sds: [0.1, 0.4], weights: [0.5, 0.5], separation: 3, accepted: true }, taken: 6, rule: 'gmm' }],
      species: [{ index: 0, w: w1 } as never, { index: 1, w: w2 } as never],
      data: { lib, rMax: 2, sMax: 1 } as never,
    }, 21)
    expect(Array.from(arrays['rounds/1/log10dV']!.data)[0]).toBeCloseTo(-2.5, 12)
    expect(Array.from(arrays['rounds/1/gmm']!.data)).toEqual([0.5, -2.4, 0.1, 0.5, 0.2, 0.4])
    expect(arrays['forceLaw/S1/r']!.data[20]).toBe(2)
    expect(arrays['forceLaw/S1/ar']!.data[10]).toBeCloseTo(evaluateForce(lib, w1, 'ar', 1, 0), 12)
    s.finishRun(
      run,
      { status: 'done', metrics: { species: [{ label: 'S1', cells: 6, code: '10010000', meanValidationError: 0.01, formulas: { ar: '0.3·L0(αr)e^(−αr/2)', align: '0', drag: '−1.2|v|' } }, { label: 'S2', cells: 6, code: '10000000', meanValidationError: 0.02, formulas: { ar: '−0.1', align: '0', drag: '0' } }], unclassified: 0, stop: 'all explained', cells: 12 } },
      { labels: { label }, arrays },
    )
    const out = join(dir, 'species.html')
    const r = await writeReport(s, run, { out })
    s.close()
    const html = readFileSync(out, 'utf8')
    const figs = svgs(html)
    const tracks = figs.find((f) => f.title === 'Tracks by species')!
    expect(tracks.kind).toBe('line')
    expect(tracks.marks).toBe(ds.entities)
    expect(figs.filter((f) => f.kind === 'histogram')).toHaveLength(1)
    expect(figs.find((f) => f.kind === 'histogram')!.marks).toBeGreaterThanOrEqual(5)
    expect(html).toContain('0.3·L0(αr)e^(−αr/2)')
    expect(html).toMatch(/<td>maxSpecies<\/td><td class="num">3<\/td><td class="num">10<\/td><td>changed<\/td>/)
    expect(figs.filter((f) => /^Force laws, species S[12]$/.test(f.title))).toHaveLength(2)
    expect(figs.filter((f) => /^Drag, species S[12]$/.test(f.title))).toHaveLength(2)
    expect(figs.find((f) => f.title === 'Force laws, species S1')!.marks).toBe(2) // f_ar and f_align
    expect(r.notes).toEqual([])
    expect(section(html, 'references')).toContain('arXiv:2204.14141')
    expect(section(html, 'methods-text')).toContain('up to 3 species')
    expect(externalRefs(html)).toEqual([])
  })

  it('WLM: roll-out table and figure, observed vs predicted, a loss curve cut at the first non-finite loss, and why no potential surface', async () => {
    const s = ProjectStore.open(path)
    const ds = s.findDataset('pot')
    const time = s.getArtifact({ datasetId: ds.id }, 'time')!.data
    const pos = s.getArtifact({ datasetId: ds.id }, 'pos')!.data
    const times = [...new Set(Array.from(time))].sort((a, b) => a - b)
    // Predictions as the WLM worker stores them: the later snapshots' times, n × d positions (here: the observed ones, shifted).
    const rows = Array.from(time.keys()).filter((i) => time[i]! > times[0]!)
    const ppos = new Float64Array(rows.length * 2)
    rows.forEach((r, k) => ((ppos[2 * k] = pos[2 * r]! + 0.1), (ppos[2 * k + 1] = pos[2 * r + 1]!)))
    const run = s.createRun({ datasetId: ds.id, method: 'wlm', params: { epochs: 5 }, seed: 2, backend: 'wasm' })
    s.markRunning(run)
    s.finishRun(
      run,
      { status: 'done', metrics: { status: 'max-iterations', epochs: 5, finalLoss: 0.4, friction: 0.8, rolloutEmd: [0.2, 0.3, 0.5], noMotionFromFirstEmd: [1, 2, 3], seconds: 1 } },
      { arrays: { 'predictions/pos': { dtype: 'float64', shape: [rows.length, 2], data: ppos }, 'predictions/time': { dtype: 'float64', shape: [rows.length], data: Float64Array.from(rows, (r) => time[r]!) }, lossHistory: { dtype: 'float64', shape: [5], data: Float64Array.of(3, 2, 1, Number.NaN, 0.5) } } },
    )
    const out = join(dir, 'wlm.html')
    const r = await writeReport(s, run, { out })
    s.close()
    const html = readFileSync(out, 'utf8')
    const figs = svgs(html)
    expect(html).toContain('Roll-out error from the first snapshot')
    const scatters = figs.filter((f) => f.kind === 'scatter')
    expect(scatters).toHaveLength(3) // one per predicted time
    for (const f of scatters) expect(f.marks).toBe(120) // 60 observed + 60 predicted
    const loss = figs.find((f) => f.title === 'Training loss')!
    expect(loss.marks).toBe(1)
    const lossSvg = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]).find((x) => x.includes('<title>Training loss</title>'))!
    expect(lossSvg.match(/class="line"[^>]*data-n="(\d+)"/)?.[1]).toBe('3') // the 3 finite epochs before the NaN
    expect(r.notes.join(' ')).toMatch(/non-finite at epoch 4/)
    expect(r.notes.join(' ')).toMatch(/WLM learns a population energy/)
    expect(figs.some((f) => f.kind === 'heatmap')).toBe(false)
    expect(section(html, 'methods-text')).toContain('Wasserstein Lagrangian Mechanics [1]')
  })

  it('refuses unfinished runs and existing files, writing nothing', async () => {
    const s = ProjectStore.open(path)
    const q = s.createRun({ datasetId: 1, method: 'ensembles', params: {}, seed: 1, backend: 'wasm' })
    await expect(writeReport(s, q, { out: join(dir, 'q.html') })).rejects.toThrow(/Run \d+ is queued; only a finished run has a report/)
    s.finishRun(q, { status: 'failed', error: { kind: 'numerical', name: 'E', message: 'boom' } })
    await expect(writeReport(s, q, { out: join(dir, 'q.html') })).rejects.toThrow(/is failed; only a finished run/)
    expect(existsSync(join(dir, 'q.html'))).toBe(false)
    writeFileSync(join(dir, 'taken.html'), 'keep me')
    await expect(writeReport(s, ensRun, { out: join(dir, 'taken.html') })).rejects.toThrow(/already exists/)
    expect(readFileSync(join(dir, 'taken.html'), 'utf8')).toBe('keep me')
    await expect(writeReport(s, ensRun, { out: join(dir, 'x.txt') })).rejects.toThrow(/ending in .html/)
    await expect(writeReport(s, ensRun, { out: join(dir, 'x.html'), format: 'pdf' })).rejects.toThrow(/ending in .pdf/)
    s.close()
  })

  /** The CLI in-process (the real bin is covered by test/node/cli; spawning tsx costs seconds each). */
  async function runCli(args: string[], cwd: string) {
    let stdout = ''
    let stderr = ''
    const abs = args.map((a) => (/\.(popdyn|html|pdf)$/.test(a) ? join(cwd, a) : a))
    const code = await main(abs, { stdout: (s) => (stdout += s + '\n'), stderr: (s) => (stderr += s + '\n') })
    return { code, stdout, stderr }
  }

  it('popdyn report and popdyn export --report write the file', async () => {
    const a = await runCli(['report', 'p.popdyn', String(ensRun), '--out', 'cli.html', '--json'], dir)
    expect(a.stderr).toBe('')
    expect(a.code).toBe(0)
    expect(JSON.parse(a.stdout)).toMatchObject({ format: 'html', figures: expect.any(Number) })
    expect(readFileSync(join(dir, 'cli.html'), 'utf8')).toContain('<section id="results">')
    const b = await runCli(['export', 'p.popdyn', String(ensRun), '--report', 'cli2.html'], dir)
    expect(b.code).toBe(0)
    expect(existsSync(join(dir, 'cli2.html'))).toBe(true)
    const again = await runCli(['report', 'p.popdyn', String(ensRun), '--out', 'cli.html'], dir)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already exists/)
    const usage = await runCli(['report', 'p.popdyn', String(ensRun)], dir)
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/--out FILE.html\|FILE.pdf/)
  }, 60_000)
})

describe('app channels (runs.export, runs.report, runs.figures) through the contract boundary', () => {
  it('write on the main side, refuse an existing path unless overwrite, and send figures that render the same in the app', async () => {
    const { dispatch } = await import('../../../src-main/ipc/dispatch')
    const { Session } = await import('../../../src-main/services/session')
    const { sourceWorkerSpec } = await import('../../../src-main/workers/entry')
    const { renderFigure } = await import('@shared/figures/index')
    const session = new Session({ mode: 'browser', backend: { name: 'wasm', detail: 'test', skipped: [] }, worker: sourceWorkerSpec(), settingsDir: tempDir() })
    try {
      await session.adopt(ProjectStore.open(path))
      const rep = join(dir, 'app-report.html')
      const r = await dispatch(session.handlers, 'runs.report', { runId: ensRun, format: 'html', path: rep })
      expect(r).toMatchObject({ ok: true, value: { file: rep, format: 'html', pages: null } })
      expect(readFileSync(rep, 'utf8')).toContain('<section id="methods-text">')
      const again = await dispatch(session.handlers, 'runs.report', { runId: ensRun, format: 'html', path: rep })
      expect(again).toMatchObject({ ok: false, error: { kind: 'invalid-input', message: expect.stringMatching(/already exists/) } })
      expect(await dispatch(session.handlers, 'runs.report', { runId: ensRun, format: 'html', path: rep, overwrite: true })).toMatchObject({ ok: true })
      const csv = join(dir, 'app-labels.csv')
      expect(await dispatch(session.handlers, 'runs.export', { runId: ensRun, kind: 'labels', path: csv })).toMatchObject({ ok: true, value: { file: csv, kind: 'labels' } })
      expect(readFileSync(csv, 'utf8').split('\n')[0]).toMatch(/,ensemble,confidence$/)
      const noPred = await dispatch(session.handlers, 'runs.export', { runId: ensRun, kind: 'predictions', path: join(dir, 'p.csv') })
      expect(noPred).toMatchObject({ ok: false, error: { kind: 'invalid-input', message: expect.stringMatching(/has no predictions/) } })
      expect(await dispatch(session.handlers, 'runs.export', { runId: ensRun, kind: 'bogus', path: csv })).toMatchObject({ ok: false, error: { kind: 'invalid-input' } })
      const h5 = await dispatch(session.handlers, 'runs.export', { runId: ensRun, kind: 'h5ad', path: join(dir, 'x.h5ad') })
      expect(h5).toMatchObject({ ok: false, error: { kind: 'invalid-input', message: expect.stringMatching(/h5ad/) } })
      expect(existsSync(join(dir, 'x.h5ad'))).toBe(false)
      const figs = await dispatch(session.handlers, 'runs.figures', { runId: ensRun })
      expect(figs.ok).toBe(true)
      if (!figs.ok) return
      // What the renderer gets went through JSON in browser mode; it renders to the report's SVG.
      const wire = JSON.parse(JSON.stringify(figs.value)) as { caption: string; figure: Parameters<typeof renderFigure>[0] }[]
      const html = readFileSync(rep, 'utf8')
      expect(wire.length).toBeGreaterThanOrEqual(4)
      for (const f of wire) expect(html).toContain(renderFigure(f.figure))
    } finally {
      await session.close()
    }
  }, 60_000)
})

describe('PDF report', () => {
  const chromium = findChromium()
  it.skipIf(!chromium)('is a PDF with a plausible page count (headless Chromium)', async () => {
    const s = ProjectStore.open(path)
    const out = join(dir, 'ens.pdf')
    const r = await writeReport(s, ensRun, { out })
    s.close()
    expect(readFileSync(out).subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect(r.format).toBe('pdf')
    expect(r.pages).toBeGreaterThanOrEqual(2)
    expect(r.pages).toBeLessThanOrEqual(12)
  }, 120_000)
  if (!chromium) it('is skipped: no Chromium found (set POPDYN_CHROMIUM or install chromium)', () => expect(chromium).toBeNull())

  it('without Chromium says clearly that PDF needs it', async () => {
    const s = ProjectStore.open(path)
    const { chromiumPrinter } = await import('../../../src-main/io/report/index')
    await expect(writeReport(s, ensRun, { out: join(dir, 'none.pdf'), printer: chromiumPrinter(null) })).rejects.toThrow(/PDF needs Chromium/)
    expect(existsSync(join(dir, 'none.pdf'))).toBe(false)
    s.close()
  })
})
