/**
 * The fast CPU solver on plain point clouds (no tensors): entropic OT and the debiased Sinkhorn
 * divergence by stabilised sparse-kernel scaling in float64 (algorithm, stopping rule and
 * references in stabilised.ts), with envelope-theorem gradients computed from the potentials.
 *
 * Problem and conventions as in sinkhorn.ts / divergence.ts: α = Σ a_i δ_{x_i}, β = Σ b_j δ_{y_j},
 * Σa = Σb; c(x, y) = ‖x − y‖²/2 (p = 2) or ‖x − y‖ (p = 1); ε = eps or blur^p;
 * OT_ε = ⟨a, f⟩ + ⟨b, g⟩ (entropic term included); S_ε = OT_ε(α, β) − ½OT_ε(α, α) − ½OT_ε(β, β).
 *
 * Shapes: clouds `{ data: Float64Array (row-major n·d), n, d }`; weights Float64Array (default
 * uniform); potentials [n] / [m] in cost units; gradients row-major [n·d] / [m·d].
 */
import { invalidInput } from '@shared/errors'
import type { EngineContext, IterationReport } from '../../common/context'
import type { PointCloud } from '../types'
import { resolveOptions, type SinkhornOptions } from './config'
import { solveStabilised, type StabilisedOutput } from './stabilised'

export interface StabilisedSinkhornOptions extends SinkhornOptions {
  /** Weights of x, length n, ≥ 0. @default uniform 1/n */
  a?: Float64Array
  /** Weights of y, length m, ≥ 0, same total as a. @default uniform 1/m */
  b?: Float64Array
  /**
   * Most kernel pairs kept per problem (about 20 bytes each; a dense float32 stage matrix may hold
   * 5× as many pairs, 4 bytes each); a stage whose kernel would be larger runs in plain log domain
   * (n·m exponentials per half-step, no storage). @default 2^23 (≈ 160 MiB per problem)
   */
  maxEntries?: number
  /** Adaptive over-relaxation of the OT_ε(α, β) updates at the target ε. @default true */
  overRelaxation?: boolean
  /** Also return the envelope gradients with respect to x and y (divergence only). @default false */
  gradient?: boolean
}

export interface StabilisedSinkhornResult extends IterationReport {
  /** Potentials f [n], g [m] (cost units). */
  f: Float64Array
  g: Float64Array
  /** OT_ε(α, β) = ⟨a, f⟩ + ⟨b, g⟩. */
  cost: number
  eps: number
  epsSchedule: number[]
  path: 'cpu-stabilised'
  /** Kernel bookkeeping: full n·m scans, candidate refilters, absorptions, log-domain half-steps, final kept pairs. */
  stats: StabilisedOutput['stats']
}

export interface StabilisedDivergenceResult extends StabilisedSinkhornResult {
  /** S_ε(α, β). */
  value: number
  /** Symmetric potentials of OT_ε(α, α) [n] and OT_ε(β, β) [m]. */
  faa: Float64Array
  gbb: Float64Array
  /** ∇_x S_ε [n·d] and ∇_y S_ε [m·d] (with `gradient: true`). */
  gradX?: Float64Array
  gradY?: Float64Array
}

function checkCloud(c: PointCloud, name: string): void {
  if (!(Number.isInteger(c.n) && c.n >= 1 && Number.isInteger(c.d) && c.d >= 1 && c.data.length === c.n * c.d)) {
    throw invalidInput(`sinkhorn (cpu): expected ${name}.data of length n·d with n, d >= 1, got length ${c.data.length}, n = ${c.n}, d = ${c.d}`)
  }
  for (let i = 0; i < c.data.length; i++) {
    if (!Number.isFinite(c.data[i]!)) throw invalidInput(`sinkhorn (cpu): expected finite coordinates in ${name}, got ${c.data[i]} at index ${i}`)
  }
}

function weightsOf(w: Float64Array | undefined, n: number, name: string): Float64Array {
  if (!w) return new Float64Array(n).fill(1 / n)
  if (w.length !== n) throw invalidInput(`sinkhorn (cpu): expected ${name} of length ${n}, got ${w.length}`)
  for (let i = 0; i < n; i++) {
    if (!(Number.isFinite(w[i]!) && w[i]! >= 0)) throw invalidInput(`sinkhorn (cpu): expected ${name} finite and >= 0, got ${w[i]} at index ${i}`)
  }
  return w
}

function prepare(x: PointCloud, y: PointCloud, options: StabilisedSinkhornOptions) {
  const o = resolveOptions(options)
  checkCloud(x, 'x')
  checkCloud(y, 'y')
  if (x.d !== y.d) throw invalidInput(`sinkhorn (cpu): expected x and y with the same dimension, got d = ${x.d} and ${y.d}`)
  const a = weightsOf(options.a, x.n, 'a')
  const b = weightsOf(options.b, y.n, 'b')
  const sa = a.reduce((s, v) => s + v, 0), sb = b.reduce((s, v) => s + v, 0)
  if (!(sa > 0 && sb > 0) || Math.abs(sa - sb) > 1e-9 * Math.max(sa, sb)) {
    throw invalidInput(`sinkhorn (cpu): expected weights with equal positive total mass (balanced OT), got Σa = ${sa}, Σb = ${sb}`)
  }
  const maxEntries = options.maxEntries ?? 2 ** 23
  if (!(Number.isInteger(maxEntries) && maxEntries >= 1)) throw invalidInput(`sinkhorn (cpu): expected maxEntries to be an integer >= 1, got ${maxEntries}`)
  return { o: { ...o, maxEntries, overRelaxation: options.overRelaxation ?? true }, a, b }
}

