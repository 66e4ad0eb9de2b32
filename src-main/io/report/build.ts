/**
 * The report's content as one self-contained HTML document (issue #9 item 2): data summary,
 * method and every parameter (defaults marked), software / backend / seed, results with figures
 * per method, a methods paragraph with citations. Figures come from src-shared/figures (the
 * same functions the app draws with) and are inlined as SVG; nothing is fetched.
 */
import { basename } from 'node:path'
import { METHODS, type MethodName } from '@shared/methods'
import { APP_NAME, APP_VERSION } from '@shared/version'
import { invalidInput } from '@shared/errors'
import { esc, formatNumber, htmlTable, categoricalHex, renderFigure, type CaptionedFigure, type Cell, type FigureSpec, type LegendEntry } from '@shared/figures/index'
import type { DatasetSummary, RunSummary } from '@shared/contract'
import type { ProjectStore } from '../../store/project'
import { CITATIONS, methodsParagraph } from './citations'
import { potentialSurface } from './potential'
import { documentHtml } from './document'

/** Sections every report has, in order (ids of the `<section>` elements). */
export const REPORT_SECTIONS = ['data', 'method', 'software', 'results', 'methods-text', 'references'] as const

export interface BuiltReport {
  html: string
  title: string
  sections: string[]
  figures: number
  /** The figures as specs with their captions (what `runs.figures` sends to the app). */
  figureList: CaptionedFigure[]
  /** Things the report says it could not show (also written in the report). */
  notes: string[]
}

interface Meta {
  source?: { fileName?: string; sha256?: string; bytes?: number; format?: string; records?: number; synthesized?: boolean; headerLines?: number }
  columns?: Record<string, string | string[]>
  timeValues?: number[]
  countsPerTime?: number[]
  timeLabels?: string[]
  trackIds?: string[]
  options?: Record<string, unknown>
}

interface Ctx {
  store: ProjectStore
  run: RunSummary
  ds: DatasetSummary & { meta: Record<string, unknown> }
  meta: Meta
  figures: number
  list: CaptionedFigure[]
  notes: string[]
}

const num = (v: unknown): Cell => (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null ? (v as Cell) : v === undefined ? null : JSON.stringify(v))

function figure(c: Ctx, spec: FigureSpec, caption: string): string {
  const svg = renderFigure(spec)
  c.figures++
  c.list.push({ id: `fig-${c.figures}`, caption, figure: spec })
  return `<figure class="fig" id="fig-${c.figures}">${svg}<figcaption><b>Figure ${c.figures}.</b> ${esc(caption)}</figcaption></figure>`
}

function note(c: Ctx, text: string): string {
  c.notes.push(text)
  return `<p class="note">${esc(text)}</p>`
}

function kv(rows: [string, Cell][], caption?: string): string {
  return htmlTable({ caption, className: 'kv', columns: [{ key: 'k', label: 'Item' }, { key: 'v', label: 'Value' }], rows: rows.map(([k, v]) => ({ k, v })) })
}

function featureNames(c: Ctx): string[] {
  const f = c.meta.columns?.features
  if (c.ds.kind === 'snapshots' && Array.isArray(f) && f.length === c.ds.dim) return f
  return ['x', 'y', 'z'].slice(0, c.ds.dim).concat(Array.from({ length: Math.max(0, c.ds.dim - 3) }, (_, i) => `x${i + 4}`))
}

function timeText(c: Ctx, t: number): string {
  const labels = c.meta.timeLabels
  if (labels && Number.isInteger(t) && labels[t] !== undefined) return labels[t]!
  return `${formatNumber(t)}${c.ds.units.time && c.ds.units.time !== 'index' ? ` ${c.ds.units.time}` : ''}`
}

/** Up to `k` indices spread evenly over 0..n-1, first and last included. */
function spread(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i)
  return Array.from(new Set(Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)))))
}

function labelOrder(labels: string[]): string[] {
  const names = [...new Set(labels)].filter((l) => l !== 'unclassified').sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  return labels.includes('unclassified') ? [...names, 'unclassified'] : names
}

// ------------------------------------------------------------------ sections

