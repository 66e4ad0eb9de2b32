/**
 * Dense linear assignment: the permutation σ minimising Σ_i C[i, σ(i)] of a square cost matrix,
 * with dual potentials. Exact OT between two clouds of n equally weighted points is this problem
 * (Birkhoff: the transport polytope's vertices are permutations). Successive shortest paths
 * (Kuhn–Munkres with potentials, as in Jonker & Volgenant 1987): from column potentials v (the
 * column minima, or a caller's warm start such as the duals of a nearby problem), u_i = min_j
 * C_ij − v_j makes them feasible (u_i + v_j ≤ C_ij), a greedy matching on the tight pairs settles
 * most rows, and each free row enters by one shortest augmenting path over reduced costs
 * (Dijkstra on the dense matrix, O(n²)). With a warm start from a nearby problem (a descent that
 * changes the costs a little per step) only a few rows need a path, which makes it several times
 * faster than a cold network simplex; cold, the network simplex is as fast.
 */

export interface AssignmentResult {
  /** colOf[i] = σ(i), the column assigned to row i. */
  colOf: Int32Array
  /** Σ_i C[i, σ(i)]. */
  cost: number
  /** Row potentials u and column potentials v: u_i + v_j ≤ C_ij, equality on the assignment. */
  u: Float64Array
  v: Float64Array
  /** Rows that needed a shortest augmenting path (the rest were settled by the greedy start). */
  augmented: number
}

/**
 * Solves the n×n assignment problem for C (row-major, finite entries). `warm`: column potentials
 * to start from (any finite values give the same optimum; near-optimal ones save work).
 */
export function linearAssignment(C: Float64Array, n: number, warm?: Float64Array): AssignmentResult {
  if (!(n >= 1) || C.length !== n * n) throw new RangeError(`linearAssignment: expected an n×n matrix with n ≥ 1, got n = ${n} and ${C.length} entries`)
  // Work arrays reused between calls (a descent solves thousands of small problems, and typed
  // arrays beyond 64 bytes are slow to allocate); the results are fresh arrays.
  const w = workspace(n)
  const u = w.u.fill(0, 0, n + 1)
  const v = w.v.fill(0, 0, n + 1)
  // 1-based columns; rowOf[j] = row (1-based) matched to column j, 0 when free; column 0 is the
  // source of the augmenting-path search.
  const rowOf = w.rowOf.fill(0, 0, n + 1)
  const way = w.way.fill(0, 0, n + 1)
  const minv = w.minv
  const used = w.used
  if (warm && warm.length === n && warm.every(Number.isFinite)) for (let j = 1; j <= n; j++) v[j] = warm[j - 1]!
  else
    for (let j = 1; j <= n; j++) {
      let m = Infinity
      for (let i = 0; i < n; i++) if (C[i * n + j - 1]! < m) m = C[i * n + j - 1]!
      v[j] = m
    }
  const free: number[] = []
  for (let i = 1; i <= n; i++) {
    const o = (i - 1) * n - 1
    let m = Infinity
    let arg = 0
    for (let j = 1; j <= n; j++) {
      const r = C[o + j]! - v[j]!
      if (r < m || (r === m && rowOf[arg] !== 0 && rowOf[j] === 0)) (m = r), (arg = j)
    }
    u[i] = m
    if (rowOf[arg] === 0) rowOf[arg] = i
    else free.push(i)
  }
  // Columns reached by the current search, in the order they were reached.
  const reached = w.reached
  for (const i of free) {
    rowOf[0] = i
    let j0 = 0
    let nReached = 0
    minv.fill(Infinity, 0, n + 1)
    used.fill(0, 0, n + 1)
    // Each step lowers minv of the columns not yet reached by that step's delta; the subtraction
    // is done when the next step reads them (the same operations, one pass over the columns).
    let pending = 0
    let lag = false
    do {
      used[j0] = 1
      reached[nReached++] = j0
      const i0 = rowOf[j0]!
      const o = (i0 - 1) * n - 1
      const ui = u[i0]!
      let delta = Infinity
      let j1 = 0
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue
        let mv = lag ? minv[j]! - pending : minv[j]!
        const cur = C[o + j]! - ui - v[j]!
        if (cur < mv) {
          mv = cur
          way[j] = j0
        }
        minv[j] = mv
        if (mv < delta) {
          delta = mv
          j1 = j
        }
      }
      for (let q = 0; q < nReached; q++) {
        const j = reached[q]!
        u[rowOf[j]!] = u[rowOf[j]!]! + delta
        v[j] = v[j]! - delta
      }
      pending = delta
      lag = true
      j0 = j1
    } while (rowOf[j0] !== 0)
    do {
      const j1 = way[j0]!
      rowOf[j0] = rowOf[j1]!
      j0 = j1
    } while (j0)
  }
  const colOf = new Int32Array(n)
  for (let j = 1; j <= n; j++) colOf[rowOf[j]! - 1] = j - 1
  let cost = 0
  for (let i = 0; i < n; i++) cost += C[i * n + colOf[i]!]!
  return { colOf, cost, u: u.slice(1, n + 1), v: v.slice(1, n + 1), augmented: free.length }
}

interface Workspace {
  u: Float64Array
  v: Float64Array
  rowOf: Int32Array
  way: Int32Array
  minv: Float64Array
  used: Uint8Array
  reached: Int32Array
}
let shared: Workspace | null = null
function workspace(n: number): Workspace {
  if (!shared || shared.u.length < n + 1)
    shared = { u: new Float64Array(n + 1), v: new Float64Array(n + 1), rowOf: new Int32Array(n + 1), way: new Int32Array(n + 1), minv: new Float64Array(n + 1), used: new Uint8Array(n + 1), reached: new Int32Array(n + 1) }
  return shared
}
