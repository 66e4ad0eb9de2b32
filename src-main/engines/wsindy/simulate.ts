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
  /**
   * How {@link validationError} evaluates the force: a kernel 'generated' as source for the model's shape
   * or the 'closure' it is generated from (same results, bit for bit; the closure is also the fallback
   * where code generation is unavailable). {@link validationErrorDirect} ignores it. @default 'generated'
   */
  kernel?: 'generated' | 'closure'
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
 * One model's force law ready to evaluate (shared by {@link makeForce} and the simulation kernel): the
 * coefficients regrouped by angular mode, the six radial profiles tabulated on a uniform grid, and the
 * model's cut-off radius.
 */
interface ForceLaw {
  n: number
  unit: boolean
  allTracks: boolean
  hasAr: boolean
  anyAlign: boolean
  /** Which profiles (ar F_0, F_1, F_2, align G_0, G_1, G_2) have a non-zero coefficient (the others are 0). */
  active: boolean[]
  drag: { mode: number; power: number; c: number }[]
  /** Table range [0, rTab), nodes r_k = (k − 1)·hTab, k = 0..K + 2, 6 profiles per node. */
  rTab: number
  hTab: number
  tab: Float64Array
  /** Beyond this radius every profile is below 1e−14 of its maximum: the neighbour contributes nothing. */
  rCut: number
  /** The six profiles evaluated exactly (used at r ≥ rTab). */
  exactRadial: (r: number, out: Float64Array) => void
}

const TABLE_NODES = 4096

