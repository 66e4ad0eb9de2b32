/**
 * Latin hypercube sampling (McKay, Beckman & Conover 1979).
 *
 * n points in the box ∏_j [lo_j, hi_j] ⊂ R^d: each axis is cut into n equal strata and every
 * stratum of every axis holds exactly one point. Coordinate j of point i is
 * lo_j + (hi_j − lo_j)·(π_j(i) + u_ij)/n with π_j an independent random permutation of 0..n−1
 * and u_ij ~ U[0, 1) (or u_ij = ½ with `centered`). Seeded; same seed -> same points.
 */
import { invalidInput } from '@shared/errors'
import type { PointCloud } from '../knn'
import { createRng, type Rng } from './random'

export interface LatinHypercubeOptions {
  /** Lower corner: one number for every axis, or one per axis. @default 0 */
  lo?: number | ArrayLike<number>
  /** Upper corner: one number for every axis, or one per axis. @default 1 */
  hi?: number | ArrayLike<number>
  /** Seed for createRng (ignored when `rng` is given). @default 0 */
  seed?: number
  /** Generator to draw from instead of a fresh one from `seed`. */
  rng?: Rng
  /** Put each point at the centre of its cell instead of uniformly inside it. @default false */
  centered?: boolean
}

/** n Latin-hypercube points in [lo, hi]^d as an n×d row-major point cloud. */
export function latinHypercube(n: number, d: number, options: LatinHypercubeOptions = {}): PointCloud {
  if (!Number.isInteger(n) || n < 1) throw invalidInput(`latinHypercube n: expected an integer >= 1, got ${n}`)
  if (!Number.isInteger(d) || d < 1) throw invalidInput(`latinHypercube d: expected an integer >= 1, got ${d}`)
  const corner = (v: number | ArrayLike<number> | undefined, dflt: number, name: string): Float64Array => {
    const out = new Float64Array(d)
    if (v === undefined || typeof v === 'number') out.fill(v ?? dflt)
    else {
      if (v.length !== d) throw invalidInput(`latinHypercube ${name}: expected ${d} values (one per axis), got ${v.length}`)
      for (let j = 0; j < d; j++) out[j] = v[j]!
    }
    for (let j = 0; j < d; j++) if (!Number.isFinite(out[j]!)) throw invalidInput(`latinHypercube ${name}: expected finite values, got ${out[j]} on axis ${j}`)
    return out
  }
  const lo = corner(options.lo, 0, 'lo')
  const hi = corner(options.hi, 1, 'hi')
  for (let j = 0; j < d; j++) {
    if (!(hi[j]! > lo[j]!)) throw invalidInput(`latinHypercube: expected lo < hi on every axis, got lo = ${lo[j]}, hi = ${hi[j]} on axis ${j}`)
  }
  const rng = options.rng ?? createRng(options.seed ?? 0)
  const data = new Float64Array(n * d)
  for (let j = 0; j < d; j++) {
    const perm = rng.permutation(n)
    const w = (hi[j]! - lo[j]!) / n
    for (let i = 0; i < n; i++) {
      const u = options.centered ? 0.5 : rng.uniform()
      data[i * d + j] = lo[j]! + w * (perm[i]! + u)
    }
  }
  return { data, n, d }
}
