/**
 * Householder QR (optionally with column pivoting) and least squares.
 *
 * Problem: minimise ‖A X − B‖_F over X (n × k), A of shape m × n, B of shape m × k, in float64.
 * A P = Q R with P a column permutation chosen greedily by the largest remaining column norm
 * (Businger & Golub, 1965; Golub & Van Loan, "Matrix Computations", 4th ed., §5.4.1). The
 * numerical rank r is the number of |R_kk| > rcond · |R_00|. Full rank: X = P R⁻¹ Qᵀ B.
 * Rank deficient: by default the minimum-norm solution of the truncated problem
 * [R11 R12] z = (QᵀB)[0:r] (a second QR of [R11 R12]ᵀ, i.e. a complete orthogonal
 * decomposition, Golub & Van Loan §5.5.2), or the "basic" solution with z[r:n] = 0.
 * Rank deficiency is reported in the result (rank, rankDeficient), never thrown.
 */
import { invalidInput } from '@shared/errors'
import { assertFinite, assertMatrix, type Matrix } from './matrix'

const EPS = 2.220446049250313e-16

/** Internal compact Householder factorization. */
interface Householder {
  m: number
  n: number
  /** m × n; R in the upper triangle of the first `steps` rows. Entries below the diagonal are zero. */
  W: Float64Array
  /** Reflector k acts on rows k..m-1: H_k = I − beta_k v_k v_kᵀ. */
  vs: Float64Array[]
  betas: Float64Array
  /** Column j of A P is column perm[j] of A. */
  perm: Int32Array
  steps: number
}

function householder(A: Matrix, pivoting: boolean): Householder {
  const m = A.rows, n = A.cols
  const W = A.data.slice()
  const steps = Math.min(m, n)
  const vs: Float64Array[] = []
  const betas = new Float64Array(steps)
  const perm = new Int32Array(n)
  for (let j = 0; j < n; j++) perm[j] = j
  // Remaining column norms² (downdated after each step as in LAPACK xGEQP3; recomputed exactly when
  // cancellation makes the downdated value unreliable).
  const colNorm2 = new Float64Array(n)
  const refNorm2 = new Float64Array(n)
  const s = new Float64Array(n)
  const recompute = (j: number, k: number) => {
    let t = 0
    for (let i = k; i < m; i++) t += W[i * n + j] * W[i * n + j]
    colNorm2[j] = t
    refNorm2[j] = t
  }
  if (pivoting) for (let j = 0; j < n; j++) recompute(j, 0)
  for (let k = 0; k < steps; k++) {
    if (pivoting) {
      let best = k
      for (let j = k + 1; j < n; j++) if (colNorm2[j] > colNorm2[best]) best = j
      if (best !== k) {
        for (let i = 0; i < m; i++) {
          const o = i * n
          const t = W[o + k]; W[o + k] = W[o + best]; W[o + best] = t
        }
        const t = perm[k]; perm[k] = perm[best]; perm[best] = t
        const c2 = colNorm2[k]; colNorm2[k] = colNorm2[best]; colNorm2[best] = c2
        const r2 = refNorm2[k]; refNorm2[k] = refNorm2[best]; refNorm2[best] = r2
      }
    }
    // Reflector for x = W[k:m, k].
    const len = m - k
    const v = new Float64Array(len)
    let scale = 0
    for (let i = 0; i < len; i++) {
      v[i] = W[(k + i) * n + k]
      scale = Math.max(scale, Math.abs(v[i]))
    }
    if (scale === 0) {
      vs.push(v)
      betas[k] = 0
      continue
    }
    let ss = 0
    for (let i = 0; i < len; i++) { const t = v[i] / scale; ss += t * t }
    const normx = scale * Math.sqrt(ss)
    const x0 = v[0]
    const alpha = x0 >= 0 ? -normx : normx
    v[0] = x0 - alpha
    const beta = 1 / (normx * (normx + Math.abs(x0))) // = 2 / (vᵀv)
    betas[k] = beta
    vs.push(v)
    W[k * n + k] = alpha
    for (let i = 1; i < len; i++) W[(k + i) * n + k] = 0
    // Apply to the remaining columns k+1..n-1.
    if (k + 1 < n) {
      s.fill(0, k + 1)
      for (let i = 0; i < len; i++) {
        const vi = v[i]
        if (vi === 0) continue
        const o = (k + i) * n
        for (let j = k + 1; j < n; j++) s[j] += vi * W[o + j]
      }
      for (let i = 0; i < len; i++) {
        const f = beta * v[i]
        if (f === 0) continue
        const o = (k + i) * n
        for (let j = k + 1; j < n; j++) W[o + j] -= f * s[j]
      }
    }
    if (pivoting) {
      for (let j = k + 1; j < n; j++) {
        const rkj = W[k * n + j]
        const t = colNorm2[j] - rkj * rkj
        if (t <= 1e-8 * refNorm2[j]) recompute(j, k + 1)
        else colNorm2[j] = t
      }
    }
  }
  return { m, n, W, vs, betas, perm, steps }
}

