/**
 * OT ensemble separation (SPEC §4.1; "Mixtures of ensembles: system separation and
 * identification via optimal transport", paper eq. 7, Algorithm 1).
 *
 * Snapshots μ_0..μ_T of a population (no identities) that is a superposition of K ensembles,
 * ensemble k moving as x_{t+1} = A_k x_t (+ b_k) + noise. Over plans P_k^t ≥ 0 and θ_k:
 *
 *   min Σ_k Σ_t ⟨C_k^t(θ_k), P_k^t⟩,   C_k^t(i, j) = ‖x_{t+1}(j) − A_k x_t(i) − b_k‖²
 *   s.t. Σ_k P_k^0 1 = a_0;  Σ_k (P_k^t)ᵀ 1 = a_{t+1} (all t);  (P_k^{t−1})ᵀ 1 = P_k^t 1 (all k, 1 ≤ t ≤ T−1)
 *
 * solved by block coordinate descent: plans for fixed θ (exact LP, or entropic by iterated
 * KL projections), then θ by weighted least squares; restarts from random θ, lowest objective kept.
 */

/** One snapshot: N points in d dimensions, row-major, with optional weights (default uniform). */
export interface Snapshot {
  x: Float64Array
  n: number
  d: number
  /** Weights summing to the same total at every time (default 1/n each). */
  a?: Float64Array
}

export interface EnsembleProblem {
  snapshots: Snapshot[]
  /** Number of ensembles K ≥ 1. */
  K: number
}

export type PlanSolver = 'auto' | 'exact' | 'entropic'

export interface EnsembleConfig {
  /** Random restarts from θ with i.i.d. N(0, 1) entries; the lowest objective is kept. @default 10 */
  restarts?: number
  /** Fit x_{t+1} = A_k x_t + b_k instead of A_k x_t. @default false */
  affine?: boolean
  /**
   * 'auto' uses the exact LP while K·Σ_t N_t·N_{t+1} ≤ exactMaxVariables, else entropic. Each exact
   * solve re-optimises the whole joint LP (seconds at 10^5 variables), so the entropic mode is the
   * default beyond small problems. @default 'auto'
   */
  solver?: PlanSolver
  /** @default 40000 */
  exactMaxVariables?: number
  /** Block coordinate descent stops when the relative objective decrease is below this. @default 1e-7 */
  tol?: number
  /** @default 100 */
  maxIter?: number
  /** Entropic mode: ε relative to the mean cost of the current plan step. @default 1e-3 */
  epsRelative?: number
  /** Entropic mode: stop the projections when the largest marginal violation (relative to total mass) is below this. @default 1e-6 */
  marginalTol?: number
  /** Entropic mode: projection sweeps per ε stage at most. @default 2000 */
  maxSweeps?: number
  /** Seed of the restarts. @default 0 */
  seed?: number
  /**
   * Annealing schedule: relative ε of the soft block-coordinate sweeps run before the main
   * iterations of every restart ([] turns annealing off); values below epsRelative are raised to it.
   * Restart r starts (r mod 4)/4 of the way into the schedule, so restarts differ in how hot they start.
   * @default 30 values geometrically from 3 to 1e-3
   */
  anneal?: number[]
  /**
   * Every other restart starts from trajectory hypotheses (init.ts: chains of d + 1 points that
   * predict a point of the next snapshot) instead of random θ; linear case with ≥ d + 2 time points. @default true
   */
  initFromTrajectories?: boolean
  /** Initial parameters for the first restart (e.g. from a previous run). */
  init?: Float64Array[]
}

export interface EnsembleRestart {
  restart: number
  objective: number
  iterations: number
  converged: boolean
  trace: number[]
}

export interface EnsembleResult {
  /** A_k as d×d row-major (or d×(d+1) with the offset b_k in the last column when affine). */
  theta: Float64Array[]
  objective: number
  /** Per time t and particle i: the ensemble holding most of its mass, and that mass fraction. */
  labels: Int32Array[]
  confidence: Float64Array[]
  /** Mass of each ensemble (fraction of the population), from the plans. */
  ensembleMass: Float64Array
  solver: 'exact' | 'entropic'
  solverReason: string
  restarts: EnsembleRestart[]
  best: number
  /** Objective trace of the best restart. */
  trace: number[]
  converged: boolean
}
