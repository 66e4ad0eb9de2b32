/**
 * Picking and selection for the tracks view, as pure functions over the same buffers three.js
 * draws (no raycaster: line picking by three's Raycaster is in world units and scans every
 * segment with object allocations; here it is a screen-space scan over the visible draw range).
 *
 * Screen space: CSS pixels, origin at the canvas's top-left, y down. `viewProj` is the camera's
 * projection × view matrix (16 numbers, column-major as three.js stores `Matrix4.elements`).
 */
import type { PointsLike } from './buffers'

export interface SegmentPick {
  /** Segment number (position in the index buffer / 2). */
  segment: number
  /** The segment end nearer the pointer: a vertex (= point) index. */
  vertex: number
  /** Distance from the pointer to the segment on screen, CSS px. */
  distance: number
}

/**
 * Projects world point (x, y, z) to the screen; null when it lies behind the camera or outside
 * the depth range.
 */
export function toScreen(viewProj: ArrayLike<number>, x: number, y: number, z: number, width: number, height: number): [number, number] | null {
  const m = viewProj
  const w = m[3] * x + m[7] * y + m[11] * z + m[15]
  if (!(w > 0)) return null
  const nx = (m[0] * x + m[4] * y + m[8] * z + m[12]) / w
  const ny = (m[1] * x + m[5] * y + m[9] * z + m[13]) / w
  const nz = (m[2] * x + m[6] * y + m[10] * z + m[14]) / w
  if (nz < -1 || nz > 1) return null
  return [((nx + 1) / 2) * width, ((1 - ny) / 2) * height]
}

/**
 * The segment of `index` (pairs of vertex indices into `positions`, [n, 3] world coordinates)
 * among segments `start .. start + count - 1` closest on screen to (px, py), if within `maxPx`.
 * Ties go to the earlier segment. O(count).
 * @param maxPx largest distance that still counts as a hit, CSS px @default 6
 */
export function pickSegment(
  positions: ArrayLike<number>,
  index: ArrayLike<number>,
  start: number,
  count: number,
  viewProj: ArrayLike<number>,
  width: number,
  height: number,
  px: number,
  py: number,
  maxPx = 6,
): SegmentPick | null {
  let best: SegmentPick | null = null
  let bestD2 = maxPx * maxPx
  const end = Math.min(start + count, Math.floor(index.length / 2))
  for (let s = Math.max(0, start); s < end; s++) {
    const a = index[2 * s]
    const b = index[2 * s + 1]
    const pa = toScreen(viewProj, positions[3 * a], positions[3 * a + 1], positions[3 * a + 2], width, height)
    if (!pa) continue
    const pb = toScreen(viewProj, positions[3 * b], positions[3 * b + 1], positions[3 * b + 2], width, height)
    if (!pb) continue
    const dx = pb[0] - pa[0]
    const dy = pb[1] - pa[1]
    const len2 = dx * dx + dy * dy
    const u = len2 > 0 ? Math.min(1, Math.max(0, ((px - pa[0]) * dx + (py - pa[1]) * dy) / len2)) : 0
    const ex = pa[0] + u * dx - px
    const ey = pa[1] + u * dy - py
    const d2 = ex * ex + ey * ey
    if (d2 < bestD2) {
      bestD2 = d2
      best = { segment: s, vertex: u < 0.5 ? a : b, distance: Math.sqrt(d2) }
    }
  }
  return best
}

/**
 * Screen positions [n, 2] (CSS px) of all `positions` ([n, 3] world), NaN where `toScreen`
 * gives null. Computed once per camera pose, it makes each later pick a distance scan only.
 */
export function projectAll(positions: ArrayLike<number>, viewProj: ArrayLike<number>, width: number, height: number): Float32Array {
  const n = Math.floor(positions.length / 3)
  const out = new Float32Array(2 * n)
  for (let i = 0; i < n; i++) {
    const p = toScreen(viewProj, positions[3 * i], positions[3 * i + 1], positions[3 * i + 2], width, height)
    out[2 * i] = p ? p[0] : NaN
    out[2 * i + 1] = p ? p[1] : NaN
  }
  return out
}

/** `pickSegment` over precomputed screen positions (`projectAll`); same answer, O(count). */
export function pickSegmentScreen(screen: Float32Array, index: ArrayLike<number>, start: number, count: number, px: number, py: number, maxPx = 6): SegmentPick | null {
  let best: SegmentPick | null = null
  let bestD2 = maxPx * maxPx
  const end = Math.min(start + count, Math.floor(index.length / 2))
  for (let s = Math.max(0, start); s < end; s++) {
    const a = index[2 * s]
    const b = index[2 * s + 1]
    const ax = screen[2 * a]
    const ay = screen[2 * a + 1]
    const bx = screen[2 * b]
    const by = screen[2 * b + 1]
    // Cheap reject: both ends on one side of the pointer, farther than the best so far.
    const r = Math.sqrt(bestD2)
    if ((ax < px - r && bx < px - r) || (ax > px + r && bx > px + r) || (ay < py - r && by < py - r) || (ay > py + r && by > py + r)) continue
    if (ax !== ax || bx !== bx) continue // NaN: behind the camera
    const dx = bx - ax
    const dy = by - ay
    const len2 = dx * dx + dy * dy
    const u = len2 > 0 ? Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0
    const ex = ax + u * dx - px
    const ey = ay + u * dy - py
    const d2 = ex * ex + ey * ey
    if (d2 < bestD2) {
      bestD2 = d2
      best = { segment: s, vertex: u < 0.5 ? a : b, distance: Math.sqrt(d2) }
    }
  }
  return best
}

