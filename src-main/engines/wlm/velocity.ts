/**
 * Initial-velocity estimate when none is measured: exact optimal transport between the first two
 * snapshots, v_i = (T(x_i) − x_i)/Δt with T(x_i) = Σ_j π_ij y_j / a_i the barycentric projection
 * of the W2-optimal plan π (squared Euclidean cost, uniform weights; for equal sizes π is a
 * permutation and T a matching). This is the forward finite difference of the OT displacement
 * interpolation, a first-order estimate: its error is O(Δt·|acceleration|) plus the sampling
 * noise of the matching (unpaired snapshots), so it is coarse when snapshots are far apart.
 * The reference code offers measured ("bundle"), zero, or a learned DICE potential (peers.md §2.6);
 * OT matching is our cheap, parameter-free stand-in for the latter.
 * Large problems: when n₀·n₁ exceeds `maxPairs`, μ_1 is subsampled (seeded) to ⌊maxPairs/n₀⌋
 * points (at least 1), which bounds the exact solve; the projection is then coarser.
 */
import { invalidInput } from '@shared/errors'
import { exactOt } from '../ot/index'
import { createRng } from '../stats/random'
import type { PointCloud } from '../ot/types'
import type { EngineContext } from '../common/context'

/** @param maxPairs bound on n₀·n₁ for the exact solve (@default 4e6) @param seed of the subsample (@default 0) */
export function otVelocity(x0: PointCloud, x1: PointCloud, dt: number, ctx?: EngineContext, maxPairs = 4e6, seed = 0): PointCloud {
  if (x0.d !== x1.d) throw invalidInput(`otVelocity: expected clouds of the same dimension, got ${x0.d} and ${x1.d}`)
  if (!(dt > 0 && Number.isFinite(dt))) throw invalidInput(`otVelocity: expected Δt > 0, got ${dt}`)
  if (x0.n * x1.n > maxPairs) {
    const m = Math.max(1, Math.floor(maxPairs / x0.n))
    const idx = createRng(seed).permutation(x1.n).subarray(0, m)
    const data = new Float64Array(m * x1.d)
    idx.forEach((r, i) => data.set(x1.data.subarray(r * x1.d, r * x1.d + x1.d), i * x1.d))
    x1 = { data, n: m, d: x1.d }
  }
  const res = exactOt({ x: x0, y: x1, cost: 'sqeuclidean' }, {}, ctx)
  const d = x0.d
  const bary = new Float64Array(x0.n * d)
  const mass = new Float64Array(x0.n)
  const { rows, cols, values } = res.plan
  for (let k = 0; k < values.length; k++) {
    const i = rows[k]!, j = cols[k]!, w = values[k]!
    mass[i] += w
    for (let c = 0; c < d; c++) bary[i * d + c] += w * x1.data[j * d + c]!
  }
  const out = new Float64Array(x0.n * d)
  for (let i = 0; i < x0.n; i++) {
    for (let c = 0; c < d; c++) {
      const xi = x0.data[i * d + c]!
      out[i * d + c] = mass[i]! > 0 ? (bary[i * d + c]! / mass[i]! - xi) / dt : 0
    }
  }
  return { data: out, n: x0.n, d }
}