function forceLaw(data: WsindyData, w: ArrayLike<number>): ForceLaw {
  const { lib } = data
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
  const drag: ForceLaw['drag'] = []
  for (let j = lay.drag; j < lay.size; j++) if (w[j] !== 0) drag.push({ mode: Math.floor((j - lay.drag) / lib.dragPowers), power: (j - lay.drag) % lib.dragPowers, c: w[j]! })
  const E = new Float64Array(ne)
  const alpha = lib.alpha
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
  const K = TABLE_NODES
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
  const nz = (v: Float64Array) => v.some((x) => x !== 0)
  return {
    n: data.n,
    unit: lib.kernel === 'unit',
    allTracks: data.meanField !== 'present',
    hasAr: maxL >= 0,
    anyAlign,
    active: [nz(A), nz(B), nz(C), nz(a), nz(b), nz(c2c)],
    drag,
    rTab,
    hTab,
    tab,
    rCut,
    exactRadial,
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
  const { n: N, unit, allTracks, hasAr, anyAlign, drag, rTab, hTab, tab, rCut, exactRadial } = forceLaw(data, w)
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
 * The force of {@link makeForce} as the simulations evaluate it, specialised to one model: only the
 * profiles with a non-zero coefficient are interpolated (from a table holding just those), cos θ and
 * cos 2θ only when a term uses them, and the neighbours come as a list of present cells with their
 * states packed (`states[o + 4q ..]` for the q-th listed cell). Every operation that reaches the result is
 * the one makeForce performs, in the same order, so the accelerations are bit-identical.
 */
type SimulationKernel = (i: number, x: number, y: number, vx: number, vy: number, states: Float64Array, o: number, cells: Int32Array, out: Float64Array) => void

function simulationKernel(law: ForceLaw): SimulationKernel {
  const { n: N, unit, allTracks, hasAr, anyAlign, drag, rTab, hTab, tab, rCut, exactRadial, active } = law
  const comps = [0, 1, 2, 3, 4, 5].filter((c) => active[c])
  const nc = Math.max(1, comps.length)
  const rows = tab.length / 6
  const T = new Float64Array(rows * nc)
  for (let k = 0; k < rows; k++) comps.forEach((c, s) => (T[k * nc + s] = tab[k * 6 + c]!))
  const slot = (c: number) => comps.indexOf(c)
  const sA = slot(0), sB = slot(1), sC = slot(2), sa = slot(3), sb = slot(4), sc = slot(5)
  const n1 = nc, n2 = 2 * nc, n3 = 3 * nc
  const dragCos = drag.some((t) => t.mode === 1)
  const needC1 = sB >= 0 || sC >= 0 || sb >= 0 || sc >= 0 || dragCos
  const needC2 = sC >= 0 || sc >= 0
  const everywhere = rCut >= rTab
  const prof = new Float64Array(6)
  return (i, xi, yi, vxi, vyi, st, o, cells, out) => {
    const sp = Math.sqrt(vxi * vxi + vyi * vyi)
    let ax = 0, ay = 0, cm1 = 0, count = 0
    const m = cells.length
    for (let q = 0; q < m; q++) {
      if (cells[q] === i) continue
      count++
      const p = o + 4 * q
      const dx = xi - st[p]!, dy = yi - st[p + 1]!
      const r = Math.sqrt(dx * dx + dy * dy)
      const c1 = needC1 && sp > 0 && r > 0 ? -(vxi * dx + vyi * dy) / (sp * r) : 0
      if (dragCos) cm1 += 1 + c1
      if (r < rTab) {
        if (!(r < rCut)) continue
        const c2 = needC2 ? 2 * c1 * c1 - 1 : 0
        const x = r / hTab
        const k = x | 0 // = ⌊x⌋ (0 ≤ x < TABLE_NODES)
        const u = x - k
        const w0 = (-u * (u - 1) * (u - 2)) / 6, w1 = ((u + 1) * (u - 1) * (u - 2)) / 2, w2 = (-(u + 1) * u * (u - 2)) / 2, w3 = ((u + 1) * u * (u - 1)) / 6
        const b = k * nc
        if (hasAr) {
          let f = sA >= 0 ? w0 * T[b + sA]! + w1 * T[b + n1 + sA]! + w2 * T[b + n2 + sA]! + w3 * T[b + n3 + sA]! : 0
          if (sB >= 0) f += (w0 * T[b + sB]! + w1 * T[b + n1 + sB]! + w2 * T[b + n2 + sB]! + w3 * T[b + n3 + sB]!) * c1
          if (sC >= 0) f += (w0 * T[b + sC]! + w1 * T[b + n1 + sC]! + w2 * T[b + n2 + sC]! + w3 * T[b + n3 + sC]!) * c2
          if (unit) f = r > 0 ? f / r : 0
          ax += f * dx
          ay += f * dy
        }
        if (anyAlign) {
          let g = sa >= 0 ? w0 * T[b + sa]! + w1 * T[b + n1 + sa]! + w2 * T[b + n2 + sa]! + w3 * T[b + n3 + sa]! : 0
          if (sb >= 0) g += (w0 * T[b + sb]! + w1 * T[b + n1 + sb]! + w2 * T[b + n2 + sb]! + w3 * T[b + n3 + sb]!) * c1
          if (sc >= 0) g += (w0 * T[b + sc]! + w1 * T[b + n1 + sc]! + w2 * T[b + n2 + sc]! + w3 * T[b + n3 + sc]!) * c2
          ax += g * (vxi - st[p + 2]!)
          ay += g * (vyi - st[p + 3]!)
        }
      } else if (everywhere && r >= rTab) {
        // Beyond the table (a focal cell far outside the observed field): exact profiles, as makeForce.
        const c2 = 2 * c1 * c1 - 1
        exactRadial(r, prof)
        if (hasAr) {
          let f = prof[0]! + prof[1]! * c1 + prof[2]! * c2
          if (unit) f = r > 0 ? f / r : 0
          ax += f * dx
          ay += f * dy
        }
        if (anyAlign) {
          const g = prof[3]! + prof[4]! * c1 + prof[5]! * c2
          ax += g * (vxi - st[p + 2]!)
          ay += g * (vyi - st[p + 3]!)
        }
      }
    }
    const Nt = allTracks ? N : count + 1
    ax /= Nt
    ay /= Nt
    if (drag.length) {
      const m0 = count > 0 ? (2 * count) / count : 2, m1 = count > 0 ? cm1 / count : 1
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
 * The same kernel as {@link simulationKernel}, generated as source for the model's shape (which profiles
 * are active, where they sit in the table, pair kernel, whether cos θ enters the drag, cut-off inside the
 * table or not) with the table geometry and slot offsets written in as constants: no per-pair branches on
 * the model, every value in a local, the neighbours walked by index on both sides of the focal cell (found
 * once per call by bisection in the ascending list) instead of testing every listed cell, two neighbours
 * computed side by side (independent work for the processor to overlap) and added to the sums in order.
 * The expressions reaching the result are those of {@link simulationKernel}, in the same order, so the
 * accelerations are bit-identical (tested). One compiled factory per shape (models of one shape share
 * optimised code; 45 learned models of X_{A,B,C} long have 8 shapes); the coefficients, cut-off radius and
 * drag terms enter through its arguments. About 2× faster than the closure at N = 1000.
 */
type KernelFactory = (
  T: Float64Array,
  N: number,
  rCut: number,
  dragC: Float64Array,
  dragM: Int32Array,
  dragP: Float64Array,
  exactRadial: ForceLaw['exactRadial'],
  prof: Float64Array,
) => SimulationKernel

const FACTORIES_KEPT = 256
const factories = new Map<string, KernelFactory>()

/** A number as a source literal that reads back to the same double. */
function literal(x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Infinity) return 'Infinity'
  if (x === -Infinity) return '-Infinity'
  if (Object.is(x, -0)) return '-0'
  return `(${x})`
}

function generatedKernel(law: ForceLaw): SimulationKernel {
  const { unit, allTracks, hasAr, anyAlign, drag, rTab, hTab, tab, rCut, active } = law
  const comps = [0, 1, 2, 3, 4, 5].filter((c) => active[c])
  const nc = Math.max(1, comps.length)
  const rows = tab.length / 6
  const T = new Float64Array(rows * nc)
  for (let k = 0; k < rows; k++) comps.forEach((c, s) => (T[k * nc + s] = tab[k * 6 + c]!))
  const slot = (c: number) => comps.indexOf(c)
  const sA = slot(0), sB = slot(1), sC = slot(2), sa = slot(3), sb = slot(4), sc = slot(5)
  const dragCos = drag.some((t) => t.mode === 1)
  const needC1 = sB >= 0 || sC >= 0 || sb >= 0 || sc >= 0 || dragCos
  const needC2 = sC >= 0 || sc >= 0
  const everywhere = rCut >= rTab
  const R = literal(rTab)
  const lines: string[] = []
  const add = (cond: boolean, ...ls: string[]) => {
    if (cond) lines.push(...ls)
  }
  // Per neighbour (names suffixed by e): its geometry, then its profiles f (ar) and g (align) from the
  // table, then its contribution added to the sums, each as simulationKernel computes it.
  const geometry = (e: string) => {
    add(true, `const dx${e} = xi - st[p${e}], dy${e} = yi - st[p${e} + 1]`, `const r${e} = Math.sqrt(dx${e} * dx${e} + dy${e} * dy${e})`)
    add(true, `const c1${e} = ${needC1 ? `spPos && r${e} > 0 ? -(vxi * dx${e} + vyi * dy${e}) / (sp * r${e}) : 0` : '0'}`)
    add(dragCos, `cm1 += 1 + c1${e}`)
  }
  const interp = (e: string, s: number) => `(w0${e} * T[b${e} + ${s}] + w1${e} * T[b${e} + ${nc + s}] + w2${e} * T[b${e} + ${2 * nc + s}] + w3${e} * T[b${e} + ${3 * nc + s}])`
  const profiles = (e: string) => {
    add(true, `const c2${e} = ${needC2 ? `2 * c1${e} * c1${e} - 1` : '0'}`)
    add(true, `const x${e} = r${e} / ${literal(hTab)}`, `const k${e} = x${e} | 0`, `const u${e} = x${e} - k${e}`)
    add(true, `const w0${e} = (-u${e} * (u${e} - 1) * (u${e} - 2)) / 6, w1${e} = ((u${e} + 1) * (u${e} - 1) * (u${e} - 2)) / 2`)
    add(true, `const w2${e} = (-(u${e} + 1) * u${e} * (u${e} - 2)) / 2, w3${e} = ((u${e} + 1) * u${e} * (u${e} - 1)) / 6`)
    add(true, `const b${e} = k${e} * ${nc}`)
    if (hasAr) {
      add(true, `let f${e} = ${sA >= 0 ? interp(e, sA) : '0'}`)
      add(sB >= 0, `f${e} += ${interp(e, sB)} * c1${e}`)
      add(sC >= 0, `f${e} += ${interp(e, sC)} * c2${e}`)
      add(unit, `f${e} = r${e} > 0 ? f${e} / r${e} : 0`)
    }
    if (anyAlign) {
      add(true, `let g${e} = ${sa >= 0 ? interp(e, sa) : '0'}`)
      add(sb >= 0, `g${e} += ${interp(e, sb)} * c1${e}`)
      add(sc >= 0, `g${e} += ${interp(e, sc)} * c2${e}`)
    }
  }
  const accumulate = (e: string) => {
    add(hasAr, `ax += f${e} * dx${e}`, `ay += f${e} * dy${e}`)
    add(anyAlign, `ax += g${e} * (vxi - st[p${e} + 2])`, `ay += g${e} * (vyi - st[p${e} + 3])`)
  }
  // One neighbour whose geometry is known, on every branch of simulationKernel.
  const single = (e: string) => {
    add(true, `if (r${e} < ${R}) {`)
    add(!everywhere, `if (r${e} < rCut) {`)
    profiles(e)
    accumulate(e)
    add(!everywhere, '}')
    add(true, '}')
    if (everywhere) {
      // Beyond the table: exact profiles, as simulationKernel.
      add(true, `else if (r${e} >= ${R}) {`, `const c2${e} = 2 * c1${e} * c1${e} - 1`, `exactRadial(r${e}, prof)`)
      add(hasAr, `let f${e} = prof[0] + prof[1] * c1${e} + prof[2] * c2${e}`)
      add(hasAr && unit, `f${e} = r${e} > 0 ? f${e} / r${e} : 0`)
      add(hasAr, `ax += f${e} * dx${e}`, `ay += f${e} * dy${e}`)
      add(anyAlign, `const g${e} = prof[3] + prof[4] * c1${e} + prof[5] * c2${e}`, `ax += g${e} * (vxi - st[p${e} + 2])`, `ay += g${e} * (vyi - st[p${e} + 3])`)
      add(true, '}')
    }
  }
  add(true, 'const sp = Math.sqrt(vxi * vxi + vyi * vyi)', 'const spPos = sp > 0', 'let ax = 0, ay = 0, cm1 = 0', 'const m = cells.length')
  // The focal cell's place in the ascending list (m when absent): the neighbours are the cells before
  // and after it, walked in order.
  add(true, 'let lo = 0, hi = m', 'while (lo < hi) { const mid = (lo + hi) >> 1; if (cells[mid] < i) lo = mid + 1; else hi = mid }')
  add(true, 'const qi = lo < m && cells[lo] === i ? lo : m', 'const count = qi < m ? m - 1 : m')
  add(true, 'let qa = 0, qb = qi', 'for (;;) {', 'let q = qa')
  // Two neighbours at a time, computed side by side and added in order (more independent work in
  // flight); a pair with one beyond the cut-off or the table goes one by one.
  add(true, 'for (; q + 1 < qb; q += 2) {', 'const pa = o + 4 * q, pb = pa + 4')
  geometry('a')
  geometry('b')
  add(true, `if (ra < ${everywhere ? R : 'rCut'} && rb < ${everywhere ? R : 'rCut'}) {`)
  profiles('a')
  profiles('b')
  accumulate('a')
  accumulate('b')
  add(true, '} else {')
  single('a')
  single('b')
  add(true, '}', '}')
  add(true, 'if (q < qb) {', 'const pa = o + 4 * q')
  geometry('a')
  single('a')
  add(true, '}')
  add(true, 'if (qb >= m) break', 'qa = qb + 1', 'qb = m', '}')
  add(true, `const Nt = ${allTracks ? 'N' : 'count + 1'}`, 'ax /= Nt', 'ay /= Nt')
  if (drag.length) {
    add(true, 'const m0 = count > 0 ? (2 * count) / count : 2, m1 = count > 0 ? cm1 / count : 1', 'let d = 0')
    add(true, 'for (let e = 0; e < dragC.length; e++) d += dragC[e] * (dragM[e] === 0 ? m0 : m1) * Math.pow(sp, dragP[e])')
    add(true, 'ax += d * vxi', 'ay += d * vyi')
  }
  add(true, 'out[0] = ax', 'out[1] = ay')
  const source = `'use strict'\nreturn function kernel(i, xi, yi, vxi, vyi, st, o, cells, out) {\n${lines.join('\n')}\n}`
  let factory = factories.get(source)
  if (!factory) {
    try {
      factory = new Function('T', 'N', 'rCut', 'dragC', 'dragM', 'dragP', 'exactRadial', 'prof', source) as KernelFactory
    } catch {
      return simulationKernel(law) // code generation disallowed in this context
    }
    factories.set(source, factory)
    if (factories.size > FACTORIES_KEPT) factories.delete(factories.keys().next().value!)
  }
  const dragC = Float64Array.from(drag, (t) => t.c), dragM = Int32Array.from(drag, (t) => t.mode), dragP = Float64Array.from(drag, (t) => t.power)
  return factory(T, law.n, rCut, dragC, dragM, dragP, law.exactRadial, new Float64Array(6))
}

const KERNELS_KEPT = 64
const kernelCache = new WeakMap<WsindyData, Map<string, SimulationKernel>>()

/**
 * The simulation kernel of model w (cached per data object, implementation and coefficient values; the
 * last 64 kept).
 */
function kernelFor(data: WsindyData, w: ArrayLike<number>, generated: boolean): SimulationKernel {
  let byModel = kernelCache.get(data)
  if (!byModel) kernelCache.set(data, (byModel = new Map()))
  let key = `${generated ? 'g' : 'c'}${w.length}`
  for (let j = 0; j < w.length; j++) if (w[j] !== 0) key += `,${j}:${w[j]}`
  let kernel = byModel.get(key)
  if (kernel) {
    byModel.delete(key)
    byModel.set(key, kernel)
    return kernel
  }
  kernel = (generated ? generatedKernel : simulationKernel)(forceLaw(data, w))
  byModel.set(key, kernel)
  if (byModel.size > KERNELS_KEPT) byModel.delete(byModel.keys().next().value!)
  return kernel
}

/**
 * The neighbours' states (x, y, v_x, v_y) at every Euler sub-step time of one grid interval, as
 * {@link neighboursAt} gives them (the same expressions), listing only the cells present then. They do
 * not depend on the focal cell or the model, so every simulation crossing the interval reads them.
 */
interface IntervalStates {
  /** Per sub-step: the present cells, ascending. */
  cells: Int32Array[]
  /** Per sub-step: offset of its first state in `states` (4 numbers per listed cell). */
  offsets: Int32Array
  states: Float64Array
}

interface StateCache {
  intervals: Map<number, IntervalStates>
  /** Numbers held (states of all cached intervals). */
  size: number
}

/** Sub-step states kept per data object and thread (FIFO beyond it): 2^24 numbers = 128 MiB. */
const STATES_KEPT = 1 << 24
const stateCaches = new WeakMap<WsindyData, Map<string, StateCache>>()

/**
 * Sub-step states of grid interval [t_k, t_{k+1}] for `sub` sub-steps, neighbours read at each sub-step's
 * end (`atEnd`) or start (cached per data object).
 */
function intervalStates(data: WsindyData, tab: NeighbourTable, sub: number, atEnd: boolean, k: number): IntervalStates {
  let bySetting = stateCaches.get(data)
  if (!bySetting) stateCaches.set(data, (bySetting = new Map()))
  const setting = `${sub}/${atEnd ? 'end' : 'start'}`
  let cache = bySetting.get(setting)
  if (!cache) bySetting.set(setting, (cache = { intervals: new Map(), size: 0 }))
  const hit = cache.intervals.get(k)
  if (hit) return hit
  const { n, dt, start, end } = data
  const listWhere = (keep: (j: number) => boolean) => {
    const out: number[] = []
    for (let j = 0; j < n; j++) if (keep(j)) out.push(j)
    return Int32Array.from(out)
  }
  // Present at grid time kk (s = 0 in neighboursAt), and strictly inside the interval (0 < s < 1).
  const at = (kk: number) => listWhere((j) => kk >= start[j]! && kk < end[j]!)
  const inside = listWhere((j) => k >= start[j]! && k + 1 < end[j]!)
  const cells: Int32Array[] = []
  const times: { kk: number; s: number }[] = []
  for (let s = 0; s < sub; s++) {
    const t = atEnd ? (s + 1 < sub ? { kk: k, s: (s + 1) / sub } : { kk: k + 1, s: 0 }) : { kk: k, s: s / sub }
    times.push(t)
    cells.push(t.s === 0 ? at(t.kk) : inside)
  }
  const offsets = new Int32Array(sub)
  let total = 0
  cells.forEach((c, s) => {
    offsets[s] = total
    total += 4 * c.length
  })
  const states = new Float64Array(total)
  const { y, d } = tab
  times.forEach(({ kk, s }, q) => {
    const list = cells[q]!
    const o0 = kk * n * 4, o1 = (kk + 1) * n * 4
    const s2 = s * s, s3 = s2 * s
    const h00 = 2 * s3 - 3 * s2 + 1, h10 = (s3 - 2 * s2 + s) * dt, h01 = -2 * s3 + 3 * s2, h11 = (s3 - s2) * dt
    let p = offsets[q]!
    for (let e = 0; e < list.length; e++, p += 4) {
      const g = 4 * list[e]!
      if (s === 0) for (let c = 0; c < 4; c++) states[p + c] = y[o0 + g + c]!
      else for (let c = 0; c < 4; c++) states[p + c] = h00 * y[o0 + g + c]! + h10 * d[o0 + g + c]! + h01 * y[o1 + g + c]! + h11 * d[o1 + g + c]!
    }
  })
  const iv: IntervalStates = { cells, offsets, states }
  cache.intervals.set(k, iv)
  cache.size += total
  for (const [key, old] of cache.intervals) {
    if (cache.size <= STATES_KEPT || key === k) break
    cache.intervals.delete(key)
    cache.size -= old.states.length
  }
  return iv
}

/** Common set-up of a validation run of cell i: window, data norm, initial state. */
function validationSetup(data: WsindyData, i: number, o: ValidationOptions) {
  const { L, velocities: V, start, end } = data
  const a0 = start[i]!, len = end[i]! - a0
  const Lp = Math.min(len, Math.max(2, Math.floor((o.horizon ?? 0.25) * len)))
  let den = 0
  for (let k = 0; k < Lp; k++) for (let c = 0; c < 2; c++) den += V[(i * L + a0 + k) * 2 + c]! ** 2
  return {
    sub: o.substeps ?? 32,
    cap: o.maxError ?? 1000,
    stopAbove: o.stopAbove ?? Infinity,
    atEnd: (o.neighbourTime ?? 'end') === 'end',
    a0,
    Lp,
    den,
  }
}

/**
 * ΔV of model w on cell i (one independent task). Also returns the simulated velocities (L'_i × 2) and
 * whether the run stopped early (`stopAbove`; `error` is then a lower bound).
 *
 * The neighbours' states at the sub-step times are computed once per grid interval and shared by every
 * simulation that crosses it, and the force is a kernel specialised to the model (cached): the result is
 * bit-identical to {@link validationErrorDirect}, the straightforward loop.
 */
export function validationError(data: WsindyData, w: ArrayLike<number>, i: number, o: ValidationOptions = {}): { error: number; velocities: Float64Array; stoppedEarly: boolean } {
  const st = validationSetup(data, i, o)
  const tab = neighbourTable(data)
  const force = kernelFor(data, w, (o.kernel ?? 'generated') === 'generated')
  let interval = -1
  let cur: ReturnType<typeof intervalStates> | null = null
  return simulateFocal(data, i, st, (k, s, x, y, vx, vy, acc) => {
    if (k !== interval) (cur = intervalStates(data, tab, st.sub, st.atEnd, st.a0 + k - 1)), (interval = k)
    force(i, x, y, vx, vy, cur!.states, cur!.offsets[s]!, cur!.cells[s]!, acc)
  })
}

/**
 * {@link validationError} by the straightforward loop: at every sub-step every neighbour is interpolated
 * ({@link neighboursAt}) and the model's force evaluated in full ({@link makeForce}). The reference the
 * fast path is tested against; same result, several times slower.
 */
export function validationErrorDirect(data: WsindyData, w: ArrayLike<number>, i: number, o: ValidationOptions = {}): { error: number; velocities: Float64Array; stoppedEarly: boolean } {
  const st = validationSetup(data, i, o)
  const { sub, atEnd, a0 } = st
  const tab = neighbourTable(data)
  const force = makeForce(data, w)
  const nb = new Float64Array(4 * data.n)
  const on = new Uint8Array(data.n)
  return simulateFocal(data, i, st, (k, s, x, y, vx, vy, acc) => {
    if (atEnd) {
      if (s + 1 < sub) neighboursAt(data, tab, a0 + k - 1, (s + 1) / sub, nb, on)
      else neighboursAt(data, tab, a0 + k, 0, nb, on)
    } else neighboursAt(data, tab, a0 + k - 1, s / sub, nb, on)
    force(i, x, y, vx, vy, nb, acc, on)
  })
}

/**
 * Forward Euler of the focal cell i over its first L'_i observation times, `force` giving the
 * acceleration at sub-step s of interval k (1-based); ΔV against the data, with the early stop and the
 * cap of {@link ValidationOptions}.
 */
function simulateFocal(
  data: WsindyData,
  i: number,
  st: ReturnType<typeof validationSetup>,
  force: (k: number, s: number, x: number, y: number, vx: number, vy: number, acc: Float64Array) => void,
): { error: number; velocities: Float64Array; stoppedEarly: boolean } {
  const { sub, cap, stopAbove, a0, Lp, den } = st
  const { L, dt, velocities: V, positions: X } = data
  const acc = new Float64Array(2)
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
      force(k, s, x, y, vx, vy, acc)
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