function dataSection(c: Ctx): string {
  const { ds, meta } = c
  const u = ds.units
  const rows: [string, Cell][] = [
    ['Dataset', ds.name],
    ['Kind', ds.kind],
    ['Rows', ds.rows],
    ...(ds.kind === 'tracks' ? ([['Tracks', ds.entities]] as [string, Cell][]) : []),
    ['Time points', ds.times],
    ['Dimension', ds.dim],
    ['Space unit', u.space + (u.pixelSize ? ` (${u.pixelSize} µm per px)` : '')],
    ['Time unit', u.time + (u.frameInterval ? ` (${u.frameInterval} ${u.frameIntervalUnit ?? ''} per frame)` : '')],
    ['Imported', ds.createdAt],
  ]
  const out = [`<section id="data"><h2>1. Data</h2>`, kv(rows, 'Dataset summary')]
  const s = meta.source
  if (s) {
    out.push(
      htmlTable({
        caption: 'Source file',
        columns: [
          { key: 'file', label: 'File' },
          { key: 'format', label: 'Format' },
          { key: 'bytes', label: 'Bytes', align: 'right' },
          { key: 'records', label: 'Records', align: 'right' },
          { key: 'sha256', label: 'Content hash (SHA-256)' },
        ],
        rows: [{ file: s.fileName ?? ds.source, format: s.format ?? '', bytes: s.bytes ?? null, records: s.records ?? null, sha256: s.sha256 ?? '' }],
      }).replace('<td>' + esc(s.sha256 ?? '') + '</td>', `<td class="hash mono">${esc(s.sha256 ?? '')}</td>`),
    )
  } else out.push(kv([['Source', ds.source], ['Content hash', 'not recorded (built-in or generated data)']], 'Source'))
  if (meta.columns && Object.keys(meta.columns).length)
    out.push(htmlTable({ caption: 'Columns used', columns: [{ key: 'field', label: 'Field' }, { key: 'col', label: 'Column(s) in the file' }], rows: Object.entries(meta.columns).map(([field, col]) => ({ field, col: Array.isArray(col) ? col.join(', ') : col })) }))
  const tv = meta.timeValues ?? []
  const counts = meta.countsPerTime ?? []
  if (tv.length && counts.length === tv.length) {
    if (tv.length <= 16)
      out.push(htmlTable({ caption: ds.kind === 'tracks' ? 'Observations per time point' : 'Cells per time point', columns: [{ key: 't', label: 'Time' }, { key: 'n', label: 'Count', align: 'right' }], rows: tv.map((t, i) => ({ t: timeText(c, t), n: counts[i]! })) }))
    else
      out.push(figure(c, ({ kind: 'line', title: 'Counts per time point', width: 520, height: 240, x: { label: 'time', unit: u.time }, y: { label: 'count' }, series: [{ name: 'count', x: tv, y: counts }] }), `${ds.kind === 'tracks' ? 'Observations' : 'Cells'} per time point (${tv.length} time points).`))
  }
  out.push('<h3>Warnings from the import</h3>')
  out.push(ds.warnings.length ? `<ul class="warnings">${ds.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '<p>None.</p>')
  out.push('</section>')
  return out.join('')
}

function methodSection(c: Ctx): string {
  const m = METHODS[c.run.method as MethodName]
  const out = [`<section id="method"><h2>2. Method and parameters</h2>`, `<p><b>${esc(m?.title ?? c.run.method)}</b> (<code>${esc(c.run.method)}</code>) on dataset “${esc(c.ds.name)}”.</p>`]
  const rows: Record<string, Cell>[] = []
  if (m) {
    const defaults = m.params.parse({}) as Record<string, unknown>
    const shape = (m.params as unknown as { shape: Record<string, { description?: string }> }).shape
    const keys = [...new Set([...Object.keys(shape), ...Object.keys(c.run.params)])]
    for (const k of keys) {
      const v = k in c.run.params ? c.run.params[k] : defaults[k]
      const isDefault = k in defaults && JSON.stringify(defaults[k]) === JSON.stringify(v)
      rows.push({ name: k, value: num(v), def: k in defaults ? num(defaults[k]) : null, mark: isDefault ? 'default' : 'changed', about: shape[k]?.description ?? '' })
    }
  } else for (const [k, v] of Object.entries(c.run.params)) rows.push({ name: k, value: num(v), def: null, mark: '', about: '' })
  out.push(
    htmlTable({
      caption: 'Every parameter of the run (“default”: the value is the method’s default)',
      className: 'params',
      columns: [{ key: 'name', label: 'Parameter' }, { key: 'value', label: 'Value' }, { key: 'def', label: 'Default' }, { key: 'mark', label: '' }, { key: 'about', label: 'Meaning' }],
      rows,
    }),
  )
  out.push('</section>')
  return out.join('')
}

function softwareSection(c: Ctx): string {
  const r = c.run
  return (
    `<section id="software"><h2>3. Software, backend and seed</h2>` +
    kv([
      ['Software (run)', `${APP_NAME} ${r.softwareVersion}`],
      ['Software (report)', `${APP_NAME} ${APP_VERSION}`],
      ['Compute backend', r.backend],
      ['Random seed', r.seed],
      ['Run', `#${r.id} (${r.status})`],
      ['Started', r.startedAt ?? r.createdAt],
      ['Finished', r.finishedAt],
      ['Duration (s)', r.seconds],
      ['Project file', basename(c.store.path)],
      ['Node.js', process.versions.node],
      ['Platform', `${process.platform}-${process.arch}`],
    ]) +
    '</section>'
  )
}

