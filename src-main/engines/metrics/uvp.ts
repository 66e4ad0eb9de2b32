/**
 * Error metrics for learned potentials and functions (SPEC §3).
 *
 * L2-UVP of a learned potential (iJKOnet App. A.3, after Korotin et al., "Do neural optimal
 * transport solvers work? A continuous Wasserstein-2 benchmark", NeurIPS 2021): with the one-step
 * maps T̂(x) = x − τ∇V̂(x) and T*(x) = x − τ∇V*(x) on data x ~ μ,
 *     L2-UVP = 100 · E_μ ‖T̂(x) − T*(x)‖² / Var(T*#μ),
 * where Var(T*#μ) = E_μ ‖T*(x) − E_μ T*(x)‖² is the total variance (trace of the covariance,
 * maximum-likelihood normalisation) of the pushed-forward samples. Expectations are sample
 * means (weighted when weights are given). Note T̂ − T* = −τ(∇V̂ − ∇V*), so x enters only
 * through the variance.
 *
 * Relative L2 error of a function on a grid: ‖f̂ − f‖₂ / ‖f‖₂ = √(Σ w (f̂ − f)²) / √(Σ w f²).
 */
import { invalidInput } from '@shared/errors'
import { assertCloud } from './gaussian'
import type { PointCloud } from './types'

export interface L2UvpInput {
  /** Samples x ~ μ, n × d. */
  x: PointCloud
  /** Step size τ > 0 of the one-step maps. */
  tau: number
  /** ∇V̂ evaluated at x, n × d. */
  gradPred: PointCloud
  /** ∇V* evaluated at x, n × d. */
  gradTrue: PointCloud
  /** Optional non-negative sample weights (length n). @default uniform */
  weights?: Float64Array
}

/** L2-UVP in percent (see the module comment). */
export function l2Uvp(input: L2UvpInput): number {
  const { x, tau, gradPred, gradTrue, weights } = input
  assertCloud(x, 'x')
  assertCloud(gradPred, 'gradPred')
  assertCloud(gradTrue, 'gradTrue')
  if (!(tau > 0) || !Number.isFinite(tau)) throw invalidInput(`expected tau > 0, got ${tau}`)
  const { n, d } = x
  for (const [name, c] of [['gradPred', gradPred], ['gradTrue', gradTrue]] as const) {
    if (c.n !== n || c.d !== d) throw invalidInput(`expected ${name} of shape ${n} × ${d} (as x), got ${c.n} × ${c.d}`)
  }
  if (n === 0) throw invalidInput('expected at least one sample, got 0')
  const w = normalisedWeights(weights, n)
  // Mean of T*(x).
  const mean = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) mean[k] += w[i] * (x.data[i * d + k] - tau * gradTrue.data[i * d + k])
  }
  let variance = 0, mse = 0
  for (let i = 0; i < n; i++) {
    let vi = 0, ei = 0
    for (let k = 0; k < d; k++) {
      const t = x.data[i * d + k] - tau * gradTrue.data[i * d + k] - mean[k]
      vi += t * t
      const e = tau * (gradPred.data[i * d + k] - gradTrue.data[i * d + k])
      ei += e * e
    }
    variance += w[i] * vi
    mse += w[i] * ei
  }
  if (!(variance > 0)) throw invalidInput(`expected T*#μ with positive variance, got ${variance}`)
  return (100 * mse) / variance
}

/**
 * ‖f̂ − f‖₂ / ‖f‖₂ over flat arrays of equal length. `weights` (quadrature weights, ≥ 0) has
 * either one entry per value, or one per grid point when each point carries
 * f.length / weights.length consecutive components (row-major points × components).
 */
export function relativeL2(fhat: ArrayLike<number>, f: ArrayLike<number>, weights?: ArrayLike<number>): number {
  if (fhat.length !== f.length) throw invalidInput(`expected fhat and f of equal length, got ${fhat.length} and ${f.length}`)
  let per = 1
  if (weights) {
    if (weights.length === 0 || f.length % weights.length !== 0) {
      throw invalidInput(`expected weights of length ${f.length} or a divisor of it (one per grid point), got ${weights.length}`)
    }
    per = f.length / weights.length
  }
  let num = 0, den = 0
  for (let i = 0; i < f.length; i++) {
    const w = weights ? weights[Math.floor(i / per)] : 1
    if (!(w >= 0) || !Number.isFinite(w)) throw invalidInput(`expected finite non-negative weights, got ${w}`)
    if (!Number.isFinite(fhat[i]) || !Number.isFinite(f[i])) throw invalidInput(`expected finite values, got fhat = ${fhat[i]}, f = ${f[i]} at index ${i}`)
    num += w * (fhat[i] - f[i]) ** 2
    den += w * f[i] * f[i]
  }
  if (!(den > 0)) throw invalidInput('expected a reference function f with non-zero L2 norm, got 0')
  return Math.sqrt(num / den)
}

function normalisedWeights(weights: Float64Array | undefined, n: number): Float64Array {
  const w = new Float64Array(n)
  if (!weights) return w.fill(1 / n)
  if (weights.length !== n) throw invalidInput(`expected ${n} weights (one per sample), got ${weights.length}`)
  let s = 0
  for (let i = 0; i < n; i++) {
    if (!(weights[i] >= 0) || !Number.isFinite(weights[i])) throw invalidInput(`expected finite non-negative weights, got ${weights[i]} at ${i}`)
    s += weights[i]
  }
  if (!(s > 0)) throw invalidInput('expected weights with a positive sum, got 0')
  for (let i = 0; i < n; i++) w[i] = weights[i] / s
  return w
}
