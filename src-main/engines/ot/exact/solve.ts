/**
 * Exact optimal transport between weighted point clouds (SPEC §3):
 *
 *   OT(a, X; b, Y) = min_{P >= 0, P 1 = a, P^T 1 = b}  sum_ij c(x_i, y_j) P_ij,
 *
 * with c = |x - y| (W1, "EMD") or |x - y|² (W2²), or any given cost matrix. Solved by the
 * network simplex in float64 (see network-simplex.ts), which returns an optimal vertex: the
 * plan has at most n + m - 1 nonzeros, and the duals certify optimality.
 *
 * Limits: the cost matrix is dense, 8 n m bytes (200 MB at 5000 x 5000; other state is O(n + m));
 * n m above EXACT_OT_MAX_PAIRS (5e7 pairs of positive-weight points, 400 MB) is refused. Time
 * grows about like n^2.5 (pivots ~ 10-25 (n + m), each pricing ~ sqrt(n m) arcs): on one core,
 * d = 2, uniform weights, about 0.15-0.2 s at 1000 x 1000, 0.7 s at 2000 x 2000 and 5-10 s at
 * 5000 x 5000 (bench/ot-exact.ts). For larger clouds use Sinkhorn.
 */
import { invalidInput, numericalError } from '@shared/errors'
import { checkAborted, type EngineContext } from '../../common/context'
import type { GroundCost, PointCloud, Weights } from '../types'
import { networkSimplex } from './network-simplex'
import type { ExactOtConfig, ExactOtProblem, ExactOtResult } from './types'

/** Largest n*m (pairs of points with positive weight) accepted; the cost matrix is 8 n m bytes. */
export const EXACT_OT_MAX_PAIRS = 50_000_000

const describe = (v: unknown): string => {
  if (v === null) return 'null'
  if (v === undefined) return 'undefined'
  if (ArrayBuffer.isView(v)) return v.constructor.name
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'number' ? String(v) : typeof v
}

function checkCloud(name: string, c: PointCloud | undefined): void {
  if (!c || typeof c !== 'object') throw invalidInput(`${name}: expected a point cloud {data, n, d}, got ${describe(c)}`)
  if (!(c.data instanceof Float64Array)) throw invalidInput(`${name}.data: expected a Float64Array, got ${describe(c.data)}`)
  if (!Number.isInteger(c.n) || c.n < 1) throw invalidInput(`${name}.n: expected an integer >= 1, got ${describe(c.n)}`)
  if (!Number.isInteger(c.d) || c.d < 1) throw invalidInput(`${name}.d: expected an integer >= 1, got ${describe(c.d)}`)
  if (c.data.length !== c.n * c.d) {
    throw invalidInput(`${name}.data: expected length n*d = ${c.n * c.d}, got ${c.data.length}`)
  }
  for (let k = 0; k < c.data.length; k++) {
    if (!Number.isFinite(c.data[k])) {
      const i = Math.floor(k / c.d)
      throw invalidInput(`${name}: expected finite coordinates, got ${c.data[k]} at point ${i}, coordinate ${k - i * c.d}`)
    }
  }
}

function checkWeights(name: string, w: Weights | undefined, len: number): number {
  if (!(w instanceof Float64Array)) throw invalidInput(`${name}: expected a Float64Array of length ${len}, got ${describe(w)}`)
  if (w.length !== len) throw invalidInput(`${name}: expected length ${len}, got ${w.length}`)
  let s = 0
  for (let i = 0; i < len; i++) {
    const x = w[i]
    if (!Number.isFinite(x) || x < 0) throw invalidInput(`${name}: expected finite weights >= 0, got ${x} at index ${i}`)
    s += x
  }
  if (!(s > 0)) throw invalidInput(`${name}: expected a positive total mass, got ${s}`)
  return s
}

const uniform = (n: number) => new Float64Array(n).fill(1 / n)