function metricsTable(metrics: Record<string, unknown>, keys: string[], caption: string): string {
  const rows = keys.filter((k) => metrics[k] !== undefined).map((k) => [k, num(metrics[k])] as [string, Cell])
  return rows.length ? kv(rows, caption) : ''
}

/** Positions of the dataset grouped by time (rows in stored order). */
function groups(c: Ctx): { times: number[]; rows: number[][]; pos: Float64Array; d: number } {
  const time = c.store.getArtifact({ datasetId: c.ds.id }, 'time')?.data
  const pos = c.store.getArtifact({ datasetId: c.ds.id }, 'pos')
  if (!time || !pos) throw invalidInput(`Dataset ${c.ds.id} has no time or position arrays.`)
  const by = new Map<number, number[]>()
  for (let i = 0; i < time.length; i++) {
    const l = by.get(time[i]!) ?? []
    l.push(i)
    by.set(time[i]!, l)
  }
  const times = [...by.keys()].sort((a, b) => a - b)
  return { times, rows: times.map((t) => by.get(t)!), pos: pos.data as Float64Array, d: pos.shape[1] ?? 1 }
}

function gather(pos: Float64Array, d: number, rows: number[]): Float64Array {
  const out = new Float64Array(rows.length * d)
  rows.forEach((r, k) => out.set(pos.subarray(r * d, (r + 1) * d), k * d))
  return out
}

function range(pos: Float64Array, d: number, extra: Float64Array[] = []): { x: [number, number]; y: [number, number] } {
  const r = { x: [Infinity, -Infinity] as [number, number], y: [Infinity, -Infinity] as [number, number] }
  for (const a of [pos, ...extra])
    for (let i = 0; i + 1 < a.length; i += d) {
      r.x = [Math.min(r.x[0], a[i]!), Math.max(r.x[1], a[i]!)]
      r.y = [Math.min(r.y[0], a[i + 1]!), Math.max(r.y[1], a[i + 1]!)]
    }
  return r
}

