/**
 * k-means clustering (Lloyd's algorithm) with greedy k-means++ seeding and restarts.
 *
 * Problem: given points x_1..x_n ∈ R^d (n×d row-major) with weights w_i ≥ 0, find k centres
 * c_1..c_k and labels l_i minimising the inertia Σ_i w_i ‖x_i − c_{l_i}‖².
 *
 * Seeding: greedy k-means++ (Arthur & Vassilvitskii 2007, "k-means++: the advantages of
 * careful seeding", SODA; greedy variant as in scikit-learn): the first centre is drawn ∝ w_i,
 * each next one from 2 + ⌊ln k⌋ candidates drawn ∝ w_i D(x_i)², keeping the candidate that
 * lowers the potential most. Iteration: assign each point to its nearest centre, move each
 * centre to the weighted mean of its points; an emptied cluster is moved to the point farthest
 * from its centre. Stopping rule: Σ_c ‖Δc‖² ≤ tol · (mean per-dimension weighted variance of the
 * data) — scikit-learn's rule — or maxIter. Each restart draws from its own fork of the seeded
 * generator; the restart with the lowest inertia wins. Cost O(n·k·d) per iteration.
 */
import { invalidInput } from '@shared/errors'
import { checkAborted, runFixedPoint, type EngineContext, type IterationReport } from '../common/context'
import { checkPointCloud, type PointCloud } from '../knn'
import { createRng, type Rng } from './random'
import { checkPositive, checkPositiveInt, meanVariance, restartContext } from './internal'

export interface KMeansConfig {
  /** Number of clusters, 1 <= k <= n. */
  k: number
  /** Independent seedings; the lowest-inertia result is returned. @default 10 */
  restarts?: number
  /** Lloyd iterations per restart. @default 300 */
  maxIter?: number
  /** Relative tolerance on the squared centre shift (see module doc). @default 1e-4 */
  tol?: number
  /** Seed of the random generator (createRng). @default 0 */
  seed?: number
  /** Non-negative weight per point (length n, positive sum). @default all 1 */
  weights?: Float64Array
}

/**
 * converged/status/iterations/errorHistory describe the winning restart; errorHistory holds the
 * relative squared centre shift Σ‖Δc‖² / (mean per-dimension variance) of every iteration.
 */
export interface KMeansResult extends IterationReport {
  k: number
  d: number
  /** Cluster of each point, length n, values 0..k−1. */
  labels: Int32Array
  /** Centres, row-major k×d. */
  centres: Float64Array
  /** Σ_i w_i ‖x_i − c_{l_i}‖² of the returned labels and centres. */
  inertia: number
  /** Which restart (0-based) gave the result. */
  bestRestart: number
  /** Final inertia of every restart. */
  restartInertias: number[]
}

/**
 * Greedy k-means++ seeding: k centres (row-major k×d) chosen among the points.
 * @param weights optional per-point weights (length n, ≥ 0); default all 1.
 */
export function kmeansPlusPlus(points: PointCloud, k: number, rng: Rng, weights?: Float64Array): Float64Array {
  const { data, n, d } = points
  const w = weights
  const centres = new Float64Array(k * d)
  const closest = new Float64Array(n)
  const cand = new Float64Array(n)
  const best = new Float64Array(n)
  const cum = new Float64Array(n)
  const trials = 2 + Math.floor(Math.log(k))

  const sample = (score: (i: number) => number): number => {
    let s = 0
    for (let i = 0; i < n; i++) {
      s += score(i)
      cum[i] = s
    }
    if (!(s > 0)) {
      // Everything left has zero weight or sits on a centre: fall back to positive-weight points.
      let t = 0
      for (let i = 0; i < n; i++) {
        t += w ? (w[i]! > 0 ? 1 : 0) : 1
        cum[i] = t
      }
      s = t
    }
    const u = rng.uniform() * s
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cum[mid]! > u) hi = mid
      else lo = mid + 1
    }
    return lo
  }
  const dist2 = (i: number, c: Float64Array, co: number): number => {
    let s = 0
    for (let j = 0; j < d; j++) {
      const t = data[i * d + j]! - c[co + j]!
      s += t * t
    }
    return s
  }

  const first = sample((i) => (w ? w[i]! : 1))
  centres.set(data.subarray(first * d, first * d + d), 0)
  for (let i = 0; i < n; i++) closest[i] = dist2(i, centres, 0)
  for (let c = 1; c < k; c++) {
    let bestPot = Infinity
    let bestIdx = -1
    for (let t = 0; t < trials; t++) {
      const idx = sample((i) => (w ? w[i]! : 1) * closest[i]!)
      let pot = 0
      for (let i = 0; i < n; i++) {
        const dd = Math.min(closest[i]!, dist2(i, data, idx * d))
        cand[i] = dd
        pot += (w ? w[i]! : 1) * dd
      }
      if (pot < bestPot) {
        bestPot = pot
        bestIdx = idx
        best.set(cand)
      }
    }
    centres.set(data.subarray(bestIdx * d, bestIdx * d + d), c * d)
    closest.set(best)
  }
  return centres
}

interface LloydState {
  centres: Float64Array
  labels: Int32Array
  shift: number
}

