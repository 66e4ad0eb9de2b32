/**
 * Entropic plan step on nearest-neighbour supports, for snapshots of thousands to tens of
 * thousands of particles, where the dense plans (K·Σ_t N_t·N_{t+1} entries) do not fit in memory
 * (10,000 particles per time point, K = 3, 4 transitions: 1.2·10⁹ entries). It runs there, but at
 * the small ε the labels need the projections converge slowly beyond ~1,000 particles per time
 * point (BENCHMARKS.md, issue 5). The dense entropic mode (entropic.ts) is klProjections below
 * with every pair in the support.
 *
 * Support of P_k^t: each particle's `neighbours` nearest predicted targets (x_{t+1}(j) nearest to
 * A_k x_t(i) + b_k) together with each target's `neighbours` nearest predictions, so every row and
 * every column of every plan has candidates (kd-trees; rebuilt from θ at every plan step, as the
 * exact mode's column generation re-prices from θ). On that support, the same iterated KL
 * projections as entropic.ts (three constraint families of paper eq. 7, log-stabilised scalings),
 * with ε = epsRelative × the mean cost over *all* pairs (computed exactly in O(N) from the first
 * and second moments; the dense mode's ε when the snapshots have equal sizes). Pairs outside the
 * support would carry kernel weight exp(−C/ε) of a pair farther than `neighbours` others; memory
 * O(K·T·N·neighbours).
 *
 * Every plan step runs the whole ε-scaling: potentials carried over from the previous θ (they live
 * on points, so they would fit a new support) were tried and made the descent diverge at small ε
 * (2000 sweeps at the final ε from them did not reach the marginals; from the scaling 3,500 did).
 */
import { checkAborted, type EngineContext } from '../common/context'
import { KdTree } from '../knn/index'
import { predict } from './costs'
import type { Snapshot } from './types'

/** One plan on its support, in compressed rows: the entries of row i are ptr[i] .. ptr[i+1]. */
export interface SparsePlan {
  ptr: Int32Array
  col: Int32Array
  cost: Float64Array
  val: Float64Array
}

/** Plans indexed [k][t]. */
export type SparseStack = SparsePlan[][]

/** Log-potentials per ensemble and transition (rows of t, columns of t + 1). */
export interface PlanPotentials {
  alpha: Float64Array[][]
  beta: Float64Array[][]
}

export interface SparseOptions extends ProjectionOptions {
  neighbours: number
  affine: boolean
}

export interface SparseResult {
  P: SparseStack
  converged: boolean
  sweeps: number
  marginalError: number
}

/** Support of one plan: forward and reverse nearest neighbours of the predictions, costs exact. */
function support(pred: Float64Array, x: Snapshot, y: Snapshot, treeY: KdTree, L: number): { ptr: Int32Array; col: Int32Array; cost: Float64Array } {
  const n = x.n, m = y.n, d = x.d
  const Lf = Math.min(L, m), Lr = Math.min(L, n)
  const fwd = treeY.knn({ data: pred, n, d }, Lf).indices
  const rev = KdTree.build({ data: pred, n, d }).knn({ data: y.x, n: m, d }, Lr).indices
  const count = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) count[i + 1] = Lf
  for (let q = 0; q < rev.length; q++) count[rev[q]! + 1]!++
  for (let i = 0; i < n; i++) count[i + 1]! += count[i]!
  const fill = count.slice(0, n)
  const raw = new Int32Array(count[n]!)
  for (let i = 0; i < n; i++) for (let l = 0; l < Lf; l++) raw[fill[i]!++] = fwd[i * Lf + l]!
  for (let j = 0; j < m; j++) for (let l = 0; l < Lr; l++) raw[fill[rev[j * Lr + l]!]!++] = j
  // Deduplicate each row (a pair found in both directions once).
  const mark = new Int32Array(m).fill(-1)
  const ptr = new Int32Array(n + 1)
  const col = new Int32Array(raw.length)
  let len = 0
  for (let i = 0; i < n; i++) {
    for (let q = count[i]!; q < count[i + 1]!; q++) {
      const j = raw[q]!
      if (mark[j] === i) continue
      mark[j] = i
      col[len++] = j
    }
    ptr[i + 1] = len
  }
  const cols = col.slice(0, len)
  const cost = new Float64Array(len)
  for (let i = 0; i < n; i++)
    for (let q = ptr[i]!; q < ptr[i + 1]!; q++) {
      const j = cols[q]!
      let c = 0
      for (let r = 0; r < d; r++) {
        const diff = y.x[j * d + r]! - pred[i * d + r]!
        c += diff * diff
      }
      cost[q] = c
    }
  return { ptr, col: cols, cost }
}