function ensemblesResults(c: Ctx): string {
  const out: string[] = []
  const m = c.run.metrics
  const { label, confidence } = c.store.getLabels(c.run.id)
  const names = labelOrder(label)
  const mass = (m.ensembleMass as number[] | undefined) ?? []
  out.push('<h3>Ensembles</h3>')
  out.push(
    htmlTable({
      caption: 'Particles per ensemble',
      columns: [{ key: 'e', label: 'Ensemble' }, { key: 'rows', label: 'Particles (all times)', align: 'right' }, { key: 'share', label: 'Share', align: 'right' }, { key: 'mass', label: 'Transported mass', align: 'right' }, { key: 'conf', label: 'Mean confidence', align: 'right' }],
      rows: names.map((e, k) => {
        const idx = label.map((l, i) => (l === e ? i : -1)).filter((i) => i >= 0)
        return { e, rows: idx.length, share: idx.length / label.length, mass: mass[k] ?? null, conf: idx.reduce((s, i) => s + (confidence[i] ?? 0), 0) / Math.max(1, idx.length) }
      }),
    }),
  )
  out.push(metricsTable(m, ['objective', 'converged', 'solver', 'solverReason', 'iterations', 'bestRestart', 'timePoints', 'seconds'], 'Fit'))
  const theta = c.store.getArtifact({ runId: c.run.id }, 'theta')
  if (theta && theta.shape.length === 3) {
    const [K, d, cols] = theta.shape as [number, number, number]
    const showD = Math.min(d, 8)
    const feats = featureNames(c)
    const colNames = Array.from({ length: Math.min(cols, 9) }, (_, j) => (j < d ? feats[j] ?? `x${j + 1}` : 'b'))
    out.push('<h3>Dynamics of each ensemble: x(t+1) = A<sub>k</sub> x(t)' + (cols > d ? ' + b<sub>k</sub>' : '') + '</h3>')
    for (let k = 0; k < K; k++) {
      const rows: Record<string, Cell>[] = []
      for (let i = 0; i < showD; i++) {
        const row: Record<string, Cell> = { out: feats[i] ?? `x${i + 1}` }
        colNames.forEach((_, j) => (row[`c${j}`] = theta.data[(k * d + i) * cols + j]!))
        rows.push(row)
      }
      out.push(htmlTable({ caption: `A_${k + 1} (ensemble E${k + 1})${d > showD || cols > colNames.length ? ` — first ${showD} rows, ${colNames.length} columns of ${d}×${cols}` : ''}`, className: 'matrix', columns: [{ key: 'out', label: '' }, ...colNames.map((n, j) => ({ key: `c${j}`, label: j < d ? n : 'b', align: 'right' as const }))], rows }))
    }
  } else out.push(note(c, 'This run stored no A_k matrices.'))
  // Clouds by ensemble per time.
  if (c.ds.dim >= 2) {
    const g = groups(c)
    const r = range(g.pos, g.d)
    const feats = featureNames(c)
    const cat = new Int32Array(label.length).map((_, i) => Math.max(0, names.indexOf(label[i]!)))
    const figs = spread(g.times.length, 6).map((ti) => {
      const rows = g.rows[ti]!
      return figure(
        c,
        { kind: 'scatter', title: `t = ${timeText(c, g.times[ti]!)}`, width: 340, height: 280, points: { data: gather(g.pos, g.d, rows), n: rows.length, d: g.d }, category: Int32Array.from(rows, (i) => cat[i]!), categories: names, x: { label: feats[0]!, unit: c.ds.units.space }, y: { label: feats[1]!, unit: c.ds.units.space }, range: r },
        `Particles at t = ${timeText(c, g.times[ti]!)} coloured by ensemble (${feats[0]} vs ${feats[1]}${g.d > 2 ? `, first two of ${g.d} features` : ''}).`,
      )
    })
    out.push('<h3>Clouds by ensemble</h3><div class="grid">' + figs.join('') + '</div>')
  } else out.push(note(c, 'One-feature data: clouds are not drawn as scatter plots.'))
  const ck = m.chooseK as { K: number; objectives: number[]; drops: (number | null)[]; reason: string } | undefined
  if (ck && ck.objectives.length > 1 && ck.objectives.every(Number.isFinite)) {
    const y = ck.objectives
    out.push('<h3>Choice of K</h3>')
    out.push(figure(c, { kind: 'line', title: 'Optimal objective per K', width: 520, height: 260, x: { label: 'K' }, y: { label: 'objective J(K)', scale: y.every((v) => v > 0) ? 'log' : 'linear' }, series: [{ name: 'J(K)', x: y.map((_, i) => i + 1), y }] }, `Objective of the best fit for each K; K = ${ck.K} was chosen: ${ck.reason}`))
    out.push(htmlTable({ caption: 'Evidence for K', columns: [{ key: 'K', label: 'K', align: 'right' }, { key: 'J', label: 'J(K)', align: 'right' }, { key: 'drop', label: 'J(K−1)/J(K)', align: 'right' }], rows: y.map((j, i) => ({ K: i + 1, J: j, drop: ck.drops[i] ?? null })) }))
  }
  const trace = c.store.getArtifact({ runId: c.run.id }, 'trace')?.data
  if (trace && trace.length > 1 && Array.from(trace).every(Number.isFinite)) {
    const y = Array.from(trace)
    out.push(figure(c, ({ kind: 'line', title: 'Objective (best restart)', width: 520, height: 260, x: { label: 'iteration' }, y: { label: 'objective', scale: y.every((v) => v > 0) ? 'log' : 'linear' }, series: [{ name: 'objective', x: y.map((_, i) => i + 1), y }] }), 'Objective of the block-coordinate descent per iteration, best restart.'))
  }
  return out.join('')
}

