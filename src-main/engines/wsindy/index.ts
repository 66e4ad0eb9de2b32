/**
 * WSINDy species identification from cell tracks (SPEC §4.2; Messenger, Wheeler, Liu & Bortz 2022,
 * arXiv:2204.14141): weak-form sparse regression of one force model per focal cell
 * (attraction–repulsion, alignment and drag with directional modes), then clustering by force-mode
 * code, aggregation, data-driven validation and GMM/BIC splitting into species.
 *
 * Typical use:
 *   const data = prepareWsindy(panelFromTracks(rows))             // shared, structured-clone safe
 *   const models = cells.map(i => learnCellModel(data, i))         // independent tasks (worker pool)
 *   const result = identifySpecies(data, config, ctx, models)      // replacement, clustering, species
 * Per-cell tasks: `learnCellModel(data, i, options)` and `validationError(data, w, i, options)`.
 *
 * Choices where the paper, the SPEC and the reference code (MathBioCU/WSINDy_CellCluster) differ:
 * - attraction–repulsion acts along the unit vector (x_i − x_j)/r_ij by default (reference code; the SPEC's
 *   (x_i − x_j) form is `kernel: 'displacement'`);
 * - bases as in the paper/SPEC (Laguerre ℓ = 0..17 with α = 2 ln(1/ε)/r_max, align e^{−2^ℓ r} ℓ = −2..5,
 *   drag |v|^ℓ ℓ = 0..4: 54 + 24 + 10 = 88 columns), no hard cut-off, no column normalisation;
 * - velocities by centred differences of order 4 (paper: order 2; reference: the simulator's exact ones);
 * - (m, p) by the reference's change-point rule on the mean |FFT| (wavenumber 0 left out), all Q = L − 2m
 *   centres; near-field constraints at 5 radii in [1e−6, r_nf] × 5 angles, far-field at 10 radii in
 *   [r_ff, r_max] × 5 angles (paper; the reference omits them), sign constraints on align and drag;
 * - λ grid 10^−4..1 (paper), 50 values; selection loss ½‖G(w − w_LS)‖/‖G w_LS‖ + ½ nnz/nnz(w_LS);
 * - model replacement with K = 20 (paper), condition (ii) of the paper disabled as in the code;
 * - validation: forward Euler with neighbours interpolated at the start of each sub-step (the reference
 *   uses the end); aggregates drop coefficients 4 decades below the largest (reference);
 * - the GMM split uses the best of 20 restarts (reference: majority vote over 20 fits).
 */
export type { PairKernel, TrackPanel, Library, ForceKind, CellModel, WsindyData } from './types'
export {
  makeLibrary,
  layout,
  columnInfo,
  laguerreFunctions,
  evaluateForce,
  modeCode,
  codeString,
  codeForces,
  formulas,
  relativeForceError,
  TRUE_FORCES,
  SPECIES_FORCES,
} from './library'
export type { LibraryOptions, ForceErrorOptions, BenchmarkSpecies } from './library'
export { finiteDifferenceVelocities, testFunction, testFunctionPower, meanChangePoint, chooseTestFunction, cellFeatures, weakSystem } from './weakform'
export type { ChangePointOptions } from './weakform'
export { mstls, defaultLambdas } from './regression'
export type { MstlsOptions, MstlsResult } from './regression'
export { prepareWsindy, constraintMatrix, learnCellModel } from './model'
export type { PrepareOptions, CellModelOptions } from './model'
export { validationError, neighbourInterpolant, makeForce } from './simulate'
export type { ValidationOptions } from './simulate'
export { identifySpecies } from './pipeline'
export type { SpeciesConfig, ReplacementOptions, Species, SpeciesResult } from './pipeline'
export { panelFromTracks } from './panel'
export type { TrackRows } from './panel'
