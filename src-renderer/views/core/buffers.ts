/**
 * Buffer builders: pure functions from a `DatasetPoints` answer to the flat typed arrays that
 * three.js draws (P13/P15: no per-track objects, one geometry for everything).
 *
 * Shapes: `pos` is row-major [n, dim]; `time`, `track`, `label` have length n (track/label may be
 * empty). Every output position array is [n, 3] row-major Float32Array in *world* coordinates:
 * space axes are centred on the data (so float32 keeps precision far from the origin) and share
 * one scale (aspect ratio kept); time, when used as an axis, is stretched to the largest spatial
 * extent. `Layout.axes` maps world back to data units for tick labels.
 *
 * Time is handled through ranks: distinct time values sorted ascending (`times`) and the rank
 * of each point. Track segments and cloud points are sorted by rank, so every time window is a
 * contiguous range of the index/vertex buffer (a draw range, O(log n) per slider move).
 */
import type { DatasetPoints } from '@shared/contract'
import { categorical, srgbToLinear, viridis } from './colormaps'

/** The fields of `DatasetPoints` the builders read (typed arrays accepted too). */
export interface PointsLike {
  kind: DatasetPoints['kind']
  dim: number
  units: Pick<DatasetPoints['units'], 'space' | 'time'>
  pos: ArrayLike<number>
  time: ArrayLike<number>
  track: ArrayLike<number>
  label: ArrayLike<number>
  labelNames: readonly string[]
  /**
   * Names of the `dim` feature columns (e.g. PC1..PC50, or the CSV headers), when the source
   * knows them. @default x, y, z for up to 3 dimensions, else PC1..PCdim
   */
  featureNames?: readonly string[]
  /**
   * Original track ids (as the file had them), indexed by the values in `track`, when the
   * source knows them. @default the `track` values themselves
   */
  trackIds?: readonly string[]
}

export type ColorBy = 'track' | 'label' | 'time'

/** One drawn axis: world range and the data range (in `unit`) it shows. */
export interface AxisSpec {
  name: string
  unit: string
  dataMin: number
  dataMax: number
  worldMin: number
  worldMax: number
}

export interface Layout {
  /** Always 3 axes (x, y, z in world); `flat` when z has no extent (2-D data shown in a plane). */
  axes: [AxisSpec, AxisSpec, AxisSpec]
  flat: boolean
  /** Which data column feeds each world axis; -1 = time, -2 = constant 0. */
  source: [number, number, number]
}

export interface Bounds {
  min: [number, number, number]
  max: [number, number, number]
}

/** Number of points (rows) in a dataset answer; throws when `pos` does not match `dim`. */
export function pointCount(d: PointsLike): number {
  if (d.dim < 1) throw new Error(`expected dim >= 1, got ${d.dim}`)
  if (d.pos.length % d.dim !== 0) throw new Error(`expected pos.length to be a multiple of dim=${d.dim}, got ${d.pos.length}`)
  const n = d.pos.length / d.dim
  if (d.time.length !== n) throw new Error(`expected ${n} time values, got ${d.time.length}`)
  return n
}

function columnRange(pos: ArrayLike<number>, n: number, dim: number, col: number): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0, k = col; i < n; i++, k += dim) {
    const v = pos[k]
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return lo <= hi ? [lo, hi] : [0, 0]
}

function arrayRange(a: ArrayLike<number>): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < a.length; i++) {
    const v = a[i]
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return lo <= hi ? [lo, hi] : [0, 0]
}

/** Axis names: x, y, z for up to 3 dimensions, else the first three PCs. */
export function axisNames(dim: number): [string, string, string] {
  return dim > 3 ? ['PC1', 'PC2', 'PC3'] : ['x', 'y', 'z']
}

/**
 * One name per feature column: `d.featureNames` when it has exactly `dim` entries, else
 * x, y, z (dim <= 3) or PC1..PCdim.
 */
export function featureNames(d: Pick<PointsLike, 'dim' | 'featureNames'>): string[] {
  if (d.featureNames && d.featureNames.length === d.dim) return [...d.featureNames]
  if (d.dim <= 3) return ['x', 'y', 'z'].slice(0, d.dim)
  return Array.from({ length: d.dim }, (_, i) => `PC${i + 1}`)
}

