/** Public face of the OT toolkit (SPEC §3). */
export type { PointCloud, Weights, GroundCost } from './types'
export { exactOt, emd, w2squared, linearAssignment, EXACT_OT_MAX_PAIRS } from './exact/index'
export type { AssignmentResult } from './exact/index'
export type { ExactOtProblem, ExactOtCloudProblem, ExactOtMatrixProblem, ExactOtConfig, ExactOtResult, ExactOtStatus, SparsePlan } from './exact/index'
export * from './sinkhorn/index'
