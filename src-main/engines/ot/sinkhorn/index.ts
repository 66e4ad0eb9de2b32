/**
 * Entropic OT on TensorFlow.js tensors: log-domain Sinkhorn with ε-scaling, the debiased
 * Sinkhorn divergence S_ε (single pair and batches) with envelope-theorem gradients, chunked
 * (online) kernels for large clouds, and a float64 plain-TypeScript reference.
 * On the wasm / cpu backends the tensor API solves by default with the CPU path: stabilised
 * sparse-kernel Sinkhorn in float64 typed arrays (stabilised.ts), also callable directly on
 * point clouds (cpu.ts).
 *
 * Conventions: c(x, y) = ‖x − y‖²/2 (p = 2, default) or ‖x − y‖ (p = 1); ε = `eps`, or ε = blur^p;
 * OT_ε is the dual value ⟨a, f⟩ + ⟨b, g⟩ (entropic term included), as in geomloss.
 */
export { sinkhorn, transportPlan, DEFAULT_MEMORY_BUDGET as SINKHORN_DEFAULT_MEMORY_BUDGET } from './sinkhorn'
export type { SinkhornConfig, SinkhornResult, KernelMode as SinkhornKernelMode, SinkhornPath, SinkhornSolver } from './sinkhorn'
export {
  sinkhornDivergence,
  sinkhornDivergenceWithReport,
  sinkhornDivergenceBatch,
  sinkhornDivergenceBatchWithReport,
} from './divergence'
export type { DivergenceReport as SinkhornDivergenceReport, DivergenceResult as SinkhornDivergenceResult } from './divergence'
export { epsilonSchedule, resolveOptions as resolveSinkhornOptions } from './config'
export type { SinkhornOptions } from './config'
export { sinkhornLogCpu, sinkhornDivergenceCpu } from './reference'
export type { CpuSinkhornOptions, CpuSinkhornResult } from './reference'
export { sinkhornStabilisedCpu, sinkhornDivergenceStabilisedCpu } from './cpu'
export type { StabilisedSinkhornOptions, StabilisedSinkhornResult, StabilisedDivergenceResult } from './cpu'
