/**
 * Data preparation and the single-cell WSINDy model (SPEC §4.2 (a), paper §2).
 */
import { invalidInput } from '@shared/errors'
import { quantile } from '../stats'
import { layout, laguerreFunctions, makeLibrary, modeCode, type LibraryOptions } from './library'
import { mstls, type MstlsOptions } from './regression'
import type { CellModel, TrackPanel, WsindyData } from './types'
import { chooseTestFunction, finiteDifferenceVelocities, weakSystem, type ChangePointOptions } from './weakform'
import type { Matrix } from '../linalg'

export interface PrepareOptions extends LibraryOptions, ChangePointOptions {
  /** Test-function half-width in samples; chosen by the change-point rule when absent. */
  m?: number
  /** Test-function power; chosen with m when absent. */
  p?: number
  /** Quantile of pair distances that defines r_nf. @default 0.001 */
  nearFieldQuantile?: number
  /** Far-field radius r_ff. @default 1 */
  rFar?: number
  /** Most pair distances sampled for r_nf (times are strided to stay under it). @default 2_000_000 */
  maxDistanceSamples?: number
  /**
   * Order of the centred finite-difference velocities (SPEC: centred differences; the paper says 2nd order,
   * the reference code used the simulator's exact velocities). At the benchmark's Δt = 0.13 the 2nd-order
   * error across close encounters dominates the weak-form residual; order 4 cuts single-cell force errors
   * several-fold (see the report) while amplifying position noise only 1.5× (order 6: 1.83×).
   * @default 4
   */
  velocityOrder?: 2 | 4 | 6
  /**
   * N in the model's 1/N when tracks cover different spans: 'all' tracks (the paper's fixed population;
   * cells outside the field of view still count) or the cells 'present' at each time. Equal for complete
   * tracks. @default 'all'
   */
  meanField?: 'all' | 'present'
}

/**
 * Checks a panel and computes everything the per-cell tasks share (plain data; see WsindyData).
 * Tracks may cover different spans of the grid (TrackPanel.start/end): velocities are differenced inside
 * each span, pair distances use the cells present together, and (m, p) come from the change-point rule on
 * the tracks at least as long as the median track (their first median-length samples). Tracks shorter than
 * the test-function support 2m + 1 are listed in `tooShort` (they stay neighbours of the others).
 */