/** In place: Y (m × p, row-major) := Qᵀ Y. */
function applyQt(h: Householder, Y: Float64Array, p: number): void {
  const s = new Float64Array(p)
  for (let k = 0; k < h.steps; k++) applyReflector(h.vs[k], h.betas[k], k, Y, p, s)
}

/** In place: Y (m × p, row-major) := Q Y. */
function applyQ(h: Householder, Y: Float64Array, p: number): void {
  const s = new Float64Array(p)
  for (let k = h.steps - 1; k >= 0; k--) applyReflector(h.vs[k], h.betas[k], k, Y, p, s)
}

function applyReflector(v: Float64Array, beta: number, k: number, Y: Float64Array, p: number, s: Float64Array): void {
  if (beta === 0) return
  s.fill(0)
  for (let i = 0; i < v.length; i++) {
    const vi = v[i]
    if (vi === 0) continue
    const o = (k + i) * p
    for (let j = 0; j < p; j++) s[j] += vi * Y[o + j]
  }
  for (let i = 0; i < v.length; i++) {
    const f = beta * v[i]
    if (f === 0) continue
    const o = (k + i) * p
    for (let j = 0; j < p; j++) Y[o + j] -= f * s[j]
  }
}

function numericalRank(h: Householder, rcond: number): number {
  const n = h.n
  const r00 = h.steps > 0 ? Math.abs(h.W[0]) : 0
  if (r00 === 0) return 0
  const tol = rcond * r00
  let r = 0
  // With pivoting |R_kk| is non-increasing; without it, count the leading run above tol.
  while (r < h.steps && Math.abs(h.W[r * n + r]) > tol) r++
  return r
}

// ---------------------------------------------------------------------------------------------

export interface QrOptions {
  /** Column pivoting (rank revealing). @default true */
  pivoting?: boolean
  /** Relative tolerance on |R_kk| / |R_00| below which a column counts as dependent. @default max(m, n) · 2.2e-16 */
  rcond?: number
}

export interface QrResult {
  /** Thin Q, m × p with p = min(m, n), orthonormal columns. */
  Q: Matrix
  /** p × n upper triangular (trapezoidal) factor of A P. */
  R: Matrix
  /** A P = Q R, where column j of A P is column perm[j] of A. */
  perm: Int32Array
  /** Numerical rank (see `rcond`). */
  rank: number
}

/** Householder QR: A P = Q R (P = I when pivoting is off). A: m × n. */
export function qr(A: Matrix, options: QrOptions = {}): QrResult {
  assertMatrix(A, 'A')
  const h = householder(A, options.pivoting ?? true)
  const { m, n, steps: p } = h
  const R = new Float64Array(p * n)
  for (let i = 0; i < p; i++) for (let j = i; j < n; j++) R[i * n + j] = h.W[i * n + j]
  const Q = new Float64Array(m * p)
  for (let i = 0; i < p; i++) Q[i * p + i] = 1
  applyQ(h, Q, p)
  const rank = numericalRank(h, options.rcond ?? Math.max(m, n) * EPS)
  return { Q: { data: Q, rows: m, cols: p }, R: { data: R, rows: p, cols: n }, perm: h.perm, rank }
}