/**
 * Checks a choice of feature columns for the world x, y, z axes: 1 to 3 distinct column
 * indices in [0, dim), or -2 for "none" (a flat axis). Returns it as a triple.
 */
export function checkColumns(columns: readonly number[], dim: number): [number, number, number] {
  if (columns.length < 1 || columns.length > 3) throw new Error(`expected 1 to 3 feature columns, got ${columns.length}`)
  const out: [number, number, number] = [-2, -2, -2]
  const seen = new Set<number>()
  columns.forEach((c, a) => {
    if (c === -2) return
    if (!Number.isInteger(c) || c < 0 || c >= dim) throw new Error(`expected feature columns in [0, ${dim}), got ${c}`)
    if (seen.has(c)) throw new Error(`expected distinct feature columns, got ${c} twice`)
    seen.add(c)
    out[a] = c
  })
  if (out[0] === -2) throw new Error('expected a feature column for x, got none')
  return out
}

/**
 * The axis columns after the user picks column `v` (-2 = none, z only) for axis `axis`
 * (0 = x, 1 = y, 2 = z). The three stay distinct: a column another axis shows moves to that
 * axis's old column, or, when that was "none", to the first column no axis shows.
 */
export function chooseAxisColumn(cols: readonly [number, number, number], axis: 0 | 1 | 2, v: number, dim: number): [number, number, number] {
  const next: [number, number, number] = [cols[0], cols[1], cols[2]]
  if (v === -2 && axis !== 2) return next
  const other = v === -2 ? -1 : next.indexOf(v)
  if (other >= 0 && other !== axis) {
    if (next[axis] !== -2) next[other] = next[axis]
    else {
      let free = 0
      while (free < dim && (next.includes(free) || free === v)) free++
      next[other] = free < dim ? free : -2
    }
  }
  next[axis] = v
  if (next[0] === -2 || next[1] === -2) return [cols[0], cols[1], cols[2]]
  return next
}

/**
 * Chooses the world axes. 1-D data: x and (time or nothing); 2-D: x, y and optionally time as z;
 * 3-D or more: the first three columns, or the feature columns given in `columns`.
 * @param timeAsAxis put time on the free axis of 1-D/2-D data @default false
 * @param columns feature column (index into the `dim` columns) shown on world x, y, z; -2 = none
 *   (see `checkColumns`) @default [0, 1, 2] (as far as `dim` goes)
 */
export function makeLayout(d: PointsLike, timeAsAxis = false, columns?: readonly number[]): Layout {
  const n = pointCount(d)
  const names = featureNames(d)
  const source: [number, number, number] = columns ? checkColumns(columns, d.dim) : [0, d.dim > 1 ? 1 : -2, d.dim > 2 ? 2 : -2]
  if (!columns && timeAsAxis && d.dim <= 2) source[d.dim === 1 ? 1 : 2] = -1
  const spaceRanges = source.map((s) => (s >= 0 ? columnRange(d.pos, n, d.dim, s) : null))
  let extent = 0
  for (const r of spaceRanges) if (r) extent = Math.max(extent, r[1] - r[0])
  if (extent === 0) extent = 1
  const axes = source.map((s, a): AxisSpec => {
    if (s >= 0) {
      const [lo, hi] = spaceRanges[a] as [number, number]
      const c = (lo + hi) / 2
      return { name: names[s], unit: d.units.space, dataMin: lo, dataMax: hi, worldMin: lo - c, worldMax: hi - c }
    }
    if (s === -1) {
      const [lo, hi] = arrayRange(d.time)
      return { name: 'time', unit: d.units.time, dataMin: lo, dataMax: hi, worldMin: -extent / 2, worldMax: extent / 2 }
    }
    return { name: ['x', 'y', 'z'][a], unit: d.units.space, dataMin: 0, dataMax: 0, worldMin: 0, worldMax: 0 }
  }) as [AxisSpec, AxisSpec, AxisSpec]
  return { axes, flat: axes[2].worldMax === axes[2].worldMin, source }
}