function speciesResults(c: Ctx): string {
  const out: string[] = []
  const m = c.run.metrics
  const species = (m.species as { label: string; cells: number; code: string; meanValidationError: number; formulas?: { ar?: string; align?: string; drag?: string } }[] | undefined) ?? []
  out.push('<h3>Species</h3>')
  out.push(
    htmlTable({
      caption: 'Species found, with their force-mode code and learned force laws',
      className: 'species',
      columns: [{ key: 'label', label: 'Species' }, { key: 'cells', label: 'Cells', align: 'right' }, { key: 'code', label: 'Mode code' }, { key: 'dv', label: 'Mean ΔV', align: 'right' }, { key: 'ar', label: 'f_ar' }, { key: 'align', label: 'f_align' }, { key: 'drag', label: 'f_drag' }],
      rows: species.map((s) => ({ label: s.label, cells: s.cells, code: s.code, dv: s.meanValidationError, ar: s.formulas?.ar ?? '', align: s.formulas?.align ?? '', drag: s.formulas?.drag ?? '' })),
    }),
  )
  out.push(metricsTable(m, ['cells', 'unclassified', 'stop', 'seconds'], 'Run'))
  // Tracks by species.
  const { label } = c.store.getLabels(c.run.id)
  const names = labelOrder(label)
  const track = c.store.getArtifact({ datasetId: c.ds.id }, 'track')?.data
  const pos = c.store.getArtifact({ datasetId: c.ds.id }, 'pos')
  if (track && pos && c.ds.dim >= 2) {
    const d = pos.shape[1] ?? 2
    const byTrack = new Map<number, number[]>()
    for (let i = 0; i < track.length; i++) {
      const l = byTrack.get(track[i]!) ?? []
      l.push(i)
      byTrack.set(track[i]!, l)
    }
    const ids = [...byTrack.keys()].sort((a, b) => a - b)
    const shown = spread(ids.length, 300).map((k) => ids[k]!)
    const series = shown.map((id) => {
      const all = byTrack.get(id)!
      // At most 200 vertices per track (evenly spaced, ends kept): the figure stays small for long tracks.
      const rows = all.length <= 200 ? all : spread(all.length, 200).map((k) => all[k]!)
      const s = Math.max(0, names.indexOf(label[all[0]!] ?? ''))
      return { name: `track ${id}`, x: rows.map((r) => pos.data[r * d]!), y: rows.map((r) => pos.data[r * d + 1]!), color: categoricalHex(s) }
    })
    const legendEntries: LegendEntry[] = names.map((n, k) => ({ label: n, color: categoricalHex(k), mark: 'line' }))
    out.push(figure(c, ({ kind: 'line', title: 'Tracks by species', width: 560, height: 440, x: { label: 'x', unit: c.ds.units.space }, y: { label: 'y', unit: c.ds.units.space }, series, legend: legendEntries }), `Tracks coloured by species${shown.length < ids.length ? ` (${shown.length} of ${ids.length} tracks drawn)` : ''}.`))
  }
  // GMM rounds and force laws, where the run stored them.
  const arts = c.store.listArtifacts({ runId: c.run.id }).map((a) => a.name)
  const rounds = arts.map((n) => /^rounds\/(\d+)\/log10dV$/.exec(n)?.[1]).filter((x): x is string => !!x).sort((a, b) => Number(a) - Number(b))
  if (rounds.length) {
    const figs = rounds.map((k) => {
      const v = Array.from(c.store.getArtifact({ runId: c.run.id }, `rounds/${k}/log10dV`)!.data).filter(Number.isFinite)
      const g = c.store.getArtifact({ runId: c.run.id }, `rounds/${k}/gmm`)?.data
      const comps = g ? Array.from({ length: Math.floor(g.length / 3) }, (_, j) => ({ weight: g[3 * j]!, mean: g[3 * j + 1]!, sd: g[3 * j + 2]! })) : []
      const accept = Number(c.run.params.acceptError ?? 0.05)
      return figure(c, ({ kind: 'histogram', title: `Round ${k}`, width: 360, height: 260, values: v, x: { label: 'log10 ΔV' }, components: comps, markers: [{ at: Math.log10(accept), label: 'accept' }] }), `Round ${k}: validation errors of the remaining cells (log10 ΔV) with the two-component Gaussian mixture.`)
    })
    out.push('<h3>GMM rounds</h3><div class="grid">' + figs.join('') + '</div>')
  } else out.push('<h3>GMM rounds</h3>' + note(c, 'This run did not store the per-round validation errors (rounds/<k>/log10dV), so the GMM histograms per round are not shown.'))
  const laws = [...new Set(arts.map((n) => /^forceLaw\/([^/]+)\/r$/.exec(n)?.[1]).filter((x): x is string => !!x))]
  if (laws.length) {
    const figs = laws.map((s) => {
      const r = Array.from(c.store.getArtifact({ runId: c.run.id }, `forceLaw/${s}/r`)!.data)
      const series = ['ar', 'align'].flatMap((k, j) => {
        const f = c.store.getArtifact({ runId: c.run.id }, `forceLaw/${s}/${k}`)?.data
        return f && f.length === r.length ? [{ name: `f_${k}`, x: r, y: Array.from(f), color: categoricalHex(j) }] : []
      })
      const speed = c.store.getArtifact({ runId: c.run.id }, `forceLaw/${s}/speed`)?.data
      const drag = c.store.getArtifact({ runId: c.run.id }, `forceLaw/${s}/drag`)?.data
      const finite = (a: ArrayLike<number>) => Array.from(a).every(Number.isFinite)
      const figs: string[] = []
      if (series.length && series.every((x) => finite(x.y)) && finite(r))
        figs.push(figure(c, ({ kind: 'line', title: `Force laws, species ${s}`, width: 360, height: 260, x: { label: 'r', unit: c.ds.units.space }, y: { label: 'f(r)' }, series }), `Learned attraction–repulsion and alignment of species ${s} against distance (neighbour straight ahead, θ = 0).`))
      if (speed && drag && speed.length === drag.length && finite(speed) && finite(drag))
        figs.push(figure(c, ({ kind: 'line', title: `Drag, species ${s}`, width: 360, height: 260, x: { label: 'speed', unit: c.ds.units.time ? `${c.ds.units.space}/${c.ds.units.time}` : '' }, y: { label: 'f_drag' }, series: [{ name: 'f_drag', x: Array.from(speed), y: Array.from(drag), color: categoricalHex(2) }] }), `Learned drag of species ${s} against speed (θ = 0).`))
      return figs.join('')
    })
    out.push('<h3>Force laws</h3><div class="grid">' + figs.join('') + '</div>')
  } else out.push('<h3>Force laws</h3>' + note(c, 'This run stored the force laws as formulas (table above), not as sampled curves (forceLaw/<species>/r), so they are not plotted.'))
  return out.join('')
}

