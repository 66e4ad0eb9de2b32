/**
 * Plain-TypeScript float64 log-domain Sinkhorn: the reference the tensor solver is checked
 * against (small problems: the n×m cost matrix is formed). Same conventions, same ε schedule and
 * same stopping rule as the tensor version (config.ts, solve.ts), without the float32 limits.
 *
 * Shapes: point clouds are `{ data: Float64Array (row-major, n·d), n, d }`; weights Float64Array
 * (default uniform 1/n); potentials f [n], g [m] in cost units.
 */
import { invalidInput } from '@shared/errors'
import { runFixedPoint, checkAborted, type EngineContext, type IterationReport } from '../../common/context'
import type { PointCloud } from '../types'
import { epsilonSchedule, resolveOptions, type SinkhornOptions } from './config'

export interface CpuSinkhornOptions extends SinkhornOptions {
  /** Weights of x, length n. @default uniform */
  a?: Float64Array
  /** Weights of y, length m. @default uniform */
  b?: Float64Array
}

export interface CpuSinkhornResult extends IterationReport {
  f: Float64Array
  g: Float64Array
  /** ⟨a, f⟩ + ⟨b, g⟩ (entropic term included). */
  cost: number
  eps: number
}

const MAX_ENTRIES = 2 ** 24

function check(c: PointCloud, name: string): void {
  if (!(Number.isInteger(c.n) && c.n >= 1 && Number.isInteger(c.d) && c.d >= 1 && c.data.length === c.n * c.d)) {
    throw invalidInput(`sinkhornLogCpu: expected ${name}.data of length n·d with n, d >= 1, got length ${c.data.length}, n = ${c.n}, d = ${c.d}`)
  }
  for (let i = 0; i < c.data.length; i++) {
    if (!Number.isFinite(c.data[i]!)) throw invalidInput(`sinkhornLogCpu: expected finite coordinates in ${name}, got ${c.data[i]} at index ${i}`)
  }
}

function weights(w: Float64Array | undefined, n: number, name: string): Float64Array {
  if (!w) return new Float64Array(n).fill(1 / n)
  if (w.length !== n) throw invalidInput(`sinkhornLogCpu: expected ${name} of length ${n}, got ${w.length}`)
  for (let i = 0; i < n; i++) if (!(w[i]! >= 0 && Number.isFinite(w[i]!))) throw invalidInput(`sinkhornLogCpu: expected ${name} >= 0, got ${w[i]}`)
  return w
}

/** Cost matrix [n·m] row-major: ‖x−y‖²/2 (p = 2) or ‖x−y‖ (p = 1). */
function costMatrixCpu(x: PointCloud, y: PointCloud, p: 1 | 2): Float64Array {
  const C = new Float64Array(x.n * y.n)
  for (let i = 0; i < x.n; i++) {
    for (let j = 0; j < y.n; j++) {
      let s = 0
      for (let k = 0; k < x.d; k++) {
        const t = x.data[i * x.d + k]! - y.data[j * y.d + k]!
        s += t * t
      }
      C[i * y.n + j] = p === 2 ? s / 2 : Math.sqrt(s)
    }
  }
  return C
}

/** out_i = −ε log Σ_j exp(logw_j + (pot_j − C_ij)/ε); `transpose` reads C_ji. */
function softmin(C: Float64Array, n: number, m: number, eps: number, pot: Float64Array, logw: Float64Array, transpose: boolean, out: Float64Array): void {
  const rows = transpose ? m : n
  const cols = transpose ? n : m
  for (let i = 0; i < rows; i++) {
    let mx = -Infinity
    for (let j = 0; j < cols; j++) {
      const c = transpose ? C[j * m + i]! : C[i * m + j]!
      const z = logw[j]! + (pot[j]! - c) / eps
      if (z > mx) mx = z
    }
    let s = 0
    for (let j = 0; j < cols; j++) {
      const c = transpose ? C[j * m + i]! : C[i * m + j]!
      s += Math.exp(logw[j]! + (pot[j]! - c) / eps - mx)
    }
    out[i] = -eps * (mx + Math.log(s))
  }
}

function bbDiameter(x: PointCloud, y: PointCloud): number {
  let s = 0
  for (let k = 0; k < x.d; k++) {
    let lo = Infinity, hi = -Infinity
    for (const c of [x, y]) for (let i = 0; i < c.n; i++) { const v = c.data[i * c.d + k]!; if (v < lo) lo = v; if (v > hi) hi = v }
    s += (hi - lo) ** 2
  }
  return Math.sqrt(s)
}

