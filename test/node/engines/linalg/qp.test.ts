/**
 * The Goldfarb–Idnani QP against brute-force enumeration of active sets on small random problems,
 * textbook examples with published solutions, and the status paths (infeasible, ridge,
 * max-iterations, redundant equalities, cancellation).
 */
import { describe, expect, it } from 'vitest'
import {
  constrainedLstsq,
  fromRows,
  lstsq,
  matmulTN,
  matvec,
  solveQp,
  type Matrix,
  type QpProblem,
} from '../../../../src-main/engines/linalg/index'
import { createRng, type Rng } from '../../../../src-main/engines/stats/random'

function randn(rng: Rng, rows: number, cols: number): Matrix {
  return { data: rng.normals(rows * cols), rows, cols }
}

const objective = (H: Matrix, g: Float64Array, x: ArrayLike<number>) => {
  const Hx = matvec(H, x)
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i] * (0.5 * Hx[i] + g[i])
  return s
}

/**
 * Reference: enumerate every subset S of inequalities, solve the KKT system with E and C_S as
 * equalities, keep primal-feasible points with λ_S ≥ 0; the best one is the optimum (strictly convex).
 */
function bruteForce(p: QpProblem): { x: number[]; value: number } | null {
  const n = p.H.rows
  const m = p.C ? p.C.rows : 0
  const pe = p.E ? p.E.rows : 0
  let best: { x: number[]; value: number } | null = null
  for (let mask = 0; mask < 1 << m; mask++) {
    const rows: number[][] = []
    const rhs: number[] = []
    for (let i = 0; i < pe; i++) { rows.push(Array.from(p.E!.data.subarray(i * n, (i + 1) * n))); rhs.push(p.f![i]) }
    const S: number[] = []
    for (let i = 0; i < m; i++) if (mask & (1 << i)) { S.push(i); rows.push(Array.from(p.C!.data.subarray(i * n, (i + 1) * n))); rhs.push(p.d![i]) }
    const k = rows.length
    if (k > n) continue
    const K = new Float64Array((n + k) ** 2)
    const N = n + k
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K[i * N + j] = p.H.data[i * n + j]
    for (let a = 0; a < k; a++) for (let j = 0; j < n; j++) { K[(n + a) * N + j] = rows[a][j]; K[j * N + n + a] = rows[a][j] }
    const r = new Float64Array(N)
    for (let i = 0; i < n; i++) r[i] = -p.g[i]
    for (let a = 0; a < k; a++) r[n + a] = rhs[a]
    const sol = lstsq({ data: K, rows: N, cols: N }, r)
    if (sol.rank < N) continue
    const x = Array.from(sol.x.data.subarray(0, n))
    const lam = sol.x.data.subarray(n)
    let ok = true
    for (let a = pe; a < k; a++) if (lam[a] < -1e-7) ok = false
    const Cx = m ? matvec(p.C!, x) : []
    for (let i = 0; i < m; i++) if (Cx[i] > p.d![i] + 1e-7) ok = false
    if (!ok) continue
    const value = objective(p.H, p.g, x)
    if (!best || value < best.value) best = { x, value }
  }
  return best
}

function kktResidual(p: QpProblem, x: Float64Array, lam: Float64Array, nu: Float64Array): number {
  const n = x.length
  const r = matvec(p.H, x)
  for (let i = 0; i < n; i++) r[i] += p.g[i]
  if (p.C) { const t = matvec({ data: transposeData(p.C), rows: n, cols: p.C.rows }, lam); for (let i = 0; i < n; i++) r[i] += t[i] }
  if (p.E) { const t = matvec({ data: transposeData(p.E), rows: n, cols: p.E.rows }, nu); for (let i = 0; i < n; i++) r[i] += t[i] }
  return Math.max(...Array.from(r, Math.abs))
}

function transposeData(A: Matrix): Float64Array {
  const T = new Float64Array(A.rows * A.cols)
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) T[j * A.rows + i] = A.data[i * A.cols + j]
  return T
}

