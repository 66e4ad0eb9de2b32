/**
 * The import wizard's preview plot as pure functions: from what `import.inspect` returned (the
 * first rows of the file) and the column mapping the user chose, the 2-D points and track
 * polylines to draw. No DOM here; ImportPreviewPlot.svelte draws the result as SVG.
 *
 * - Tracks: x against y of the mapped columns, points of one track joined in time order,
 *   coloured by track.
 * - Snapshots: the first two feature columns, coloured by time point.
 * - TrackMate XML: the preview's own header row (ID, FRAME, POSITION_X, ...); tracks come from
 *   edges the preview does not have, so points are coloured by frame and not joined.
 * - h5ad / npz: the rows are the first components of the chosen embedding (no header): the
 *   first two components, uncoloured.
 */
import type { InspectResult } from '@shared/contract'

export interface PreviewTable {
  header: string[]
  rows: string[][]
}

export interface PreviewPlot {
  xName: string
  yName: string
  /** Points in file order: data coordinates and a group (colour) index, -1 = none. */
  x: number[]
  y: number[]
  group: number[]
  /** Group names in colour order (track ids or time values), empty when uncoloured. */
  groups: string[]
  /** What the colours mean. */
  groupBy: 'track' | 'time' | 'frame' | null
  /** Polylines (point indices in time order), one per track with 2 or more points. */
  lines: number[][]
  /** Rows left out because x or y is not a finite number. */
  skipped: number
}

/** The header and data rows of an inspect preview, whatever the format. */
export function previewTable(info: Pick<InspectResult, 'format' | 'columns' | 'preview' | 'mappingGuess'>): PreviewTable {
  if (info.format === 'trackmate-xml') return { header: info.preview[0] ?? [], rows: info.preview.slice(1) }
  if (info.format === 'h5ad' || info.format === 'npz') {
    const feats = info.mappingGuess.features
    const key = Array.isArray(feats) && typeof feats[0] === 'string' ? feats[0] : 'component'
    const width = info.preview[0]?.length ?? 0
    return { header: Array.from({ length: width }, (_, j) => `${key}[${j + 1}]`), rows: info.preview }
  }
  return { header: info.columns, rows: info.preview }
}

/** Compares labels naturally ("Day 2" < "Day 10"; numbers by value). */
export function naturalCompare(a: string, b: string): number {
  const na = Number(a)
  const nb = Number(b)
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' })
}

function parse(v: string | undefined): number {
  if (v === undefined) return NaN
  const t = v.trim()
  return t === '' ? NaN : Number(t)
}

/**
 * What to draw for the current mapping, or a sentence saying what is missing.
 * @param kind the dataset kind chosen in the wizard
 * @param mapping field -> column name (track, time, x, y, label, ...); '' = not mapped
 * @param features the feature columns typed for snapshots (the first two are plotted)
 */
export function previewPlot(table: PreviewTable, kind: 'tracks' | 'snapshots', mapping: Record<string, string | undefined>, features: readonly string[], format = 'csv'): PreviewPlot | { message: string } {
  const col = (name: string | undefined) => (name ? table.header.indexOf(name) : -1)
  if (table.rows.length === 0) return { message: 'No rows to preview.' }
  let xi: number
  let yi: number
  let gi = -1
  let groupBy: PreviewPlot['groupBy'] = null
  let ti = -1
  if (format === 'h5ad' || format === 'npz') {
    if (table.header.length < 2) return { message: 'The embedding has fewer than 2 components to plot.' }
    xi = 0
    yi = 1
  } else if (kind === 'tracks' || format === 'trackmate-xml') {
    xi = col(mapping.x)
    yi = col(mapping.y)
    if (xi < 0 || yi < 0) return { message: 'Map the x and y columns to see a preview.' }
    ti = col(mapping.time)
    gi = format === 'trackmate-xml' ? ti : col(mapping.track)
    groupBy = gi < 0 ? null : format === 'trackmate-xml' ? 'frame' : 'track'
  } else {
    const f = features.map((c) => col(c)).filter((i) => i >= 0)
    if (f.length < 2) return { message: 'Choose at least two feature columns to see a preview.' }
    ;[xi, yi] = f as [number, number]
    gi = col(mapping.time)
    groupBy = gi < 0 ? null : 'time'
  }
  const x: number[] = []
  const y: number[] = []
  const keys: string[] = []
  const times: number[] = []
  let skipped = 0
  for (const r of table.rows) {
    const a = parse(r[xi])
    const b = parse(r[yi])
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      skipped++
      continue
    }
    x.push(a)
    y.push(b)
    keys.push(gi >= 0 ? (r[gi] ?? '').trim() : '')
    times.push(ti >= 0 ? parse(r[ti]) : x.length)
  }
  const groups = gi >= 0 ? [...new Set(keys)].sort(naturalCompare) : []
  const index = new Map(groups.map((g, i) => [g, i]))
  const group = keys.map((k) => (gi >= 0 ? (index.get(k) ?? -1) : -1))
  const lines: number[][] = []
  if (groupBy === 'track') {
    const by = new Map<number, number[]>()
    group.forEach((g, i) => {
      const l = by.get(g)
      if (l) l.push(i)
      else by.set(g, [i])
    })
    for (const l of by.values()) {
      if (l.length < 2) continue
      // Time order (stable for equal or unparsable times).
      l.sort((p, q) => (times[p] - times[q]) || p - q)
      lines.push(l)
    }
  }
  const name = (i: number) => table.header[i] ?? `column ${i + 1}`
  return { xName: name(xi), yName: name(yi), x, y, group, groups, groupBy, lines, skipped }
}

/** Plot rectangle mapping: data -> SVG pixels with a margin, equal scales when `equal`. */
export function fitToBox(x: readonly number[], y: readonly number[], width: number, height: number, margin: number, equal: boolean): { sx: (v: number) => number; sy: (v: number) => number } {
  const lo = (a: readonly number[]) => (a.length ? Math.min(...a) : 0)
  const hi = (a: readonly number[]) => (a.length ? Math.max(...a) : 1)
  let [x0, x1, y0, y1] = [lo(x), hi(x), lo(y), hi(y)]
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1]
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1]
  const w = width - 2 * margin
  const h = height - 2 * margin
  let kx = w / (x1 - x0)
  let ky = h / (y1 - y0)
  if (equal) kx = ky = Math.min(kx, ky)
  const ox = margin + (w - kx * (x1 - x0)) / 2
  const oy = margin + (h - ky * (y1 - y0)) / 2
  return { sx: (v) => ox + (v - x0) * kx, sy: (v) => height - (oy + (v - y0) * ky) }
}