export function prepareWsindy(panel: TrackPanel, o: PrepareOptions = {}): WsindyData {
  const { n, L, dt, positions } = panel
  if (!Number.isInteger(n) || n < 3) throw invalidInput(`tracks: expected at least 3 cells, got ${n}`)
  if (!Number.isInteger(L) || L < 8) throw invalidInput(`tracks: expected at least 8 time points per track, got ${L}`)
  if (!(dt > 0)) throw invalidInput(`dt: expected a positive time step, got ${dt}`)
  if (!(positions instanceof Float64Array) || positions.length !== n * L * 2) throw invalidInput(`positions: expected a Float64Array of n·L·2 = ${n * L * 2} values, got ${positions?.length}`)
  const start = panel.start ? Int32Array.from(panel.start) : new Int32Array(n)
  const end = panel.end ? Int32Array.from(panel.end) : new Int32Array(n).fill(L)
  if (start.length !== n || end.length !== n) throw invalidInput(`start/end: expected ${n} entries each, got ${start.length}, ${end.length}`)
  for (let i = 0; i < n; i++) {
    if (!(start[i]! >= 0 && start[i]! < end[i]! && end[i]! <= L)) throw invalidInput(`track ${panel.ids?.[i] ?? i}: expected a span 0 ≤ start < end ≤ ${L}, got [${start[i]}, ${end[i]})`)
    for (let k = start[i]!; k < end[i]!; k++) {
      for (let c = 0; c < 2; c++) {
        const q = (i * L + k) * 2 + c
        if (!Number.isFinite(positions[q]!)) throw invalidInput(`positions: expected finite values, got ${positions[q]} for cell ${i}, time index ${k}`)
      }
    }
  }
  const longest = Math.max(...end.map((e, i) => e - start[i]!))
  if (o.meanField !== undefined && o.meanField !== 'all' && o.meanField !== 'present') throw invalidInput(`meanField: expected 'all' or 'present', got ${String(o.meanField)}`)
  if (longest < 8) throw invalidInput(`tracks: expected at least 8 time points per track, got ${longest}`)
  const order = o.velocityOrder ?? 4
  const velocities = new Float64Array(n * L * 2).fill(NaN)
  for (let i = 0; i < n; i++) {
    const a = start[i]!, len = end[i]! - a
    if (len < 2) continue
    const v = finiteDifferenceVelocities(positions.subarray((i * L + a) * 2, (i * L + end[i]!) * 2), 1, len, dt, order)
    velocities.set(v, (i * L + a) * 2)
  }
  const present = new Int32Array(L)
  for (let i = 0; i < n; i++) for (let k = start[i]!; k < end[i]!; k++) present[k]!++
  // Pair distances (cells present together) on strided times.
  const maxS = o.maxDistanceSamples ?? 2_000_000
  const perT = (n * (n - 1)) / 2
  const stride = Math.max(1, Math.ceil((perT * L) / maxS))
  const dist: number[] = []
  let rMax = 0
  for (let k = 0; k < L; k += stride) {
    for (let i = 0; i < n; i++) {
      if (k < start[i]! || k >= end[i]!) continue
      const xi = positions[(i * L + k) * 2]!, yi = positions[(i * L + k) * 2 + 1]!
      for (let j = i + 1; j < n; j++) {
        if (k < start[j]! || k >= end[j]!) continue
        const r = Math.hypot(xi - positions[(j * L + k) * 2]!, yi - positions[(j * L + k) * 2 + 1]!)
        dist.push(r)
        if (r > rMax) rMax = r
      }
    }
  }
  if (!dist.length) throw invalidInput('tracks: expected at least two cells observed at the same time, got none')
  let sMax = 0
  for (let q = 0; q < velocities.length; q += 2) if (velocities[q] === velocities[q]) sMax = Math.max(sMax, Math.hypot(velocities[q]!, velocities[q + 1]!))
  const rNear = quantile(dist, o.nearFieldQuantile ?? 0.001)
  let m = o.m, p = o.p, corner = NaN
  if (m === undefined || p === undefined) {
    // Change-point rule on the tracks at least as long as the median one, cut to that length.
    const lens = Array.from(end, (e, i) => e - start[i]!).sort((a, b) => a - b)
    const Lc = Math.max(8, lens[Math.floor((lens.length - 1) / 2)]!)
    const chosen = o.cells ? new Set(Array.from(o.cells)) : null
    let use = Array.from({ length: n }, (_, i) => i).filter((i) => end[i]! - start[i]! >= Lc)
    if (chosen && use.some((i) => chosen.has(i))) use = use.filter((i) => chosen.has(i))
    const sub = new Float64Array(use.length * Lc * 2)
    use.forEach((i, q) => sub.set(positions.subarray((i * L + start[i]!) * 2, (i * L + start[i]! + Lc) * 2), q * Lc * 2))
    const c = chooseTestFunction(sub, use.length, Lc, { ...o, cells: undefined })
    m = m ?? c.m
    p = p ?? c.p
    corner = c.corner
  }
  if (!Number.isInteger(m) || m < 2) throw invalidInput(`m: expected an integer ≥ 2, got ${m}`)
  if (2 * m + 1 > longest) throw invalidInput(`tracks: expected at least one track of at least 2m + 1 = ${2 * m + 1} time points (the test-function support), got the longest with ${longest}`)
  if (!(p >= 1)) throw invalidInput(`p: expected ≥ 1, got ${p}`)
  const tooShort: number[] = []
  for (let i = 0; i < n; i++) if (end[i]! - start[i]! < 2 * m + 1) tooShort.push(i)
  return {
    n,
    L,
    t0: panel.t0,
    dt,
    positions,
    velocities,
    start,
    end,
    present,
    meanField: o.meanField ?? 'all',
    tooShort: Int32Array.from(tooShort),
    lib: makeLibrary(o),
    m,
    p,
    cornerIndex: corner,
    rNear,
    rFar: o.rFar ?? 1,
    rMax,
    sMax,
    ids: panel.ids ?? Int32Array.from({ length: n }, (_, i) => i),
  }
}

