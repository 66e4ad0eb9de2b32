/**
 * JKOnet and iJKOnet (SPEC §4.3–4.4, GitHub issue 7): learning the energy of population dynamics
 * from unpaired snapshots through the JKO scheme, on TensorFlow.js (float32; wasm / tfjs-node).
 * Point clouds are `{ data: Float64Array (n×d row-major), n, d }`.
 *
 * - `trainIjkonet(problem, config, ctx, initialState?)` → `{ model: IjkonetModel, status, … }`
 *   (min–max inverse-JKO loss; variants 'ijkonet' | 'ijkonet-v' | 'ijkonet-tv').
 * - `trainJkonet(problem, config, ctx, initialState?)` → `{ model: JkonetModel, … }`
 *   (energy + ICNN inner JKO solve, implicit gradient; or method 'forward', the baseline).
 * - Models: `step`, `predictOneStep`, `rollout` (forecasts), `getState()` / `setState()` (all weights
 *   as plain Float32Arrays, for checkpoints and resume), `dispose()`.
 * - `ctx`: `{ signal?: AbortSignal, onProgress?: ({epoch, epochs, loss, validationEmd?}) => void }`;
 *   an abort throws CancelledError at the next iteration.
 * Data with known energies: engines/synth/potentials.ts; the JKOnet paper's trajectory tasks
 *   (line, semicircle, spiral): `jkonetTrajectoryData(task, {n, seed})` (tasks.ts).
 */
export { trainIjkonet, IjkonetModel } from './ijkonet'
export type { IjkonetConfig, IjkonetResult, IjkonetVariant } from './ijkonet'
export { trainJkonet, JkonetModel, implicitVectors, implicitSurrogate } from './jkonet'
export type { JkonetConfig, JkonetResult, InnerReport } from './jkonet'
export type { SnapshotProblem, TrainProgress, TrainContext, PointCloud } from './common'
export { oneStepEmd, splitSnapshots } from './common'
export { jkonetTrajectoryData, jkonetTrajectoryCurve } from './tasks'
export type { JkonetTrajectoryTask, JkonetTrajectoryConfig, JkonetTrajectoryData } from './tasks'
export { Mlp, Icnn, Adam, ParamSet, logAbsDet, batchJacobian, clipByGlobalNorm, selu, leaky } from './nn'
export type { MlpConfig, IcnnConfig, AdamConfig, Activation } from './nn'
