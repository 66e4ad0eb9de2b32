/**
 * Data-driven validation simulation (SPEC §4.2 (d); paper §3.1; reference `simnu_split.m`): only the
 * focal cell i is simulated with a model; every other cell follows the data, interpolated by PCHIP
 * (positions and finite-difference velocities, per coordinate, each track inside its own span; a cell is
 * a neighbour only while its track exists). Forward Euler on (x_i, v_i) with Δt' = Δt/substeps from the
 * observed x_i(t_{s_i}), v_i(t_{s_i}) at the start s_i of the focal track (neighbours read at the end of
 * each sub-step, as the reference code) over its first
 * L'_i = ⌊horizon·L_i⌋ observation times (L_i = its length); ΔV_i = ‖V̂_i − V_i‖_F / ‖V_i‖_F over those
 * times (relative velocity error). A run that leaves the finite numbers returns ΔV = `maxError`.
 */
import { Pchip } from '../stats'
import { layout } from './library'
import type { WsindyData } from './types'
import { decayFunction } from './weakform'

export interface ValidationOptions {
  /** Euler sub-steps per observation interval. @default 32 */
  substeps?: number
  /** Fraction of the track's observation times simulated. @default 0.25 */
  horizon?: number
  /** Cap on ΔV (also returned for a diverging run). @default 1000 */
  maxError?: number
  /**
   * When the neighbours are read in each Euler sub-step t → t + Δt': at its 'end' (the reference code,
   * `simnu_split.m`) or its 'start'. @default 'end'
   */
  neighbourTime?: 'start' | 'end'
  /**
   * Stop as soon as ΔV is sure to exceed this value (the error accumulated so far, over the whole
   * horizon's data norm, already does) and return that lower bound with `stoppedEarly`. Used where only
   * "below a threshold or not" matters (model replacement). @default Infinity
   */
  stopAbove?: number
}

/**
 * Neighbour values on the grid for the simulations: per grid time k and cell j the PCHIP knots
 * (x, y, v_x, v_y) and slopes, computed per track inside its span (NaN outside).
 */
export interface NeighbourTable {
  /** L × n × 4 values and slopes (per unit time). */
  y: Float64Array
  d: Float64Array
}

const tableCache = new WeakMap<WsindyData, NeighbourTable>()

/** The PCHIP neighbour table of every cell (cached per data object). */
export function neighbourTable(data: WsindyData): NeighbourTable {
  let tab = tableCache.get(data)
  if (!tab) {
    const { n, L, t0, dt, positions: X, velocities: V, start, end } = data
    const y = new Float64Array(L * n * 4).fill(NaN), d = new Float64Array(L * n * 4).fill(NaN)
    for (let j = 0; j < n; j++) {
      const a = start[j]!, len = end[j]! - a
      const vals = new Float64Array(len * 4)
      for (let k = 0; k < len; k++) {
        const o = (j * L + a + k) * 2
        vals[4 * k] = X[o]!
        vals[4 * k + 1] = X[o + 1]!
        vals[4 * k + 2] = V[o]!
        vals[4 * k + 3] = V[o + 1]!
      }
      let slopes: Float64Array
      if (len >= 2) slopes = Pchip.build(Float64Array.from({ length: len }, (_, k) => t0 + (a + k) * dt), vals, 4).slopes
      else slopes = new Float64Array(4)
      for (let k = 0; k < len; k++) {
        for (let c = 0; c < 4; c++) {
          y[((a + k) * n + j) * 4 + c] = vals[4 * k + c]!
          d[((a + k) * n + j) * 4 + c] = slopes[4 * k + c]!
        }
      }
    }
    tab = { y, d }
    tableCache.set(data, tab)
  }
  return tab
}

/**
 * PCHIP of every cell's (x, y, v_x, v_y) over the observation times, n × 4 columns (cached per data
 * object). Only for complete tracks; kept for callers of the earlier API (the simulations use
 * {@link neighbourTable}).
 */
export function neighbourInterpolant(data: WsindyData): Pchip {
  const { n, L, t0, dt } = data
  const tab = neighbourTable(data)
  return Pchip.build(Float64Array.from({ length: L }, (_, k) => t0 + k * dt), tab.y, 4 * n)
}

