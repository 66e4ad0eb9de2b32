/**
 * Small dense convex quadratic programs by the dual active-set method of Goldfarb & Idnani.
 *
 * Problem:  minimise ½ xᵀ H x + gᵀ x   subject to   C x ≤ d  (m rows),   E x = f  (p rows),
 * x ∈ Rⁿ, H symmetric positive definite. A positive semidefinite H gets the smallest ridge
 * δ I (δ = 1e-12 · max(1, max H_ii) · 10^k) that makes it numerically definite; δ is reported.
 *
 * Method: D. Goldfarb & A. Idnani, "A numerically stable dual method for solving strictly convex
 * quadratic programs", Math. Programming 27 (1983) 1–33 (the algorithm behind R's quadprog and
 * QuadProg++). It starts at the unconstrained minimiser, adds the most violated constraint each
 * step, keeps the dual iterate feasible, and maintains J = L⁻ᵀ Q and R from the QR factorization
 * of L⁻¹ N (N the active normals, H = L Lᵀ) with Givens rotations. No feasible start is needed;
 * infeasibility is detected when no step can reduce a violation (status 'infeasible').
 *
 * Stopping rule: every constraint satisfied to `tol` (constraints are scaled to unit normals, so
 * `tol` is a distance relative to 1 + ‖x‖_∞); at most `maxIter` add/drop steps.
 *
 * Multipliers follow H x + g + Cᵀ λ + Eᵀ ν = 0 with λ ≥ 0 and λ_i (C_i x − d_i) = 0.
 */
import type { EngineContext } from '../common/context'
import { checkAborted } from '../common/context'
import { invalidInput } from '@shared/errors'
import { cholesky } from './cholesky'
import { assertFinite, assertMatrix, assertSymmetric, type Matrix } from './matrix'
import { qrReduce } from './qr'

export interface QpProblem {
  /** n × n symmetric positive (semi)definite Hessian. */
  H: Matrix
  /** Linear term, length n. */
  g: Float64Array
  /** m × n inequality matrix (C x ≤ d); omit for none. */
  C?: Matrix | null
  /** Length m right-hand side of the inequalities. */
  d?: Float64Array | null
  /** p × n equality matrix (E x = f); omit for none. */
  E?: Matrix | null
  /** Length p right-hand side of the equalities. */
  f?: Float64Array | null
}

export interface QpOptions {
  /** Feasibility tolerance (distance to each constraint's hyperplane, relative to 1 + ‖x‖_∞). @default 1e-12 */
  tol?: number
  /** Maximum number of add/drop steps. @default 10 · (n + m + p) + 100 */
  maxIter?: number
  /**
   * Ridge added to H: 'auto' adds the smallest δ I (δ = 1e-12 · max(1, max H_ii) · 10^k) that makes
   * H numerically positive definite (0 when it already is); a number adds exactly that.
   * @default 'auto'
   */
  ridge?: 'auto' | number
}

export type QpStatus = 'optimal' | 'infeasible' | 'max-iterations'

export interface QpResult {
  status: QpStatus
  /** status === 'optimal'. */
  converged: boolean
  /** Solution (the last iterate when not optimal), length n. */
  x: Float64Array
  /** ½ xᵀ H x + gᵀ x with the caller's H (without ridge). */
  objective: number
  /** Indices (into the rows of C) of the inequalities active at x, ascending. */
  active: Int32Array
  /** λ, length m: H x + g + Cᵀ λ + Eᵀ ν = 0, λ ≥ 0, zero for inactive rows. */
  multipliers: Float64Array
  /** ν, length p. */
  eqMultipliers: Float64Array
  /** Add/drop steps taken. */
  iterations: number
  /** Largest constraint violation max(0, max_i (C_i x − d_i), max_i |E_i x − f_i|) at x. */
  maxViolation: number
  /** Largest remaining violation (in scaled units) each time the most violated constraint was chosen. */
  errorHistory: number[]
  /** Ridge δ added to H (0 when none). */
  ridge: number
  /** Equality rows that were linearly dependent on earlier ones and consistent (skipped). */
  redundantEqualities: Int32Array
}

