/**
 * Dense float64 matrices, row-major: entry (i, j) of `A` is `A.data[i * A.cols + j]`.
 *
 * Small helpers only (construction, products, transpose, norms, validation). The
 * factorizations live in their own files; everything is re-exported from `index.ts`.
 */
import { invalidInput } from '@shared/errors'

/** A dense row-major float64 matrix of shape rows × cols. */
export interface Matrix {
  data: Float64Array
  rows: number
  cols: number
}

/** A new rows × cols matrix; `data` (row-major, length rows·cols) is used as is when given. */
export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw invalidInput(`expected non-negative integer matrix dimensions, got ${rows} × ${cols}`)
  }
  if (data && data.length !== rows * cols) {
    throw invalidInput(`expected data of length ${rows}·${cols} = ${rows * cols}, got ${data.length}`)
  }
  return { data: data ?? new Float64Array(rows * cols), rows, cols }
}

export const zeros = (rows: number, cols: number): Matrix => matrix(rows, cols)

export function eye(n: number): Matrix {
  const m = matrix(n, n)
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1
  return m
}

/** From nested arrays (all rows the same length). */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const r = rows.length
  const c = r === 0 ? 0 : rows[0].length
  const m = matrix(r, c)
  for (let i = 0; i < r; i++) {
    if (rows[i].length !== c) throw invalidInput(`expected every row to have ${c} entries, got ${rows[i].length} in row ${i}`)
    for (let j = 0; j < c; j++) m.data[i * c + j] = rows[i][j]
  }
  return m
}

export function toRows(A: Matrix): number[][] {
  const out: number[][] = []
  for (let i = 0; i < A.rows; i++) out.push(Array.from(A.data.subarray(i * A.cols, (i + 1) * A.cols)))
  return out
}

/** A column vector (n × 1) sharing `x`'s storage. */
export const colVector = (x: Float64Array): Matrix => ({ data: x, rows: x.length, cols: 1 })

/** The diagonal matrix diag(v). */
export function diag(v: ArrayLike<number>): Matrix {
  const n = v.length
  const m = matrix(n, n)
  for (let i = 0; i < n; i++) m.data[i * n + i] = v[i]
  return m
}

export const copy = (A: Matrix): Matrix => ({ data: A.data.slice(), rows: A.rows, cols: A.cols })

export function column(A: Matrix, j: number): Float64Array {
  const out = new Float64Array(A.rows)
  for (let i = 0; i < A.rows; i++) out[i] = A.data[i * A.cols + j]
  return out
}

export function transpose(A: Matrix): Matrix {
  const { rows: m, cols: n, data } = A
  const T = new Float64Array(m * n)
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) T[j * m + i] = data[i * n + j]
  return { data: T, rows: n, cols: m }
}

/** C = A B. */
export function matmul(A: Matrix, B: Matrix): Matrix {
  if (A.cols !== B.rows) throw invalidInput(`matmul: expected A.cols = B.rows, got ${A.rows}×${A.cols} times ${B.rows}×${B.cols}`)
  const m = A.rows, k = A.cols, n = B.cols
  const a = A.data, b = B.data
  const c = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    const ci = i * n
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]
      if (aip === 0) continue
      const bp = p * n
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j]
    }
  }
  return { data: c, rows: m, cols: n }
}

/** C = Aᵀ B without forming Aᵀ. */
export function matmulTN(A: Matrix, B: Matrix): Matrix {
  if (A.rows !== B.rows) throw invalidInput(`matmulTN: expected A.rows = B.rows, got ${A.rows}×${A.cols} and ${B.rows}×${B.cols}`)
  const m = A.rows, k = A.cols, n = B.cols
  const a = A.data, b = B.data
  const c = new Float64Array(k * n)
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]
      if (aip === 0) continue
      const cp = p * n, bi = i * n
      for (let j = 0; j < n; j++) c[cp + j] += aip * b[bi + j]
    }
  }
  return { data: c, rows: k, cols: n }
}

/** C = A Bᵀ without forming Bᵀ. */
export function matmulNT(A: Matrix, B: Matrix): Matrix {
  if (A.cols !== B.cols) throw invalidInput(`matmulNT: expected A.cols = B.cols, got ${A.rows}×${A.cols} and ${B.rows}×${B.cols}`)
  const m = A.rows, k = A.cols, n = B.rows
  const a = A.data, b = B.data
  const c = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p]
      c[i * n + j] = s
    }
  }
  return { data: c, rows: m, cols: n }
}

/** y = A x. */
export function matvec(A: Matrix, x: ArrayLike<number>): Float64Array {
  if (A.cols !== x.length) throw invalidInput(`matvec: expected x of length ${A.cols}, got ${x.length}`)
  const y = new Float64Array(A.rows)
  for (let i = 0; i < A.rows; i++) {
    let s = 0
    const o = i * A.cols
    for (let j = 0; j < A.cols; j++) s += A.data[o + j] * x[j]
    y[i] = s
  }
  return y
}