/**
 * Neighbours at time t0 + (k + s)·dt, 0 ≤ s < 1, into nb (n × 4: x, y, v_x, v_y) and their presence into
 * `on` (1 = the track exists at that time: inside [start_j, end_j − 1] on the grid).
 */
export function neighboursAt(data: WsindyData, tab: NeighbourTable, k: number, s: number, nb: Float64Array, on: Uint8Array): void {
  const { n, dt, start, end } = data
  const s2 = s * s, s3 = s2 * s
  const h00 = 2 * s3 - 3 * s2 + 1, h10 = (s3 - 2 * s2 + s) * dt, h01 = -2 * s3 + 3 * s2, h11 = (s3 - s2) * dt
  const { y, d } = tab
  const o0 = k * n * 4, o1 = (k + 1) * n * 4
  for (let j = 0; j < n; j++) {
    if (k < start[j]! || k >= end[j]! || (s > 0 && k + 1 >= end[j]!)) {
      on[j] = 0
      continue
    }
    on[j] = 1
    const q = 4 * j
    if (s === 0) {
      nb[q] = y[o0 + q]!
      nb[q + 1] = y[o0 + q + 1]!
      nb[q + 2] = y[o0 + q + 2]!
      nb[q + 3] = y[o0 + q + 3]!
    } else {
      for (let c = 0; c < 4; c++) nb[q + c] = h00 * y[o0 + q + c]! + h10 * d[o0 + q + c]! + h01 * y[o1 + q + c]! + h11 * d[o1 + q + c]!
    }
  }
}

/**
 * A model's acceleration of cell i at (x, v) among the present neighbours nb (n × 4: x, y, v_x, v_y;
 * `on[j]` = 1 when j is present; all present when `on` is omitted). The model's mean-field
 * normalisation is 1/N (data.meanField 'all') or 1/N_t with N_t the cells present, the focal one included.
 */