/** Solve the convex QP (see the module comment). Infeasible or non-converged is a status, not a throw. */
export function solveQp(problem: QpProblem, options: QpOptions = {}, ctx?: EngineContext): QpResult {
  const { H, g } = problem
  assertMatrix(H, 'H')
  assertSymmetric(H, 'H')
  const n = H.rows
  if (!(g instanceof Float64Array) || g.length !== n) throw invalidInput(`expected g as a Float64Array of length ${n}, got length ${g?.length}`)
  assertFinite(g, 'g')
  const cons = prepareConstraints(problem, n)
  const { U, ridge } = factorWithRidge(H, options.ridge ?? 'auto')
  const res = goldfarbIdnani(U, n, g, cons, options, ctx)
  res.ridge = ridge
  res.objective = quadObjective(H, g, res.x)
  return res
}

export interface ConstrainedLstsqOptions extends QpOptions {
  /** Optional equality constraints E w = f. */
  E?: Matrix | null
  f?: Float64Array | null
}

export interface ConstrainedLstsqResult extends QpResult {
  /** ‖G w − b‖₂ at the returned w. */
  residualNorm: number
}

/**
 * Constrained least squares  min ½‖G w − b‖²  s.t.  C w ≤ d  (and optionally E w = f), as used by
 * WSINDy (d = 0). G: m × n, b: length m, C: k × n, d: length k (C, d may be null for none).
 *
 * H = GᵀG is never formed: G = Q R (Householder) gives H = RᵀR directly, so the Goldfarb–Idnani
 * iteration works with R⁻¹ and the conditioning of G, not its square. When G is rank deficient
 * (or m < n) the ridge δ I (δ = 1e-12 · max column norm² of G by default) is added and reported.
 * `objective` is ½‖G w − b‖² − ½‖b‖² (the QP objective); multipliers refer to ½‖G w − b‖².
 */
export function constrainedLstsq(
  G: Matrix,
  b: Float64Array,
  C: Matrix | null | undefined,
  d: Float64Array | null | undefined,
  options: ConstrainedLstsqOptions = {},
  ctx?: EngineContext,
): ConstrainedLstsqResult {
  assertMatrix(G, 'G')
  const m = G.rows, n = G.cols
  if (!(b instanceof Float64Array) || b.length !== m) throw invalidInput(`expected b as a Float64Array of length ${m} (rows of G), got length ${b?.length}`)
  assertFinite(b, 'b')
  const cons = prepareConstraints({ H: G, g: b, C, d, E: options.E, f: options.f }, n)
  // Column scale for the ridge.
  let maxCol2 = 0
  for (let j = 0; j < n; j++) {
    let s = 0
    for (let i = 0; i < m; i++) s += G.data[i * n + j] ** 2
    maxCol2 = Math.max(maxCol2, s)
  }
  const ridgeOpt = options.ridge ?? 'auto'
  let ridge = typeof ridgeOpt === 'number' ? ridgeOpt : 0
  if (!(ridge >= 0)) throw invalidInput(`expected ridge ≥ 0 or 'auto', got ${ridgeOpt}`)
  let red = ridge > 0 || m < n ? null : qrReduce(G, b)
  if (red && !(red.diagMin > 1e-10 * red.diagMax)) {
    red = null
    if (ridgeOpt === 'auto') ridge = 1e-12 * Math.max(maxCol2, 1e-300)
  }
  if (!red) {
    if (ridge === 0) ridge = 1e-12 * Math.max(maxCol2, 1e-300)
    const aug = new Float64Array((m + n) * n)
    aug.set(G.data)
    const sq = Math.sqrt(ridge)
    for (let j = 0; j < n; j++) aug[(m + j) * n + j] = sq
    const baug = new Float64Array(m + n)
    baug.set(b)
    red = qrReduce({ data: aug, rows: m + n, cols: n }, baug)
  }
  const { R, c } = red
  // g = −Rᵀ c (= −Gᵀ b).
  const g = new Float64Array(n)
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) g[j] -= R[i * n + j] * c[i]
  const res = goldfarbIdnani(R, n, g, cons, options, ctx) as ConstrainedLstsqResult
  res.ridge = ridge
  // Residual and objective with the caller's G (without ridge).
  let r2 = 0
  for (let i = 0; i < m; i++) {
    let s = -b[i]
    for (let j = 0; j < n; j++) s += G.data[i * n + j] * res.x[j]
    r2 += s * s
  }
  let b2 = 0
  for (let i = 0; i < m; i++) b2 += b[i] * b[i]
  res.residualNorm = Math.sqrt(r2)
  res.objective = 0.5 * r2 - 0.5 * b2
  return res
}

