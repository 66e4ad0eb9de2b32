/**
 * Cholesky factorization A = L Lᵀ of a symmetric positive definite matrix, solves and inverse.
 * Only the lower triangle of A is read. Cost n³/3. (Golub & Van Loan, §4.2.)
 */
import { invalidInput, numericalError } from '@shared/errors'
import { assertMatrix, assertSquare, type Matrix } from './matrix'

export interface CholeskyResult {
  /** Lower triangular n × n factor (upper triangle zero). Valid only in rows < failedAt when not positive definite. */
  L: Matrix
  positiveDefinite: boolean
  /** Index of the first non-positive pivot, −1 when positive definite. */
  failedAt: number
}

/** A = L Lᵀ. Not positive definite is reported (positiveDefinite: false), not thrown. */
export function cholesky(A: Matrix): CholeskyResult {
  assertMatrix(A, 'A')
  assertSquare(A, 'A')
  const n = A.rows
  const a = A.data
  const L = new Float64Array(n * n)
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j]
    for (let p = 0; p < j; p++) s -= L[j * n + p] * L[j * n + p]
    if (!(s > 0)) return { L: { data: L, rows: n, cols: n }, positiveDefinite: false, failedAt: j }
    const ljj = Math.sqrt(s)
    L[j * n + j] = ljj
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j]
      for (let p = 0; p < j; p++) t -= L[i * n + p] * L[j * n + p]
      L[i * n + j] = t / ljj
    }
  }
  return { L: { data: L, rows: n, cols: n }, positiveDefinite: true, failedAt: -1 }
}

/** Solves L Lᵀ X = B given the Cholesky factor L (n × n lower). B: n × k matrix or length-n vector. */
export function choleskySolve(L: Matrix, B: Matrix | Float64Array): Matrix {
  const n = L.rows
  const Bm: Matrix = B instanceof Float64Array ? { data: B, rows: B.length, cols: 1 } : B
  if (Bm.rows !== n) throw invalidInput(`expected B with ${n} rows, got ${Bm.rows}`)
  const k = Bm.cols
  const l = L.data
  const X = Bm.data.slice()
  // Forward: L Y = B.
  for (let i = 0; i < n; i++) {
    const lii = l[i * n + i]
    for (let c = 0; c < k; c++) {
      let s = X[i * k + c]
      for (let p = 0; p < i; p++) s -= l[i * n + p] * X[p * k + c]
      X[i * k + c] = s / lii
    }
  }
  // Backward: Lᵀ X = Y.
  for (let i = n - 1; i >= 0; i--) {
    const lii = l[i * n + i]
    for (let c = 0; c < k; c++) {
      let s = X[i * k + c]
      for (let p = i + 1; p < n; p++) s -= l[p * n + i] * X[p * k + c]
      X[i * k + c] = s / lii
    }
  }
  return { data: X, rows: n, cols: k }
}

function factorOrThrow(A: Matrix): Matrix {
  const ch = cholesky(A)
  if (!ch.positiveDefinite) {
    throw numericalError(`expected a symmetric positive definite matrix, got a non-positive pivot at index ${ch.failedAt} (of ${A.rows})`)
  }
  return ch.L
}

/** X = A⁻¹ B for symmetric positive definite A (throws a numerical error when A is not SPD). */
export function solveSpd(A: Matrix, B: Matrix | Float64Array): Matrix {
  return choleskySolve(factorOrThrow(A), B)
}

/** A⁻¹ for a small symmetric positive definite A (symmetric result). */
export function invSpd(A: Matrix): Matrix {
  const L = factorOrThrow(A)
  const n = A.rows
  const I = new Float64Array(n * n)
  for (let i = 0; i < n; i++) I[i * n + i] = 1
  const X = choleskySolve(L, { data: I, rows: n, cols: n })
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (X.data[i * n + j] + X.data[j * n + i])
      X.data[i * n + j] = v
      X.data[j * n + i] = v
    }
  }
  return X
}

/** log det A for SPD A, from the Cholesky factor. */
export function logDetSpd(A: Matrix): number {
  const L = factorOrThrow(A)
  let s = 0
  for (let i = 0; i < A.rows; i++) s += Math.log(L.data[i * A.rows + i])
  return 2 * s
}