export function makeForce(
  data: WsindyData,
  w: ArrayLike<number>,
): (i: number, x: number, y: number, vx: number, vy: number, nb: Float64Array, out: Float64Array, on?: Uint8Array) => void {
  const { lib, n: N } = data
  const lay = layout(lib)
  const nR = lib.arRadial, ne = lib.alignExponents.length
  // f_ar = Σ_l R_l(r)(A_l + B_l cos θ + C_l cos 2θ); f_align = Σ_l e_l(r)(a_l + b_l cos θ + c_l cos 2θ).
  let maxL = -1
  const A = new Float64Array(nR), B = new Float64Array(nR), C = new Float64Array(nR)
  for (let n = 0; n < lib.arModes; n++) {
    for (let l = 0; l < nR; l++) {
      const c = w[lay.ar + n * nR + l]!
      if (c === 0) continue
      maxL = Math.max(maxL, l)
      if (n === 0) A[l]! += c
      else if (n === 1) B[l]! += c
      else C[l]! += c
    }
  }
  const a = new Float64Array(ne), b = new Float64Array(ne), c2c = new Float64Array(ne)
  let anyAlign = false
  for (let n = 0; n < lib.alignModes; n++) {
    for (let l = 0; l < ne; l++) {
      const c = w[lay.align + n * ne + l]!
      if (c === 0) continue
      anyAlign = true
      // (1 + cos nθ): n = 0 → 2; n = 1 → 1 + cos θ; n = 2 → 1 + cos 2θ.
      if (n === 0) a[l]! += 2 * c
      else if (n === 1) {
        a[l]! += c
        b[l]! += c
      } else {
        a[l]! += c
        c2c[l]! += c
      }
    }
  }
  const drag: { mode: number; power: number; c: number }[] = []
  for (let j = lay.drag; j < lay.size; j++) if (w[j] !== 0) drag.push({ mode: Math.floor((j - lay.drag) / lib.dragPowers), power: (j - lay.drag) % lib.dragPowers, c: w[j]! })
  const E = new Float64Array(ne)
  const unit = lib.kernel === 'unit'
  const alpha = lib.alpha
  const allTracks = data.meanField !== 'present'
  // Laguerre recurrence L_{k+1} = ((2k + 1 − x) L_k − k L_{k−1})/(k + 1) with the constants precomputed.
  const inv = Float64Array.from({ length: nR }, (_, k) => 1 / (k + 1))
  const decays = decayFunction(lib.alignExponents)
  // Radial profiles on a uniform grid (exact evaluation below, 4-point Lagrange interpolation in the
  // loop, relative error ~1e−9 at the default resolution): ar F_n(r) = Σ_l R_l(r)·{A, B, C}_l and align
  // G_n(r) = Σ_l e_l(r)·{a, b, c}_l, n = 0, 1, 2; a neighbour beyond the last radius where any profile
  // exceeds 1e−14 of its maximum contributes nothing (the model's own cut-off).
  const exactRadial = (r: number, out: Float64Array) => {
    out.fill(0)
    if (maxL >= 0) {
      const xr = alpha * r
      let p0 = 1, p1 = 1 - xr
      let f0 = A[0]!, f1 = B[0]!, f2 = C[0]!
      if (maxL >= 1) {
        f0 += p1 * A[1]!
        f1 += p1 * B[1]!
        f2 += p1 * C[1]!
      }
      for (let k = 1; k < maxL; k++) {
        const p2 = ((2 * k + 1 - xr) * p1 - k * p0) * inv[k]!
        p0 = p1
        p1 = p2
        f0 += p2 * A[k + 1]!
        f1 += p2 * B[k + 1]!
        f2 += p2 * C[k + 1]!
      }
      const e = Math.exp(-xr / 2)
      out[0] = f0 * e
      out[1] = f1 * e
      out[2] = f2 * e
    }
    if (anyAlign) {
      decays(r, E)
      for (let l = 0; l < ne; l++) {
        out[3]! += E[l]! * a[l]!
        out[4]! += E[l]! * b[l]!
        out[5]! += E[l]! * c2c[l]!
      }
    }
  }
  const rTab = Math.max(2 * (data.rMax || 1), 1e-6)
  const K = 4096
  const hTab = rTab / K
  // Nodes r_k = (k − 1)·h, k = 0..K + 2 (one node below 0 and one beyond rTab for the 4-point stencil).
  const tab = new Float64Array((K + 3) * 6)
  const tmp = new Float64Array(6)
  const peak = new Float64Array(6)
  for (let k = 0; k < K + 3; k++) {
    exactRadial((k - 1) * hTab, tmp)
    for (let c = 0; c < 6; c++) {
      tab[k * 6 + c] = tmp[c]!
      if (k >= 1) peak[c] = Math.max(peak[c]!, Math.abs(tmp[c]!))
    }
  }
  let rCut = 0
  for (let k = K + 1; k >= 1 && rCut === 0; k--) for (let c = 0; c < 6; c++) if (Math.abs(tab[k * 6 + c]!) > 1e-14 * peak[c]!) rCut = Math.min(rTab, k * hTab)
  const hasAr = maxL >= 0
  const prof = new Float64Array(6)
  const radial = (r: number) => {
    if (r >= rTab) {
      exactRadial(r, prof)
      return
    }
    const x = r / hTab
    const k = Math.floor(x)
    const u = x - k
    const w0 = (-u * (u - 1) * (u - 2)) / 6, w1 = ((u + 1) * (u - 1) * (u - 2)) / 2, w2 = (-(u + 1) * u * (u - 2)) / 2, w3 = ((u + 1) * u * (u - 1)) / 6
    const o = k * 6 // node k − 1 + 1 = k holds r = (k − 1)h: the stencil k..k + 3 covers r_{k−1}..r_{k+2}
    for (let c = 0; c < 6; c++) prof[c] = w0 * tab[o + c]! + w1 * tab[o + 6 + c]! + w2 * tab[o + 12 + c]! + w3 * tab[o + 18 + c]!
  }
  return (i, xi, yi, vxi, vyi, nb, out, on) => {
    const sp = Math.sqrt(vxi * vxi + vyi * vyi)
    let ax = 0, ay = 0, cm0 = 0, cm1 = 0, count = 0
    for (let j = 0; j < N; j++) {
      if (j === i || (on && on[j] === 0)) continue
      count++
      const q = 4 * j
      const dx = xi - nb[q]!, dy = yi - nb[q + 1]!
      const r = Math.sqrt(dx * dx + dy * dy)
      const c1 = sp > 0 && r > 0 ? -(vxi * dx + vyi * dy) / (sp * r) : 0
      const c2 = 2 * c1 * c1 - 1
      if (r < rCut || (rCut >= rTab && r >= rTab)) {
        radial(r)
        if (hasAr) {
          let f = prof[0]! + prof[1]! * c1 + prof[2]! * c2
          if (unit) f = r > 0 ? f / r : 0
          ax += f * dx
          ay += f * dy
        }
        if (anyAlign) {
          const g = prof[3]! + prof[4]! * c1 + prof[5]! * c2
          ax += g * (vxi - nb[q + 2]!)
          ay += g * (vyi - nb[q + 3]!)
        }
      }
      cm0 += 2
      cm1 += 1 + c1
    }
    const Nt = allTracks ? N : count + 1
    ax /= Nt
    ay /= Nt
    if (drag.length) {
      const m0 = count > 0 ? cm0 / count : 2, m1 = count > 0 ? cm1 / count : 1
      let d = 0
      for (const t of drag) d += t.c * (t.mode === 0 ? m0 : m1) * Math.pow(sp, t.power)
      ax += d * vxi
      ay += d * vyi
    }
    out[0] = ax
    out[1] = ay
  }
}

