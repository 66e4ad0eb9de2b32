/**
 * WLM — Wasserstein Lagrangian Mechanics (SPEC §4.5; Guan et al., "Wasserstein Lagrangian
 * Mechanics", papers/003; reference code guanton/WLM, restated in research/peers.md §2).
 *
 * Learns a population potential energy U_θ(X) (a set function: self-attention network) and a
 * friction γ from snapshots, such that particles moving by dx/dt = v, dv/dt = −N ∇_{x_i} U_θ(X) − γ v
 * from μ_0 (with initial velocities) reproduce the later snapshots; then forecasts, interpolates
 * held-out snapshots and simulates new populations.
 *
 *   const { model } = await trainWlm({ snapshots, times, velocities }, { epochs: 500 })
 *   const traj = model.simulate(x0, v0, t0, [t1, t2, …])      // forecast / interpolate / new population
 *   const cp = { spec: model.spec, state: model.getState() }  // checkpoint; new WlmModel(cp.spec).setState(cp.state)
 *
 * Point clouds: { data: Float64Array (n × d, row-major), n, d }. Tensors are float32.
 *
 * Files: network.ts (U_θ), ops.ts (twice-differentiable exp/softmax/GELU/LayerNorm — tfjs 4.22's
 * tf.exp/sigmoid/tanh/softmax have wrong second derivatives), integrator.ts (damped leapfrog),
 * train.ts (loss, roll-out, AdamW, EMA, checkpoints), model.ts (weights, state, simulation),
 * velocity.ts (OT initial velocities), uses.ts (forecast / interpolation protocols with W1).
 *
 * Cost on CPU (wasm, 1 thread): each force evaluation inside training is a forward + backward
 * pass of the attention network and the loss back-propagates through all of them, ≈ 1 000 tfjs
 * kernels per force evaluation for the 1-layer test network; tfjs's per-kernel overhead dominates
 * at small batches (≈ 25–60 ms per roll-out step for H 16–32, B ≤ 128). Defaults are CPU-sized:
 * H 32, 2 heads, 2 layers, FF 64, B 128, 500 epochs, lr 1e-3 (the paper: H 64, 4 heads, 4 layers,
 * FF 512, 10⁴–10⁵ epochs at lr 1e-4 on a GPU).
 */
export { trainWlm, estimateBlur, checkProblem } from './train'
export type { WlmProblem, WlmTrainConfig, WlmTrainContext, WlmTrainResult, WlmProgress, WlmCheckpoint, WlmValidation, InitialVelocity } from './train'
export { WlmModel } from './model'
export type { WlmModelSpec, WlmState, SimulateOptions, Trajectory } from './model'
export { DEFAULT_ARCHITECTURE, resolveArchitecture, particleEnergies, populationEnergy, potentialForce, initialParameters, parameterShapes } from './network'
export type { WlmArchitecture, Params } from './network'
export { leapfrog, rollout, initialState, stepsFor } from './integrator'
export type { IntegratorScheme, ForceFn, PhaseState } from './integrator'
export { otVelocity } from './velocity'
export { forecast, interpolateHeldOut } from './uses'
export type { ForecastResult, InterpolationResult } from './uses'
