/**
 * Primal network simplex for the dense transportation problem, in float64.
 *
 *   min_P  sum_ij C_ij P_ij   s.t.  P >= 0,  P 1_m = a,  P^T 1_n = b,   sum(a) = sum(b),
 *
 * seen as min-cost flow on the complete bipartite graph rows -> columns (uncapacitated arcs).
 * All weights passed here must be strictly positive (the caller removes zero-weight points).
 *
 * Method (Ahuja, Magnanti & Orlin, "Network Flows", 1993, ch. 11; the implementation strategy
 * of LEMON's NetworkSimplex and of Bonneel, van de Panne, Paris & Heidrich, "Displacement
 * interpolation using Lagrangian mass transport", SIGGRAPH Asia 2011, which POT's `emd` uses):
 *
 * - An artificial root node is joined to every node by an artificial arc of cost `ART`
 *   (row -> root carrying a_i, root -> column carrying b_j). That tree is a feasible basis.
 *   Because every row-column pair has a real arc of cost <= max|C|, any artificial flow left
 *   on a row arc and on a column arc at the same time closes a cycle of cost C_ij - 2 ART < 0,
 *   so ART = 2 max|C| is enough to drive all artificial flow out (big-M). Keeping ART of the
 *   order of the costs keeps the potentials, and so their rounding error, of that order too.
 * - Entering arc: block search (blocks of ceil(sqrt(n m)) arcs, scanned cyclically; the most
 *   negative reduced cost in the first block that has one enters).
 * - Leaving arc: Cunningham's rule (the last blocking arc of the cycle, walked in its orientation
 *   from the apex), which keeps the basis a strongly feasible tree; that is what prevents cycling
 *   on degenerate problems (permutations, many equal costs).
 * - The tree is stored as parent / predecessor arc / arc direction / depth plus doubly linked
 *   child lists; flows live on the tree arcs only (a non-tree arc of an uncapacitated problem
 *   always carries 0), so memory besides the cost matrix is O(n + m).
 * - Potentials are recomputed from the tree every `REFRESH` pivots and before optimality is
 *   declared, so rounding drift cannot make a tree arc look attractive or hide a negative arc.
 *
 * Reduced cost of arc (s, t): C_st + pi_s - pi_t. At optimality every real arc has reduced cost
 * >= -eps (eps = 1e-12 max|C|) and tree arcs have 0, so u_i = -pi_i, v_j = pi_{n+j} are optimal
 * duals.
 */
import { checkAborted, type EngineContext } from '../../common/context'

export interface SimplexInput {
  n: number
  m: number
  /** Row weights, length n, all > 0. */
  a: Float64Array
  /** Column weights, length m, all > 0; sum(b) equal to sum(a) up to rounding. */
  b: Float64Array
  /** Cost matrix, n*m row-major. */
  cost: Float64Array
  /** Maximum number of pivots. */
  maxIter: number
  ctx?: EngineContext
}

export interface SimplexOutput {
  status: 'optimal' | 'max-iterations' | 'numerical-error'
  /** Pivots performed. */
  iterations: number
  /** Node potentials: rows 0..n-1, columns n..n+m-1 (root excluded). */
  pi: Float64Array
  /** Support of the plan (real tree arcs with positive flow), unsorted. */
  rows: Int32Array
  cols: Int32Array
  values: Float64Array
  /** Mass still on artificial arcs (0 up to rounding at optimality). */
  artificialMass: number
}

const UP = 1 // tree arc points from the node to its parent
const DOWN = -1 // tree arc points from the parent to the node
/** Pivots between potential refreshes, progress reports and abort checks. */
const REFRESH = 1024