/** Mean of ‖y_j − p_i‖² over all pairs, from moments: E‖y‖² + E‖p‖² − 2 E[y]·E[p]. */
function meanPairCost(pred: Float64Array, y: Snapshot): number {
  const d = y.d, n = pred.length / d, m = y.n
  let s = 0
  const mp = new Float64Array(d), my = new Float64Array(d)
  for (let i = 0; i < n; i++) for (let r = 0; r < d; r++) (s += pred[i * d + r]! ** 2 / n), (mp[r] = mp[r]! + pred[i * d + r]! / n)
  for (let j = 0; j < m; j++) for (let r = 0; r < d; r++) (s += y.x[j * d + r]! ** 2 / m), (my[r] = my[r]! + y.x[j * d + r]! / m)
  for (let r = 0; r < d; r++) s -= 2 * mp[r]! * my[r]!
  return Math.max(s, 0)
}

/** A plan's support in compressed rows with the cost of each entry. */
export interface Support {
  ptr: Int32Array
  col: Int32Array
  cost: Float64Array
}

export interface ProjectionOptions {
  epsRelative: number
  marginalTol: number
  maxSweeps: number
  ctx?: EngineContext
  /** Called every 10 sweeps with a one-line state (ε stage, sweeps, marginal error). */
  onSweeps?: (message: string) => void
}

/** Builds the supports for θ and runs the KL projections on them. */
export function sparsePlans(snaps: Snapshot[], weights: Float64Array[], theta: Float64Array[], trees: KdTree[], o: SparseOptions): SparseResult {
  const K = theta.length
  const T = snaps.length - 1
  let meanCost = 0
  const sup = theta.map((th) =>
    Array.from({ length: T }, (_, t) => {
      const pred = predict(th, snaps[t]!, o.affine)
      meanCost += meanPairCost(pred, snaps[t + 1]!) / (K * T)
      return support(pred, snaps[t]!, snaps[t + 1]!, trees[t + 1]!, o.neighbours)
    }),
  )
  checkAborted(o.ctx)
  let cmax = 0
  for (const sk of sup) for (const sp of sk) for (let q = 0; q < sp.cost.length; q++) cmax = Math.max(cmax, sp.cost[q]!)
  const r = klProjections(sup, weights, meanCost, cmax, o)
  return { P: sup.map((sk, k) => sk.map((sp, t) => ({ ...sp, val: r.val[k]![t]! }))), converged: r.converged, sweeps: r.sweeps, marginalError: r.marginalError }
}

/**
 * The iterated KL projections (module comment of entropic.ts) of the plans on their supports: ε
 * from `scale` (the mean cost) down to epsRelative × scale in steps of 0.3, returning each entry's
 * plan value.
 */
