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
  const u = new Float64Array(n + 1)
  const v = new Float64Array(n + 1)
  // 1-based columns; rowOf[j] = row (1-based) matched to column j, 0 when free; column 0 is the
  // source of the augmenting-path search.
  const rowOf = new Int32Array(n + 1)
  const way = new Int32Array(n + 1)
  const minv = new Float64Array(n + 1)
  const used = new Uint8Array(n + 1)
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
  for (const i of free) {
    rowOf[0] = i
    let j0 = 0
    minv.fill(Infinity)
    used.fill(0)
    do {
      used[j0] = 1
      const i0 = rowOf[j0]!
      const o = (i0 - 1) * n - 1
      const ui = u[i0]!
      let delta = Infinity
      let j1 = 0
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue
        const cur = C[o + j]! - ui - v[j]!
        if (cur < minv[j]!) {
          minv[j] = cur
          way[j] = j0
        }
        if (minv[j]! < delta) {
          delta = minv[j]!
          j1 = j
        }
      }
      for (let j = 0; j <= n; j++)
        if (used[j]) {
          u[rowOf[j]!] = u[rowOf[j]!]! + delta
          v[j] = v[j]! - delta
        } else minv[j] = minv[j]! - delta
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
  return { colOf, cost, u: u.slice(1), v: v.slice(1), augmented: free.length }
}
