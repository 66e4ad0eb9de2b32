/**
 * `inspectFile`: what the import wizard shows before importing — format, kind guess, columns,
 * mapping guess, the first rows, a row-count estimate and the problems seen so far. Reads only
 * the head of CSV/XML files (256 KiB); h5ad/npz are opened but only small arrays are decoded.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { unzipSync } from 'fflate'
import { PopdynError } from '@shared/errors'
import { findColumn } from './columns'
import { effectiveMapping } from './csv'
import { detectHeader, splitLine, unitOf } from './delimited'
import { detectFormat } from './format'
import type { DatasetUnits } from './layout'
import { parseNpy } from './npz'
import type { ImportOptions, InspectResult, Mapping } from './types'
import { checkFile, fileLabel, normSpaceUnit, normTimeUnit, parseNum } from './util'

const HEAD = 256 * 1024

function readHead(path: string, size: number): string {
  const len = Math.min(size, HEAD)
  const buf = Buffer.alloc(len)
  const fd = openSync(path, 'r')
  try {
    readSync(fd, buf, 0, len, 0)
  } finally {
    closeSync(fd)
  }
  let text = buf.toString('utf8')
  if (size > HEAD) text = text.slice(0, text.lastIndexOf('\n') + 1)
  return text
}

function inspectCsv(path: string, size: number, opts: ImportOptions): InspectResult {
  const file = fileLabel(path)
  const text = readHead(path, size)
  const all = text.split('\n')
  const lines: { text: string; line: number }[] = []
  all.forEach((t, i) => {
    if (t.trim() !== '') lines.push({ text: t, line: i + 1 })
  })
  const problems: string[] = []
  if (!lines.length)
    return { format: 'csv', kindGuess: 'snapshots', columns: [], mappingGuess: {}, preview: [], rowCountEstimate: 0, units: {}, problems: [`${file} is empty.`], details: {} }
  const h = detectHeader(lines.slice(0, 5).map((l) => l.text))
  const data = lines.slice(h.headerLines.length)
  let kind: InspectResult['kindGuess'] = opts.kind ?? 'snapshots'
  let mapping: Mapping = {}
  try {
    const em = effectiveMapping(h.columns, opts)
    kind = em.kind
    mapping = em.mapping
  } catch (err) {
    problems.push((err as Error).message)
  }
  const required = kind === 'tracks' ? (['track', 'time', 'x', 'y'] as const) : (['time'] as const)
  for (const f of required)
    if (mapping[f] === undefined) problems.push(`No column found for ${f}; map it (columns: ${h.columns.join(', ')}).`)
    else if (findColumn(h.columns, mapping[f]!) < 0) problems.push(`Missing column "${mapping[f]}" for ${f}.`)
  if (kind === 'snapshots' && !mapping.features?.length) problems.push('No feature columns found (PC1..PCd, x1..xd or x/y); choose them.')
  if (h.columns.length === 1) problems.push(`Only one column found (delimiter "${h.delimiter}"?).`)
  const numeric: [string, string][] = []
  for (const f of ['time', 'x', 'y', 'z'] as const) if (mapping[f] && !(kind === 'snapshots' && f === 'time')) numeric.push([f, mapping[f]!])
  for (const c of mapping.features ?? []) numeric.push(['features', c])
  const n = opts.previewRows ?? 20
  const preview: string[][] = []
  let reported = 0
  for (const { text: t, line } of data) {
    const f = splitLine(t, h.delimiter)
    if (preview.length < n) preview.push(f)
    if (f.length !== h.columns.length) {
      if (reported++ < 5) problems.push(`${file} line ${line} has ${f.length} fields but the header has ${h.columns.length} columns.`)
      continue
    }
    for (const [field, col] of numeric) {
      const i = findColumn(h.columns, col)
      if (i < 0 || reported >= 5) continue
      const v = parseNum(f[i] ?? '')
      if (!Number.isFinite(v)) {
        problems.push(`${file} line ${line}, column "${col}" (${field}): "${f[i] ?? ''}" is not a finite number.`)
        reported++
      }
    }
  }
  const dataBytes = data.reduce((s, l) => s + Buffer.byteLength(l.text) + 1, 0)
  const headBytes = Buffer.byteLength(text)
  const rowCountEstimate = size <= HEAD ? data.length : Math.round(data.length * ((size - (headBytes - dataBytes)) / Math.max(1, dataBytes)))
  const units: Partial<DatasetUnits> = {}
  const su = normSpaceUnit(unitOf(h, mapping.x ?? mapping.features?.[0]))
  if (su) units.space = su
  const tu = mapping.time === 'FRAME' ? 'frame' : normTimeUnit(unitOf(h, mapping.time))
  if (tu) units.time = tu
  return { format: 'csv', kindGuess: kind, columns: h.columns, mappingGuess: mapping, preview, rowCountEstimate, units, problems, details: { delimiter: h.delimiter, headerLines: h.headerLines.length, unitsRow: h.unitsRow } }
}

function inspectXml(path: string, size: number, opts: ImportOptions): InspectResult {
  const text = readHead(path, size)
  const problems: string[] = []
  const model = /<Model\b([^>]*)>/.exec(text)?.[1] ?? ''
  const attr = (s: string, a: string) => new RegExp(`\\b${a}="([^"]*)"`).exec(s)?.[1]
  if (!/<TrackMate\b/.test(text) || !model) problems.push(`${fileLabel(path)}: no TrackMate/Model element in the first ${HEAD / 1024} KiB.`)
  const nspots = Number(attr(/<AllSpots\b([^>]*)>/.exec(text)?.[1] ?? '', 'nspots') ?? NaN)
  const spots = [...text.matchAll(/<Spot\b([^>]*?)\/?>/g)].slice(0, opts.previewRows ?? 20)
  const columns = spots.length ? [...spots[0]![1]!.matchAll(/([A-Za-z_][\w.-]*)="/g)].map((m) => m[1]!) : []
  const preview = spots.map((m) => ['ID', 'FRAME', 'POSITION_X', 'POSITION_Y', 'POSITION_Z'].map((a) => attr(m[1]!, a) ?? ''))
  const units: Partial<DatasetUnits> = { time: 'frame' }
  const su = normSpaceUnit(attr(model, 'spatialunits'))
  if (su) units.space = su
  return {
    format: 'trackmate-xml',
    kindGuess: 'tracks',
    columns,
    mappingGuess: { track: 'Model/AllTracks (edges)', time: 'FRAME', x: 'POSITION_X', y: 'POSITION_Y', z: 'POSITION_Z' },
    preview: [['ID', 'FRAME', 'POSITION_X', 'POSITION_Y', 'POSITION_Z'], ...preview],
    rowCountEstimate: Number.isFinite(nspots) ? nspots : spots.length,
    units,
    problems,
    details: { spatialunits: attr(model, 'spatialunits') ?? null, timeunits: attr(model, 'timeunits') ?? null },
  }
}

async function inspectH5ad(path: string, opts: ImportOptions): Promise<InspectResult> {
  const { guessH5adMapping, listH5ad, openH5 } = await import('./h5ad')
  const f = await openH5(path)
  try {
    const l = listH5ad(f)
    const m = { ...guessH5adMapping(l), ...(opts.mapping ?? {}) }
    const problems: string[] = []
    if (!m.time) problems.push(`No time column found in obs (columns: ${l.obs.join(', ') || 'none'}); choose one.`)
    if (m.features?.[0] === 'X' && l.X.sparse) problems.push(`X is sparse (${l.X.sparse}); choose an obsm embedding such as X_pca.`)
    if (!m.features?.length) problems.push('No embedding found in obsm and no dense X.')
    const preview: string[][] = []
    const key = m.features?.[0]
    const ds = key && !(key === 'X' && l.X.sparse) ? f.get(key === 'X' ? '/X' : `/obsm/${key}`) : null
    const shape = (ds as { shape?: number[] } | null)?.shape
    if (ds && shape && shape.length === 2) {
      const d = ds as unknown as { slice(r: [number, number][]): ArrayLike<number> | null }
      const k = Math.min(opts.previewRows ?? 20, shape[0]!)
      const cols = Math.min(shape[1]!, 10)
      const v = k && cols ? d.slice([[0, k], [0, cols]]) : null
      if (v) for (let i = 0; i < k; i++) preview.push(Array.from({ length: cols }, (_, j) => String(Number(v[i * cols + j]))))
    }
    return {
      format: 'h5ad',
      kindGuess: 'snapshots',
      columns: [...l.obs.map((c) => `obs/${c}`), ...Object.keys(l.obsm).map((k) => `obsm/${k}`), ...(l.X.shape || l.X.sparse ? ['X'] : [])],
      mappingGuess: m,
      preview,
      rowCountEstimate: l.n,
      units: {},
      problems,
      details: { obsm: l.obsm, X: l.X, obs: l.obs },
    }
  } finally {
    f.close()
  }
}

/** Looks at a file without importing it. Never throws for problems in the data; lists them in `problems`. */
export async function inspectFile(path: string, opts: ImportOptions = {}): Promise<InspectResult> {
  const format = detectFormat(path)
  try {
    const size = checkFile(path, { ...opts, maxBytes: Number.MAX_SAFE_INTEGER })
    switch (format) {
      case 'trackmate-xml':
        return inspectXml(path, size, opts)
      case 'h5ad':
        return await inspectH5ad(path, opts)
      case 'npz':
        return await inspectNpzFile(path, opts)
      default:
        return inspectCsv(path, size, opts)
    }
  } catch (err) {
    if (!(err instanceof PopdynError)) throw err
    return { format, kindGuess: opts.kind ?? 'snapshots', columns: [], mappingGuess: {}, preview: [], rowCountEstimate: 0, units: {}, problems: [err.message], details: {} }
  }
}

