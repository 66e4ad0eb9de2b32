/**
 * Gaussian mixture models fitted by expectation–maximisation, with restarts and BIC.
 *
 * Model: p(x) = Σ_{c=1..K} π_c N(x | μ_c, Σ_c) on R^d, Σ_c full or diagonal. Given points
 * x_1..x_n (n×d row-major), EM (Dempster, Laird & Rubin 1977; Bishop, PRML §9.2) alternates
 *   E: r_ic = π_c N(x_i|μ_c,Σ_c) / Σ_c' π_c' N(x_i|μ_c',Σ_c')   (in log space, log-sum-exp)
 *   M: N_c = Σ_i r_ic, π_c = N_c/n, μ_c = Σ_i r_ic x_i / N_c,
 *      Σ_c = Σ_i r_ic (x_i−μ_c)(x_i−μ_c)ᵀ / N_c + λ I   (diag: only the diagonal)
 * where λ = regCovar · (mean per-dimension variance of the data) keeps every Σ_c positive
 * definite (scikit-learn's reg_covar, made scale-free). A component whose total responsibility
 * falls below 1e-10 is parked on the data's mean and per-dimension variance (weight ≈ 0). The log-likelihood
 * ℓ = Σ_i log p(x_i) never decreases (up to λ). Stopping rule: |ℓ_t − ℓ_{t−1}| / n ≤ tol, or
 * maxIter; a non-finite ℓ (a Cholesky failure) stops with status 'numerical-error' and the
 * last finite iterate.
 *
 * Initialisation, per restart: k-means (one k-means++ seeding + Lloyd, own RNG fork) and one
 * M-step from its hard labels (scikit-learn's init_params='kmeans'). The restart with the
 * highest final ℓ wins. Components are returned sorted by the first coordinate of their
 * means (so a 1-D fit lists the lower component first).
 *
 * Criteria (lower is better): BIC = −2ℓ + p ln n, AIC = −2ℓ + 2p, with
 * p = (K − 1) + K d + K d(d+1)/2 (full) or (K − 1) + 2 K d (diag) free parameters
 * (Schwarz 1978; scikit-learn's convention). Logs are natural.
 */
import { invalidInput, numericalError } from '@shared/errors'
import { checkAborted, runFixedPoint, type EngineContext, type IterationReport } from '../common/context'
import { checkPointCloud, type PointCloud } from '../knn'
import { kmeans } from './kmeans'
import { createRng } from './random'
import { checkPositive, checkPositiveInt, meanVariance, restartContext } from './internal'

export type CovarianceType = 'full' | 'diag'

export interface GmmConfig {
  /** Number of components K, 1 <= K <= n. */
  components: number
  /** Covariance structure. @default 'full' */
  covariance?: CovarianceType
  /** Independent k-means++ initialisations; the highest likelihood wins. @default 10 */
  restarts?: number
  /** EM iterations per restart. @default 500 */
  maxIter?: number
  /** Tolerance on the change of the mean log-likelihood per point (nats). @default 1e-6 */
  tol?: number
  /** Covariance regularisation, relative to the mean per-dimension data variance. @default 1e-6 */
  regCovar?: number
  /** Seed of the random generator (createRng). @default 0 */
  seed?: number
}

/** A fitted mixture: enough to evaluate densities and posteriors (see gmmPosteriors). */
export interface GmmModel {
  /** Number of components. */
  K: number
  d: number
  covariance: CovarianceType
  /** Mixing weights π, length K, summing to 1. */
  weights: Float64Array
  /** Means, row-major K×d. */
  means: Float64Array
  /** Covariances, K blocks of d×d row-major (always full matrices; zero off-diagonal for 'diag'). */
  covariances: Float64Array
}

/**
 * converged/status/iterations/errorHistory describe the winning restart; errorHistory holds
 * |ℓ_t − ℓ_{t−1}| / n of every iteration.
 */
export interface GmmResult extends GmmModel, IterationReport {
  /** Total log-likelihood ℓ = Σ_i log p(x_i) of the returned model (nats). */
  logLikelihood: number
  /** Number of free parameters p. */
  nParameters: number
  /** −2ℓ + p ln n (lower is better). */
  bic: number
  /** −2ℓ + 2p (lower is better). */
  aic: number
  /** Posterior probabilities r_ic, row-major n×K; each row sums to 1. */
  posteriors: Float64Array
  /** argmax_c r_ic, length n. */
  labels: Int32Array
  /** Which restart (0-based) gave the result. */
  bestRestart: number
  /** Final ℓ of every restart. */
  restartLogLikelihoods: number[]
}

