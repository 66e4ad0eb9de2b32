/**
 * Entropic plan step: min Σ⟨C, P⟩ + ε Σ P (log P − 1) under the three constraint families of
 * paper eq. 7, by iterated Bregman (KL) projections — the scalable mode.
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
import { checkAborted, type EngineContext } from '../common/context'
import type { Snapshot } from './types'
import type { Stack } from './costs'

export interface EntropicState {
  alpha: Float64Array[][]
  beta: Float64Array[][]
}

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
  const K = C.length
  const T = snaps.length - 1
  const N = snaps.map((s) => s.n)
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
  const scale = mean > 0 ? mean : 1
  const epsFinal = Math.max(o.epsRelative * scale, 1e-300)
  const stages: number[] = []
  for (let e = Math.max(scale, cmax / 50); e > epsFinal; e *= 0.3) stages.push(e)
  stages.push(epsFinal)

  const alpha = C.map(() => Array.from({ length: T }, (_, t) => new Float64Array(N[t]!)))
  const beta = C.map(() => Array.from({ length: T }, (_, t) => new Float64Array(N[t + 1]!)))
  const u = C.map(() => Array.from({ length: T }, (_, t) => new Float64Array(N[t]!).fill(1)))
  const v = C.map(() => Array.from({ length: T }, (_, t) => new Float64Array(N[t + 1]!).fill(1)))
  const G: Stack = C.map((ck) => ck.map((c) => new Float64Array(c.length)))
  const total = weights[0]!.reduce((s, x) => s + x, 0)

  let eps = stages[0]!
  const absorb = () => {
    for (let k = 0; k < K; k++)
      for (let t = 0; t < T; t++) {
        const a = alpha[k]![t]!, b = beta[k]![t]!, uu = u[k]![t]!, vv = v[k]![t]!
        for (let i = 0; i < a.length; i++) {
          if (uu[i]! > 0) a[i] = a[i]! + eps * Math.log(uu[i]!)
          else a[i] = -Infinity
          uu[i] = 1
        }
        for (let j = 0; j < b.length; j++) {
          if (vv[j]! > 0) b[j] = b[j]! + eps * Math.log(vv[j]!)
          else b[j] = -Infinity
          vv[j] = 1
        }
      }
  }
  const rebuild = () => {
    for (let k = 0; k < K; k++)
      for (let t = 0; t < T; t++) {
        const a = alpha[k]![t]!, b = beta[k]![t]!, c = C[k]![t]!, g = G[k]![t]!
        const m = b.length
        for (let i = 0; i < a.length; i++) {
          const ai = a[i]!
          for (let j = 0; j < m; j++) {
            const z = (ai + b[j]! - c[i * m + j]!) / eps
            g[i * m + j] = z < -700 ? 0 : Math.exp(Math.min(z, 700))
          }
        }
      }
  }
  // rowsum of diag(u) G diag(v), and colsum
  const rowsum = (k: number, t: number, out: Float64Array) => {
    const g = G[k]![t]!, uu = u[k]![t]!, vv = v[k]![t]!
    const m = vv.length
    for (let i = 0; i < uu.length; i++) {
      let s = 0
      for (let j = 0; j < m; j++) s += g[i * m + j]! * vv[j]!
      out[i] = uu[i]! * s
    }
  }
  const colsum = (k: number, t: number, out: Float64Array) => {
    const g = G[k]![t]!, uu = u[k]![t]!, vv = v[k]![t]!
    const m = vv.length
    out.fill(0)
    for (let i = 0; i < uu.length; i++) {
      const ui = uu[i]!
      if (ui === 0) continue
      for (let j = 0; j < m; j++) out[j] = out[j]! + ui * g[i * m + j]!
    }
    for (let j = 0; j < m; j++) out[j] = out[j]! * vv[j]!
  }
  const needsAbsorb = () => {
    for (const uk of u) for (const x of uk) for (let i = 0; i < x.length; i++) if (x[i]! > 1e100 || (x[i]! < 1e-100 && x[i]! > 0)) return true
    for (const vk of v) for (const x of vk) for (let i = 0; i < x.length; i++) if (x[i]! > 1e100 || (x[i]! < 1e-100 && x[i]! > 0)) return true
    return false
  }

  const tmpR = N.map((n) => new Float64Array(n))
  const tmpC = N.map((n) => new Float64Array(n))
  const sumBuf = N.map((n) => new Float64Array(n))
  let sweeps = 0
  let err = Infinity
  let converged = false

  const sweep = (measure: boolean): number => {
    let worst = 0
    // (1) rows of t = 0, shared across k
    sumBuf[0]!.fill(0)
    const r0: Float64Array[] = []
    for (let k = 0; k < K; k++) {
      const r = new Float64Array(N[0]!)
      rowsum(k, 0, r)
      r0.push(r)
      for (let i = 0; i < N[0]!; i++) sumBuf[0]![i] = sumBuf[0]![i]! + r[i]!
    }
    for (let i = 0; i < N[0]!; i++) {
      const s = sumBuf[0]![i]!
      if (measure) worst = Math.max(worst, Math.abs(s - weights[0]![i]!))
      const f = s > 0 ? weights[0]![i]! / s : 0
      for (let k = 0; k < K; k++) u[k]![0]![i] = u[k]![0]![i]! * f
    }
    for (let t = 0; t < T; t++) {
      // (2) columns of t, shared across k
      const m = N[t + 1]!
      const tot = sumBuf[t + 1]!
      tot.fill(0)
      const cols: Float64Array[] = []
      for (let k = 0; k < K; k++) {
        const c = new Float64Array(m)
        colsum(k, t, c)
        cols.push(c)
        for (let j = 0; j < m; j++) tot[j] = tot[j]! + c[j]!
      }
      for (let j = 0; j < m; j++) {
        const s = tot[j]!
        if (measure) worst = Math.max(worst, Math.abs(s - weights[t + 1]![j]!))
        const f = s > 0 ? weights[t + 1]![j]! / s : 0
        for (let k = 0; k < K; k++) v[k]![t]![j] = v[k]![t]![j]! * f
      }
      // (3) conservation through time t+1 for each ensemble
      if (t + 1 < T) {
        for (let k = 0; k < K; k++) {
          const c = tmpC[t + 1]!
          const r = tmpR[t + 1]!
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
    }
    return worst / total
  }

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
  // Plans from the absorbed potentials (u = v = 1 now).
  const P: Stack = G.map((gk) => gk.map((g) => Float64Array.from(g)))
  return { P, state: { alpha, beta }, converged, sweeps, marginalError: err }
}
