/** Test fixture: a 2-D harmonic-oscillator population (a rotating cloud), x(t) = x0 cos t + v0 sin t. */
import { createRng } from '../../../../src-main/engines/stats/random'
import type { PointCloud } from '../../../../src-main/engines/ot/types'

export function rotatingCloud(n: number, seed: number): { n: number; d: 2; x0: Float64Array; v0: Float64Array; at: (t: number) => PointCloud } {
  const d = 2
  const rng = createRng(seed)
  const x0 = new Float64Array(n * d), v0 = new Float64Array(n * d)
  for (let i = 0; i < n; i++) {
    x0[2 * i] = 1.5 + 0.3 * rng.normal()
    x0[2 * i + 1] = 0.3 * rng.normal()
    v0[2 * i] = 0.1 * rng.normal()
    v0[2 * i + 1] = 1.5 + 0.1 * rng.normal()
  }
  const at = (t: number): PointCloud => {
    const o = new Float64Array(n * d)
    for (let i = 0; i < n * d; i++) o[i] = x0[i]! * Math.cos(t) + v0[i]! * Math.sin(t)
    return { data: o, n, d }
  }
  return { n, d, x0, v0, at }
}
