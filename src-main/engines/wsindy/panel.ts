/**
 * Rows of tracks (track id, time, x, y) → a complete panel on a common uniform time grid, the form
 * WSINDy needs (every cell observed at the same L times). Gaps, duplicates, irregular steps and
 * partial tracks are reported as invalid input, never fixed silently (SPEC §2).
 */
import { invalidInput } from '@shared/errors'
import type { TrackPanel } from './types'

export interface TrackRows {
  trackId: ArrayLike<number>
  time: ArrayLike<number>
  x: ArrayLike<number>
  y: ArrayLike<number>
}

/** @param relTol relative tolerance on the time grid. @default 1e-6 */
export function panelFromTracks(rows: TrackRows, relTol = 1e-6): TrackPanel {
  const R = rows.trackId.length
  if (rows.time.length !== R || rows.x.length !== R || rows.y.length !== R) throw invalidInput(`tracks: expected columns of equal length, got ${R}, ${rows.time.length}, ${rows.x.length}, ${rows.y.length}`)
  const times = Array.from(new Set(Array.from(rows.time))).sort((a, b) => a - b)
  const L = times.length
  if (L < 2) throw invalidInput(`tracks: expected at least 2 distinct times, got ${L}`)
  const dt = (times[L - 1]! - times[0]!) / (L - 1)
  for (let k = 1; k < L; k++) {
    if (Math.abs(times[k]! - times[k - 1]! - dt) > relTol * Math.max(dt, 1e-300) * Math.max(1, L)) throw invalidInput(`tracks: expected equally spaced times (step ${dt}), got ${times[k - 1]} → ${times[k]}`)
  }
  const ids = Array.from(new Set(Array.from(rows.trackId))).sort((a, b) => a - b)
  const idIndex = new Map(ids.map((id, i) => [id, i]))
  const n = ids.length
  const pos = new Float64Array(n * L * 2).fill(NaN)
  for (let r = 0; r < R; r++) {
    const i = idIndex.get(rows.trackId[r]!)!
    const k = Math.round((rows.time[r]! - times[0]!) / dt)
    const o = (i * L + k) * 2
    if (!Number.isNaN(pos[o]!)) throw invalidInput(`tracks: duplicate observation of track ${rows.trackId[r]} at time ${rows.time[r]} (row ${r})`)
    if (!Number.isFinite(rows.x[r]!) || !Number.isFinite(rows.y[r]!)) throw invalidInput(`tracks: expected finite x, y, got ${rows.x[r]}, ${rows.y[r]} at row ${r}`)
    pos[o] = rows.x[r]!
    pos[o + 1] = rows.y[r]!
  }
  for (let i = 0; i < n; i++) for (let k = 0; k < L; k++) {
    if (Number.isNaN(pos[(i * L + k) * 2]!)) throw invalidInput(`tracks: expected every track at every time, got track ${ids[i]} missing at time ${times[k]}`)
  }
  return { n, L, t0: times[0]!, dt, positions: pos, ids: Int32Array.from(ids) }
}