/** y = Aᵀ x. */
export function matvecT(A: Matrix, x: ArrayLike<number>): Float64Array {
  if (A.rows !== x.length) throw invalidInput(`matvecT: expected x of length ${A.rows}, got ${x.length}`)
  const y = new Float64Array(A.cols)
  for (let i = 0; i < A.rows; i++) {
    const xi = x[i]
    if (xi === 0) continue
    const o = i * A.cols
    for (let j = 0; j < A.cols; j++) y[j] += A.data[o + j] * xi
  }
  return y
}

export function add(A: Matrix, B: Matrix): Matrix {
  sameShape(A, B, 'add')
  const c = new Float64Array(A.data.length)
  for (let i = 0; i < c.length; i++) c[i] = A.data[i] + B.data[i]
  return { data: c, rows: A.rows, cols: A.cols }
}

export function sub(A: Matrix, B: Matrix): Matrix {
  sameShape(A, B, 'sub')
  const c = new Float64Array(A.data.length)
  for (let i = 0; i < c.length; i++) c[i] = A.data[i] - B.data[i]
  return { data: c, rows: A.rows, cols: A.cols }
}

export function scale(A: Matrix, s: number): Matrix {
  const c = new Float64Array(A.data.length)
  for (let i = 0; i < c.length; i++) c[i] = A.data[i] * s
  return { data: c, rows: A.rows, cols: A.cols }
}

/** (A + Aᵀ)/2 for a square A. */
export function symmetrize(A: Matrix): Matrix {
  assertSquare(A, 'symmetrize')
  const n = A.rows
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = 0.5 * (A.data[i * n + j] + A.data[j * n + i])
      out[i * n + j] = v
      out[j * n + i] = v
    }
  }
  return { data: out, rows: n, cols: n }
}

export function trace(A: Matrix): number {
  assertSquare(A, 'trace')
  let s = 0
  for (let i = 0; i < A.rows; i++) s += A.data[i * A.cols + i]
  return s
}

export function frobeniusNorm(A: Matrix): number {
  let s = 0
  for (let i = 0; i < A.data.length; i++) s += A.data[i] * A.data[i]
  return Math.sqrt(s)
}

/** max |A_ij − B_ij|. */
export function maxAbsDiff(A: Matrix, B: Matrix): number {
  sameShape(A, B, 'maxAbsDiff')
  let m = 0
  for (let i = 0; i < A.data.length; i++) m = Math.max(m, Math.abs(A.data[i] - B.data[i]))
  return m
}

export function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i] * y[i]
  return s
}

export function norm2(x: ArrayLike<number>): number {
  // Scaled to avoid overflow/underflow for extreme entries.
  let scale = 0
  for (let i = 0; i < x.length; i++) scale = Math.max(scale, Math.abs(x[i]))
  if (scale === 0 || !Number.isFinite(scale)) return scale
  let s = 0
  for (let i = 0; i < x.length; i++) {
    const v = x[i] / scale
    s += v * v
  }
  return scale * Math.sqrt(s)
}

// ---------------------------------------------------------------------------------------------
// Validation (bad input is an exception: "expected X, got Y")

export function assertMatrix(A: Matrix, name: string): void {
  if (!A || !(A.data instanceof Float64Array)) throw invalidInput(`expected ${name} to be a Matrix with Float64Array data, got ${typeof A}`)
  if (!Number.isInteger(A.rows) || !Number.isInteger(A.cols) || A.rows < 0 || A.cols < 0) {
    throw invalidInput(`expected ${name} to have non-negative integer dimensions, got ${A.rows} × ${A.cols}`)
  }
  if (A.data.length !== A.rows * A.cols) {
    throw invalidInput(`expected ${name}.data of length ${A.rows}·${A.cols} = ${A.rows * A.cols}, got ${A.data.length}`)
  }
  assertFinite(A.data, name)
}

export function assertFinite(x: ArrayLike<number>, name: string): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw invalidInput(`expected finite entries in ${name}, got ${x[i]} at index ${i}`)
  }
}

export function assertSquare(A: Matrix, name: string): void {
  if (A.rows !== A.cols) throw invalidInput(`expected ${name} to be square, got ${A.rows} × ${A.cols}`)
}

/** Throws unless A is symmetric to relative tolerance `rtol` (of max |A_ij|). */
export function assertSymmetric(A: Matrix, name: string, rtol = 1e-8): void {
  assertSquare(A, name)
  const n = A.rows
  let maxAbs = 0
  for (let i = 0; i < A.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(A.data[i]))
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const d = Math.abs(A.data[i * n + j] - A.data[j * n + i])
      if (d > rtol * maxAbs) {
        throw invalidInput(`expected ${name} to be symmetric, got |A[${i},${j}] − A[${j},${i}]| = ${d.toExponential(3)} (max |A| = ${maxAbs.toExponential(3)})`)
      }
    }
  }
}

function sameShape(A: Matrix, B: Matrix, op: string): void {
  if (A.rows !== B.rows || A.cols !== B.cols) {
    throw invalidInput(`${op}: expected equal shapes, got ${A.rows}×${A.cols} and ${B.rows}×${B.cols}`)
  }
}