interface EmState {
  weights: Float64Array
  means: Float64Array
  covs: Float64Array
  /** Posteriors under (weights, means, covs). */
  resp: Float64Array
  ll: number
  prevLl: number
}

const LOG_2PI = Math.log(2 * Math.PI)

/** Cholesky factor (lower, row-major) of a d×d SPD block; returns log det, or NaN if not PD. */
function cholesky(a: Float64Array, ao: number, d: number, out: Float64Array, oo: number): number {
  let logDet = 0
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[ao + i * d + j]!
      for (let t = 0; t < j; t++) s -= out[oo + i * d + t]! * out[oo + j * d + t]!
      if (i === j) {
        if (!(s > 0)) return NaN
        const l = Math.sqrt(s)
        out[oo + i * d + i] = l
        logDet += 2 * Math.log(l)
      } else {
        out[oo + i * d + j] = s / out[oo + j * d + j]!
      }
    }
    for (let j = i + 1; j < d; j++) out[oo + i * d + j] = 0
  }
  return logDet
}

/**
 * E-step: fills `resp` (n×K) with the posteriors r_ic and, if given, `logDensity` (n) with
 * log p(x_i); returns ℓ = Σ_i log p(x_i), or NaN if a covariance is not positive definite.
 */
function eStep(
  data: Float64Array,
  n: number,
  d: number,
  K: number,
  weights: Float64Array,
  means: Float64Array,
  covs: Float64Array,
  resp: Float64Array,
  logDensity?: Float64Array,
): number {
  const chol = new Float64Array(K * d * d)
  const logNorm = new Float64Array(K)
  for (let c = 0; c < K; c++) {
    const logDet = cholesky(covs, c * d * d, d, chol, c * d * d)
    if (Number.isNaN(logDet)) return NaN
    logNorm[c] = Math.log(weights[c]!) - 0.5 * (d * LOG_2PI + logDet)
  }
  const z = new Float64Array(d)
  let ll = 0
  for (let i = 0; i < n; i++) {
    let m = -Infinity
    for (let c = 0; c < K; c++) {
      const lo = c * d * d
      let maha = 0
      // Forward substitution L z = x − μ.
      for (let r = 0; r < d; r++) {
        let s = data[i * d + r]! - means[c * d + r]!
        for (let t = 0; t < r; t++) s -= chol[lo + r * d + t]! * z[t]!
        const zr = s / chol[lo + r * d + r]!
        z[r] = zr
        maha += zr * zr
      }
      const v = logNorm[c]! - 0.5 * maha
      resp[i * K + c] = v
      if (v > m) m = v
    }
    let s = 0
    for (let c = 0; c < K; c++) s += Math.exp(resp[i * K + c]! - m)
    const lse = m + Math.log(s)
    if (logDensity) logDensity[i] = lse
    ll += lse
    for (let c = 0; c < K; c++) resp[i * K + c] = Math.exp(resp[i * K + c]! - lse)
  }
  return ll
}

/** Mean and per-dimension variance of the whole data set: where an emptied component is parked. */
interface Fallback {
  mean: Float64Array
  variance: Float64Array
}

function dataMoments(data: Float64Array, n: number, d: number): Fallback {
  const mean = new Float64Array(d)
  const variance = new Float64Array(d)
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j]! / n
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) variance[j] += (data[i * d + j]! - mean[j]!) ** 2 / n
  return { mean, variance }
}

/** Total responsibility below which a component counts as empty. */
const EMPTY = 1e-10

