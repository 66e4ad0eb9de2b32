/**
 * Exact optimal transport (network simplex, float64): `exactOt` for weighted point clouds or a
 * cost matrix, and the SPEC's metrics `emd` (W1) and `w2squared` (W2²).
 */
export { exactOt, emd, w2squared, EXACT_OT_MAX_PAIRS } from './solve'
export { linearAssignment, type AssignmentResult } from './assignment'
export type {
  ExactOtProblem,
  ExactOtCloudProblem,
  ExactOtMatrixProblem,
  ExactOtConfig,
  ExactOtResult,
  ExactOtStatus,
  SparsePlan,
} from './types'