function dot(w: Float64Array, v: Float64Array): number {
  let s = 0
  for (let i = 0; i < w.length; i++) s += w[i]! * v[i]!
  return s
}

/**
 * OT_ε(α, β) by the stabilised CPU solver. Not converging is a result (`status`); bad input
 * throws invalidInput; `ctx.signal` aborts with CancelledError.
 */
export function sinkhornStabilisedCpu(x: PointCloud, y: PointCloud, options: StabilisedSinkhornOptions = {}, ctx?: EngineContext): StabilisedSinkhornResult {
  const { o, a, b } = prepare(x, y, options)
  const r = solveStabilised({ x, y, a, b }, o, false, ctx)
  return {
    f: r.f, g: r.g, cost: dot(a, r.f) + dot(b, r.g), eps: r.eps, epsSchedule: r.epsSchedule, path: 'cpu-stabilised', stats: r.stats,
    converged: r.converged, status: r.status, iterations: r.iterations, errorHistory: r.errorHistory,
  }
}

/**
 * S_ε(α, β) by the stabilised CPU solver (the three problems in one loop; the error is the max
 * of the three), optionally with the envelope gradients
 *   ∇_{x_i} S = a_i Σ_j s_ij ∇_x c(x_i, y_j) − a_i Σ_k s^{αα}_ik ∇_x c(x_i, x_k),
 * s_i· = softmax_j(log b_j + (g_j − c(x_i, y_j))/ε) (row-normalised plan), s^{αα} likewise with
 * f_αα, and symmetrically for y — one exact log-domain pass over the n·m (and n·n, m·m) pairs.
 */
export function sinkhornDivergenceStabilisedCpu(
  x: PointCloud,
  y: PointCloud,
  options: StabilisedSinkhornOptions = {},
  ctx?: EngineContext,
): StabilisedDivergenceResult {
  const { o, a, b } = prepare(x, y, options)
  const r = solveStabilised({ x, y, a, b }, o, true, ctx)
  const faa = r.faa!, gbb = r.gbb!
  let value = 0
  for (let i = 0; i < x.n; i++) value += a[i]! * (r.f[i]! - faa[i]!)
  for (let j = 0; j < y.n; j++) value += b[j]! * (r.g[j]! - gbb[j]!)
  const out: StabilisedDivergenceResult = {
    value, f: r.f, g: r.g, faa, gbb, cost: dot(a, r.f) + dot(b, r.g), eps: r.eps, epsSchedule: r.epsSchedule,
    path: 'cpu-stabilised', stats: r.stats, converged: r.converged, status: r.status, iterations: r.iterations, errorHistory: r.errorHistory,
  }
  if (options.gradient) {
    const p = o.p
    const la = a.map(Math.log), lb = b.map(Math.log)
    out.gradX = envelopeGradCpu(x, y, r.g, lb, a, r.eps, p)
    subtractInto(out.gradX, envelopeGradCpu(x, x, faa, la, a, r.eps, p))
    out.gradY = envelopeGradCpu(y, x, r.f, la, b, r.eps, p)
    subtractInto(out.gradY, envelopeGradCpu(y, y, gbb, lb, b, r.eps, p))
  }
  return out
}

function subtractInto(t: Float64Array, s: Float64Array): void {
  for (let i = 0; i < t.length; i++) t[i]! -= s[i]!
}

/**
 * G_i = w_i Σ_j s_ij ∇_x c(P_i, Q_j), s_i· = softmax_j(logwQ_j + (potQ_j − c(P_i, Q_j))/ε);
 * ∇_x c = x − y (p = 2) or (x − y)/‖x − y‖ (p = 1, 0 where x = y). Returns [nP·d].
 */
function envelopeGradCpu(P: PointCloud, Q: PointCloud, potQ: Float64Array, logwQ: Float64Array, wP: Float64Array, eps: number, p: 1 | 2): Float64Array {
  const d = P.d, nQ = Q.n
  const G = new Float64Array(P.n * d)
  const z = new Float64Array(nQ), dist = new Float64Array(nQ)
  const acc = new Float64Array(d)
  for (let i = 0; i < P.n; i++) {
    let mx = -Infinity
    for (let j = 0; j < nQ; j++) {
      let s = 0
      for (let k = 0; k < d; k++) {
        const t = P.data[i * d + k]! - Q.data[j * d + k]!
        s += t * t
      }
      const c = p === 2 ? 0.5 * s : Math.sqrt(s)
      dist[j] = Math.sqrt(s)
      const v = logwQ[j]! + (potQ[j]! - c) / eps
      z[j] = v
      if (v > mx) mx = v
    }
    let tot = 0
    acc.fill(0)
    for (let j = 0; j < nQ; j++) {
      const e = Math.exp(z[j]! - mx)
      tot += e
      const wgt = p === 2 ? e : dist[j]! > 0 ? e / dist[j]! : 0
      for (let k = 0; k < d; k++) acc[k]! += wgt * (P.data[i * d + k]! - Q.data[j * d + k]!)
    }
    for (let k = 0; k < d; k++) G[i * d + k] = (wP[i]! * acc[k]!) / tot
  }
  return G
}