/**
 * ΔV of model w on cell i (one independent task). Also returns the simulated velocities (L'_i × 2) and
 * whether the run stopped early (`stopAbove`; `error` is then a lower bound).
 */
export function validationError(data: WsindyData, w: ArrayLike<number>, i: number, o: ValidationOptions = {}): { error: number; velocities: Float64Array; stoppedEarly: boolean } {
  const sub = o.substeps ?? 32
  const { L, dt, velocities: V, positions: X, start, end } = data
  const a0 = start[i]!, len = end[i]! - a0
  const Lp = Math.min(len, Math.max(2, Math.floor((o.horizon ?? 0.25) * len)))
  const cap = o.maxError ?? 1000
  const stopAbove = o.stopAbove ?? Infinity
  const atEnd = (o.neighbourTime ?? 'end') === 'end'
  const tab = neighbourTable(data)
  const force = makeForce(data, w)
  const nb = new Float64Array(4 * data.n)
  const on = new Uint8Array(data.n)
  const acc = new Float64Array(2)
  let den = 0
  for (let k = 0; k < Lp; k++) for (let c = 0; c < 2; c++) den += V[(i * L + a0 + k) * 2 + c]! ** 2
  const denS = den > 0 ? den : 1
  const o0 = (i * L + a0) * 2
  let x = X[o0]!, y = X[o0 + 1]!, vx = V[o0]!, vy = V[o0 + 1]!
  const vs = new Float64Array(Lp * 2)
  vs[0] = vx
  vs[1] = vy
  const h = dt / sub
  let ok = true, num = 0
  for (let k = 1; k < Lp && ok; k++) {
    for (let s = 0; s < sub; s++) {
      if (atEnd) {
        if (s + 1 < sub) neighboursAt(data, tab, a0 + k - 1, (s + 1) / sub, nb, on)
        else neighboursAt(data, tab, a0 + k, 0, nb, on)
      } else neighboursAt(data, tab, a0 + k - 1, s / sub, nb, on)
      force(i, x, y, vx, vy, nb, acc, on)
      x += h * vx
      y += h * vy
      vx += h * acc[0]!
      vy += h * acc[1]!
    }
    if (!Number.isFinite(vx + vy + x + y) || Math.abs(vx) + Math.abs(vy) > 1e6) ok = false
    vs[2 * k] = vx
    vs[2 * k + 1] = vy
    if (ok) {
      num += (vx - V[(i * L + a0 + k) * 2]!) ** 2 + (vy - V[(i * L + a0 + k) * 2 + 1]!) ** 2
      const lower = Math.sqrt(num / denS)
      if (lower > stopAbove) return { error: Math.min(cap, lower), velocities: vs, stoppedEarly: true }
    }
  }
  if (!ok) return { error: cap, velocities: vs, stoppedEarly: false }
  const e = den > 0 ? Math.sqrt(num / den) : Math.sqrt(num)
  return { error: Math.min(cap, e), velocities: vs, stoppedEarly: false }
}