async function dynamicsResults(c: Ctx): Promise<string> {
  const out: string[] = []
  const m = c.run.metrics
  out.push(metricsTable(m, ['status', 'epochs', 'bestEpoch', 'bestValidationEmd', 'finalLoss', 'beta', 'friction', 'meanOneStepEmd', 'meanNoMotionEmd', 'seconds'], 'Training and evaluation'))
  const g = groups(c)
  const oneStep = m.oneStepEmd as number[] | undefined
  const noMotion = m.noMotionEmd as number[] | undefined
  const rollout = m.rolloutEmd as number[] | undefined
  const still = m.noMotionFromFirstEmd as number[] | undefined
  const model = oneStep ?? rollout
  const base = noMotion ?? still
  if (model && base && model.length === base.length && model.length === g.times.length - 1) {
    const targets = g.times.slice(1)
    out.push(
      htmlTable({
        caption: oneStep ? 'One-step prediction error (exact W1 to the next observed snapshot)' : 'Roll-out error from the first snapshot (exact W1 to each observed snapshot)',
        columns: [{ key: 't', label: 'Predicted time' }, { key: 'model', label: 'W1, model', align: 'right' }, { key: 'base', label: 'W1, no motion', align: 'right' }],
        rows: targets.map((t, i) => ({ t: timeText(c, t), model: model[i]!, base: base[i]! })),
      }),
    )
    if (model.every(Number.isFinite) && base.every(Number.isFinite) && targets.length >= 2)
      out.push(figure(c, ({ kind: 'line', title: 'Prediction error per time', width: 520, height: 260, x: { label: 'time', unit: c.ds.units.time === 'index' ? '' : c.ds.units.time }, y: { label: 'W1', unit: c.ds.units.space === 'a.u.' ? '' : c.ds.units.space }, series: [{ name: 'model', x: targets, y: model, points: true }, { name: 'no motion', x: targets, y: base, dashed: true, points: true }] }), 'Wasserstein-1 distance between predicted and observed snapshots, with the no-motion baseline.'))
  }
  const loss = c.store.getArtifact({ runId: c.run.id }, 'lossHistory')?.data
  if (loss && loss.length) {
    const all = Array.from(loss)
    const finite = all.findIndex((v) => !Number.isFinite(v))
    const y = finite < 0 ? all : all.slice(0, finite)
    if (finite >= 0) out.push(note(c, `The loss became non-finite at epoch ${finite + 1}; the curve shows the epochs before it.`))
    if (y.length >= 1) out.push(figure(c, ({ kind: 'line', title: 'Training loss', width: 520, height: 260, x: { label: 'epoch' }, y: { label: 'loss', scale: y.every((v) => v > 0) && Math.max(...y) / Math.min(...y) > 20 ? 'log' : 'linear' }, series: [{ name: 'loss', x: y.map((_, i) => i + 1), y }] }), 'Training loss per epoch.'))
  } else out.push(note(c, 'This run stored no loss history.'))
  const ppos = c.store.getArtifact({ runId: c.run.id }, 'predictions/pos')
  const ptime = c.store.getArtifact({ runId: c.run.id }, 'predictions/time')?.data
  if (ppos && ptime && g.d >= 2) {
    const pt = [...new Set(Array.from(ptime))].sort((a, b) => a - b)
    const r = range(g.pos, g.d, [ppos.data as Float64Array])
    const feats = featureNames(c)
    const figs = spread(pt.length, 6).map((k) => {
      const t = pt[k]!
      const obsRows = g.rows[g.times.indexOf(t)] ?? []
      const prow: number[] = []
      for (let i = 0; i < ptime.length; i++) if (ptime[i] === t) prow.push(i)
      const obs = gather(g.pos, g.d, obsRows)
      const pred = gather(ppos.data as Float64Array, g.d, prow)
      const data = new Float64Array(obs.length + pred.length)
      data.set(obs)
      data.set(pred, obs.length)
      const cat = new Int32Array(obsRows.length + prow.length).fill(1, obsRows.length)
      return figure(c, ({ kind: 'scatter', title: `t = ${timeText(c, t)}`, width: 340, height: 280, points: { data, n: cat.length, d: g.d }, category: cat, categories: ['observed', 'predicted'], hollow: [false, true], x: { label: feats[0]!, unit: c.ds.units.space }, y: { label: feats[1]!, unit: c.ds.units.space }, range: r }), `Observed (filled) and predicted (rings) cells at t = ${timeText(c, t)}${g.d > 2 ? ` (first two of ${g.d} features)` : ''}.`)
    })
    out.push('<h3>Observed vs predicted</h3><div class="grid">' + figs.join('') + '</div>')
  } else if (!ppos) out.push(note(c, 'This run stored no predictions.'))
  // Learned potential.
  out.push('<h3>Learned potential</h3>')
  if (c.run.method === 'wlm') out.push(note(c, 'WLM learns a population energy U(X) of the whole set of particles (self-attention network), not a pointwise potential, so no potential surface is drawn; the roll-outs above show the dynamics it implies.'))
  else {
    let res: Awaited<ReturnType<typeof potentialSurface>>
    try {
      res = await potentialSurface(c.store, c.run, { data: g.pos, n: g.pos.length / g.d, d: g.d, times: g.times.length })
    } catch (err) {
      res = { surface: null, note: `The learned potential could not be evaluated from the stored weights: ${(err as Error).message}` }
    }
    if (res.surface) {
      const feats = featureNames(c)
      out.push(figure(c, ({ kind: 'heatmap', title: res.surface.quantity, width: 460, height: 380, grid: res.surface.grid, x: { label: feats[0]!, unit: c.ds.units.space }, y: { label: feats[1]!, unit: c.ds.units.space }, value: { label: 'energy' } }), `The ${res.surface.quantity} on the data range, with contour lines${res.surface.slice ? ` (${res.surface.slice})` : ''}, evaluated from the stored weights.`))
    } else if (res.note) out.push(note(c, res.note))
  }
  return out.join('')
}

