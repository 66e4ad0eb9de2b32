/**
 * Exact plan step: the joint LP of paper eq. 7 for fixed θ, solved by HiGHS through a
 * persistent LP session (engines/linalg): the constraints depend only on the snapshot sizes, so
 * the model is built once per problem and only the costs change between block-coordinate
 * iterations and restarts — every re-solve is warm-started from the previous basis.
 * Variables P_k^t(i, j) in (k, t, i, j) order; rows:
 *   (1) Σ_k Σ_j P_k^0(i, j) = a_0(i)                                  N_0 rows
 *   (2) Σ_k Σ_i P_k^t(i, j) = a_{t+1}(j)                              Σ_t N_{t+1} rows
 *   (3) Σ_i P_k^{t−1}(i, j) − Σ_l P_k^t(j, l) = 0, 1 ≤ t ≤ T−1        K Σ_{t=1}^{T−1} N_t rows
 */
import { numericalError } from '@shared/errors'
import { createLpSession, type LpSession } from '../linalg/index'
import type { EngineContext } from '../common/context'
import type { Stack } from './costs'

export class ExactPlanSolver {
  solves = 0
  private constructor(
    private readonly session: LpSession,
    private readonly offsets: number[][],
    readonly numCols: number,
  ) {}

  static async create(K: number, N: number[], weights: Float64Array[]): Promise<ExactPlanSolver> {
    const T = N.length - 1
    const offsets: number[][] = []
    let numCols = 0
    for (let k = 0; k < K; k++) {
      const o: number[] = []
      for (let t = 0; t < T; t++) {
        o.push(numCols)
        numCols += N[t]! * N[t + 1]!
      }
      offsets.push(o)
    }
    const col = (k: number, t: number, i: number, j: number) => offsets[k]![t]! + i * N[t + 1]! + j
    const starts: number[] = [0]
    const indices: number[] = []
    const values: number[] = []
    const bound: number[] = []
    const endRow = (b: number) => {
      starts.push(indices.length)
      bound.push(b)
    }
    for (let i = 0; i < N[0]!; i++) {
      for (let k = 0; k < K; k++) for (let j = 0; j < N[1]!; j++) indices.push(col(k, 0, i, j)), values.push(1)
      endRow(weights[0]![i]!)
    }
    for (let t = 0; t < T; t++)
      for (let j = 0; j < N[t + 1]!; j++) {
        for (let k = 0; k < K; k++) for (let i = 0; i < N[t]!; i++) indices.push(col(k, t, i, j)), values.push(1)
        endRow(weights[t + 1]![j]!)
      }
    for (let k = 0; k < K; k++)
      for (let t = 1; t < T; t++)
        for (let j = 0; j < N[t]!; j++) {
          for (let i = 0; i < N[t - 1]!; i++) indices.push(col(k, t - 1, i, j)), values.push(1)
          for (let l = 0; l < N[t + 1]!; l++) indices.push(col(k, t, j, l)), values.push(-1)
          endRow(0)
        }
    const b = Float64Array.from(bound)
    const session = await createLpSession(
      {
        sense: 'min',
        c: new Float64Array(numCols),
        rows: { starts: Int32Array.from(starts), indices: Int32Array.from(indices), values: Float64Array.from(values), lower: b, upper: Float64Array.from(b) },
      },
      // Only costs change between solves: the old basis stays primal feasible, so the primal
      // simplex continues from it; presolve would discard it.
      { presolve: 'off', solver: 'simplex', duals: false, highsOptions: { simplex_strategy: 4 } },
    )
    return new ExactPlanSolver(session, offsets, numCols)
  }

  /** Solves the LP for the given costs, warm-started from the previous basis. */
  async solve(C: Stack, ctx?: EngineContext): Promise<{ P: Stack; objective: number }> {
    const cost = new Float64Array(this.numCols)
    C.forEach((ck, k) => ck.forEach((c, t) => cost.set(c, this.offsets[k]![t]!)))
    this.session.setCosts(cost)
    const r = await this.session.solve(ctx)
    this.solves++
    if (r.status !== 'optimal') throw numericalError(`The exact plan LP ended with status "${r.status}" (${r.message ?? ''}). Try solver=entropic.`)
    const P: Stack = C.map((ck, k) =>
      ck.map((c, t) => {
        const p = r.x.slice(this.offsets[k]![t]!, this.offsets[k]![t]! + c.length)
        for (let q = 0; q < p.length; q++) if (!(p[q]! > 0)) p[q] = 0 // -0 and -1e-17 from the simplex
        return p
      }),
    )
    return { P, objective: r.objective }
  }

  dispose(): void {
    this.session.dispose()
  }
}
