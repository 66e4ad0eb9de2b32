/**
 * QR least squares, Cholesky and the symmetric eigendecomposition against known answers:
 * planted solutions, normal equations on well-conditioned problems, reconstruction A = QΛQᵀ,
 * closed-form eigenvalues, rank-deficient problems with known minimum-norm solutions.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  cholesky,
  choleskySolve,
  eigh,
  eye,
  fromRows,
  invSpd,
  invSqrtmPsd,
  logDetSpd,
  lstsq,
  lstsqWeighted,
  matmul,
  matmulNT,
  matmulTN,
  matvec,
  maxAbsDiff,
  qr,
  solveSpd,
  sqrtmPsd,
  transpose,
  type Matrix,
} from '../../../../src-main/engines/linalg/index'
import { createRng, type Rng } from '../../../../src-main/engines/stats/random'

function randn(rng: Rng, rows: number, cols: number): Matrix {
  return { data: rng.normals(rows * cols), rows, cols }
}

function randomSpd(rng: Rng, n: number, shift = 1): Matrix {
  const A = randn(rng, n, n)
  const S = matmulTN(A, A)
  for (let i = 0; i < n; i++) S.data[i * n + i] += shift
  return S
}

/** Random symmetric with prescribed eigenvalues: Q diag(l) Qᵀ, Q from QR of a Gaussian matrix. */
function withEigenvalues(rng: Rng, l: number[]): { A: Matrix; Q: Matrix } {
  const n = l.length
  const Q = qr(randn(rng, n, n), { pivoting: false }).Q
  const QL = { data: Q.data.slice(), rows: n, cols: n }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) QL.data[i * n + j] *= l[j]
  const A = matmulNT(QL, Q)
  // exact symmetry
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A.data[j * n + i] = A.data[i * n + j]
  return { A, Q }
}

