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
 * Per-cell tasks: `learnCellModel(data, i, options)` and `validationError(data, w, i, options)`; the
 * pipeline hands them out in batches of independent tasks to a `CellExecutor` (in this thread by default;
 * `identifySpeciesAsync(data, config, ctx, { executor })` with a worker pool from
 * src-main/workers/pool/wsindy-pool.ts), with identical results.
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
 * - validation: forward Euler with neighbours (per-track PCHIP) read at the end of each sub-step, as the
 *   reference (`neighbourTime: 'start'` for the other order); aggregates drop coefficients 4 decades
 *   below the largest (reference);
 * - the GMM test as the reference: 20 independent fits, accepted when their mean BIC beats one Gaussian,
 *   a cell in the new species when most fits put it in the low-error component (`gmmVote: false`: the
 *   best of 20 restarts decides);
 * - not in the paper, on by default (switch off with mergeTolerance = mergeErrorRatio = 0,
 *   assignLeftovers = false): species over-split by the mixture test are merged (`mergeSpecies`: same
 *   code and force laws within 10%, or one species' model explains the other's cells with a median ΔV
 *   within 1.1× of their own and below acceptError; the better model is kept), and cells left
 *   unclassified join the species whose model validates them with ΔV < acceptError;
 * - tracks may cover different time spans (TrackPanel.start/end, `panelFromTracks(rows, {partial: true})`):
 *   each focal cell uses its own window, neighbours count while their track exists (1/N with N all
 *   tracks by default, `meanField: 'present'` for the cells present), tracks shorter than the
 *   test-function support 2m + 1 are reported (`tooShort`) and left unassigned.
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
  forceDistance,
  TRUE_FORCES,
  SPECIES_FORCES,
} from './library'
export type { LibraryOptions, ForceErrorOptions, BenchmarkSpecies } from './library'
export { finiteDifferenceVelocities, testFunction, testFunctionPower, meanChangePoint, chooseTestFunction, cellFeatures, weakSystem, decayFunction } from './weakform'
export type { ChangePointOptions } from './weakform'
export { mstls, defaultLambdas } from './regression'
export type { MstlsOptions, MstlsResult } from './regression'
export { prepareWsindy, constraintMatrix, learnCellModel } from './model'
export type { PrepareOptions, CellModelOptions } from './model'
export { validationError, neighbourInterpolant, neighbourTable, makeForce } from './simulate'
export type { ValidationOptions, NeighbourTable } from './simulate'
export { identifySpecies, identifySpeciesAsync, mergeSpecies } from './pipeline'
export type { SpeciesConfig, ReplacementOptions, Species, SpeciesResult, SpeciesRound, MergeCheck, SpeciesRunOptions } from './pipeline'
export { inThreadExecutor, runModelTask, runValidationTask } from './executor'
export type { CellExecutor, CellTaskOptions, ValidationTask } from './executor'
export { panelFromTracks } from './panel'
export type { TrackRows, PanelOptions, PanelResult } from './panel'
