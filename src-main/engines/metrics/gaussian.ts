/**
 * Gaussian summaries of point clouds and the Bures–Wasserstein distance (SPEC §3).
 *
 * BW²(μ, ν) = ‖m_μ − m_ν‖² + tr Σ_μ + tr Σ_ν − 2 tr (Σ_μ^{1/2} Σ_ν Σ_μ^{1/2})^{1/2}
 * is the squared 2-Wasserstein distance between N(m_μ, Σ_μ) and N(m_ν, Σ_ν) (Dowson & Landau,
 * 1982; Olkin & Pukelsheim, 1982; Gelbrich, 1990), and a lower bound on W2² between any two
 * measures with these moments.
 * B-UVP = 100 · BW²(pred, true) / (½ tr Σ_true) (Korotin et al., "Wasserstein-2 generative
 * networks", ICLR 2021; used for JKOnet / iJKOnet evaluation).
 */
import { invalidInput } from '@shared/errors'
import { eigh, psdNoiseFloor, sqrtmPsd } from '../linalg/index'
import type { Gaussian, PointCloud } from './types'

export interface GaussianFitOptions {
  /** Non-negative weights, one per point (normalised internally). @default uniform */
  weights?: Float64Array
  /**
   * Delta degrees of freedom: 1 gives the unbiased covariance (divide by n − 1, as numpy.cov;
   * with weights w normalised to 1, divide by 1 − Σw²), 0 the maximum-likelihood one (divide by n).
   * @default 1
   */
  ddof?: 0 | 1
}

export function assertCloud(x: PointCloud, name: string): void {
  if (!x || !(x.data instanceof Float64Array)) throw invalidInput(`expected ${name} as a PointCloud with Float64Array data, got ${typeof x}`)
  if (!Number.isInteger(x.n) || !Number.isInteger(x.d) || x.n < 0 || x.d < 1) throw invalidInput(`expected ${name} with integer n ≥ 0 and d ≥ 1, got n = ${x.n}, d = ${x.d}`)
  if (x.data.length !== x.n * x.d) throw invalidInput(`expected ${name}.data of length n·d = ${x.n * x.d}, got ${x.data.length}`)
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i])) throw invalidInput(`expected finite coordinates in ${name}, got ${x.data[i]} at point ${Math.floor(i / x.d)}`)
  }
}

function assertGaussian(g: Gaussian, name: string): void {
  if (!g || !(g.mean instanceof Float64Array) || !(g.cov instanceof Float64Array)) throw invalidInput(`expected ${name} as { mean, cov, d } with Float64Arrays`)
  if (g.mean.length !== g.d || g.cov.length !== g.d * g.d) {
    throw invalidInput(`expected ${name} with mean of length d = ${g.d} and cov of length d² = ${g.d * g.d}, got ${g.mean.length} and ${g.cov.length}`)
  }
}

/** Mean and covariance of a point cloud (two-pass, numerically stable). x: n × d, n ≥ 2 for ddof 1. */
export function gaussianFit(x: PointCloud, options: GaussianFitOptions = {}): Gaussian {
  assertCloud(x, 'x')
  const { n, d, data } = x
  const ddof = options.ddof ?? 1
  const w = options.weights
  if (n < 1 + ddof) throw invalidInput(`expected at least ${1 + ddof} points for a covariance with ddof = ${ddof}, got ${n}`)
  let wn: Float64Array | null = null
  if (w) {
    if (w.length !== n) throw invalidInput(`expected ${n} weights (one per point), got ${w.length}`)
    let s = 0
    for (let i = 0; i < n; i++) {
      if (!(w[i] >= 0) || !Number.isFinite(w[i])) throw invalidInput(`expected finite non-negative weights, got ${w[i]} at point ${i}`)
      s += w[i]
    }
    if (!(s > 0)) throw invalidInput('expected weights with a positive sum, got 0')
    wn = new Float64Array(n)
    for (let i = 0; i < n; i++) wn[i] = w[i] / s
  }
  const mean = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    const wi = wn ? wn[i] : 1 / n
    for (let k = 0; k < d; k++) mean[k] += wi * data[i * d + k]
  }
  const cov = new Float64Array(d * d)
  const c = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    const wi = wn ? wn[i] : 1 / n
    for (let k = 0; k < d; k++) c[k] = data[i * d + k] - mean[k]
    for (let a = 0; a < d; a++) {
      const ca = wi * c[a]
      for (let b = 0; b <= a; b++) cov[a * d + b] += ca * c[b]
    }
  }
  let factor = 1
  if (ddof === 1) {
    let sw2 = 0
    if (wn) for (let i = 0; i < n; i++) sw2 += wn[i] * wn[i]
    else sw2 = 1 / n
    if (!(sw2 < 1)) throw invalidInput('expected weights spread over at least two points for ddof = 1, got all weight on one point')
    factor = 1 / (1 - sw2)
  }
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      const v = cov[a * d + b] * factor
      cov[a * d + b] = v
      cov[b * d + a] = v
    }
  }
  return { mean, cov, d }
}