/** World coordinate of data value `v` on `axis` (linear; a degenerate axis maps to its centre). */
export function toWorld(axis: AxisSpec, v: number): number {
  const span = axis.dataMax - axis.dataMin
  if (span === 0) return (axis.worldMin + axis.worldMax) / 2
  return axis.worldMin + ((v - axis.dataMin) / span) * (axis.worldMax - axis.worldMin)
}

/** Data value shown at world coordinate `w` on `axis` (inverse of `toWorld`). */
export function toData(axis: AxisSpec, w: number): number {
  const ws = axis.worldMax - axis.worldMin
  if (ws === 0) return axis.dataMin
  return axis.dataMin + ((w - axis.worldMin) / ws) * (axis.dataMax - axis.dataMin)
}

/**
 * World positions [n, 3] as Float32Array. With `order`, vertex k is point `order[k]`.
 */
export function worldPositions(d: PointsLike, layout: Layout, order?: ArrayLike<number>): Float32Array {
  const n = pointCount(d)
  const out = new Float32Array(n * 3)
  for (let a = 0; a < 3; a++) {
    const s = layout.source[a]
    const ax = layout.axes[a]
    const span = ax.dataMax - ax.dataMin
    const scale = span === 0 ? 0 : (ax.worldMax - ax.worldMin) / span
    const off = span === 0 ? (ax.worldMin + ax.worldMax) / 2 : ax.worldMin - ax.dataMin * scale
    for (let k = 0; k < n; k++) {
      const i = order ? order[k] : k
      const v = s >= 0 ? d.pos[i * d.dim + s] : s === -1 ? d.time[i] : 0
      out[k * 3 + a] = v * scale + off
    }
  }
  return out
}

/** Axis-aligned bounds of a [n, 3] position array (all zeros when empty). */
export function boundsOf(positions: ArrayLike<number>): Bounds {
  const min: [number, number, number] = [Infinity, Infinity, Infinity]
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity]
  for (let i = 0; i < positions.length; i += 3) {
    for (let a = 0; a < 3; a++) {
      const v = positions[i + a]
      if (v < min[a]) min[a] = v
      if (v > max[a]) max[a] = v
    }
  }
  if (!(min[0] <= max[0])) return { min: [0, 0, 0], max: [0, 0, 0] }
  return { min, max }
}

/** Bounds of the layout's axes (the axis box). */
export function layoutBounds(layout: Layout): Bounds {
  const [x, y, z] = layout.axes
  return { min: [x.worldMin, y.worldMin, z.worldMin], max: [x.worldMax, y.worldMax, z.worldMax] }
}

export interface TimeIndex {
  /** Distinct time values, ascending. */
  times: Float64Array
  /** Rank of each point's time in `times`. */
  rank: Uint32Array
}

/** Distinct sorted times and each point's rank among them. */
export function timeIndex(time: ArrayLike<number>): TimeIndex {
  const n = time.length
  const sorted = Float64Array.from(time).sort()
  let m = 0
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[m - 1]) sorted[m++] = sorted[i]
  const times = sorted.slice(0, m)
  const rank = new Uint32Array(n)
  // Frames are usually few and evenly spaced: a Map beats a binary search per point.
  const map = new Map<number, number>()
  for (let i = 0; i < m; i++) map.set(times[i], i)
  for (let i = 0; i < n; i++) rank[i] = map.get(time[i]) ?? 0
  return { times, rank }
}

/**
 * Stable counting sort of 0..n-1 by integer `key` in [0, nKeys): returns the order and the
 * start offset of each key (`offsets[k]..offsets[k+1]`).
 */
export function countingOrder(key: ArrayLike<number>, nKeys: number): { order: Uint32Array; offsets: Uint32Array } {
  const n = key.length
  const offsets = new Uint32Array(nKeys + 1)
  for (let i = 0; i < n; i++) offsets[key[i] + 1]++
  for (let k = 0; k < nKeys; k++) offsets[k + 1] += offsets[k]
  const fill = offsets.slice(0, nKeys)
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[fill[key[i]]++] = i
  return { order, offsets }
}

export interface TrackSegments {
  /** Vertex index pairs [m, 2] (into the point order of the input), sorted by `segRank`. */
  index: Uint32Array
  /** Time rank of each segment's later end, ascending. */
  segRank: Uint32Array
  /** Number of distinct tracks that have at least one point. */
  tracks: number
}