describe('solveQp', () => {
  it('matches brute-force active-set enumeration on 200 small random problems (some with duplicated constraints)', () => {
    const rng = createRng(42)
    let feasible = 0, infeasible = 0
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + rng.int(3)
      const m = 1 + rng.int(6)
      const pe = rng.int(2)
      const M = randn(rng, n, n)
      const H = matmulTN(M, M)
      for (let i = 0; i < n; i++) H.data[i * n + i] += 0.1
      let C = randn(rng, m, n)
      let d = rng.normals(m)
      if (trial % 3 === 0) {
        // degenerate: append a scaled copy of the first constraint (same half-space)
        C = { data: Float64Array.from([...C.data, ...C.data.subarray(0, n).map((v) => 2 * v)]), rows: m + 1, cols: n }
        d = Float64Array.from([...d, 2 * d[0]])
      }
      const problem: QpProblem = {
        H,
        g: rng.normals(n, 0, 3),
        C,
        d,
        E: pe ? randn(rng, pe, n) : null,
        f: pe ? rng.normals(pe) : null,
      }
      const ref = bruteForce(problem)
      const res = solveQp(problem)
      if (!ref) {
        expect(res.status).toBe('infeasible')
        infeasible++
        continue
      }
      feasible++
      expect(res.status).toBe('optimal')
      const scale = 1 + Math.max(...ref.x.map(Math.abs))
      for (let i = 0; i < n; i++) expect(Math.abs(res.x[i] - ref.x[i])).toBeLessThan(1e-8 * scale)
      expect(Math.abs(res.objective - ref.value)).toBeLessThan(1e-8 * (1 + Math.abs(ref.value)))
      expect(res.maxViolation).toBeLessThan(1e-8)
      expect(kktResidual(problem, res.x, res.multipliers, res.eqMultipliers)).toBeLessThan(1e-7)
      // complementary slackness and dual feasibility: λ ≥ 0, λ_i = 0 off the active set, active rows tight
      const Cx = matvec(problem.C!, res.x)
      const activeSet = new Set(res.active)
      for (let i = 0; i < problem.C!.rows; i++) {
        expect(res.multipliers[i]).toBeGreaterThanOrEqual(0)
        if (!activeSet.has(i)) expect(res.multipliers[i]).toBe(0)
        else expect(Math.abs(Cx[i] - problem.d![i])).toBeLessThan(1e-9 * scale * (1 + Math.abs(problem.d![i])))
      }
    }
    // the random family exercises both outcomes
    expect(feasible).toBeGreaterThan(100)
    expect(infeasible).toBeGreaterThan(5)
  })

  it('Nocedal & Wright Example 16.4: x* = (1.4, 1.7), one active constraint with λ = 0.8', () => {
    // min (x1 − 1)² + (x2 − 2.5)² s.t. x1 − 2x2 + 2 ≥ 0, −x1 − 2x2 + 6 ≥ 0, −x1 + 2x2 + 2 ≥ 0, x ≥ 0
    const res = solveQp({
      H: fromRows([[2, 0], [0, 2]]),
      g: new Float64Array([-2, -5]),
      C: fromRows([[-1, 2], [1, 2], [1, -2], [-1, 0], [0, -1]]),
      d: new Float64Array([2, 6, 2, 0, 0]),
    })
    expect(res.status).toBe('optimal')
    expect(res.x[0]).toBeCloseTo(1.4, 12)
    expect(res.x[1]).toBeCloseTo(1.7, 12)
    expect(Array.from(res.active)).toEqual([0])
    expect(res.multipliers[0]).toBeCloseTo(0.8, 12)
    expect(res.objective + 1 + 6.25).toBeCloseTo(0.8, 12) // f = 0.16 + 0.64
  })

  it("R quadprog's documented example (solve.QP help page)", () => {
    // min −(0,5,0)ᵀb + ½bᵀb s.t. Aᵀb ≥ (−8, 2, 0), A = [[−4,2,0],[−3,1,−2],[0,0,1]]
    const res = solveQp({
      H: fromRows([[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
      g: new Float64Array([0, -5, 0]),
      C: fromRows([[4, 3, 0], [-2, -1, 0], [0, 2, -1]]),
      d: new Float64Array([8, -2, 0]),
    })
    expect(res.status).toBe('optimal')
    expect(res.x[0]).toBeCloseTo(0.4761905, 6)
    expect(res.x[1]).toBeCloseTo(1.047619, 6)
    expect(res.x[2]).toBeCloseTo(2.0952381, 6)
    expect(res.objective).toBeCloseTo(-2.380952, 6)
    expect(res.multipliers[0]).toBeCloseTo(0, 10)
    expect(res.multipliers[1]).toBeCloseTo(0.2380952, 6)
    expect(res.multipliers[2]).toBeCloseTo(2.0952381, 6)
    expect(Array.from(res.active)).toEqual([1, 2])
  })

  it('equality constraints: min ‖x‖² s.t. Σx = 1 gives x = 1/n; a repeated equality is skipped as redundant', () => {
    const n = 5
    const H = { data: new Float64Array(n * n), rows: n, cols: n }
    for (let i = 0; i < n; i++) H.data[i * n + i] = 2
    const res = solveQp({ H, g: new Float64Array(n), E: fromRows([[1, 1, 1, 1, 1], [2, 2, 2, 2, 2]]), f: new Float64Array([1, 2]) })
    expect(res.status).toBe('optimal')
    for (const v of res.x) expect(v).toBeCloseTo(0.2, 12)
    expect(Array.from(res.redundantEqualities)).toEqual([1])
    expect(res.eqMultipliers[0]).toBeCloseTo(-0.4, 12)
  })

  it('reports infeasible constraints (x ≤ −1 and x ≥ 1), inconsistent equalities and 0·x ≤ −1', () => {
    const H = fromRows([[1]])
    expect(solveQp({ H, g: new Float64Array([0]), C: fromRows([[1], [-1]]), d: new Float64Array([-1, -1]) }).status).toBe('infeasible')
    expect(solveQp({ H, g: new Float64Array([0]), E: fromRows([[1], [2]]), f: new Float64Array([1, 3]) }).status).toBe('infeasible')
    expect(solveQp({ H, g: new Float64Array([0]), C: fromRows([[0]]), d: new Float64Array([-1]) }).status).toBe('infeasible')
  })

  it('semidefinite H gets a reported tiny ridge and the bounded solution', () => {
    // min ½x1² − x2 s.t. x2 ≤ 3, −x2 ≤ 0: x = (0, 3)
    const res = solveQp({ H: fromRows([[1, 0], [0, 0]]), g: new Float64Array([0, -1]), C: fromRows([[0, 1], [0, -1]]), d: new Float64Array([3, 0]) })
    expect(res.status).toBe('optimal')
    expect(res.ridge).toBeGreaterThan(0)
    expect(res.ridge).toBeLessThan(1e-9)
    expect(res.x[0]).toBeCloseTo(0, 8)
    expect(res.x[1]).toBeCloseTo(3, 8)
    expect(() => solveQp({ H: fromRows([[1, 0], [0, -1]]), g: new Float64Array(2) })).toThrow(/positive semidefinite/)
  })

  it('max-iterations is a status; an aborted signal cancels; progress is reported', () => {
    // 200 random constraints around a strictly feasible origin, unconstrained minimiser far outside.
    const rng = createRng(3)
    const n = 20
    const M = randn(rng, n, n)
    const H = matmulTN(M, M)
    for (let i = 0; i < n; i++) H.data[i * n + i] += 1
    const problem = { H, g: rng.normals(n, 0, 100), C: randn(rng, 200, n), d: new Float64Array(200).fill(1) }
    const r0 = solveQp(problem, { maxIter: 5 })
    expect(r0.status).toBe('max-iterations')
    expect(r0.converged).toBe(false)
    expect(r0.iterations).toBe(5)
    const ac = new AbortController()
    ac.abort()
    expect(() => solveQp(problem, {}, { signal: ac.signal })).toThrow(/Cancelled/)
    const fractions: number[] = []
    const full = solveQp(problem, {}, { onProgress: (p) => fractions.push(p.fraction) })
    expect(full.status).toBe('optimal')
    expect(full.iterations).toBeGreaterThan(32)
    expect(fractions.length).toBe(Math.floor(full.iterations / 16))
    expect(full.maxViolation).toBeLessThan(1e-10)
    expect(kktResidual(problem, full.x, full.multipliers, full.eqMultipliers)).toBeLessThan(1e-8)
  })
})

describe('constrainedLstsq', () => {
  it('recovers a planted sign-constrained solution and matches the brute-force QP', () => {
    const rng = createRng(5)
    for (let trial = 0; trial < 20; trial++) {
      const m = 40, n = 5
      const G = randn(rng, m, n)
      const wTrue = new Float64Array([1.5, -2, -0.5, 0.3, -1])
      const b = matvec(G, wTrue)
      // w2 ≤ 0, w4 ≤ 0 hold at the truth: exact recovery.
      const C = fromRows([[0, 1, 0, 0, 0], [0, 0, 0, 0, 1]])
      const exact = constrainedLstsq(G, b, C, new Float64Array(2))
      expect(exact.status).toBe('optimal')
      for (let j = 0; j < n; j++) expect(exact.x[j]).toBeCloseTo(wTrue[j], 10)
      expect(exact.residualNorm).toBeLessThan(1e-10)
      // Noisy data and a constraint violated by the truth (w0 ≤ 0): boundary solution = brute force.
      const bn = b.map((v) => v + 0.3 * rng.normal())
      const C2 = fromRows([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 1]])
      const res = constrainedLstsq(G, bn, C2, new Float64Array(3))
      const H = matmulTN(G, G)
      const g = matvec({ data: transposeData(G), rows: n, cols: m }, bn).map((v) => -v)
      const ref = bruteForce({ H, g, C: C2, d: new Float64Array(3) })!
      expect(res.status).toBe('optimal')
      for (let j = 0; j < n; j++) expect(res.x[j]).toBeCloseTo(ref.x[j], 8)
      expect(res.x[0]).toBeCloseTo(0, 9)
      expect(res.active).toContain(0)
    }
  })

  it('WSINDy-like ill-conditioned Laguerre basis: feasible and KKT-stationary', () => {
    // f(r) = Σ_l w_l L_l(αr) e^{−αr/2}, fit to 15(e^{−20r} − ¼e^{−10r}) + noise, subject to f(r_k) ≤ 0 on r ∈ [0.3, 2].
    const laguerre = (l: number, x: number) => {
      let p0 = 1, p1 = 1 - x
      if (l === 0) return p0
      for (let k = 1; k < l; k++) { const p2 = ((2 * k + 1 - x) * p1 - k * p0) / (k + 1); p0 = p1; p1 = p2 }
      return p1
    }
    const rng = createRng(8)
    const L = 40, alpha = 36, m = 600, K = 300
    const G = { data: new Float64Array(m * L), rows: m, cols: L }
    const b = new Float64Array(m)
    for (let i = 0; i < m; i++) {
      const r = 2 * rng.uniform()
      for (let l = 0; l < L; l++) G.data[i * L + l] = laguerre(l, alpha * r) * Math.exp((-alpha * r) / 2)
      b[i] = 15 * (Math.exp(-20 * r) - 0.25 * Math.exp(-10 * r)) + 0.01 * rng.normal()
    }
    const C = { data: new Float64Array(K * L), rows: K, cols: L }
    for (let k = 0; k < K; k++) {
      const r = 0.3 + (1.7 * k) / K
      for (let l = 0; l < L; l++) C.data[k * L + l] = laguerre(l, alpha * r) * Math.exp((-alpha * r) / 2)
    }
    const res = constrainedLstsq(G, b, C, new Float64Array(K))
    expect(res.status).toBe('optimal')
    expect(res.maxViolation).toBeLessThan(1e-9)
    // stationarity Gᵀ(Gw − b) + Cᵀλ = 0 relative to ‖Gᵀb‖∞
    const r = matvec(G, res.x).map((v, i) => v - b[i])
    const st = matvec({ data: transposeData(G), rows: L, cols: m }, r)
    const ct = matvec({ data: transposeData(C), rows: L, cols: K }, res.multipliers)
    const gb = Math.max(...Array.from(matvec({ data: transposeData(G), rows: L, cols: m }, b), Math.abs))
    for (let l = 0; l < L; l++) expect(Math.abs(st[l] + ct[l])).toBeLessThan(1e-9 * gb)
    // the fit stays at the noise level (σ = 0.01)
    expect(res.residualNorm / Math.sqrt(m)).toBeLessThan(0.02)
  })

  it('rank-deficient G gets a ridge and still returns a constrained least-squares fit', () => {
    const rng = createRng(6)
    const a = rng.normals(30)
    const G = { data: new Float64Array(60), rows: 30, cols: 2 }
    for (let i = 0; i < 30; i++) { G.data[2 * i] = a[i]; G.data[2 * i + 1] = a[i] }
    const b = a.map((v) => 2 * v)
    const res = constrainedLstsq(G, b, fromRows([[-1, 0]]), new Float64Array([-3])) // w0 ≥ 3
    expect(res.status).toBe('optimal')
    expect(res.ridge).toBeGreaterThan(0)
    expect(res.x[0]).toBeGreaterThanOrEqual(3 - 1e-9)
    expect(res.x[0] + res.x[1]).toBeCloseTo(2, 6)
    expect(res.residualNorm).toBeLessThan(1e-4)
  })
})
