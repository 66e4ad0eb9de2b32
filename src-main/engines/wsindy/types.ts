/**
 * Types of the WSINDy species-identification engine (SPEC §4.2; Messenger, Wheeler, Liu & Bortz,
 * "Learning anisotropic interaction rules from individual trajectories in a heterogeneous
 * cellular population", J. R. Soc. Interface 2022, arXiv:2204.14141).
 */

/**
 * How the attraction–repulsion force acts along the pair direction:
 * - 'displacement': (1/N) Σ_j f_ar(r_ij, θ_ij) (x_i − x_j)   (SPEC §4.2 and the paper's eq. 2.1);
 * - 'unit':         (1/N) Σ_j f_ar(r_ij, θ_ij) (x_i − x_j)/r_ij (the reference MATLAB code; the default,
 *                   because the benchmark's true f_ar and the published numbers come from it).
 */
export type PairKernel = 'displacement' | 'unit'

/**
 * Tracks of N cells on one grid of L equally spaced times t_k = t0 + k·dt.
 * `positions` is N × L × 2 row-major: x-coordinate of cell i at time k is positions[(i·L + k)·2],
 * y is the next entry. Units: any length unit and time unit, used consistently.
 * Cell i is observed on the grid indices start[i] ≤ k < end[i] (its span; every index in it finite);
 * outside its span its entries are NaN and it is absent from every neighbourhood. Without `start`/`end`
 * every track spans the whole grid (complete tracks).
 */
export interface TrackPanel {
  n: number
  L: number
  t0: number
  dt: number
  positions: Float64Array
  /** Original track id of each cell (length n); cell index i is used when absent. */
  ids?: Int32Array
  /** First grid index of each track (length n). @default all 0 */
  start?: Int32Array
  /** One past the last grid index of each track (length n). @default all L */
  end?: Int32Array
}

/**
 * The trial library (SPEC §4.2), regression vector ordered force by force (ar, align, drag), within a
 * force by angular mode n (outer) and radial index l (inner):
 *  - ar:    cos(nθ) L_l(αr) e^{−αr/2}, n = 0..arModes−1, l = 0..arRadial−1 (Laguerre L_l);
 *  - align: (1 + cos nθ) e^{−2^l r},   n = 0..alignModes−1, l ∈ alignExponents;
 *  - drag:  (1 + cos nθ) |v|^l,        n = 0..dragModes−1, l = 0..dragPowers−1.
 */
export interface Library {
  kernel: PairKernel
  /** Laguerre scale α (1/length). */
  alpha: number
  arModes: number
  arRadial: number
  alignModes: number
  alignExponents: number[]
  dragModes: number
  dragPowers: number
}

export type ForceKind = 'ar' | 'align' | 'drag'

/** One learned single-cell model. */
export interface CellModel {
  /** The focal cell it was learned on (−1 for an aggregate model). */
  cell: number
  /** Coefficients, length = library size (see {@link Library} for the order). */
  w: Float64Array
  /** 8-bit force-mode code: bit 7..0 = ar n=0,1,2, align n=0,1,2, drag n=0,1 (see `modeCode`). */
  code: number
  /** The chosen sparsity threshold λ̂ (NaN for an aggregate). */
  lambda: number
  /** Relative weak-form residual ‖b − Gw‖/‖b‖. */
  residual: number
  /** Number of non-zero coefficients. */
  nnz: number
}

/** Prepared data shared by all per-cell tasks; plain typed arrays and numbers (structured-clone safe). */
export interface WsindyData {
  n: number
  L: number
  t0: number
  dt: number
  /** N × L × 2, as in TrackPanel (NaN outside a track's span). */
  positions: Float64Array
  /** Velocities by centred finite differences inside each track's span, N × L × 2 (NaN outside). */
  velocities: Float64Array
  /** Span of each track on the grid: start[i] ≤ k < end[i]. */
  start: Int32Array
  end: Int32Array
  /** Number of cells present at each grid time (length L). */
  present: Int32Array
  /**
   * The N of the model's 1/N: 'all' = the number of tracks n at every time (the population, observed or
   * not: the paper's model, and the synthetic benchmark's), 'present' = the cells present at that time.
   */
  meanField: 'all' | 'present'
  /** Cells whose span is shorter than the test-function support 2m + 1: not modelled, labelled unassigned. */
  tooShort: Int32Array
  lib: Library
  /** Test-function half-width (in samples) and power. */
  m: number
  p: number
  /** Corner wavenumber of the mean spectrum used by the change-point rule (NaN if m, p were given). */
  cornerIndex: number
  /** Near-field radius (quantile `nearFieldQuantile` of pair distances). */
  rNear: number
  /** Far-field radius r_ff. */
  rFar: number
  /** Largest observed pair distance (on the sampled times). */
  rMax: number
  /** Largest observed speed. */
  sMax: number
  ids: Int32Array
}