export function klProjections(
  sup: Support[][],
  weights: Float64Array[],
  meanCost: number,
  cmax: number,
  o: ProjectionOptions,
): { val: Float64Array[][]; state: PlanPotentials; converged: boolean; sweeps: number; marginalError: number } {
  const K = sup.length
  const T = weights.length - 1
  const N = weights.map((w) => w.length)
  const scale = meanCost > 0 ? meanCost : 1
  const epsFinal = Math.max(o.epsRelative * scale, 1e-300)
  const stages: number[] = []
  for (let e = Math.max(scale, cmax / 50); e > epsFinal; e *= 0.3) stages.push(e)
  stages.push(epsFinal)

  const alpha = sup.map(() => Array.from({ length: T }, (_, t) => new Float64Array(N[t]!)))
  const beta = sup.map(() => Array.from({ length: T }, (_, t) => new Float64Array(N[t + 1]!)))
  const u = sup.map(() => Array.from({ length: T }, (_, t) => new Float64Array(N[t]!).fill(1)))
  const v = sup.map(() => Array.from({ length: T }, (_, t) => new Float64Array(N[t + 1]!).fill(1)))
  const G = sup.map((sk) => sk.map((s) => new Float64Array(s.cost.length)))
  const total = weights[0]!.reduce((s, x) => s + x, 0)
  let eps = stages[0]!

  const absorb = () => {
    for (let k = 0; k < K; k++)
      for (let t = 0; t < T; t++) {
        const a = alpha[k]![t]!, b = beta[k]![t]!, uu = u[k]![t]!, vv = v[k]![t]!
        for (let i = 0; i < a.length; i++) {
          a[i] = uu[i]! > 0 ? a[i]! + eps * Math.log(uu[i]!) : -Infinity
          uu[i] = 1
        }
        for (let j = 0; j < b.length; j++) {
          b[j] = vv[j]! > 0 ? b[j]! + eps * Math.log(vv[j]!) : -Infinity
          vv[j] = 1
        }
      }
  }
  const rebuild = () => {
    for (let k = 0; k < K; k++)
      for (let t = 0; t < T; t++) {
        const { ptr, col, cost } = sup[k]![t]!
        const a = alpha[k]![t]!, b = beta[k]![t]!, g = G[k]![t]!
        for (let i = 0; i < a.length; i++) {
          const ai = a[i]!
          for (let q = ptr[i]!; q < ptr[i + 1]!; q++) {
            const z = (ai + b[col[q]!]! - cost[q]!) / eps
            g[q] = z < -700 ? 0 : Math.exp(Math.min(z, 700))
          }
        }
      }
  }
  const rowsum = (k: number, t: number, out: Float64Array) => {
    const { ptr, col } = sup[k]![t]!
    const g = G[k]![t]!, uu = u[k]![t]!, vv = v[k]![t]!
    for (let i = 0; i < uu.length; i++) {
      let s = 0
      for (let q = ptr[i]!; q < ptr[i + 1]!; q++) s += g[q]! * vv[col[q]!]!
      out[i] = uu[i]! * s
    }
  }
  const colsum = (k: number, t: number, out: Float64Array) => {
    const { ptr, col } = sup[k]![t]!
    const g = G[k]![t]!, uu = u[k]![t]!, vv = v[k]![t]!
    out.fill(0)
    for (let i = 0; i < uu.length; i++) {
      const ui = uu[i]!
      if (ui === 0) continue
      for (let q = ptr[i]!; q < ptr[i + 1]!; q++) out[col[q]!] = out[col[q]!]! + ui * g[q]!
    }
    for (let j = 0; j < out.length; j++) out[j] = out[j]! * vv[j]!
  }
  const needsAbsorb = () => {
    for (const x of [...u.flat(), ...v.flat()]) for (let i = 0; i < x.length; i++) if (x[i]! > 1e100 || (x[i]! < 1e-100 && x[i]! > 0)) return true
    return false
  }
  const rowBuf = N.map((n) => Array.from({ length: K }, () => new Float64Array(n)))
  const sumBuf = N.map((n) => new Float64Array(n))
  const tmpR = N.map((n) => new Float64Array(n))
  const tmpC = N.map((n) => new Float64Array(n))
  const sweep = (measure: boolean): number => {
    let worst = 0
    // (1) rows of t = 0, shared across k
    const s0 = sumBuf[0]!.fill(0)
    for (let k = 0; k < K; k++) {
      const r = rowBuf[0]![k]!
      rowsum(k, 0, r)
      for (let i = 0; i < N[0]!; i++) s0[i] = s0[i]! + r[i]!
    }
    for (let i = 0; i < N[0]!; i++) {
      if (measure) worst = Math.max(worst, Math.abs(s0[i]! - weights[0]![i]!))
      const f = s0[i]! > 0 ? weights[0]![i]! / s0[i]! : 0
      for (let k = 0; k < K; k++) u[k]![0]![i] = u[k]![0]![i]! * f
    }
    for (let t = 0; t < T; t++) {
      // (2) columns of t + 1, shared across k
      const m = N[t + 1]!
      const tot = sumBuf[t + 1]!.fill(0)
      for (let k = 0; k < K; k++) {
        const c = rowBuf[t + 1]![k]!
        colsum(k, t, c)
        for (let j = 0; j < m; j++) tot[j] = tot[j]! + c[j]!
      }
      for (let j = 0; j < m; j++) {
        if (measure) worst = Math.max(worst, Math.abs(tot[j]! - weights[t + 1]![j]!))
        const f = tot[j]! > 0 ? weights[t + 1]![j]! / tot[j]! : 0
        for (let k = 0; k < K; k++) v[k]![t]![j] = v[k]![t]![j]! * f
      }
      // (3) conservation through time t + 1 for each ensemble
      if (t + 1 < T)
        for (let k = 0; k < K; k++) {
          const c = tmpC[t + 1]!, r = tmpR[t + 1]!
          colsum(k, t, c)
          rowsum(k, t + 1, r)
          for (let j = 0; j < m; j++) {
            const cj = c[j]!, rj = r[j]!
            if (measure) worst = Math.max(worst, Math.abs(cj - rj))
            if (cj > 0 && rj > 0) {
              const f = Math.sqrt(rj / cj)
              v[k]![t]![j] = v[k]![t]![j]! * f
              u[k]![t + 1]![j] = u[k]![t + 1]![j]! / f
            } else {
              v[k]![t]![j] = 0
              u[k]![t + 1]![j] = 0
            }
          }
        }
    }
    return worst / total
  }

  let sweeps = 0
  let err = Infinity
  let converged = false
  for (let s = 0; s < stages.length; s++) {
    eps = stages[s]!
    rebuild()
    const last = s === stages.length - 1
    const limit = last ? o.maxSweeps : Math.max(20, Math.floor(o.maxSweeps / 10))
    for (let it = 0; it < limit; it++) {
      const measure = it % 10 === 9 || it === limit - 1
      const e = sweep(measure)
      sweeps++
      if (measure) {
        err = e
        if (!Number.isFinite(err)) break
        checkAborted(o.ctx)
        o.onSweeps?.(`plan step: ε stage ${s + 1}/${stages.length}, ${sweeps} sweeps, marginal error ${err.toExponential(1)}`)
        if (err < (last ? o.marginalTol : o.marginalTol * 100)) {
          if (last) converged = true
          break
        }
        if (needsAbsorb()) {
          absorb()
          rebuild()
        }
      }
    }
    absorb()
  }
  rebuild()
  return { val: G, state: { alpha, beta }, converged, sweeps, marginalError: err }
}

/** Σ_k Σ_t ⟨C_k^t(θ), P_k^t⟩ over the supports, with the costs recomputed for θ. */
export function sparseObjective(snaps: Snapshot[], theta: Float64Array[], P: SparseStack, affine: boolean): number {
  let s = 0
  theta.forEach((th, k) =>
    P[k]!.forEach((p, t) => {
      const pred = predict(th, snaps[t]!, affine)
      const y = snaps[t + 1]!, d = y.d
      for (let i = 0; i < snaps[t]!.n; i++)
        for (let q = p.ptr[i]!; q < p.ptr[i + 1]!; q++) {
          const w = p.val[q]!
          if (w === 0) continue
          const j = p.col[q]!
          let c = 0
          for (let r = 0; r < d; r++) c += (y.x[j * d + r]! - pred[i * d + r]!) ** 2
          s += w * c
        }
    }),
  )
  return s
}