async function inspectNpzFile(path: string, opts: ImportOptions): Promise<InspectResult> {
  const { readFile } = await import('node:fs/promises')
  const entries = unzipSync(new Uint8Array(await readFile(path)))
  const arrays: Record<string, { descr: string; shape: number[] }> = {}
  const problems: string[] = []
  const parsed = new Map<string, ReturnType<typeof parseNpy>>()
  for (const [k, v] of Object.entries(entries)) {
    if (!k.endsWith('.npy')) continue
    const name = k.slice(0, -4)
    try {
      const a = parseNpy(v, `array "${name}"`)
      parsed.set(name, a)
      arrays[name] = { descr: a.descr, shape: a.shape }
    } catch (err) {
      problems.push((err as Error).message)
    }
  }
  const names = Object.keys(arrays)
  const find = (c: string[]) => names.find((n) => c.includes(n.toLowerCase().replace(/[^a-z0-9]/g, '')))
  const m: Mapping = { ...(opts.mapping ?? {}) }
  m.features ??= [find(['pcs', 'xpca', 'x', 'positions', 'pos', 'embedding', 'data', 'points', 'features']) ?? ''].filter(Boolean)
  m.time ??= find(['samplelabels', 'ts', 'time', 'times', 't', 'day', 'samples', 'timepoints'])
  const vel = find(['pcsdelta', 'v', 'velocity', 'velocities', 'delta', 'vel'])
  if (vel && !m.velocity) m.velocity = [vel]
  if (!m.features?.length) problems.push(`No feature array found (pcs, X, positions); arrays: ${names.join(', ')}.`)
  const P = m.features?.[0] ? parsed.get(m.features[0]) : undefined
  if (P && P.shape.length === 2 && !m.time) problems.push(`No time array found (sample_labels, ts, time); arrays: ${names.join(', ')}.`)
  const preview: string[][] = []
  if (P && P.data instanceof Float64Array) {
    const cols = P.shape[P.shape.length - 1] ?? 1
    const k = Math.min(opts.previewRows ?? 20, P.data.length / cols)
    for (let i = 0; i < k; i++) preview.push(Array.from(P.data.subarray(i * cols, i * cols + Math.min(cols, 10)), String))
  }
  const rowCountEstimate = P ? (P.shape.length === 3 ? P.shape[0]! * P.shape[1]! : (P.shape[0] ?? 0)) : 0
  for (const k of Object.keys(m) as (keyof Mapping)[]) if (m[k] === undefined) delete m[k]
  return { format: 'npz', kindGuess: 'snapshots', columns: names, mappingGuess: m, preview, rowCountEstimate, units: {}, problems, details: { arrays } }
}