/** c(x_i, y_j) for one pair (row-major clouds of equal d). */
function pairCost(x: Float64Array, i: number, y: Float64Array, j: number, d: number, sq: boolean): number {
  let s = 0
  const oi = i * d
  const oj = j * d
  for (let k = 0; k < d; k++) {
    const t = x[oi + k] - y[oj + k]
    s += t * t
  }
  return sq ? s : Math.sqrt(s)
}

/** Dense cost matrix between the selected rows of x and columns of y. */
function cloudCostMatrix(x: PointCloud, rows: Int32Array, y: PointCloud, cols: Int32Array, cost: GroundCost): Float64Array {
  const n = rows.length
  const m = cols.length
  const d = x.d
  const C = new Float64Array(n * m)
  const sq = cost === 'sqeuclidean'
  const X = x.data
  const Y = y.data
  if (d === 2) {
    for (let r = 0; r < n; r++) {
      const x0 = X[2 * rows[r]]
      const x1 = X[2 * rows[r] + 1]
      const o = r * m
      for (let c = 0; c < m; c++) {
        const t0 = x0 - Y[2 * cols[c]]
        const t1 = x1 - Y[2 * cols[c] + 1]
        const s = t0 * t0 + t1 * t1
        C[o + c] = sq ? s : Math.sqrt(s)
      }
    }
  } else {
    for (let r = 0; r < n; r++) {
      const o = r * m
      for (let c = 0; c < m; c++) C[o + c] = pairCost(X, rows[r], Y, cols[c], d, sq)
    }
  }
  return C
}

const positiveIndices = (w: Float64Array): Int32Array => {
  let k = 0
  for (let i = 0; i < w.length; i++) if (w[i] > 0) k++
  const out = new Int32Array(k)
  k = 0
  for (let i = 0; i < w.length; i++) if (w[i] > 0) out[k++] = i
  return out
}

/**
 * Exact OT by network simplex.
 *
 * @param problem `{a?, x, b?, y, cost}` with clouds x (n points) and y (m points) in the same
 *   dimension d, or `{a, b, costMatrix}` with an n*m row-major matrix. Weights are >= 0 and
 *   finite; zero-weight points are allowed (they are left out of the simplex and get c-transform
 *   duals). The two total masses must agree within `massTolerance` (relative); b is then rescaled
 *   to the mass of a.
 * @param config see {@link ExactOtConfig}.
 * @param ctx abort signal (checked every 1024 pivots; throws CancelledError) and progress
 *   (stage 'network simplex', fraction = rough share of mass already routed).
 * @returns cost, sparse plan, duals, status. Stopping rule: no arc has reduced cost below
 *   -1e-12 max|C| after a fresh recomputation of the potentials, or `maxIter` pivots.
 * @throws PopdynError kind 'invalid-input' for bad shapes, weights or masses.
 *
 * Reference: Bonneel, van de Panne, Paris & Heidrich (2011), "Displacement interpolation using
 * Lagrangian mass transport" (network simplex for EMD, as in POT's `ot.emd`); Ahuja, Magnanti &
 * Orlin (1993), "Network Flows", ch. 11.
 */