function mStep(data: Float64Array, n: number, d: number, K: number, resp: Float64Array, diag: boolean, reg: number, fb: Fallback) {
  const weights = new Float64Array(K)
  const means = new Float64Array(K * d)
  const covs = new Float64Array(K * d * d)
  const nk = new Float64Array(K)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < K; c++) {
      const r = resp[i * K + c]!
      nk[c] += r
      for (let j = 0; j < d; j++) means[c * d + j] += r * data[i * d + j]!
    }
  }
  for (let c = 0; c < K; c++) {
    nk[c] += 10 * Number.EPSILON // as scikit-learn: keeps an empty component finite
    weights[c] = nk[c]! / n
    for (let j = 0; j < d; j++) means[c * d + j] /= nk[c]!
  }
  const diff = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < K; c++) {
      const r = resp[i * K + c]!
      if (r === 0) continue
      for (let j = 0; j < d; j++) diff[j] = data[i * d + j]! - means[c * d + j]!
      const o = c * d * d
      if (diag) {
        for (let j = 0; j < d; j++) covs[o + j * d + j] += r * diff[j]! * diff[j]!
      } else {
        for (let a = 0; a < d; a++) {
          const ra = r * diff[a]!
          for (let b = 0; b <= a; b++) covs[o + a * d + b] += ra * diff[b]!
        }
      }
    }
  }
  for (let c = 0; c < K; c++) {
    const o = c * d * d
    if (nk[c]! < EMPTY) {
      // Empty component (weight ~0): park it on the data's mean and spread instead of at 0/0.
      means.set(fb.mean, c * d)
      covs.fill(0, o, o + d * d)
      for (let a = 0; a < d; a++) covs[o + a * d + a] = fb.variance[a]! + reg
      continue
    }
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        const v = covs[o + a * d + b]! / nk[c]! + (a === b ? reg : 0)
        covs[o + a * d + b] = v
        covs[o + b * d + a] = v
      }
    }
  }
  let wsum = 0
  for (let c = 0; c < K; c++) wsum += weights[c]!
  for (let c = 0; c < K; c++) weights[c] /= wsum
  return { weights, means, covs }
}

function nParameters(K: number, d: number, covariance: CovarianceType): number {
  return K - 1 + K * d + K * (covariance === 'full' ? (d * (d + 1)) / 2 : d)
}

/**
 * Fits a K-component Gaussian mixture to `points` (n×d row-major) by EM with restarts; see the
 * module doc for the model, stopping rule and conventions. Not converging is reported in the
 * result (converged/status), never thrown.
 */
export function fitGmm(points: PointCloud, config: GmmConfig, ctx?: EngineContext): GmmResult {
  checkPointCloud(points)
  const { data, n, d } = points
  const K = config.components
  if (!Number.isInteger(K) || K < 1 || K > n) throw invalidInput(`fitGmm: expected an integer number of components 1 <= K <= n = ${n}, got ${K}`)
  const covariance = config.covariance ?? 'full'
  if (covariance !== 'full' && covariance !== 'diag') throw invalidInput(`fitGmm covariance: expected 'full' or 'diag', got ${String(covariance)}`)
  const restarts = config.restarts ?? 10
  const maxIter = config.maxIter ?? 500
  const tol = config.tol ?? 1e-6
  const regCovar = config.regCovar ?? 1e-6
  checkPositiveInt(restarts, 'fitGmm restarts')
  checkPositiveInt(maxIter, 'fitGmm maxIter')
  checkPositive(tol, 'fitGmm tol', true)
  checkPositive(regCovar, 'fitGmm regCovar', true)
  const diag = covariance === 'diag'
  const scale = meanVariance(data, n, d)
  const reg = regCovar * (scale > 0 ? scale : 1)
  const rng = createRng(config.seed ?? 0)
  const fb = dataMoments(data, n, d)

  let best: (EmState & { report: IterationReport; restart: number }) | undefined
  const restartLogLikelihoods: number[] = []
  for (let r = 0; r < restarts; r++) {
    checkAborted(ctx)
    const km = kmeans(points, { k: K, restarts: 1, maxIter: 100, seed: rng.nextU32() })
    const resp0 = new Float64Array(n * K)
    for (let i = 0; i < n; i++) resp0[i * K + km.labels[i]!] = 1
    const p0 = mStep(data, n, d, K, resp0, diag, reg, fb)
    const resp = new Float64Array(n * K)
    const ll0 = eStep(data, n, d, K, p0.weights, p0.means, p0.covs, resp)
    let state: EmState = { weights: p0.weights, means: p0.means, covs: p0.covs, resp, ll: ll0, prevLl: ll0 }
    let report: IterationReport
    if (!Number.isFinite(ll0)) {
      report = { converged: false, status: 'numerical-error', iterations: 0, errorHistory: [] }
    } else {
      const run = runFixedPoint<EmState>({
        init: state,
        step: (s) => {
          const p = mStep(data, n, d, K, s.resp, diag, reg, fb)
          const rs = new Float64Array(n * K)
          const ll = eStep(data, n, d, K, p.weights, p.means, p.covs, rs)
          return { weights: p.weights, means: p.means, covs: p.covs, resp: rs, ll, prevLl: s.ll }
        },
        error: (s) => Math.abs(s.ll - s.prevLl) / n,
        tol,
        maxIter,
        every: 1,
        ctx: restartContext(ctx, r, restarts, 'gmm'),
        stage: 'gmm',
      })
      state = run.state
      report = { converged: run.converged, status: run.status, iterations: run.iterations, errorHistory: run.errorHistory }
    }
    restartLogLikelihoods.push(state.ll)
    if (Number.isFinite(state.ll) && (!best || state.ll > best.ll)) best = { ...state, report, restart: r }
  }
  if (!best) {
    // Only reachable with regCovar = 0 and a component on coincident points: there is no finite
    // iterate to return, so this is an error rather than a 'numerical-error' status.
    throw numericalError(
      `fitGmm: expected a finite likelihood, got a singular covariance in all ${restarts} restarts (regCovar = ${regCovar}; use regCovar > 0)`,
    )
  }

  // Canonical order: components sorted by the first coordinate of the mean.
  const order = Array.from({ length: K }, (_, c) => c).sort((a, b) => best!.means[a * d]! - best!.means[b * d]! || best!.weights[b]! - best!.weights[a]!)
  const weights = new Float64Array(K)
  const means = new Float64Array(K * d)
  const covariances = new Float64Array(K * d * d)
  const posteriors = new Float64Array(n * K)
  order.forEach((src, dst) => {
    weights[dst] = best!.weights[src]!
    means.set(best!.means.subarray(src * d, src * d + d), dst * d)
    covariances.set(best!.covs.subarray(src * d * d, (src + 1) * d * d), dst * d * d)
    for (let i = 0; i < n; i++) posteriors[i * K + dst] = best!.resp[i * K + src]!
  })
  const labels = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    let bc = 0
    for (let c = 1; c < K; c++) if (posteriors[i * K + c]! > posteriors[i * K + bc]!) bc = c
    labels[i] = bc
  }
  const p = nParameters(K, d, covariance)
  const ll = best.ll
  return {
    K,
    d,
    covariance,
    weights,
    means,
    covariances,
    logLikelihood: ll,
    nParameters: p,
    bic: -2 * ll + p * Math.log(n),
    aic: -2 * ll + 2 * p,
    posteriors,
    labels,
    bestRestart: best.restart,
    restartLogLikelihoods,
    ...best.report,
  }
}