function margErr(w: Float64Array, pot: Float64Array, next: Float64Array, eps: number): number {
  let e = 0, tot = 0
  for (let j = 0; j < w.length; j++) {
    e += w[j]! * Math.abs(Math.exp(Math.min(60, Math.max(-60, (pot[j]! - next[j]!) / eps))) - 1)
    tot += w[j]!
  }
  return e / tot
}

/**
 * Float64 log-domain Sinkhorn with ε-scaling for OT_ε(α, β) (alternating updates). Passing the
 * same cloud object as x and y with the same weights (or both default) solves OT_ε(α, α) with the
 * symmetric averaged update instead. Stops when the L1 marginal error ≤ tol.
 */
export function sinkhornLogCpu(x: PointCloud, y: PointCloud, options: CpuSinkhornOptions = {}, ctx?: EngineContext): CpuSinkhornResult {
  const o = resolveOptions(options)
  check(x, 'x')
  check(y, 'y')
  if (x.d !== y.d) throw invalidInput(`sinkhornLogCpu: expected x and y with the same dimension, got ${x.d} and ${y.d}`)
  if (x.n * y.n > MAX_ENTRIES) throw invalidInput(`sinkhornLogCpu: expected n·m <= ${MAX_ENTRIES} (reference for small problems), got ${x.n * y.n}`)
  const n = x.n, m = y.n
  const a = weights(options.a, n, 'a'), b = weights(options.b, m, 'b')
  const loga = a.map(Math.log), logb = b.map(Math.log)
  const C = costMatrixCpu(x, y, o.p)
  const schedule = epsilonSchedule(o.p, o.diameter ?? bbDiameter(x, y), o.blur, o.scaling)
  const epsT = schedule[schedule.length - 1]!
  let f = new Float64Array(n), g = new Float64Array(m)
  softmin(C, n, m, schedule[0]!, new Float64Array(m), logb, false, f)
  softmin(C, n, m, schedule[0]!, new Float64Array(n), loga, true, g)
  // Symmetric problem (y = x, b = a): averaged update f ← ½(f + softmin(f)), which converges
  // much faster than alternating updates on OT_ε(α, α) (Feydy et al. 2019); f = g throughout.
  const symmetric = x === y && (options.a === options.b)
  if (symmetric) g = f
  const iterate = (s: { f: Float64Array; g: Float64Array }, eps: number) => {
    if (symmetric) {
      const t = new Float64Array(n)
      softmin(C, n, m, eps, s.f, loga, false, t)
      for (let i = 0; i < n; i++) t[i] = 0.5 * (t[i]! + s.f[i]!)
      return { f: t, g: t }
    }
    const g2 = new Float64Array(m), f2 = new Float64Array(n)
    softmin(C, n, m, eps, s.f, loga, true, g2)
    softmin(C, n, m, eps, g2, logb, false, f2)
    return { f: f2, g: g2 }
  }
  let state = { f, g }
  for (let k = 0; k < schedule.length - 1; k++) {
    state = iterate(state, schedule[k]!)
    checkAborted(ctx)
  }
  const run = runFixedPoint({
    init: state,
    step: (s) => iterate(s, epsT),
    error: (s) => {
      const gh = new Float64Array(m)
      softmin(C, n, m, epsT, s.f, loga, true, gh)
      return margErr(b, s.g, gh, epsT)
    },
    tol: o.tol,
    maxIter: o.maxIter,
    every: o.checkEvery,
    ctx,
    stage: 'sinkhorn (float64)',
  })
  f = run.state.f
  g = run.state.g
  let cost = 0
  for (let i = 0; i < n; i++) cost += a[i]! * f[i]!
  for (let j = 0; j < m; j++) cost += b[j]! * g[j]!
  return {
    f, g, cost, eps: epsT,
    converged: run.converged, status: run.status, iterations: schedule.length - 1 + run.iterations, errorHistory: run.errorHistory,
  }
}

/**
 * Float64 Sinkhorn divergence S_ε = OT_ε(α, β) − ½ OT_ε(α, α) − ½ OT_ε(β, β), each term solved
 * by `sinkhornLogCpu` with the same options (the diameter of the (x, y) pair is used for all three
 * schedules, as in the tensor version). For cross-checks and finite differences.
 */
export function sinkhornDivergenceCpu(x: PointCloud, y: PointCloud, options: CpuSinkhornOptions = {}): { value: number; converged: boolean } {
  const diameter = options.diameter ?? bbDiameter(x, y)
  const o = { ...options, diameter }
  const xy = sinkhornLogCpu(x, y, o)
  const xx = sinkhornLogCpu(x, x, { ...o, b: options.a })
  const yy = sinkhornLogCpu(y, y, { ...o, a: options.b, b: options.b })
  return { value: xy.cost - 0.5 * xx.cost - 0.5 * yy.cost, converged: xy.converged && xx.converged && yy.converged }
}