/**
 * Segments joining consecutive points (by time) of each track. Points with a negative or
 * non-integer track id belong to no track. O(n + tracks + times) plus a sort of any track
 * whose points were not already in time order.
 */
export function trackSegments(track: ArrayLike<number>, rank: Uint32Array, nTimes: number): TrackSegments {
  const n = track.length
  if (n === 0) return { index: new Uint32Array(0), segRank: new Uint32Array(0), tracks: 0 }
  if (rank.length !== n) throw new Error(`expected ${n} time ranks, got ${rank.length}`)
  // Dense track keys (ids may be sparse or huge): key 0 = no track.
  let maxId = -1
  for (let i = 0; i < n; i++) if (track[i] > maxId) maxId = track[i]
  const key = new Uint32Array(n)
  let nKeys: number
  if (maxId <= 4 * n + 1024) {
    for (let i = 0; i < n; i++) {
      const t = track[i]
      key[i] = t >= 0 && Number.isInteger(t) ? t + 1 : 0
    }
    nKeys = maxId + 2
  } else {
    const map = new Map<number, number>()
    for (let i = 0; i < n; i++) {
      const t = track[i]
      if (!(t >= 0 && Number.isInteger(t))) continue
      let k = map.get(t)
      if (k === undefined) map.set(t, (k = map.size + 1))
      key[i] = k
    }
    nKeys = map.size + 1
  }
  const { order, offsets } = countingOrder(key, nKeys)
  let tracks = 0
  let m = 0
  for (let k = 1; k < nKeys; k++) {
    const a = offsets[k]
    const b = offsets[k + 1]
    if (b > a) tracks++
    if (b - a < 2) continue
    let sorted = true
    for (let j = a + 1; j < b; j++) if (rank[order[j]] < rank[order[j - 1]]) sorted = false
    if (!sorted) order.subarray(a, b).sort((p, q) => rank[p] - rank[q] || p - q)
    m += b - a - 1
  }
  // Unsorted segments, then a counting sort by end rank.
  const segA = new Uint32Array(m)
  const segB = new Uint32Array(m)
  const endRank = new Uint32Array(m)
  let s = 0
  for (let k = 1; k < nKeys; k++) {
    for (let j = offsets[k] + 1; j < offsets[k + 1]; j++) {
      segA[s] = order[j - 1]
      segB[s] = order[j]
      endRank[s] = rank[order[j]]
      s++
    }
  }
  const bySeg = countingOrder(endRank, nTimes)
  const index = new Uint32Array(2 * m)
  const segRank = new Uint32Array(m)
  for (let r = 0; r < m; r++) {
    const q = bySeg.order[r]
    index[2 * r] = segA[q]
    index[2 * r + 1] = segB[q]
    segRank[r] = endRank[q]
  }
  return { index, segRank, tracks }
}

/** First position in ascending `a` whose value is >= v. */
function lowerBound(a: ArrayLike<number>, v: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid] < v) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The contiguous range of an ascending rank array whose ranks lie in [lo, hi]. */
export function rankRange(sortedRanks: ArrayLike<number>, lo: number, hi: number): { start: number; count: number } {
  if (hi < lo) return { start: 0, count: 0 }
  const start = lowerBound(sortedRanks, lo)
  const end = lowerBound(sortedRanks, hi + 1)
  return { start, count: end - start }
}

/**
 * Time-rank window for a slider at rank `current` with a tail of `tail` time steps
 * (Infinity = the whole history up to `current`). A track segment is shown when the rank of
 * its later end lies in the window, so a tail of k steps shows k segments per track.
 */
export function tailWindow(current: number, tail: number): { lo: number; hi: number } {
  const lo = Number.isFinite(tail) ? Math.max(0, current - Math.max(1, Math.floor(tail)) + 1) : 0
  return { lo, hi: current }
}

/**
 * Per-vertex colours [n, 3], in LINEAR RGB (three.js colour management converts to sRGB on
 * output, so the screen shows the palette's sRGB values). `track`/`label` use the categorical
 * palette (points without one get grey); `time` uses viridis over the dataset's time range.
 * With `order`, vertex k is point order[k].
 */
