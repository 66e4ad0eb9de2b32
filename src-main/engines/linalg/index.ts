/**
 * Dense float64 linear algebra and small optimisation problems (SPEC §3, last item).
 *
 * - Matrix helpers: `Matrix = { data: Float64Array; rows; cols }`, row-major.
 * - Least squares by Householder QR with column pivoting (`lstsq`, `lstsqWeighted`, `qr`);
 *   rank deficiency is reported in the result.
 * - Cholesky (`cholesky`, `choleskySolve`, `solveSpd`, `invSpd`, `logDetSpd`).
 * - Symmetric eigendecomposition by cyclic Jacobi (`eigh`), `sqrtmPsd`, `invSqrtmPsd`.
 * - Convex QP with linear constraints by the Goldfarb–Idnani dual active-set method (`solveQp`),
 *   and `constrainedLstsq` (min ‖Gw − b‖² s.t. Cw ≤ d) for WSINDy.
 * - LP through HiGHS/WebAssembly (`solveLp`, async; `createLpSession` for warm-started sequences).
 */
export type { Matrix } from './matrix'
export {
  matrix,
  zeros,
  eye,
  diag,
  fromRows,
  toRows,
  colVector,
  copy,
  column,
  transpose,
  matmul,
  matmulTN,
  matmulNT,
  matvec,
  matvecT,
  add,
  sub,
  scale,
  symmetrize,
  trace,
  frobeniusNorm,
  maxAbsDiff,
  dot,
  norm2,
  assertMatrix,
} from './matrix'
export { qr, lstsq, lstsqWeighted } from './qr'
export type { QrOptions, QrResult, LstsqOptions, LstsqResult } from './qr'
export { cholesky, choleskySolve, solveSpd, invSpd, logDetSpd } from './cholesky'
export type { CholeskyResult } from './cholesky'
export { eigh, spectralFunction, sqrtmPsd, invSqrtmPsd, psdNoiseFloor } from './eigh'
export type { EighResult, InvSqrtmOptions } from './eigh'
export { solveQp, constrainedLstsq } from './qp'
export type { QpProblem, QpOptions, QpResult, QpStatus, ConstrainedLstsqOptions, ConstrainedLstsqResult } from './qp'
export { solveLp, createLpSession, writeLpText, getHighs, resetHighs } from './lp'
export type { LpModel, LpRow, LpCsrRows, LpOptions, LpResult, LpStatus, LpSession } from './lp'
