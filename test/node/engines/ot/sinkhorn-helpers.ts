/** Shared fixtures of the Sinkhorn tests. */
import { createRng } from '../../../../src-main/engines/stats/random'
import type { PointCloud } from '../../../../src-main/engines/ot/types'

/** n seeded Gaussian points in d dimensions, N(shift, sd²) per coordinate. */
export function cloud(seed: number, n: number, d: number, shift = 0, sd = 1): PointCloud {
  const rng = createRng(seed)
  const data = rng.normals(n * d, 0, sd)
  for (let i = 0; i < data.length; i++) data[i]! += shift
  return { data, n, d }
}
