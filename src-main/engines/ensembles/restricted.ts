/**
 * Exact plan step by column generation: the joint LP of paper eq. 7 for fixed θ (same rows as
 * exact.ts), solved over a small set of candidate columns P_k^t(i, j) and proven optimal for the
 * full LP by pricing every column with the duals.
 *
 * Candidates per (k, t, i): the `candidates` targets j with the smallest cost C_k^t(i, j) (each
 * particle's nearest predicted targets), plus the support of the previous plan (always feasible:
 * the constraints do not depend on θ) or, on the first call, a north-west-corner plan in ensemble
 * 0 (feasible for any weights). After each restricted solve (HiGHS, fresh model) with row duals
 * y, the reduced cost of every column of the full LP is
 *   r_k^t(i, j) = C_k^t(i, j) − [t = 0] y¹_i − y²_{t, j} − [t + 1 ≤ T − 1] y³_{k, t+1, j} + [t ≥ 1] y³_{k, t, i},
 * and columns with r < −tol·(mean cost) are added (at most `addPerRow` per (k, t, i), the most
 * negative first). When none is left, the restricted optimum is optimal for the full LP
 * (LP duality), which is what the `optimal` flag reports.
 *
 * Size: the restricted LP has about K·T·N·candidates columns instead of K·Σ_t N_t N_{t+1}
 * (3·4·100·8 = 9,600 instead of 120,000 in the benchmark setting), and re-solves take tens of ms.
 */
import { numericalError } from '@shared/errors'
import { checkAborted, type EngineContext } from '../common/context'
import { solveLp } from '../linalg/index'
import type { Stack } from './costs'

export interface RestrictedOptions {
  /** Nearest predicted targets per (k, t, i) in the first restricted LP. @default 8 */
  candidates?: number
  /** Columns added per (k, t, i) and pricing round at most. @default 4 */
  addPerRow?: number
  /** Pricing rounds at most (then the restricted optimum is returned with optimal = false). @default 30 */
  maxRounds?: number
  /** Reduced-cost tolerance relative to the mean cost. @default 1e-9 */
  tol?: number
  /**
   * Column set of a previous call on the same sizes (RestrictedResult.columnSet), kept as
   * candidates: between block-coordinate iterations most of the useful columns stay useful,
   * so far fewer pricing rounds are needed.
   */
  columnSet?: Uint8Array
}

export interface RestrictedResult {
  P: Stack
  objective: number
  /** True when no column of the full LP has a negative reduced cost (full-LP optimum). */
  optimal: boolean
  rounds: number
  /** Columns of the last restricted LP. */
  columns: number
  /** Membership flags of the final column set over the full (k, t, i, j) index. */
  columnSet: Uint8Array
}

interface Col {
  k: number
  t: number
  i: number
  j: number
}

/**
 * Solves the joint plan LP for costs C ([k][t], N_t × N_{t+1} row-major) and weights a_t,
 * starting from the support of `previous` when given.
 */