/**
 * Posterior probabilities (m×K) and log densities log p(x) (length m, nats) of new points
 * `points` (m×d) under a fitted mixture.
 */
export function gmmPosteriors(model: GmmModel, points: PointCloud): { posteriors: Float64Array; logDensity: Float64Array } {
  checkPointCloud(points)
  if (points.d !== model.d) throw invalidInput(`gmmPosteriors: expected points of dimension ${model.d}, got ${points.d}`)
  const { K, d } = model
  const m = points.n
  const posteriors = new Float64Array(m * K)
  const logDensity = new Float64Array(m)
  const ll = eStep(points.data, m, d, K, model.weights, model.means, model.covariances, posteriors, logDensity)
  if (Number.isNaN(ll)) throw invalidInput('gmmPosteriors: expected a model with positive-definite covariances, got one whose Cholesky factorisation failed')
  return { posteriors, logDensity }
}

export interface GmmBicComparison {
  /** The one-Gaussian fit. */
  one: GmmResult
  /** The best two-component fit over the restarts (components sorted by mean: [0] is the lower one). */
  two: GmmResult
  /** bic(one) − bic(two): positive when two components are preferred. */
  deltaBic: number
  /** True when the two-component mixture has the strictly lower BIC. */
  prefersTwo: boolean
}

/**
 * One Gaussian versus a two-component mixture on 1-D data `x` (e.g. WSINDy's log10 ΔV), decided
 * by BIC: the mixture is accepted only if its BIC is strictly lower.
 * @param restarts k-means++ restarts for the two-component fit. @default 20
 * @param options the remaining fitGmm settings (covariance is irrelevant in 1-D).
 */
export function compareGmmBic(
  x: ArrayLike<number>,
  restarts = 20,
  options: Omit<GmmConfig, 'components' | 'restarts' | 'covariance'> = {},
  ctx?: EngineContext,
): GmmBicComparison {
  if (!x || x.length < 2) throw invalidInput(`compareGmmBic: expected at least 2 values, got ${x?.length ?? 'undefined'}`)
  const points = { data: Float64Array.from(x), n: x.length, d: 1 }
  const one = fitGmm(points, { ...options, components: 1, restarts: 1 }, ctx)
  const two = fitGmm(points, { ...options, components: 2, restarts }, ctx)
  const deltaBic = one.bic - two.bic
  return { one, two, deltaBic, prefersTwo: deltaBic > 0 }
}
