/**
 * Rows of tracks (track id, time, x, y) → a panel on one uniform time grid, the form WSINDy needs.
 *
 * Complete mode (default): every track at every grid time; gaps, duplicates, irregular steps and
 * partial tracks are reported as invalid input, never fixed silently (SPEC §2).
 * Partial mode (`partial: true`): tracks may start and end at different grid times; a track's span is
 * [first, last] of its own observations. Missing grid times inside a span (gaps) are refused unless
 * `fillGaps` is set, in which case they are filled by PCHIP through the track's own observations and
 * counted in `filled` (so the caller can report them). Times must still lie on one grid t0 + k·dt.
 */
import { invalidInput } from '@shared/errors'
import { Pchip } from '../stats'
import type { TrackPanel } from './types'

export interface TrackRows {
  trackId: ArrayLike<number>
  time: ArrayLike<number>
  x: ArrayLike<number>
  y: ArrayLike<number>
}

export interface PanelOptions {
  /** Relative tolerance on the time grid. @default 1e-6 */
  relTol?: number
  /** Accept tracks that start and end at different times (spans). @default false */
  partial?: boolean
  /** Fill missing times inside a track's span by PCHIP (only with `partial`). @default false */
  fillGaps?: boolean
}

export interface PanelResult extends TrackPanel {
  start: Int32Array
  end: Int32Array
  ids: Int32Array
  /** Grid points filled by PCHIP inside spans (0 unless `fillGaps`). */
  filled: number
}

/**
 * @param options relative time tolerance (number, kept for old callers) or {@link PanelOptions}.
 */
export function panelFromTracks(rows: TrackRows, options: number | PanelOptions = {}): PanelResult {
  const o: PanelOptions = typeof options === 'number' ? { relTol: options } : options
  const relTol = o.relTol ?? 1e-6
  const partial = o.partial ?? false
  const R = rows.trackId.length
  if (rows.time.length !== R || rows.x.length !== R || rows.y.length !== R) throw invalidInput(`tracks: expected columns of equal length, got ${R}, ${rows.time.length}, ${rows.x.length}, ${rows.y.length}`)
  const times = Array.from(new Set(Array.from(rows.time))).sort((a, b) => a - b)
  for (const t of times) if (!Number.isFinite(t)) throw invalidInput(`tracks: expected finite times, got ${t}`)
  if (times.length < 2) throw invalidInput(`tracks: expected at least 2 distinct times, got ${times.length}`)
  let dt: number
  if (partial) {
    // The grid step is the smallest gap between distinct times; every time must be t0 + k·dt.
    dt = Infinity
    for (let k = 1; k < times.length; k++) dt = Math.min(dt, times[k]! - times[k - 1]!)
  } else dt = (times[times.length - 1]! - times[0]!) / (times.length - 1)
  const t0 = times[0]!
  const L = Math.round((times[times.length - 1]! - t0) / dt) + 1
  const tol = relTol * Math.max(dt, 1e-300) * Math.max(1, L)
  const gridIndex = (t: number) => Math.round((t - t0) / dt)
  for (let k = 1; k < times.length; k++) {
    const ok = partial ? Math.abs(t0 + gridIndex(times[k]!) * dt - times[k]!) <= tol : Math.abs(times[k]! - times[k - 1]! - dt) <= tol
    if (!ok) throw invalidInput(`tracks: expected equally spaced times (step ${dt}), got ${times[k - 1]} → ${times[k]}`)
  }
  const ids = Array.from(new Set(Array.from(rows.trackId))).sort((a, b) => a - b)
  const idIndex = new Map(ids.map((id, i) => [id, i]))
  const n = ids.length
  const pos = new Float64Array(n * L * 2).fill(NaN)
  const start = new Int32Array(n).fill(L), end = new Int32Array(n).fill(0)
  for (let r = 0; r < R; r++) {
    const i = idIndex.get(rows.trackId[r]!)!
    const k = gridIndex(rows.time[r]!)
    const o2 = (i * L + k) * 2
    if (!Number.isNaN(pos[o2]!)) throw invalidInput(`tracks: duplicate observation of track ${rows.trackId[r]} at time ${rows.time[r]} (row ${r})`)
    if (!Number.isFinite(rows.x[r]!) || !Number.isFinite(rows.y[r]!)) throw invalidInput(`tracks: expected finite x, y, got ${rows.x[r]}, ${rows.y[r]} at row ${r}`)
    pos[o2] = rows.x[r]!
    pos[o2 + 1] = rows.y[r]!
    if (k < start[i]!) start[i] = k
    if (k + 1 > end[i]!) end[i] = k + 1
  }
  let filled = 0
  for (let i = 0; i < n; i++) {
    const a = partial ? start[i]! : 0, b = partial ? end[i]! : L
    const missing: number[] = []
    for (let k = a; k < b; k++) if (Number.isNaN(pos[(i * L + k) * 2]!)) missing.push(k)
    if (!missing.length) continue
    if (!partial) throw invalidInput(`tracks: expected every track at every time, got track ${ids[i]} missing at time ${t0 + missing[0]! * dt}`)
    if (!o.fillGaps) throw invalidInput(`tracks: expected no gaps inside a track, got track ${ids[i]} missing at time ${t0 + missing[0]! * dt} (fill gaps by interpolation or drop the track)`)
    const kk: number[] = [], yy: number[] = []
    for (let k = a; k < b; k++) {
      const o2 = (i * L + k) * 2
      if (Number.isNaN(pos[o2]!)) continue
      kk.push(t0 + k * dt)
      yy.push(pos[o2]!, pos[o2 + 1]!)
    }
    const pc = Pchip.build(kk, yy, 2)
    const out = new Float64Array(2)
    for (const k of missing) {
      pc.evaluateAt(t0 + k * dt, out)
      pos[(i * L + k) * 2] = out[0]!
      pos[(i * L + k) * 2 + 1] = out[1]!
      filled++
    }
  }
  if (!partial) {
    start.fill(0)
    end.fill(L)
  }
  return { n, L, t0, dt, positions: pos, ids: Int32Array.from(ids), start, end, filled }
}