// ------------------------------------------------------------------ document

/** Builds the report of a finished run. Refuses runs that are not done (no results to report). */
export async function buildReport(store: ProjectStore, runId: number): Promise<BuiltReport> {
  const run = store.getRun(runId)
  if (run.status !== 'done') throw invalidInput(`Run ${runId} is ${run.status}; only a finished run has a report.`)
  if (run.datasetId === null) throw invalidInput(`Run ${runId} (${run.method}) has no dataset, so there is nothing to report.`)
  const ds = store.getDataset(run.datasetId)
  const c: Ctx = { store, run, ds, meta: ds.meta as Meta, figures: 0, list: [], notes: [] }
  const title = `${METHODS[run.method as MethodName]?.title ?? run.method} — run ${run.id} on “${ds.name}”`
  const results =
    run.method === 'ensembles' ? ensemblesResults(c) : run.method === 'species' ? speciesResults(c) : ['jkonet', 'ijkonet', 'wlm'].includes(run.method) ? await dynamicsResults(c) : note(c, `No result figures for method ${run.method}.`)
  const cite = CITATIONS[run.method]
  const paragraph = methodsParagraph({
    method: run.method,
    params: { ...((METHODS[run.method as MethodName]?.params.parse({}) as Record<string, unknown>) ?? {}), ...run.params },
    version: run.softwareVersion,
    backend: run.backend,
    seed: run.seed,
    dataset: { name: ds.name, kind: ds.kind, rows: ds.rows, entities: ds.entities, times: ds.times, dim: ds.dim, space: ds.units.space, time: ds.units.time },
  })
  const body = [
    dataSection(c),
    methodSection(c),
    softwareSection(c),
    `<section id="results"><h2>4. Results</h2>${results}</section>`,
    `<section id="methods-text"><h2>5. Methods paragraph</h2><p class="muted">Text to paste into a manuscript (check it against your own description of the data).</p><blockquote class="methods">${esc(paragraph)}</blockquote></section>`,
    `<section id="references"><h2>References</h2><ol>${cite ? `<li>${esc(cite.text)}</li>` : ''}<li>${esc(CITATIONS.okabe!.text)}</li></ol></section>`,
  ]
  const html = documentHtml({ title, subtitle: `${APP_NAME} ${APP_VERSION} · report generated ${new Date().toISOString()}`, body: body.join('\n') })
  return { html, title, sections: [...REPORT_SECTIONS], figures: c.figures, figureList: c.list, notes: c.notes }
}
