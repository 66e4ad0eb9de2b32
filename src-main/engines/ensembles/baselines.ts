/**
 * Baselines of the benchmark (paper §IV), both given the true trajectories:
 * - oracle: least squares per ensemble with the true labels;
 * - semi-oracle: least squares per particle (no labels), k-means on the estimated matrices
 *   (100 restarts), then least squares per cluster.
 */
import { lstsq, matrix } from '../linalg/index'
import { kmeans } from '../stats/index'

/** trajectories[t]: [N, d] row-major in particle order. Returns A (d×d, row-major) from the given particles. */
export function leastSquaresA(trajectories: Float64Array[], d: number, particles: ArrayLike<number>): Float64Array {
  const T = trajectories.length - 1
  const rows = particles.length * T
  const X = new Float64Array(rows * d)
  const Y = new Float64Array(rows * d)
  let r = 0
  for (let t = 0; t < T; t++)
    for (let q = 0; q < particles.length; q++) {
      const i = particles[q]!
      for (let c = 0; c < d; c++) {
        X[r * d + c] = trajectories[t]![i * d + c]!
        Y[r * d + c] = trajectories[t + 1]![i * d + c]!
      }
      r++
    }
  // Y = X Aᵀ  ->  Aᵀ = lstsq(X, Y)
  const sol = lstsq(matrix(rows, d, X), matrix(rows, d, Y)).x
  const A = new Float64Array(d * d)
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) A[a * d + b] = sol.data[b * d + a]!
  return A
}

export function oracle(trajectories: Float64Array[], d: number, labels: Int32Array, K: number): Float64Array[] {
  return Array.from({ length: K }, (_, k) => leastSquaresA(trajectories, d, [...labels.keys()].filter((i) => labels[i] === k)))
}

export function semiOracle(trajectories: Float64Array[], d: number, K: number, seed: number): { A: Float64Array[]; labels: Int32Array } {
  const N = trajectories[0]!.length / d
  const feats = new Float64Array(N * d * d)
  for (let i = 0; i < N; i++) feats.set(leastSquaresA(trajectories, d, [i]), i * d * d)
  const km = kmeans({ data: feats, n: N, d: d * d }, { k: K, restarts: 100, seed })
  const A = Array.from({ length: K }, (_, k) => {
    const members = [...km.labels.keys()].filter((i) => km.labels[i] === k)
    return members.length ? leastSquaresA(trajectories, d, members) : new Float64Array(d * d)
  })
  return { A, labels: Int32Array.from(km.labels) }
}