/** Nearest centre of every point; returns inertia; fills labels and per-point squared distances. */
function assign(data: Float64Array, n: number, d: number, centres: Float64Array, k: number, labels: Int32Array, dist: Float64Array, w?: Float64Array): number {
  let inertia = 0
  for (let i = 0; i < n; i++) {
    let bestD = Infinity
    let bestC = 0
    const b = i * d
    for (let c = 0; c < k; c++) {
      const cb = c * d
      let s = 0
      for (let j = 0; j < d; j++) {
        const t = data[b + j]! - centres[cb + j]!
        s += t * t
      }
      if (s < bestD) {
        bestD = s
        bestC = c
      }
    }
    labels[i] = bestC
    dist[i] = bestD
    inertia += (w ? w[i]! : 1) * bestD
  }
  return inertia
}

function lloydStep(data: Float64Array, n: number, d: number, k: number, prev: Float64Array, w?: Float64Array): LloydState {
  const labels = new Int32Array(n)
  const dist = new Float64Array(n)
  assign(data, n, d, prev, k, labels, dist, w)
  const centres = new Float64Array(k * d)
  const mass = new Float64Array(k)
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i]! : 1
    const c = labels[i]!
    mass[c] += wi
    for (let j = 0; j < d; j++) centres[c * d + j] += wi * data[i * d + j]!
  }
  for (let c = 0; c < k; c++) {
    if (mass[c]! > 0) {
      for (let j = 0; j < d; j++) centres[c * d + j] /= mass[c]!
    } else {
      // Empty cluster: move it to the (positive-weight) point farthest from its centre.
      let far = -1
      let farD = -1
      for (let i = 0; i < n; i++) {
        if ((w ? w[i]! : 1) > 0 && dist[i]! > farD) {
          farD = dist[i]!
          far = i
        }
      }
      if (far < 0) far = 0
      dist[far] = -1
      for (let j = 0; j < d; j++) centres[c * d + j] = data[far * d + j]!
    }
  }
  let shift = 0
  for (let t = 0; t < k * d; t++) shift += (centres[t]! - prev[t]!) ** 2
  return { centres, labels, shift }
}

/**
 * k-means with k-means++ restarts on `points` (n×d row-major); see the module doc for the
 * problem and stopping rule. Not converging within maxIter is reported in the result.
 */
export function kmeans(points: PointCloud, config: KMeansConfig, ctx?: EngineContext): KMeansResult {
  checkPointCloud(points)
  const { data, n, d } = points
  const k = config.k
  if (!Number.isInteger(k) || k < 1 || k > n) throw invalidInput(`kmeans: expected an integer k with 1 <= k <= n = ${n}, got ${k}`)
  const restarts = config.restarts ?? 10
  const maxIter = config.maxIter ?? 300
  const tol = config.tol ?? 1e-4
  checkPositiveInt(restarts, 'kmeans restarts')
  checkPositiveInt(maxIter, 'kmeans maxIter')
  checkPositive(tol, 'kmeans tol', true)
  const w = config.weights
  if (w !== undefined) {
    if (!(w instanceof Float64Array) || w.length !== n) {
      throw invalidInput(`kmeans weights: expected a Float64Array of length n = ${n}, got ${w instanceof Float64Array ? `length ${w.length}` : typeof w}`)
    }
    let s = 0
    for (let i = 0; i < n; i++) {
      if (!(w[i]! >= 0) || !Number.isFinite(w[i]!)) throw invalidInput(`kmeans weights: expected finite values >= 0, got ${w[i]} at index ${i}`)
      s += w[i]!
    }
    if (!(s > 0)) throw invalidInput(`kmeans weights: expected a positive sum, got ${s}`)
  }
  const scale = meanVariance(data, n, d, w)
  const tolAbs = tol * (scale > 0 ? scale : 1)
  const rng = createRng(config.seed ?? 0)

  let best: KMeansResult | undefined
  const restartInertias: number[] = []
  for (let r = 0; r < restarts; r++) {
    checkAborted(ctx)
    const rr = rng.fork()
    const init = kmeansPlusPlus(points, k, rr, w)
    const run = runFixedPoint<LloydState>({
      init: { centres: init, labels: new Int32Array(n), shift: Infinity },
      step: (s) => lloydStep(data, n, d, k, s.centres, w),
      error: (s) => s.shift,
      tol: tolAbs,
      maxIter,
      every: 1,
      ctx: restartContext(ctx, r, restarts, 'kmeans'),
      stage: 'kmeans',
    })
    // Labels consistent with the returned centres.
    const labels = new Int32Array(n)
    const inertia = assign(data, n, d, run.state.centres, k, labels, new Float64Array(n), w)
    restartInertias.push(inertia)
    if (!best || inertia < best.inertia) {
      best = {
        k,
        d,
        labels,
        centres: run.state.centres,
        inertia,
        bestRestart: r,
        restartInertias,
        converged: run.converged,
        status: run.status,
        iterations: run.iterations,
        errorHistory: run.errorHistory.map((e) => e / (scale > 0 ? scale : 1)),
      }
    }
  }
  return best!
}