/**
 * Sign constraints C w ≤ 0 (SPEC §4.2; paper App. C): f_ar ≥ 0 at 5 radii in [10⁻⁶, r_nf] × 5 angles in [0, π]
 * (rows −Φ_ar); f_ar ≤ 0 at 10 radii in [r_ff, r_max] × 5 angles (rows Φ_ar, only when r_max > r_ff);
 * every alignment and drag coefficient ≤ 0 (their basis functions are non-negative, so f_align ≤ 0 and
 * f_drag ≤ 0).
 */
export function constraintMatrix(data: WsindyData): Matrix {
  const { lib } = data
  const lay = layout(lib)
  const J = lay.size
  const rowsList: Float64Array[] = []
  const R = new Float64Array(lib.arRadial)
  const arRow = (r: number, th: number, sign: number) => {
    const row = new Float64Array(J)
    laguerreFunctions(lib.alpha * r, R)
    for (let n = 0; n < lib.arModes; n++) for (let l = 0; l < lib.arRadial; l++) row[lay.ar + n * lib.arRadial + l] = sign * Math.cos(n * th) * R[l]!
    rowsList.push(row)
  }
  const angles = [0, 0.25, 0.5, 0.75, 1].map((a) => a * Math.PI)
  const rnf = Math.max(data.rNear, 1e-12)
  const r0 = Math.min(1e-6, rnf / 2)
  for (let a = 0; a < 5; a++) for (const th of angles) arRow(r0 + ((rnf - r0) * a) / 4, th, -1)
  if (data.rMax > data.rFar) for (let a = 0; a < 10; a++) for (const th of angles) arRow(data.rFar + ((data.rMax - data.rFar) * a) / 9, th, 1)
  for (let j = lay.align; j < J; j++) {
    const row = new Float64Array(J)
    row[j] = 1
    rowsList.push(row)
  }
  const data2 = new Float64Array(rowsList.length * J)
  rowsList.forEach((r, k) => data2.set(r, k * J))
  return { data: data2, rows: rowsList.length, cols: J }
}

export interface CellModelOptions extends MstlsOptions {
  /** Impose the sign constraints. @default true */
  constrained?: boolean
}

/**
 * Learns the model of focal cell i (one independent task: a function of the prepared data and a
 * cell index, safe to run in a worker). Returns its coefficients, mode code, λ̂ and residual.
 */
export function learnCellModel(data: WsindyData, i: number, o: CellModelOptions = {}): CellModel & { converged: boolean } {
  if (!Number.isInteger(i) || i < 0 || i >= data.n) throw invalidInput(`cell: expected an index in [0, ${data.n}), got ${i}`)
  const len = data.end[i]! - data.start[i]!
  if (len < 2 * data.m + 1) throw invalidInput(`cell ${data.ids[i]}: expected a track of at least 2m + 1 = ${2 * data.m + 1} time points (the test-function support), got ${len} (too short)`)
  const sys = weakSystem(data, i)
  const C = o.constrained === false ? null : constraintMatrix(data)
  const res = mstls({ data: sys.G, rows: sys.rows, cols: sys.cols }, sys.b, C, o)
  let nnz = 0
  for (const x of res.w) if (x !== 0) nnz++
  return { cell: i, w: res.w, code: modeCode(data.lib, res.w), lambda: res.lambda, residual: res.residual, nnz, converged: res.converged }
}