export function networkSimplex(input: SimplexInput): SimplexOutput {
  const { n, m, a, b, cost, maxIter, ctx } = input
  const N = n + m
  const root = N
  const nm = n * m

  let maxAbs = 0
  for (let e = 0; e < nm; e++) {
    const c = Math.abs(cost[e])
    if (c > maxAbs) maxAbs = c
  }
  const ART = maxAbs > 0 ? 2 * maxAbs : 1
  const eps = 1e-12 * maxAbs

  const parent = new Int32Array(N + 1)
  const pred = new Int32Array(N + 1) // arc id: i*m + j for real arcs, nm + node for artificial
  const dir = new Int8Array(N + 1)
  const flow = new Float64Array(N + 1) // flow on pred[u]
  const pi = new Float64Array(N + 1)
  const depth = new Int32Array(N + 1)
  const firstChild = new Int32Array(N + 1).fill(-1)
  const nextSib = new Int32Array(N + 1).fill(-1)
  const prevSib = new Int32Array(N + 1).fill(-1)
  const stack = new Int32Array(N + 1)

  let totalMass = 0
  parent[root] = -1
  pred[root] = -1
  for (let u = 0; u < N; u++) {
    parent[u] = root
    pred[u] = nm + u
    depth[u] = 1
    if (u < n) {
      dir[u] = UP
      flow[u] = a[u]
      pi[u] = -ART
      totalMass += a[u]
    } else {
      dir[u] = DOWN
      flow[u] = b[u - n]
      pi[u] = ART
    }
    nextSib[u] = u + 1 < N ? u + 1 : -1
    prevSib[u] = u - 1
  }
  firstChild[root] = N > 0 ? 0 : -1

  const detach = (u: number) => {
    const p = prevSib[u]
    const q = nextSib[u]
    if (p >= 0) nextSib[p] = q
    else firstChild[parent[u]] = q
    if (q >= 0) prevSib[q] = p
  }
  const attach = (u: number, p: number) => {
    const f = firstChild[p]
    nextSib[u] = f
    prevSib[u] = -1
    if (f >= 0) prevSib[f] = u
    firstChild[p] = u
    parent[u] = p
  }

  /** Recomputes potentials and depths from the tree; returns the artificial mass. */
  const refresh = (): number => {
    let art = 0
    let top = 0
    pi[root] = 0
    depth[root] = 0
    for (let c = firstChild[root]; c >= 0; c = nextSib[c]) stack[top++] = c
    while (top > 0) {
      const u = stack[--top]
      const p = parent[u]
      const e = pred[u]
      let c: number
      if (e >= nm) {
        c = ART
        art += flow[u]
      } else c = cost[e]
      pi[u] = dir[u] === UP ? pi[p] - c : pi[p] + c
      depth[u] = depth[p] + 1
      for (let ch = firstChild[u]; ch >= 0; ch = nextSib[ch]) stack[top++] = ch
    }
    return art
  }

  const blockSize = Math.max(10, Math.ceil(Math.sqrt(nm)))
  let nextArc = 0

  /** Block search: returns the entering arc, or -1 when no arc has reduced cost < -eps. */
  const piCol = pi.subarray(n, N)
  const findEntering = (): number => {
    let best = -1
    let min = -eps
    let i = (nextArc / m) | 0
    let j = nextArc - i * m
    let cnt = blockSize
    let scanned = 0
    while (scanned < nm) {
      // Scan row i from column j to the end of the row or of the block, whichever comes first.
      const end = Math.min(m, j + cnt, j + nm - scanned)
      const off = i * m
      const piI = pi[i]
      const j0 = j
      for (; j < end; j++) {
        const rc = cost[off + j] + piI - piCol[j]
        if (rc < min && pred[i] !== off + j && pred[n + j] !== off + j) {
          min = rc
          best = off + j
        }
      }
      scanned += end - j0
      cnt -= end - j0
      if (j === m) {
        j = 0
        i = i + 1 === n ? 0 : i + 1
      }
      if (cnt === 0) {
        if (best >= 0) break
        cnt = blockSize
      }
    }
    nextArc = i * m + j
    return best
  }

  /** One pivot on entering arc e; returns false if no leaving arc exists (cannot happen). */
  const pivot = (e: number): boolean => {
    const i = (e / m) | 0
    const s = i
    const t = n + (e - i * m)
    const rc = cost[e] + pi[s] - pi[t]

    // Apex of the cycle.
    let u = s
    let v = t
    while (depth[u] > depth[v]) u = parent[u]
    while (depth[v] > depth[u]) v = parent[v]
    while (u !== v) {
      u = parent[u]
      v = parent[v]
    }
    const join = u

    // Leaving arc (Cunningham): the cycle runs s -> t -> ... -> join -> ... -> s. On the s side the
    // cycle flow runs down the tree, so UP arcs block; on the t side it runs up, so DOWN arcs block.
    let delta = Infinity
    let uOut = -1
    let side = 0
    for (u = s; u !== join; u = parent[u]) {
      if (dir[u] === UP && flow[u] < delta) {
        delta = flow[u]
        uOut = u
        side = 1
      }
    }
    for (u = t; u !== join; u = parent[u]) {
      if (dir[u] === DOWN && flow[u] <= delta) {
        delta = flow[u]
        uOut = u
        side = 2
      }
    }
    if (uOut < 0) return false

    if (delta > 0) {
      for (u = s; u !== join; u = parent[u]) flow[u] -= dir[u] * delta
      for (u = t; u !== join; u = parent[u]) flow[u] += dir[u] * delta
    }

    // Re-hang the subtree: reverse the stem uIn -> ... -> uOut and hang uIn under vIn.
    const uIn = side === 1 ? s : t
    const vIn = side === 1 ? t : s
    let cur = uIn
    let newPar = vIn
    let carryArc = e
    let carryFlow = delta
    let carryDir = side === 1 ? UP : DOWN
    for (;;) {
      const oldPar = parent[cur]
      const oldArc = pred[cur]
      const oldFlow = flow[cur]
      const oldDir = dir[cur]
      detach(cur)
      attach(cur, newPar)
      pred[cur] = carryArc
      flow[cur] = carryFlow
      dir[cur] = carryDir
      if (cur === uOut) break
      newPar = cur
      carryArc = oldArc
      carryFlow = oldFlow
      carryDir = -oldDir
      cur = oldPar
    }

    // Potentials and depths of the moved subtree (the entering arc gets reduced cost 0).
    const shift = side === 1 ? -rc : rc
    let top = 0
    stack[top++] = uIn
    while (top > 0) {
      const x = stack[--top]
      pi[x] += shift
      depth[x] = depth[parent[x]] + 1
      for (let ch = firstChild[x]; ch >= 0; ch = nextSib[ch]) stack[top++] = ch
    }
    return true
  }

  let iterations = 0
  let sinceRefresh = 0
  let status: SimplexOutput['status'] = 'optimal'
  let artificialMass = totalMass
  for (;;) {
    if (sinceRefresh >= REFRESH) {
      artificialMass = refresh()
      sinceRefresh = 0
      ctx?.onProgress?.({
        fraction: Math.min(0.99, 0.95 * (1 - artificialMass / totalMass)),
        stage: 'network simplex',
        message: `${iterations} pivots`,
      })
      checkAborted(ctx)
    }
    const e = findEntering()
    if (e < 0) {
      if (sinceRefresh === 0) break
      artificialMass = refresh()
      sinceRefresh = 0
      continue
    }
    if (iterations >= maxIter) {
      status = 'max-iterations'
      break
    }
    if (!pivot(e)) {
      status = 'numerical-error'
      break
    }
    iterations++
    sinceRefresh++
  }
  if (sinceRefresh > 0) artificialMass = refresh()

  let count = 0
  for (let u = 0; u < N; u++) if (pred[u] < nm && flow[u] > 0) count++
  const rows = new Int32Array(count)
  const cols = new Int32Array(count)
  const values = new Float64Array(count)
  let k = 0
  let finite = Number.isFinite(artificialMass)
  for (let u = 0; u < N; u++) {
    const e = pred[u]
    if (e < nm && flow[u] > 0) {
      const i = (e / m) | 0
      rows[k] = i
      cols[k] = e - i * m
      values[k] = flow[u]
      k++
    }
    if (!Number.isFinite(pi[u]) || !Number.isFinite(flow[u])) finite = false
  }
  if (!finite) status = 'numerical-error'
  // Artificial flow well above rounding at a declared optimum means the arithmetic broke down.
  if (status === 'optimal' && artificialMass > 1e-9 * totalMass) status = 'numerical-error'
  return { status, iterations, pi: pi.slice(0, N), rows, cols, values, artificialMass }
}