// ---------------------------------------------------------------------------------------------

interface Constraints {
  /** Unit normals, one row per constraint: equalities first (p), then inequalities (m). */
  N: Float64Array
  /** Offsets: constraint k reads N_k·x − b_k ≥ 0 (inequality) or = 0 (equality). */
  b: Float64Array
  /** Original row norms (to unscale multipliers). */
  norms: Float64Array
  p: number
  m: number
  /** Constraints with a zero row that hold trivially (skipped) or cannot hold (→ infeasible). */
  skip: Uint8Array
  trivialInfeasible: boolean
}

function prepareConstraints(problem: QpProblem, n: number): Constraints {
  const C = problem.C ?? null, d = problem.d ?? null, E = problem.E ?? null, f = problem.f ?? null
  if ((C === null) !== (d === null)) throw invalidInput(`expected C and d both given or both omitted, got ${C ? 'C' : 'd'} only`)
  if ((E === null) !== (f === null)) throw invalidInput(`expected E and f both given or both omitted, got ${E ? 'E' : 'f'} only`)
  const m = C ? C.rows : 0
  const p = E ? E.rows : 0
  if (C && d) {
    assertMatrix(C, 'C')
    if (C.cols !== n) throw invalidInput(`expected C with ${n} columns, got ${C.cols}`)
    if (d.length !== m) throw invalidInput(`expected d of length ${m} (rows of C), got ${d.length}`)
    assertFinite(d, 'd')
  }
  if (E && f) {
    assertMatrix(E, 'E')
    if (E.cols !== n) throw invalidInput(`expected E with ${n} columns, got ${E.cols}`)
    if (f.length !== p) throw invalidInput(`expected f of length ${p} (rows of E), got ${f.length}`)
    assertFinite(f, 'f')
  }
  const total = p + m
  const N = new Float64Array(total * n)
  const b = new Float64Array(total)
  const norms = new Float64Array(total)
  const skip = new Uint8Array(total)
  let trivialInfeasible = false
  for (let k = 0; k < total; k++) {
    const isEq = k < p
    const src = isEq ? E!.data : C!.data
    const row = isEq ? k : k - p
    let s = 0
    for (let j = 0; j < n; j++) s += src[row * n + j] ** 2
    const nrm = Math.sqrt(s)
    norms[k] = nrm
    const rhs = isEq ? f![row] : d![row]
    if (nrm === 0) {
      skip[k] = 1
      if (isEq ? rhs !== 0 : rhs < 0) trivialInfeasible = true
      continue
    }
    // Equality: (E x − f)/‖E‖ = 0. Inequality: (d − C x)/‖C‖ ≥ 0, i.e. N = −C/‖C‖, b = −d/‖C‖.
    const sign = isEq ? 1 : -1
    for (let j = 0; j < n; j++) N[k * n + j] = (sign * src[row * n + j]) / nrm
    b[k] = (sign * rhs) / nrm
  }
  return { N, b, norms, p, m, skip, trivialInfeasible }
}