/**
 * Squared Bures–Wasserstein distance between two Gaussians (see the module comment). The cross
 * term uses eigendecompositions: tr (S_a^{1/2} S_b S_a^{1/2})^{1/2} = Σ √λ_k, with eigenvalues at
 * or below d · ε · λ_max treated as 0 (exactly singular covariances stay exact). The result is
 * clipped at 0 against rounding.
 */
export function bw2(a: Gaussian, b: Gaussian): number {
  assertGaussian(a, 'a')
  assertGaussian(b, 'b')
  if (a.d !== b.d) throw invalidInput(`expected Gaussians of the same dimension, got ${a.d} and ${b.d}`)
  const d = a.d
  let meanTerm = 0
  for (let k = 0; k < d; k++) meanTerm += (a.mean[k] - b.mean[k]) ** 2
  let trA = 0, trB = 0
  for (let k = 0; k < d; k++) {
    trA += a.cov[k * d + k]
    trB += b.cov[k * d + k]
  }
  const ra = sqrtmPsd({ data: a.cov, rows: d, cols: d }).data
  // M = ra · Σ_b · ra, symmetrised.
  const t = new Float64Array(d * d)
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0
      for (let k = 0; k < d; k++) s += ra[i * d + k] * b.cov[k * d + j]
      t[i * d + j] = s
    }
  }
  const M = new Float64Array(d * d)
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0
      for (let k = 0; k < d; k++) s += t[i * d + k] * ra[k * d + j]
      M[i * d + j] = s
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) M[j * d + i] = M[i * d + j]
  const { values } = eigh({ data: M, rows: d, cols: d })
  const cut = psdNoiseFloor(values)
  let cross = 0
  for (const l of values) if (l > cut) cross += Math.sqrt(l)
  return Math.max(0, meanTerm + trA + trB - 2 * cross)
}

/** BW² between the Gaussian fits of two clouds (same `options` for both). */
export function bw2Clouds(x: PointCloud, y: PointCloud, options: GaussianFitOptions & { weightsY?: Float64Array } = {}): number {
  const { weightsY, weights, ...rest } = options
  return bw2(gaussianFit(x, { ...rest, weights }), gaussianFit(y, { ...rest, weights: weightsY }))
}

/** B-UVP = 100 · BW²(pred, truth) / (½ tr Σ_truth), in percent (0 = identical first two moments). */
export function bUvp(pred: Gaussian, truth: Gaussian): number {
  assertGaussian(truth, 'truth')
  let tr = 0
  for (let k = 0; k < truth.d; k++) tr += truth.cov[k * truth.d + k]
  if (!(tr > 0)) throw invalidInput(`expected a true distribution with positive total variance tr Σ, got ${tr}`)
  return (100 * bw2(pred, truth)) / (0.5 * tr)
}

/** B-UVP between the Gaussian fits of a predicted and a true cloud. */
export function bUvpClouds(pred: PointCloud, truth: PointCloud, options: Pick<GaussianFitOptions, 'ddof'> = {}): number {
  return bUvp(gaussianFit(pred, options), gaussianFit(truth, options))
}