export function vertexColors(d: PointsLike, colorBy: ColorBy, ti: TimeIndex, order?: ArrayLike<number>): Float32Array {
  const n = pointCount(d)
  const out = new Float32Array(n * 3)
  const src = colorBy === 'track' ? d.track : colorBy === 'label' ? d.label : null
  const last = Math.max(1, ti.times.length - 1)
  // Cache the palette lookups: a colour per category, not per point.
  const cache = new Map<number, readonly [number, number, number]>()
  for (let k = 0; k < n; k++) {
    const i = order ? order[k] : k
    let c: readonly [number, number, number]
    if (src) {
      const v = src.length === n ? src[i] : NaN
      const hit = cache.get(v)
      if (hit) c = hit
      else {
        c = srgbToLinear(v >= 0 ? categorical(v) : [0.6, 0.6, 0.6])
        cache.set(v, c)
      }
    } else {
      const r = ti.rank[i]
      const hit = cache.get(r)
      if (hit) c = hit
      else {
        c = srgbToLinear(viridis(ti.times.length > 1 ? r / last : 0.5))
        cache.set(r, c)
      }
    }
    out[3 * k] = c[0]
    out[3 * k + 1] = c[1]
    out[3 * k + 2] = c[2]
  }
  return out
}

/** Which colourings make sense for a dataset (track only for tracks, label only when labelled). */
export function colorChoices(d: PointsLike): ColorBy[] {
  const n = d.time.length
  const out: ColorBy[] = []
  if (d.label.length === n && n > 0) out.push('label')
  if (d.kind === 'tracks' && d.track.length === n && n > 0) out.push('track')
  out.push('time')
  return out
}

export interface TrackBuffers {
  layout: Layout
  time: TimeIndex
  positions: Float32Array
  colors: Float32Array
  segments: TrackSegments
}

/** Everything a tracks view draws, from one dataset answer. */
export function buildTrackBuffers(d: PointsLike, opts: { colorBy: ColorBy; timeAsAxis?: boolean }): TrackBuffers {
  const layout = makeLayout(d, opts.timeAsAxis ?? false)
  const time = timeIndex(d.time)
  const positions = worldPositions(d, layout)
  const colors = vertexColors(d, opts.colorBy, time)
  const segments = trackSegments(d.track, time.rank, time.times.length)
  return { layout, time, positions, colors, segments }
}

export interface CloudBuffers {
  layout: Layout
  time: TimeIndex
  /** Vertex k is point order[k]: points sorted by time rank. */
  order: Uint32Array
  /** Vertices of rank r are offsets[r]..offsets[r+1]. */
  offsets: Uint32Array
  positions: Float32Array
  colors: Float32Array
}

/**
 * Everything a clouds view draws. Pass `layout` to place a second set (an overlay) in the same
 * world frame as the first.
 */
export function buildCloudBuffers(d: PointsLike, opts: { colorBy: ColorBy; layout?: Layout; columns?: readonly number[] }): CloudBuffers {
  const layout = opts.layout ?? makeLayout(d, false, opts.columns)
  const time = timeIndex(d.time)
  const { order, offsets } = countingOrder(time.rank, time.times.length)
  const positions = worldPositions(d, layout, order)
  const colors = vertexColors(d, opts.colorBy, time, order)
  return { layout, time, order, offsets, positions, colors }
}

/** Vertex range of a cloud for the times in [tFrom, tTo] (data units, inclusive). */
export function cloudRangeForTimes(c: Pick<CloudBuffers, 'time' | 'offsets'>, tFrom: number, tTo: number): { start: number; count: number } {
  const lo = lowerBound(c.time.times, tFrom)
  let hi = lowerBound(c.time.times, tTo)
  if (hi >= c.time.times.length || c.time.times[hi] > tTo) hi--
  if (hi < lo) return { start: 0, count: 0 }
  return { start: c.offsets[lo], count: c.offsets[hi + 1] - c.offsets[lo] }
}

/** True when the points carry more than one distinct time. */
export function hasSeveralTimes(time: ArrayLike<number>): boolean {
  for (let i = 1; i < time.length; i++) if (time[i] !== time[0]) return true
  return false
}
