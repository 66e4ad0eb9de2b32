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
 * solved by block coordinate descent: plans for fixed θ (exact LP by column generation, or
 * entropic by iterated KL projections), then θ by weighted least squares; lowest objective over
 * restarts kept. The paper restarts from random θ, which lands in poor local optima on most draws
 * of its own benchmark; here the restarts start from data-driven θ (hypotheses.ts: trajectory
 * hypotheses, K-sets scored by a relaxation of the plan LP, screened by a cheap relaxed descent
 * and a swap search), with annealed random starts only where no hypotheses exist (affine model,
 * fewer than d + 2 time points).
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
  /**
   * Restarts of the exact (or entropic) block coordinate descent at most; the lowest objective is
   * kept. From the screened data-driven starts when there are any (see initFromTrajectories,
   * polishRatio), else from θ with i.i.d. N(0, 1) entries (annealed). @default 10
   */
  restarts?: number
  /** Fit x_{t+1} = A_k x_t + b_k instead of A_k x_t. @default false */
  affine?: boolean
  /**
   * 'auto' uses the exact LP while K·Σ_t N_t·N_{t+1} ≤ exactMaxVariables, else entropic. The exact
   * step solves the joint LP by column generation (restricted.ts: each particle's nearest predicted
   * targets, then columns with negative reduced cost until none is left), so it stays fast well
   * beyond the dense LP's reach. @default 'auto'
   */
  solver?: PlanSolver
  /** @default 1_000_000 */
  exactMaxVariables?: number
  /**
   * Exact mode: pricing rounds of the column generation per plan step while θ still moves; the
   * last plan step before convergence always runs to the proven LP optimum. @default 3
   */
  lpRounds?: number
  /** Block coordinate descent stops when the relative objective decrease is below this. @default 1e-7 */
  tol?: number
  /** @default 100 */
  maxIter?: number
  /**
   * Entropic mode: each plan P_k^t is kept on a support of each particle's `entropicNeighbours`
   * nearest predicted targets and each target's nearest predictions (sparse.ts; memory
   * O(K·T·N·neighbours) instead of K·Σ_t N_t·N_{t+1}); 0 keeps every pair (dense plans). 'auto':
   * every pair while each plan has at most 250,000 entries (≈ 500 particles per time point), else 16.
   * @default 'auto'
   */
  entropicNeighbours?: number | 'auto'
  /**
   * Entropic mode: ε relative to the mean cost of the current plan step. Small, because the plans
   * must separate particles whose costs under two ensembles differ by about the noise: at 150
   * particles per time point (paper setting, σ² = 1e-3) the labels agree with the exact mode's on
   * 81 % at 1e-3, 98.4 % at 1e-4 and 100 % at 2e-5 (BENCHMARKS.md). @default 2e-5
   */
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
   * Restarts start from data-driven θ (hypotheses.ts: trajectory hypotheses, regression sets
   * scored by the relaxed objective), screened with the cheap relaxed descent, best first; the
   * remaining restarts are annealed random starts. Linear case with ≥ d + 2 time points. @default true
   */
  initFromTrajectories?: boolean
  /** Starts screened by the relaxed descent before the exact restarts (hypothesis sets, their variants, random). @default 30 */
  screenStarts?: number
  /**
   * With data-driven starts, only the screened starts whose relaxed objective is at most
   * polishRatio × the best one get the exact block coordinate descent (at most `restarts` of
   * them), and no random restarts follow. @default 1.5
   */
  polishRatio?: number
  /**
   * At most this many screened starts get the exact descent (lowest relaxed objective first). On
   * draws where the search fails every start is poor, and each exact descent from a poor θ costs
   * a minute or more. @default 4
   */
  polishStarts?: number
  /** Best screened starts refined by the swap search (hypotheses.ts swapSearch). @default 2 */
  swapStarts?: number
  /** Points per time point used for seeding and screening at most (a random subsample beyond). @default 150 */
  seedPoints?: number
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
