/**
 * Shared value types of the OT toolkit (SPEC §3).
 *
 * A point cloud is stored row-major: point `i` occupies `data[i*d .. i*d + d - 1]`, so
 * `data.length === n * d`. Weights are one non-negative float64 per point (length `n`).
 */

/** `n` points in `R^d`, row-major, `data.length === n * d`. */
export interface PointCloud {
  data: Float64Array
  /** Number of points. */
  n: number
  /** Dimension of each point. */
  d: number
}

/** Non-negative weights, one per point (length n). */
export type Weights = Float64Array

/**
 * Ground cost between points:
 * - `'euclidean'`: c(x, y) = |x - y|_2 (exact OT with it is W1, the SPEC's "EMD");
 * - `'sqeuclidean'`: c(x, y) = |x - y|_2^2 (exact OT with it is W2²).
 */
export type GroundCost = 'euclidean' | 'sqeuclidean'
