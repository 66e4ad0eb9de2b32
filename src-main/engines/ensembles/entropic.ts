/**
 * Entropic plan step: min Σ⟨C, P⟩ + ε Σ P (log P − 1) under the three constraint families of
 * paper eq. 7, by iterated Bregman (KL) projections, on dense plans (every pair; the projections are
 * sparse.ts's klProjections, which also serves the nearest-neighbour supports of large snapshots).
 *
 * Each plan is P_k^t = diag(u_k^t) G_k^t diag(v_k^t) with G = exp((α_i + β_j − C_ij)/ε); the
 * scalings are absorbed into the log-potentials α, β whenever they leave [1e-100, 1e100] and at
 * every ε stage (stabilised scaling, Schmitzer 2019), so small ε does not underflow. The
 * projections are closed-form:
 *   (1) Σ_k P_k^0 1 = a_0:        u_k^0 ← u_k^0 · a_0 / Σ_k rowsum(P_k^0)
 *   (2) Σ_k (P_k^t)ᵀ1 = a_{t+1}:   v_k^t ← v_k^t · a_{t+1} / Σ_k colsum(P_k^t)
 *   (3) colsum(P_k^{t−1}) = rowsum(P_k^t) =: c, r:  v_k^{t−1} ← v·√(r/c),  u_k^t ← u·√(c/r)
 * ε decreases geometrically from the mean cost to epsRelative × mean cost (ε-scaling).
 */
import type { EngineContext } from '../common/context'
import type { Snapshot } from './types'
import type { Stack } from './costs'
import { klProjections, type PlanPotentials, type Support } from './sparse'

export type EntropicState = PlanPotentials

export interface EntropicOptions {
  epsRelative: number
  marginalTol: number
  maxSweeps: number
  ctx?: EngineContext
}

export interface EntropicPlans {
  P: Stack
  state: EntropicState
  converged: boolean
  sweeps: number
  marginalError: number
}

export function entropicPlans(snaps: Snapshot[], weights: Float64Array[], C: Stack, o: EntropicOptions): EntropicPlans {
  let mean = 0
  let count = 0
  let cmax = 0
  for (const ck of C)
    for (const c of ck)
      for (let q = 0; q < c.length; q++) {
        mean += c[q]!
        cmax = Math.max(cmax, c[q]!)
        count++
      }
  mean /= Math.max(1, count)
  // Every pair is in the support: rows of m consecutive entries, the cost matrix itself.
  const sup: Support[][] = C.map((ck) =>
    ck.map((c, t) => {
      const n = snaps[t]!.n, m = snaps[t + 1]!.n
      const col = new Int32Array(n * m)
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) col[i * m + j] = j
      return { ptr: Int32Array.from({ length: n + 1 }, (_, i) => i * m), col, cost: c }
    }),
  )
  const r = klProjections(sup, weights, mean, cmax, o)
  // With every pair in the support, the entry values are the dense plans, row-major.
  return { P: r.val, state: r.state, converged: r.converged, sweeps: r.sweeps, marginalError: r.marginalError }
}
