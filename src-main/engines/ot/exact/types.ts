import type { GroundCost, PointCloud, Weights } from '../types'

/** Exact OT between two weighted point clouds of the same dimension d. */
export interface ExactOtCloudProblem {
  /** Source weights, length x.n, finite, >= 0. @default uniform 1/n */
  a?: Weights
  x: PointCloud
  /** Target weights, length y.n, finite, >= 0. @default uniform 1/m */
  b?: Weights
  y: PointCloud
  /** Ground cost c(x_i, y_j). */
  cost: GroundCost
}

/** Exact OT with a given cost matrix. */
export interface ExactOtMatrixProblem {
  /** Source weights, length n, finite, >= 0. */
  a: Weights
  /** Target weights, length m, finite, >= 0. */
  b: Weights
  /** C_ij at index i*m + j (row-major, n*m entries), finite (any sign). */
  costMatrix: Float64Array
}

export type ExactOtProblem = ExactOtCloudProblem | ExactOtMatrixProblem

export interface ExactOtConfig {
  /**
   * Maximum number of simplex pivots; reaching it returns status 'max-iterations'.
   * @default max(1_000_000, 500 * (n + m))
   */
  maxIter?: number
  /**
   * Relative tolerance on |sum(a) - sum(b)| / max(sum(a), sum(b)). Within it, b is rescaled to
   * the mass of a; beyond it the call throws an invalid-input error naming both sums.
   * @default 1e-9
   */
  massTolerance?: number
}

/** A transport plan as coordinate lists of its nonzero entries, sorted by row then column. */
export interface SparsePlan {
  rows: Int32Array
  cols: Int32Array
  values: Float64Array
}

export type ExactOtStatus = 'optimal' | 'max-iterations' | 'numerical-error'

export interface ExactOtResult {
  /** sum_ij C_ij P_ij, in the units of the ground cost (distance, or distance²) times mass. */
  cost: number
  /** The plan P (only its nonzeros; at most n + m - 1 of them). Marginals: a and (rescaled) b. */
  plan: SparsePlan
  /**
   * Dual potentials, length n and m: C_ij >= u_i + v_j (up to ~1e-12 max|C|) with equality on the
   * plan's support, so sum a u + sum b v = cost. Fixed up to a constant by centring:
   * sum a u = sum b v. Zero-weight points get the c-transform (the tightest feasible value).
   */
  u: Float64Array
  v: Float64Array
  /**
   * 'optimal'; 'max-iterations' (the plan is the last basis: cost is not minimal and, if mass was
   * still on artificial arcs, its marginals fall short of a and b); 'numerical-error' (non-finite
   * values or artificial mass left at the end; the result should not be used).
   */
  status: ExactOtStatus
  /** True iff status is 'optimal'. */
  converged: boolean
  /** Simplex pivots performed. */
  iterations: number
}