/** Upper triangular U with H + δI = UᵀU. */
function factorWithRidge(H: Matrix, ridgeOpt: 'auto' | number): { U: Float64Array; ridge: number } {
  const n = H.rows
  let maxDiag = 0
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(H.data[i * n + i]))
  const scale = Math.max(1, maxDiag)
  const tryRidge = (delta: number) => {
    const Hr = H.data.slice()
    for (let i = 0; i < n; i++) Hr[i * n + i] += delta
    const ch = cholesky({ data: Hr, rows: n, cols: n })
    if (!ch.positiveDefinite) return null
    let lmin = Infinity, lmax = 0
    for (let i = 0; i < n; i++) {
      const l = ch.L.data[i * n + i] ** 2
      lmin = Math.min(lmin, l)
      lmax = Math.max(lmax, l)
    }
    return { L: ch.L.data, ok: lmin > 1e-14 * lmax }
  }
  const toU = (L: Float64Array) => {
    const U = new Float64Array(n * n)
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) U[j * n + i] = L[i * n + j]
    return U
  }
  if (typeof ridgeOpt === 'number') {
    if (!(ridgeOpt >= 0)) throw invalidInput(`expected ridge ≥ 0 or 'auto', got ${ridgeOpt}`)
    const r = tryRidge(ridgeOpt)
    if (!r) throw invalidInput(`expected H + ${ridgeOpt}·I positive definite, got a non-positive pivot (pass ridge: 'auto')`)
    return { U: toU(r.L), ridge: ridgeOpt }
  }
  const r0 = tryRidge(0)
  if (r0 && r0.ok) return { U: toU(r0.L), ridge: 0 }
  for (let delta = 1e-12 * scale; delta <= 1e-3 * scale; delta *= 10) {
    const r = tryRidge(delta)
    if (r && r.ok) return { U: toU(r.L), ridge: delta }
  }
  throw invalidInput(`expected H positive semidefinite, got a matrix that stays indefinite after a ridge of ${1e-3 * scale}`)
}

function quadObjective(H: Matrix, g: Float64Array, x: Float64Array): number {
  const n = x.length
  let s = 0
  for (let i = 0; i < n; i++) {
    let hx = 0
    for (let j = 0; j < n; j++) hx += H.data[i * n + j] * x[j]
    s += x[i] * (0.5 * hx + g[i])
  }
  return s
}

/**
 * The Goldfarb–Idnani iteration for min ½‖Ux‖² + gᵀx (H = UᵀU, U upper triangular, nonsingular).
 * `objective` and `ridge` of the returned result are filled in by the callers.
 */