describe('QR and least squares', () => {
  it('qr reproduces A P = Q R with orthonormal Q and upper triangular R', () => {
    const rng = createRng(1)
    const A = randn(rng, 9, 5)
    const { Q, R, perm, rank } = qr(A)
    expect(rank).toBe(5)
    const QR = matmul(Q, R)
    for (let i = 0; i < 9; i++) for (let j = 0; j < 5; j++) expect(QR.data[i * 5 + j]).toBeCloseTo(A.data[i * 5 + perm[j]], 12)
    expect(maxAbsDiff(matmulTN(Q, Q), eye(5))).toBeLessThan(1e-13)
    for (let i = 0; i < 5; i++) for (let j = 0; j < i; j++) expect(R.data[i * 5 + j]).toBe(0)
    // pivoting makes |R_kk| non-increasing
    for (let k = 1; k < 5; k++) expect(Math.abs(R.data[k * 5 + k])).toBeLessThanOrEqual(Math.abs(R.data[(k - 1) * 5 + k - 1]) + 1e-12)
  })

  it('recovers a planted solution exactly (consistent system, several right-hand sides)', () => {
    const rng = createRng(2)
    const A = randn(rng, 40, 7)
    const X = randn(rng, 7, 3)
    const B = matmul(A, X)
    const res = lstsq(A, B)
    expect(res.rank).toBe(7)
    expect(res.rankDeficient).toBe(false)
    expect(maxAbsDiff(res.x, X)).toBeLessThan(1e-12)
    for (const r of res.residualNorms) expect(r).toBeLessThan(1e-12)
  })

  it('agrees with the normal equations on a well-conditioned noisy problem', () => {
    const rng = createRng(3)
    for (let trial = 0; trial < 5; trial++) {
      const A = randn(rng, 60, 6)
      const b = rng.normals(60)
      const res = lstsq(A, b)
      const xNe = solveSpd(matmulTN(A, A), { data: matvec(transpose(A), b), rows: 6, cols: 1 })
      expect(maxAbsDiff(res.x, xNe)).toBeLessThan(1e-12)
      // residual is orthogonal to range(A) and its norm is reported correctly
      const r = matvec(A, res.x.data).map((v, i) => v - b[i])
      const Atr = matvec(transpose(A), r)
      for (const v of Atr) expect(Math.abs(v)).toBeLessThan(1e-11)
      expect(res.residualNorms[0]).toBeCloseTo(Math.hypot(...r), 12)
    }
  })

  it('rank-deficient: detects the rank and returns the minimum-norm solution', () => {
    // Columns: a, b, a + b (rank 2). Minimum-norm solution of A x = A [1, 2, 0]ᵀ is the projection
    // of [1, 2, 0] onto the row space, i.e. orthogonal to the null vector [1, 1, −1].
    const rng = createRng(4)
    const a = rng.normals(10), b = rng.normals(10)
    const A = { data: new Float64Array(30), rows: 10, cols: 3 }
    for (let i = 0; i < 10; i++) {
      A.data[i * 3] = a[i]
      A.data[i * 3 + 1] = b[i]
      A.data[i * 3 + 2] = a[i] + b[i]
    }
    const rhs = matvec(A, [1, 2, 0])
    const res = lstsq(A, rhs)
    expect(res.rank).toBe(2)
    expect(res.rankDeficient).toBe(true)
    expect(res.residualNorms[0]).toBeLessThan(1e-12)
    // x0 = [1,2,0] − ((1+2−0)/3)[1,1,−1] = [0, 1, 1]
    expect(Array.from(res.x.data).map((v) => +v.toFixed(10) + 0)).toEqual([0, 1, 1])
    // Basic solution: one coefficient zero, same fit.
    const basic = lstsq(A, rhs, { solution: 'basic' })
    expect(basic.residualNorms[0]).toBeLessThan(1e-12)
    expect(Array.from(basic.x.data).filter((v) => v === 0).length).toBe(1)
  })

  it('underdetermined system: minimum-norm solution equals Aᵀ(AAᵀ)⁻¹b', () => {
    const rng = createRng(5)
    const A = randn(rng, 3, 8)
    const b = rng.normals(3)
    const res = lstsq(A, b)
    expect(res.rank).toBe(3)
    const y = solveSpd(matmulNT(A, A), b)
    const xmn = matvec(transpose(A), y.data)
    for (let i = 0; i < 8; i++) expect(res.x.data[i]).toBeCloseTo(xmn[i], 12)
  })

  it('property: the normal equations Aᵀ(Ax − b) = 0 hold for any shape and rank (fast-check, seeded)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 8 }), fc.integer(), (m, n, rankCap, seed) => {
        const rng = createRng(seed)
        // A = U V with inner dimension k ≤ min(m, n): rank k (generically)
        const k = Math.max(1, Math.min(rankCap, m, n))
        const A = matmul(randn(rng, m, k), randn(rng, k, n))
        const b = rng.normals(m)
        const res = lstsq(A, b)
        expect(res.rank).toBe(k)
        const r = matvec(A, res.x.data).map((v, i) => v - b[i])
        const g = matvec(transpose(A), r)
        let scale = 1
        for (const v of A.data) scale = Math.max(scale, Math.abs(v))
        for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-10 * scale * scale * (1 + Math.hypot(...b)))
        // minimum norm: x lies in the row space of A, i.e. is orthogonal to its null space: x = Aᵀy for some y
        const y = lstsq(transpose(A), res.x.data)
        expect(y.residualNorms[0]).toBeLessThan(1e-8 * (1 + Math.hypot(...res.x.data)))
      }),
      { seed: 42, numRuns: 150 },
    )
  })

  it('zero matrix has rank 0 and solution 0', () => {
    const res = lstsq({ data: new Float64Array(6), rows: 3, cols: 2 }, new Float64Array([1, 2, 3]))
    expect(res.rank).toBe(0)
    expect(Array.from(res.x.data)).toEqual([0, 0])
    expect(res.residualNorms[0]).toBeCloseTo(Math.sqrt(14), 14)
  })

  it('weighted least squares equals the normal equations AᵀWA x = AᵀWb and ignores zero-weight rows', () => {
    const rng = createRng(6)
    const A = randn(rng, 30, 4)
    const b = rng.normals(30)
    const w = new Float64Array(30).map(() => rng.uniform() * 3)
    w[0] = 0
    b[0] = 1e6 // an outlier with zero weight must not matter
    const res = lstsqWeighted(A, b, w)
    const AtW = transpose(A)
    for (let j = 0; j < 4; j++) for (let i = 0; i < 30; i++) AtW.data[j * 30 + i] *= w[i]
    const x = solveSpd(matmul(AtW, A), matvec(AtW, b))
    expect(maxAbsDiff(res.x, x)).toBeLessThan(1e-10)
  })

  it('bad input throws invalid-input with what was expected', () => {
    expect(() => lstsq({ data: new Float64Array(5), rows: 2, cols: 3 }, new Float64Array(2))).toThrow(/expected A.data of length/)
    expect(() => lstsq(eye(3), new Float64Array(2))).toThrow(/expected B with 3 rows/)
    expect(() => lstsqWeighted(eye(2), new Float64Array(2), [1, -1])).toThrow(/non-negative weights/)
    expect(() => lstsq(fromRows([[1, NaN]]), new Float64Array(1))).toThrow(/finite/)
  })
})