export interface LstsqOptions {
  /** Relative tolerance on |R_kk| / |R_00| for the numerical rank. @default max(m, n) · 2.2e-16 */
  rcond?: number
  /**
   * Which solution when A is rank deficient: the minimum-norm one (as numpy.linalg.lstsq /
   * LAPACK gelsy) or the basic one (dependent pivoted columns get coefficient 0).
   * Ignored when A has full column rank. @default 'min-norm'
   */
  solution?: 'min-norm' | 'basic'
}

export interface LstsqResult {
  /** n × k solution (k = columns of B; 1 when B is a vector). */
  x: Matrix
  /** Numerical rank of A (of W^{1/2} A for the weighted variant). */
  rank: number
  /** rank < n. */
  rankDeficient: boolean
  /** Per right-hand side, ‖A x_j − b_j‖₂ (weighted: ‖W^{1/2}(A x_j − b_j)‖₂). */
  residualNorms: Float64Array
  /** |R_kk| in pivot order (length min(m, n)): how close to dependent each pivoted column is. */
  diagR: Float64Array
  /** |R_{r−1,r−1}| / |R_00| (a cheap inverse-condition estimate of the retained part; 0 when rank 0). */
  rcondEstimate: number
  /** Pivot order: column j of A P is column perm[j] of A. */
  perm: Int32Array
}

/**
 * Least squares min ‖A X − B‖ by Householder QR with column pivoting.
 * A: m × n (any m, n); B: m × k matrix or a length-m vector. Cost O(m n² + m n k).
 */
export function lstsq(A: Matrix, B: Matrix | Float64Array, options: LstsqOptions = {}): LstsqResult {
  assertMatrix(A, 'A')
  const Bm = toRhs(B, A.rows)
  return lstsqCore(A, Bm, options)
}

/**
 * Weighted least squares min Σ_i w_i ‖A_i X − B_i‖² (A_i, B_i the i-th rows), w_i ≥ 0, solved as
 * the ordinary problem for rows scaled by √w_i. Rows with w_i = 0 are ignored.
 */
export function lstsqWeighted(A: Matrix, B: Matrix | Float64Array, w: ArrayLike<number>, options: LstsqOptions = {}): LstsqResult {
  assertMatrix(A, 'A')
  const Bm = toRhs(B, A.rows)
  if (w.length !== A.rows) throw invalidInput(`expected ${A.rows} weights (one per row of A), got ${w.length}`)
  const m = A.rows, n = A.cols, k = Bm.cols
  const As = new Float64Array(m * n)
  const Bs = new Float64Array(m * k)
  for (let i = 0; i < m; i++) {
    const wi = w[i]
    if (!(wi >= 0) || !Number.isFinite(wi)) throw invalidInput(`expected finite non-negative weights, got ${wi} at row ${i}`)
    const sq = Math.sqrt(wi)
    for (let j = 0; j < n; j++) As[i * n + j] = sq * A.data[i * n + j]
    for (let j = 0; j < k; j++) Bs[i * k + j] = sq * Bm.data[i * k + j]
  }
  return lstsqCore({ data: As, rows: m, cols: n }, { data: Bs, rows: m, cols: k }, options)
}

function toRhs(B: Matrix | Float64Array, m: number): Matrix {
  const Bm: Matrix = B instanceof Float64Array ? { data: B, rows: B.length, cols: 1 } : B
  if (!(B instanceof Float64Array)) assertMatrix(Bm, 'B')
  else assertFinite(B, 'b')
  if (Bm.rows !== m) throw invalidInput(`expected B with ${m} rows (as many as A), got ${Bm.rows}`)
  return Bm
}