function goldfarbIdnani(U: Float64Array, n: number, g: Float64Array, cons: Constraints, options: QpOptions, ctx?: EngineContext): QpResult {
  const { N, b, p, m, skip } = cons
  const tol = options.tol ?? 1e-12
  const maxIter = options.maxIter ?? 10 * (n + m + p) + 100
  if (!(tol > 0)) throw invalidInput(`expected tol > 0, got ${tol}`)
  if (!(maxIter >= 0)) throw invalidInput(`expected maxIter ≥ 0, got ${maxIter}`)
  checkAborted(ctx)

  // J = U⁻¹ (upper triangular), so J Jᵀ = H⁻¹.
  const J = new Float64Array(n * n)
  for (let j = 0; j < n; j++) {
    J[j * n + j] = 1 / U[j * n + j]
    for (let i = j - 1; i >= 0; i--) {
      let s = 0
      for (let k = i + 1; k <= j; k++) s += U[i * n + k] * J[k * n + j]
      J[i * n + j] = -s / U[i * n + i]
    }
  }
  // Unconstrained minimiser x = −J Jᵀ g.
  const x = new Float64Array(n)
  {
    const t = new Float64Array(n)
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let i = 0; i < n; i++) s += J[i * n + j] * g[i]
      t[j] = s
    }
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let j = 0; j < n; j++) s += J[i * n + j] * t[j]
      x[i] = -s
    }
  }

  const R = new Float64Array(n * n)
  const active = new Int32Array(n) // constraint indices at active positions 0..q-1
  const u = new Float64Array(n + 1)
  let q = 0
  const dvec = new Float64Array(n)
  const z = new Float64Array(n)
  const r = new Float64Array(n)
  const errorHistory: number[] = []
  const redundant: number[] = []
  let iterations = 0
  let status: QpStatus = 'optimal'
  let dependent = false

  const constraintValue = (k: number) => {
    let s = -b[k]
    for (let j = 0; j < n; j++) s += N[k * n + j] * x[j]
    return s
  }
  const xScale = () => {
    let mx = 0
    for (let j = 0; j < n; j++) mx = Math.max(mx, Math.abs(x[j]))
    return 1 + mx
  }
  /** d = Jᵀ n_k, z = J[:, q:] d[q:], r = R⁻¹ d[0:q]; sets `dependent` when z is negligible. */
  const directions = (k: number) => {
    dvec.fill(0)
    for (let i = 0; i < n; i++) {
      const ni = N[k * n + i]
      if (ni === 0) continue
      for (let j = 0; j < n; j++) dvec[j] += J[i * n + j] * ni
    }
    let dn2 = 0, d2n2 = 0
    for (let j = 0; j < n; j++) {
      dn2 += dvec[j] * dvec[j]
      if (j >= q) d2n2 += dvec[j] * dvec[j]
    }
    dependent = d2n2 <= 1e-24 * dn2
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let j = q; j < n; j++) s += J[i * n + j] * dvec[j]
      z[i] = dependent ? 0 : s
    }
    for (let i = q - 1; i >= 0; i--) {
      let s = dvec[i]
      for (let j = i + 1; j < q; j++) s -= R[i * n + j] * r[j]
      r[i] = s / R[i * n + i]
    }
  }
  const addConstraint = (): boolean => {
    for (let j = n - 1; j > q; j--) {
      const a = dvec[j - 1], bb = dvec[j]
      if (bb === 0) continue
      const h = Math.hypot(a, bb)
      const c = a / h, s = bb / h
      dvec[j - 1] = h
      dvec[j] = 0
      for (let row = 0; row < n; row++) {
        const ja = J[row * n + j - 1], jb = J[row * n + j]
        J[row * n + j - 1] = c * ja + s * jb
        J[row * n + j] = -s * ja + c * jb
      }
    }
    let dn = 0
    for (let i = 0; i <= q; i++) dn = Math.max(dn, Math.abs(dvec[i]))
    if (!(Math.abs(dvec[q]) > 1e-13 * dn)) return false
    for (let i = 0; i <= q; i++) R[i * n + q] = dvec[i]
    q++
    return true
  }
  const deleteConstraint = (k: number) => {
    for (let j = k; j < q - 1; j++) {
      active[j] = active[j + 1]
      u[j] = u[j + 1]
      for (let i = 0; i <= j + 1; i++) R[i * n + j] = R[i * n + j + 1]
    }
    for (let i = 0; i < q; i++) R[i * n + q - 1] = 0
    for (let j = k; j < q - 1; j++) {
      const a = R[j * n + j], bb = R[(j + 1) * n + j]
      if (bb === 0) continue
      const h = Math.hypot(a, bb)
      const c = a / h, s = bb / h
      R[j * n + j] = h
      R[(j + 1) * n + j] = 0
      for (let col = j + 1; col < q - 1; col++) {
        const ra = R[j * n + col], rb = R[(j + 1) * n + col]
        R[j * n + col] = c * ra + s * rb
        R[(j + 1) * n + col] = -s * ra + c * rb
      }
      for (let row = 0; row < n; row++) {
        const ja = J[row * n + j], jb = J[row * n + j + 1]
        J[row * n + j] = c * ja + s * jb
        J[row * n + j + 1] = -s * ja + c * jb
      }
    }
    q--
    u[q] = 0
  }

  if (cons.trivialInfeasible) status = 'infeasible'

  // Equality constraints: full primal steps, multipliers of either sign.
  for (let k = 0; k < p && status === 'optimal'; k++) {
    if (skip[k]) continue
    directions(k)
    const sk = constraintValue(k)
    if (dependent) {
      if (Math.abs(sk) <= tol * xScale()) {
        redundant.push(k)
        continue
      }
      status = 'infeasible'
      break
    }
    let zn = 0
    for (let j = 0; j < n; j++) zn += z[j] * N[k * n + j]
    const t = -sk / zn
    for (let j = 0; j < n; j++) x[j] += t * z[j]
    for (let i = 0; i < q; i++) u[i] -= t * r[i]
    u[q] = t
    active[q] = k
    if (!addConstraint()) {
      status = 'infeasible'
      break
    }
  }
  const pActive = q

  // Inequalities.
  const isActive = new Uint8Array(p + m)
  for (let i = 0; i < q; i++) isActive[active[i]] = 1
  outer: while (status === 'optimal') {
    // Step 1: most violated inactive inequality.
    let ip = -1, worst = 0
    const ftol = tol * xScale()
    for (let k = p; k < p + m; k++) {
      if (skip[k] || isActive[k]) continue
      const s = constraintValue(k)
      if (s < worst) { worst = s; ip = k }
    }
    errorHistory.push(-worst)
    if (ip < 0 || -worst <= ftol) break
    let uPlus = 0
    // Step 2: move towards satisfying constraint ip, dropping blocking constraints on the way.
    for (;;) {
      if (iterations >= maxIter) {
        status = 'max-iterations'
        break outer
      }
      iterations++
      if (ctx && iterations % 16 === 0) {
        ctx.onProgress?.({ fraction: Math.min(1, iterations / maxIter), stage: 'qp', loss: -worst })
        checkAborted(ctx)
      }
      directions(ip)
      let t1 = Infinity, kDrop = -1
      let rmax = 0
      for (let i = pActive; i < q; i++) rmax = Math.max(rmax, Math.abs(r[i]))
      for (let i = pActive; i < q; i++) {
        if (r[i] > 1e-14 * rmax && r[i] > 0) {
          const ratio = u[i] / r[i]
          if (ratio < t1) { t1 = ratio; kDrop = i }
        }
      }
      let t2 = Infinity
      if (!dependent) {
        let zn = 0
        for (let j = 0; j < n; j++) zn += z[j] * N[ip * n + j]
        if (zn > 0) t2 = -constraintValue(ip) / zn
      }
      const t = Math.min(t1, t2)
      if (t === Infinity) {
        status = 'infeasible'
        break outer
      }
      if (t2 === Infinity) {
        // Dual step only: the new normal is a combination of active ones; drop the blocking one.
        for (let i = 0; i < q; i++) u[i] -= t * r[i]
        uPlus += t
        isActive[active[kDrop]] = 0
        deleteConstraint(kDrop)
        continue
      }
      for (let j = 0; j < n; j++) x[j] += t * z[j]
      for (let i = 0; i < q; i++) u[i] -= t * r[i]
      uPlus += t
      if (t2 <= t1) {
        // Full step: constraint ip becomes active.
        u[q] = uPlus
        active[q] = ip
        if (!addConstraint()) {
          status = 'infeasible'
          break outer
        }
        isActive[ip] = 1
        break
      }
      // Partial step: drop the blocking constraint and try again.
      isActive[active[kDrop]] = 0
      deleteConstraint(kDrop)
    }
  }

  // Multipliers in the caller's scaling: H x + g + Cᵀ λ + Eᵀ ν = 0.
  const multipliers = new Float64Array(m)
  const eqMultipliers = new Float64Array(p)
  const activeIneq: number[] = []
  for (let i = 0; i < q; i++) {
    const k = active[i]
    if (k < p) eqMultipliers[k] = -u[i] / cons.norms[k]
    else {
      multipliers[k - p] = Math.max(0, u[i]) / cons.norms[k]
      activeIneq.push(k - p)
    }
  }
  activeIneq.sort((a, b2) => a - b2)
  // Violation in the caller's units.
  let maxViolation = 0
  for (let k = 0; k < p + m; k++) {
    const v = constraintValue(k) * cons.norms[k]
    if (skip[k]) continue
    maxViolation = Math.max(maxViolation, k < p ? Math.abs(v) : Math.max(0, -v))
  }
  return {
    status,
    converged: status === 'optimal',
    x,
    objective: NaN,
    active: Int32Array.from(activeIneq),
    multipliers,
    eqMultipliers,
    iterations,
    maxViolation,
    errorHistory,
    ridge: 0,
    redundantEqualities: Int32Array.from(redundant),
  }
}