export function exactOt(problem: ExactOtProblem, config: ExactOtConfig = {}, ctx?: EngineContext): ExactOtResult {
  checkAborted(ctx)
  if (!problem || typeof problem !== 'object') throw invalidInput(`problem: expected an object, got ${describe(problem)}`)
  const massTolerance = config.massTolerance ?? 1e-9
  if (!(Number.isFinite(massTolerance) && massTolerance >= 0)) {
    throw invalidInput(`massTolerance: expected a finite number >= 0, got ${describe(config.massTolerance)}`)
  }
  if (config.maxIter !== undefined && !(Number.isInteger(config.maxIter) && config.maxIter >= 0)) {
    throw invalidInput(`maxIter: expected an integer >= 0, got ${describe(config.maxIter)}`)
  }

  let n: number
  let m: number
  let a: Float64Array
  let b: Float64Array
  /** Full-problem cost of one pair, for duals of zero-weight points and the final cost. */
  let costAt: (i: number, j: number) => number
  let buildCost: (rows: Int32Array, cols: Int32Array) => Float64Array

  if ('costMatrix' in problem) {
    const C = problem.costMatrix
    if (!(problem.a instanceof Float64Array)) throw invalidInput(`a: expected a Float64Array (required with costMatrix), got ${describe(problem.a)}`)
    if (!(problem.b instanceof Float64Array)) throw invalidInput(`b: expected a Float64Array (required with costMatrix), got ${describe(problem.b)}`)
    n = problem.a.length
    m = problem.b.length
    if (n < 1 || m < 1) throw invalidInput(`a, b: expected at least one weight each, got lengths ${n} and ${m}`)
    if (!(C instanceof Float64Array)) throw invalidInput(`costMatrix: expected a Float64Array, got ${describe(C)}`)
    if (C.length !== n * m) throw invalidInput(`costMatrix: expected length n*m = ${n}*${m} = ${n * m}, got ${C.length}`)
    for (let e = 0; e < C.length; e++) {
      if (!Number.isFinite(C[e])) throw invalidInput(`costMatrix: expected finite entries, got ${C[e]} at row ${Math.floor(e / m)}, column ${e % m}`)
    }
    a = problem.a
    b = problem.b
    const mm = m
    costAt = (i, j) => C[i * mm + j]
    buildCost = (rows, cols) => {
      if (rows.length === n && cols.length === m) return C
      const out = new Float64Array(rows.length * cols.length)
      for (let r = 0; r < rows.length; r++) {
        const o = rows[r] * mm
        for (let c = 0; c < cols.length; c++) out[r * cols.length + c] = C[o + cols[c]]
      }
      return out
    }
  } else {
    const { x, y, cost } = problem
    checkCloud('x', x)
    checkCloud('y', y)
    if (x.d !== y.d) throw invalidInput(`y.d: expected the dimension of x (${x.d}), got ${y.d}`)
    if (cost !== 'euclidean' && cost !== 'sqeuclidean') {
      throw invalidInput(`cost: expected 'euclidean' or 'sqeuclidean', got ${describe(cost)}`)
    }
    n = x.n
    m = y.n
    a = problem.a ?? uniform(n)
    b = problem.b ?? uniform(m)
    const sq = cost === 'sqeuclidean'
    costAt = (i, j) => pairCost(x.data, i, y.data, j, x.d, sq)
    buildCost = (rows, cols) => cloudCostMatrix(x, rows, y, cols, cost)
  }

  const sa = checkWeights('a', a, n)
  const sb = checkWeights('b', b, m)
  if (Math.abs(sa - sb) > massTolerance * Math.max(sa, sb)) {
    throw invalidInput(
      `expected equal total masses (relative tolerance ${massTolerance}), got sum(a) = ${sa} and sum(b) = ${sb}`,
      'mass-mismatch',
    )
  }
  if (sa !== sb) {
    const scale = sa / sb
    const bb = new Float64Array(m)
    for (let j = 0; j < m; j++) bb[j] = b[j] * scale
    b = bb
  }

  const rowIdx = positiveIndices(a)
  const colIdx = positiveIndices(b)
  const nA = rowIdx.length
  const mA = colIdx.length
  if (nA * mA > EXACT_OT_MAX_PAIRS) {
    throw invalidInput(
      `expected at most ${EXACT_OT_MAX_PAIRS} pairs of positive-weight points (dense cost matrix of 8 bytes each), got ${nA} x ${mA} = ${nA * mA}`,
    )
  }
  const C = buildCost(rowIdx, colIdx)
  const aA = new Float64Array(nA)
  for (let r = 0; r < nA; r++) aA[r] = a[rowIdx[r]]
  const bA = new Float64Array(mA)
  for (let c = 0; c < mA; c++) bA[c] = b[colIdx[c]]

  const maxIter = config.maxIter ?? Math.max(1_000_000, 500 * (nA + mA))
  const out = networkSimplex({ n: nA, m: mA, a: aA, b: bA, cost: C, maxIter, ctx })

  // Plan in original indices, sorted by row then column; cost from the plan.
  const K = out.values.length
  const order = Array.from({ length: K }, (_, k) => k)
  order.sort((p, q) => out.rows[p] - out.rows[q] || out.cols[p] - out.cols[q])
  const rows = new Int32Array(K)
  const cols = new Int32Array(K)
  const values = new Float64Array(K)
  let total = 0
  for (let k = 0; k < K; k++) {
    const o = order[k]
    rows[k] = rowIdx[out.rows[o]]
    cols[k] = colIdx[out.cols[o]]
    values[k] = out.values[o]
    total += values[k] * C[out.rows[o] * mA + out.cols[o]]
  }

  // Duals: u_i = -pi_i, v_j = pi_{n+j}; zero-weight points get c-transforms.
  const u = new Float64Array(n)
  const v = new Float64Array(m)
  for (let r = 0; r < nA; r++) u[rowIdx[r]] = -out.pi[r]
  for (let c = 0; c < mA; c++) v[colIdx[c]] = out.pi[nA + c]
  if (mA < m) {
    for (let j = 0; j < m; j++) {
      if (b[j] > 0) continue
      let best = Infinity
      for (let r = 0; r < nA; r++) best = Math.min(best, costAt(rowIdx[r], j) - u[rowIdx[r]])
      v[j] = best
    }
  }
  if (nA < n) {
    for (let i = 0; i < n; i++) {
      if (a[i] > 0) continue
      let best = Infinity
      for (let j = 0; j < m; j++) best = Math.min(best, costAt(i, j) - v[j])
      u[i] = best
    }
  }
  let au = 0
  let bv = 0
  for (let i = 0; i < n; i++) au += a[i] * u[i]
  for (let j = 0; j < m; j++) bv += b[j] * v[j]
  const shift = (bv - au) / (2 * sa)
  for (let i = 0; i < n; i++) u[i] += shift
  for (let j = 0; j < m; j++) v[j] -= shift

  ctx?.onProgress?.({ fraction: 1, stage: 'network simplex', message: `${out.iterations} pivots`, loss: total })
  let status = out.status
  if (!Number.isFinite(total)) status = 'numerical-error'
  return {
    cost: total,
    plan: { rows, cols, values },
    u,
    v,
    status,
    converged: status === 'optimal',
    iterations: out.iterations,
  }
}

function solvedCost(r: ExactOtResult, what: string): number {
  if (r.status !== 'optimal') {
    throw numericalError(`${what}: expected an optimal network simplex solution, got status '${r.status}' after ${r.iterations} pivots; call exactOt with a larger maxIter`)
  }
  return r.cost
}

/**
 * EMD of the SPEC: exact W1 = OT cost with Euclidean ground cost |x - y|, in the units of the
 * coordinates. Weights default to uniform. Throws a numerical error if the solve is not optimal.
 */
export function emd(x: PointCloud, y: PointCloud, a?: Weights, b?: Weights, ctx?: EngineContext): number {
  return solvedCost(exactOt({ x, y, a, b, cost: 'euclidean' }, {}, ctx), 'emd')
}

/**
 * Exact W2² = OT cost with squared Euclidean ground cost |x - y|², in squared coordinate units.
 * Weights default to uniform. Throws a numerical error if the solve is not optimal.
 */
export function w2squared(x: PointCloud, y: PointCloud, a?: Weights, b?: Weights, ctx?: EngineContext): number {
  return solvedCost(exactOt({ x, y, a, b, cost: 'sqeuclidean' }, {}, ctx), 'w2squared')
}
