/**
 * Kozachenko–Leonenko k-nearest-neighbour estimator of differential entropy (nats).
 *
 * Problem: given n i.i.d. samples x_1..x_n ∈ R^d of an unknown density p, estimate
 * H(p) = −∫ p log p. Estimator (Kozachenko & Leonenko 1987; in this form Kraskov, Stögbauer
 * & Grassberger 2004, eq. 20, with the max-norm replaced by the Euclidean norm):
 *
 *   Ĥ = ψ(n) − ψ(k) + log V_d + (d/n) Σ_i log ε_i,
 *
 * where ε_i is the Euclidean distance from x_i to its k-th nearest neighbour among the other
 * n − 1 samples (the point itself excluded), ψ is the digamma function, and
 * V_d = π^{d/2} / Γ(d/2 + 1) is the volume of the unit Euclidean ball in R^d (so V_d ε^d is
 * the volume of the ball of radius ε — radius, not diameter, convention). The estimator is
 * consistent; its bias is O(n^{-1/d})-ish near boundaries and its standard deviation is
 * about sd(log p(X))/√n. Units: nats, for coordinates in the caller's units (rescaling x by
 * c adds d·log c).
 *
 * Cost: one kd-tree build and n k-NN queries (see engines/knn).
 */
import { invalidInput } from '@shared/errors'
import type { EngineContext } from '../common/context'
import { KdTree, checkPointCloud, type PointCloud } from '../knn'
import { digamma, logUnitBallVolume } from './basic'

export interface KlEntropyOptions {
  /** Which neighbour's distance to use. Needs 1 <= k <= n − 1. @default 5 */
  k?: number
  /** A kd-tree already built on exactly these points (saves the build). */
  tree?: KdTree
}

/**
 * Kozachenko–Leonenko differential entropy (nats) of the samples `points` (n×d row-major).
 * Throws invalidInput if two samples coincide so closely that some ε_i = 0 (log 0): the
 * estimator assumes a continuous distribution; jitter or deduplicate first.
 */
export function klEntropy(points: PointCloud, options: KlEntropyOptions = {}, ctx?: EngineContext): number {
  const k = options.k ?? 5
  checkPointCloud(points)
  const { n, d } = points
  if (!Number.isInteger(k) || k < 1 || k > n - 1) {
    throw invalidInput(`klEntropy: expected an integer k with 1 <= k <= n − 1 = ${n - 1}, got k = ${k}`)
  }
  const tree = options.tree ?? KdTree.build(points)
  if (tree.n !== n || tree.d !== d) {
    throw invalidInput(`klEntropy: expected a tree built on the same ${n}×${d} points, got one on ${tree.n}×${tree.d}`)
  }
  const knn = tree.knnAll(k, { excludeSelf: true }, ctx)
  let sumLog = 0
  let zeros = 0
  for (let i = 0; i < n; i++) {
    const eps = knn.distances[i * k + k - 1]!
    if (eps > 0) sumLog += Math.log(eps)
    else zeros++
  }
  if (zeros > 0) {
    throw invalidInput(
      `klEntropy: expected distinct samples (k-th neighbour distance > 0), got ${zeros} of ${n} samples with ${k} or more exact duplicates`,
    )
  }
  return digamma(n) - digamma(k) + logUnitBallVolume(d) + (d / n) * sumLog
}

/** Closed-form entropy (nats) of N(μ, Σ) in R^d: ½ log((2πe)^d det Σ), given log det Σ. */
export function gaussianEntropy(d: number, logDetCov: number): number {
  return 0.5 * (d * Math.log(2 * Math.PI * Math.E) + logDetCov)
}