describe('Cholesky', () => {
  it('factors, solves and inverts an SPD matrix', () => {
    const rng = createRng(7)
    const A = randomSpd(rng, 12)
    const ch = cholesky(A)
    expect(ch.positiveDefinite).toBe(true)
    expect(maxAbsDiff(matmulNT(ch.L, ch.L), A)).toBeLessThan(1e-12)
    const X = randn(rng, 12, 2)
    const B = matmul(A, X)
    expect(maxAbsDiff(choleskySolve(ch.L, B), X)).toBeLessThan(1e-11)
    expect(maxAbsDiff(matmul(A, invSpd(A)), eye(12))).toBeLessThan(1e-11)
  })

  it('log det matches the product of eigenvalues', () => {
    const { A } = withEigenvalues(createRng(8), [0.5, 2, 3, 7])
    expect(logDetSpd(A)).toBeCloseTo(Math.log(0.5 * 2 * 3 * 7), 12)
  })

  it('reports (not throws) an indefinite matrix; solveSpd throws a numerical error', () => {
    const A = fromRows([[1, 2], [2, 1]])
    const ch = cholesky(A)
    expect(ch.positiveDefinite).toBe(false)
    expect(ch.failedAt).toBe(1)
    expect(() => solveSpd(A, new Float64Array(2))).toThrow(/positive definite/)
  })
})

describe('symmetric eigendecomposition', () => {
  it('reconstructs A = QΛQᵀ to 1e-12 with orthonormal Q for d up to 100', () => {
    const rng = createRng(9)
    for (const n of [1, 2, 5, 30, 100]) {
      const M = randn(rng, n, n)
      const A = matmulTN(M, M)
      // make it indefinite too
      for (let i = 0; i < n; i++) A.data[i * n + i] -= n
      const { values, vectors, converged } = eigh(A)
      expect(converged).toBe(true)
      const QL = { data: vectors.data.slice(), rows: n, cols: n }
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) QL.data[i * n + j] *= values[j]
      const rec = matmulNT(QL, vectors)
      let scale = 0
      for (const v of A.data) scale = Math.max(scale, Math.abs(v))
      expect(maxAbsDiff(rec, A) / scale).toBeLessThan(1e-12)
      expect(maxAbsDiff(matmulTN(vectors, vectors), eye(n))).toBeLessThan(1e-12)
      for (let k = 1; k < n; k++) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1])
    }
  })

  it('recovers prescribed eigenvalues, including repeated ones', () => {
    const l = [-3, 0.001, 1, 1, 1, 2.5, 1e4]
    const { A } = withEigenvalues(createRng(10), l)
    const { values } = eigh(A)
    for (let k = 0; k < l.length; k++) expect(values[k]).toBeCloseTo(l[k], 9)
  })

  it('2×2 closed form', () => {
    const { values, vectors } = eigh(fromRows([[2, 1], [1, 2]]))
    expect(values[0]).toBeCloseTo(1, 15)
    expect(values[1]).toBeCloseTo(3, 15)
    expect(Math.abs(vectors.data[0 * 2 + 1])).toBeCloseTo(Math.SQRT1_2, 15)
  })

  it('sqrtmPsd squares back, invSqrtmPsd inverts it, and a singular PSD matrix gets a pseudo-inverse', () => {
    const rng = createRng(11)
    const S = randomSpd(rng, 8, 0.5)
    const R = sqrtmPsd(S)
    expect(maxAbsDiff(matmul(R, R), S)).toBeLessThan(1e-11)
    const Ri = invSqrtmPsd(S)
    expect(maxAbsDiff(matmul(R, Ri), eye(8))).toBeLessThan(1e-10)
    // rank one: v vᵀ, sqrt = v vᵀ/|v|, pseudo-inverse sqrt = v vᵀ/|v|³
    const v = [1, 2, 2]
    const P = fromRows(v.map((a) => v.map((b) => a * b)))
    const Rp = sqrtmPsd(P)
    const Rpi = invSqrtmPsd(P)
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        expect(Rp.data[i * 3 + j]).toBeCloseTo((v[i] * v[j]) / 3, 12)
        expect(Rpi.data[i * 3 + j]).toBeCloseTo((v[i] * v[j]) / 27, 12)
      }
    }
  })

  it('rejects a non-symmetric matrix', () => {
    expect(() => eigh(fromRows([[1, 2], [0, 1]]))).toThrow(/expected A to be symmetric/)
  })
})