/**
 * The vertex among `order[start .. start + count - 1]` closest on screen to (px, py), within
 * `maxPx` (for the head markers and for single-point tracks). Returns the vertex index.
 * @param maxPx @default 6
 */
export function pickVertex(
  positions: ArrayLike<number>,
  order: ArrayLike<number>,
  start: number,
  count: number,
  viewProj: ArrayLike<number>,
  width: number,
  height: number,
  px: number,
  py: number,
  maxPx = 6,
): { vertex: number; distance: number } | null {
  let best: { vertex: number; distance: number } | null = null
  let bestD2 = maxPx * maxPx
  const end = Math.min(start + count, order.length)
  for (let k = Math.max(0, start); k < end; k++) {
    const v = order[k]
    const p = toScreen(viewProj, positions[3 * v], positions[3 * v + 1], positions[3 * v + 2], width, height)
    if (!p) continue
    const d2 = (p[0] - px) ** 2 + (p[1] - py) ** 2
    if (d2 < bestD2) {
      bestD2 = d2
      best = { vertex: v, distance: Math.sqrt(d2) }
    }
  }
  return best
}

export interface TrackInfo {
  /** The track index (`track[vertex]`). */
  track: number
  /** The track id shown to the user: `trackIds[track]` when known, else the index. */
  trackName: string
  /** Label name (species / imported label), or null when the data have none. */
  label: string | null
  /** First and last time of the track, in the dataset's time unit. */
  tStart: number
  tEnd: number
  /** Points in the track. */
  points: number
  /** The hovered point: its time and position (data units). */
  time: number
  position: number[]
}

/**
 * Per-track time ranges, computed once per dataset in O(n): Map track id -> [tMin, tMax, points].
 */
export function trackRanges(d: Pick<PointsLike, 'time' | 'track'>): Map<number, [number, number, number]> {
  const out = new Map<number, [number, number, number]>()
  const n = d.track.length
  for (let i = 0; i < n; i++) {
    const id = d.track[i]
    const t = d.time[i]
    const r = out.get(id)
    if (!r) out.set(id, [t, t, 1])
    else {
      if (t < r[0]) r[0] = t
      if (t > r[1]) r[1] = t
      r[2]++
    }
  }
  return out
}

/** What the tooltip says about the point `vertex` of a tracks dataset. */
export function trackInfo(d: PointsLike, vertex: number, ranges: Map<number, [number, number, number]>): TrackInfo {
  const id = d.track[vertex]
  const r = ranges.get(id) ?? [d.time[vertex], d.time[vertex], 1]
  const n = d.time.length
  const li = d.label.length === n ? d.label[vertex] : -1
  const label = li >= 0 ? (d.labelNames[li] ?? String(li)) : null
  const position: number[] = []
  for (let j = 0; j < d.dim; j++) position.push(d.pos[vertex * d.dim + j])
  return { track: id, trackName: trackName(d, id), label, tStart: r[0], tEnd: r[1], points: r[2], time: d.time[vertex], position }
}

/** The user's id of track index `id`: `d.trackIds[id]` when the data carry them, else the index. */
export function trackName(d: Pick<PointsLike, 'trackIds'>, id: number): string {
  return d.trackIds?.[id] ?? String(id)
}

/**
 * Colours with one track highlighted: vertices of other tracks are blended towards the
 * background (white) by `dim`, the selected track keeps its colours. Linear RGB in and out,
 * [n, 3]; returns a new array.
 * @param dim 0 = unchanged, 1 = white @default 0.85
 */
export function highlightTrack(colors: Float32Array, track: ArrayLike<number>, selected: number, dim = 0.85): Float32Array {
  const n = colors.length / 3
  if (track.length !== n) throw new Error(`expected ${n} track ids, got ${track.length}`)
  const out = new Float32Array(colors.length)
  for (let i = 0; i < n; i++) {
    const keep = track[i] === selected
    for (let c = 0; c < 3; c++) {
      const v = colors[3 * i + c]
      out[3 * i + c] = keep ? v : v + (1 - v) * dim
    }
  }
  return out
}

/**
 * The next time index when playing: one step on, back to 0 after the last (loops).
 * @returns 0 when there are no times
 */
export function nextTimeIndex(current: number, nTimes: number): number {
  if (nTimes <= 0) return 0
  const i = Math.floor(current) + 1
  return i >= nTimes || i < 0 ? 0 : i
}

/** Formats a number for the tooltip: up to 4 significant digits, no exponent for ordinary sizes. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (Number.isInteger(v)) return String(v)
  const a = Math.abs(v)
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3)
  return String(Number(v.toPrecision(4)))
}