function lstsqCore(A: Matrix, B: Matrix, options: LstsqOptions): LstsqResult {
  const m = A.rows, n = A.cols, k = B.cols
  const rcond = options.rcond ?? Math.max(m, n) * EPS
  const h = householder(A, true)
  const rank = numericalRank(h, rcond)
  const C = B.data.slice()
  applyQt(h, C, k)
  const W = h.W
  const z = new Float64Array(n * k)
  if (rank === n || (rank > 0 && options.solution === 'basic')) {
    // Back substitution with R11 (rank × rank); z[rank:n] = 0.
    backSubUpper(W, n, rank, C, k, z)
  } else if (rank > 0) {
    // Minimum norm: S = [R11 R12] (rank × n). Sᵀ = Q2 R2 (R2: rank × rank upper); S z = c ⇔ R2ᵀ (Q2ᵀ z) = c.
    const St = new Float64Array(n * rank)
    for (let i = 0; i < rank; i++) for (let j = i; j < n; j++) St[j * rank + i] = W[i * n + j]
    const h2 = householder({ data: St, rows: n, cols: rank }, false)
    const R2 = h2.W
    // y = R2⁻ᵀ c (forward substitution, R2ᵀ is lower triangular).
    const y = new Float64Array(n * k)
    for (let i = 0; i < rank; i++) {
      const rii = R2[i * rank + i]
      for (let c = 0; c < k; c++) {
        let s = C[i * k + c]
        for (let p = 0; p < i; p++) s -= R2[p * rank + i] * y[p * k + c]
        y[i * k + c] = s / rii
      }
    }
    applyQ(h2, y, k)
    z.set(y)
  }
  // Undo the permutation.
  const x = new Float64Array(n * k)
  for (let j = 0; j < n; j++) {
    const pj = h.perm[j]
    for (let c = 0; c < k; c++) x[pj * k + c] = z[j * k + c]
  }
  // True residual norms.
  const residualNorms = new Float64Array(k)
  const res = new Float64Array(k)
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < k; c++) res[c] = -B.data[i * k + c]
    for (let j = 0; j < n; j++) {
      const a = A.data[i * n + j]
      if (a === 0) continue
      for (let c = 0; c < k; c++) res[c] += a * x[j * k + c]
    }
    for (let c = 0; c < k; c++) residualNorms[c] += res[c] * res[c]
  }
  for (let c = 0; c < k; c++) residualNorms[c] = Math.sqrt(residualNorms[c])
  const diagR = new Float64Array(h.steps)
  for (let i = 0; i < h.steps; i++) diagR[i] = Math.abs(W[i * n + i])
  const rcondEstimate = rank === 0 ? 0 : diagR[rank - 1] / diagR[0]
  return { x: { data: x, rows: n, cols: k }, rank, rankDeficient: rank < n, residualNorms, diagR, rcondEstimate, perm: h.perm }
}

/** z[0:r] = R[0:r,0:r]⁻¹ C[0:r] (R stored in W with row stride n); C, z: row-major with k columns. */
function backSubUpper(W: Float64Array, n: number, r: number, C: Float64Array, k: number, z: Float64Array): void {
  for (let i = r - 1; i >= 0; i--) {
    const rii = W[i * n + i]
    for (let c = 0; c < k; c++) {
      let s = C[i * k + c]
      for (let p = i + 1; p < r; p++) s -= W[i * n + p] * z[p * k + c]
      z[i * k + c] = s / rii
    }
  }
}

/**
 * Internal (used by constrainedLstsq): thin unpivoted QR of A (m ≥ n) returning the n × n upper
 * factor R and c = (Qᵀ b)[0:n], so that ‖A x − b‖² = ‖R x − c‖² + const.
 */
export function qrReduce(A: Matrix, b: Float64Array): { R: Float64Array; c: Float64Array; diagMin: number; diagMax: number } {
  const n = A.cols
  const h = householder(A, false)
  const y = b.slice()
  applyQt(h, y, 1)
  const R = new Float64Array(n * n)
  let diagMin = Infinity, diagMax = 0
  for (let i = 0; i < Math.min(n, h.steps); i++) {
    for (let j = i; j < n; j++) R[i * n + j] = h.W[i * n + j]
    const d = Math.abs(R[i * n + i])
    diagMin = Math.min(diagMin, d)
    diagMax = Math.max(diagMax, d)
  }
  if (h.steps < n) diagMin = 0
  return { R, c: y.subarray(0, n).slice(), diagMin, diagMax }
}