export async function restrictedPlans(C: Stack, N: number[], weights: Float64Array[], previous: Stack | null, o: RestrictedOptions = {}, ctx?: EngineContext): Promise<RestrictedResult> {
  const candidates = o.candidates ?? 8
  const addPerRow = o.addPerRow ?? 4
  const maxRounds = o.maxRounds ?? 30
  const K = C.length
  const T = N.length - 1
  // Column set: a hash set over the flat index of (k, t, i, j).
  const off: number[][] = []
  let total = 0
  for (let k = 0; k < K; k++) {
    off.push([])
    for (let t = 0; t < T; t++) {
      off[k]!.push(total)
      total += N[t]! * N[t + 1]!
    }
  }
  const inSet = new Uint8Array(total)
  const cols: Col[] = []
  if (o.columnSet && o.columnSet.length === total)
    for (let k = 0; k < K; k++)
      for (let t = 0; t < T; t++) {
        const m = N[t + 1]!
        for (let q = 0; q < N[t]! * m; q++)
          if (o.columnSet[off[k]![t]! + q]) {
            inSet[off[k]![t]! + q] = 1
            cols.push({ k, t, i: Math.floor(q / m), j: q % m })
          }
      }
  const add = (k: number, t: number, i: number, j: number) => {
    const f = off[k]![t]! + i * N[t + 1]! + j
    if (inSet[f]) return false
    inSet[f] = 1
    cols.push({ k, t, i, j })
    return true
  }
  let meanCost = 0
  for (let k = 0; k < K; k++)
    for (let t = 0; t < T; t++) {
      const c = C[k]![t]!
      const m = N[t + 1]!
      for (let q = 0; q < c.length; q++) meanCost += c[q]!
      const m0 = Math.min(candidates, m)
      const bestC = new Float64Array(m0)
      const bestJ = new Int32Array(m0)
      for (let i = 0; i < N[t]!; i++) {
        // The m0 smallest of the row, smallest first, ties in column order (a stable sort's first m0).
        const o = i * m
        let len = 0
        for (let j = 0; j < m; j++) {
          const v = c[o + j]!
          if (len === m0 && !(v < bestC[m0 - 1]!)) continue
          let q = len < m0 ? len++ : m0 - 1
          while (q > 0 && bestC[q - 1]! > v) (bestC[q] = bestC[q - 1]!), (bestJ[q] = bestJ[q - 1]!), q--
          bestC[q] = v
          bestJ[q] = j
        }
        for (let q = 0; q < m0; q++) add(k, t, i, bestJ[q]!)
      }
    }
  meanCost /= total
  const tol = (o.tol ?? 1e-9) * Math.max(meanCost, 1e-300)
  if (previous) {
    for (let k = 0; k < K; k++)
      for (let t = 0; t < T; t++) {
        const p = previous[k]![t]!
        const m = N[t + 1]!
        for (let q = 0; q < p.length; q++) if (p[q]! > 0) add(k, t, Math.floor(q / m), q % m)
      }
  } else {
    // North-west corner plan per transition, all in ensemble 0: feasible for any weights.
    for (let t = 0; t < T; t++) {
      const a = Float64Array.from(weights[t]!)
      const b = Float64Array.from(weights[t + 1]!)
      let i = 0
      let j = 0
      while (i < N[t]! && j < N[t + 1]!) {
        add(0, t, i, j)
        const m = Math.min(a[i]!, b[j]!)
        a[i] = a[i]! - m
        b[j] = b[j]! - m
        if (a[i]! <= 1e-15 * (1 + m) && i < N[t]! - 1) i++
        else if (b[j]! <= 1e-15 * (1 + m)) j++
        else i++
      }
    }
  }
  // Row layout (as exact.ts): (1) N_0 rows, (2) Σ_t N_{t+1} rows, (3) K Σ_{t=1}^{T−1} N_t rows.
  const row2: number[] = []
  let nRows = N[0]!
  for (let t = 0; t < T; t++) {
    row2.push(nRows)
    nRows += N[t + 1]!
  }
  const row3: number[][] = []
  for (let k = 0; k < K; k++) {
    row3.push([])
    for (let t = 1; t < T; t++) {
      row3[k]![t] = nRows
      nRows += N[t]!
    }
  }
  const lower = new Float64Array(nRows)
  for (let i = 0; i < N[0]!; i++) lower[i] = weights[0]![i]!
  for (let t = 0; t < T; t++) for (let j = 0; j < N[t + 1]!; j++) lower[row2[t]! + j] = weights[t + 1]![j]!

  let rounds = 0
  for (;;) {
    checkAborted(ctx)
    rounds++
    // Build the restricted LP in CSR form: each row lists its columns in column order.
    const c = new Float64Array(cols.length)
    const starts = new Int32Array(nRows + 1)
    const forEachEntry = (f: (row: number, q: number, v: number) => void) =>
      cols.forEach(({ k, t, i, j }, q) => {
        if (t === 0) f(i, q, 1)
        f(row2[t]! + j, q, 1)
        if (t + 1 <= T - 1) f(row3[k]![t + 1]! + j, q, 1)
        if (t >= 1) f(row3[k]![t]! + i, q, -1)
      })
    cols.forEach(({ k, t, i, j }, q) => (c[q] = C[k]![t]![i * N[t + 1]! + j]!))
    forEachEntry((row) => starts[row + 1]!++)
    for (let r = 0; r < nRows; r++) starts[r + 1]! += starts[r]!
    const fill = starts.slice(0, nRows)
    const indices = new Int32Array(starts[nRows]!)
    const values = new Float64Array(starts[nRows]!)
    forEachEntry((row, q, v) => {
      const at = fill[row]!++
      indices[at] = q
      values[at] = v
    })
    const res = await solveLp(
      { sense: 'min', c, rows: { starts, indices, values, lower, upper: lower } },
      { duals: true },
      ctx,
    )
    if (res.status !== 'optimal' || !res.duals)
      throw numericalError(`The restricted plan LP ended with status "${res.status}" (${res.message}). Try solver=entropic.`)
    const y = res.duals.rows
    // Pricing over the full LP.
    const newCols: Col[] = []
    const buf: { j: number; r: number }[] = []
    for (let k = 0; k < K; k++)
      for (let t = 0; t < T; t++) {
        const ck = C[k]![t]!
        const m = N[t + 1]!
        for (let i = 0; i < N[t]!; i++) {
          let base = 0
          if (t === 0) base += y[i]!
          if (t >= 1) base -= y[row3[k]![t]! + i]!
          buf.length = 0
          for (let j = 0; j < m; j++) {
            let r = ck[i * m + j]! - base - y[row2[t]! + j]!
            if (t + 1 <= T - 1) r -= y[row3[k]![t + 1]! + j]!
            if (r < -tol && !inSet[off[k]![t]! + i * m + j]) buf.push({ j, r })
          }
          if (buf.length > addPerRow) buf.sort((a, b) => a.r - b.r)
          for (let q = 0; q < Math.min(addPerRow, buf.length); q++) newCols.push({ k, t, i, j: buf[q]!.j })
        }
      }
    if (!newCols.length || rounds >= maxRounds) {
      const P: Stack = C.map((ck) => ck.map((x) => new Float64Array(x.length)))
      cols.forEach(({ k, t, i, j }, q) => {
        const v = res.x[q]!
        if (v > 0) P[k]![t]![i * N[t + 1]! + j] = v
      })
      return { P, objective: res.objective, optimal: newCols.length === 0, rounds, columns: cols.length, columnSet: inSet }
    }
    for (const nc of newCols) add(nc.k, nc.t, nc.i, nc.j)
  }
}
