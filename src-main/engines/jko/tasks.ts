/**
 * The JKOnet paper's trajectory tasks (Bunne et al. 2022, papers/004 §4.1 and App. B.2; code
 * bunnech/jkonet `trajectory_dataloader.py`, peers.md §4.4): a 2-D Gaussian cloud moved along a
 * fixed curve, not by the gradient of any energy (a sanity check that an energy can still model
 * it).
 *
 * Curve (as the reference code builds it; the paper's appendix gives slightly different spiral
 * numbers, r 10 → 1, 100 points, 10 snapshots):
 * - 'line': x = linspace(−10, −2.5, 100), y = 0; 2 snapshots.
 * - 'semicircle': θ = linspace(2π, 0, 100), r = 10, points with y ≥ 0 kept (50 points, from
 *   (−10, 0) over the top to (10, 0)); 5 snapshots.
 * - 'spiral': θ = linspace(2.75π, 0, 150), r = linspace(15, 1, 150); points 0–49 and then every
 *   second one of the rest (100 points); 8 snapshots.
 * The curve points are split into T consecutive chunks (numpy `array_split`: the first chunks get
 * one point more); snapshot k has n points spread evenly over chunk k's curve points (point j sits
 * on curve point ⌊j·m/n⌋ of the m in the chunk), each plus N(0, I) noise (scale 1, length units of
 * the curve). Snapshots are independent draws (unpaired). Units: the curve's coordinates; times
 * are the snapshot indices 0..T−1.
 */
import { invalidInput } from '@shared/errors'
import { createRng } from '../stats/random'
import type { PointCloud } from './common'

export type JkonetTrajectoryTask = 'line' | 'semicircle' | 'spiral'

export interface JkonetTrajectoryConfig {
  /** Points per snapshot. @default 250 (the reference's batch) */
  n?: number
  /** Seed of the noise. @default 0 */
  seed?: number
  /** Std of the isotropic Gaussian noise around the curve points. @default 1 */
  noise?: number
}

export interface JkonetTrajectoryData {
  name: JkonetTrajectoryTask
  /** T snapshots of n points each (2-D). */
  snapshots: PointCloud[]
  /** Snapshot indices 0..T−1. */
  times: number[]
  /** The curve points, m × 2 row-major, in order of travel. */
  curve: PointCloud
  /** Mean of each snapshot's curve points (where the cloud's centre moves), T × 2. */
  centres: PointCloud
}

/** numpy.linspace: a + i·step, the last point exactly b. */
function linspace(a: number, b: number, m: number): number[] {
  const step = (b - a) / (m - 1)
  return Array.from({ length: m }, (_, i) => (i === m - 1 ? b : a + i * step))
}

/** The task's curve points (m × 2) and number of snapshots. */
export function jkonetTrajectoryCurve(task: JkonetTrajectoryTask): { curve: number[][]; snapshots: number } {
  if (task === 'line') return { curve: linspace(-10, -2.5, 100).map((x) => [x, 0]), snapshots: 2 }
  if (task === 'semicircle') {
    const pts = linspace(2 * Math.PI, 0, 100).map((t) => [10 * Math.cos(t), 10 * Math.sin(t)])
    // numpy: sin(π) ≈ 1.2e−16 ≥ 0 is kept, sin(2π) ≈ −2.4e−16 is not — the same in JS.
    return { curve: pts.filter((p) => p[1]! >= 0), snapshots: 5 }
  }
  if (task === 'spiral') {
    const th = linspace(2.75 * Math.PI, 0, 150), r = linspace(15, 1, 150)
    const pts = th.map((t, i) => [r[i]! * Math.cos(t), r[i]! * Math.sin(t)])
    return { curve: [...pts.slice(0, 50), ...pts.slice(50).filter((_, i) => i % 2 === 0)], snapshots: 8 }
  }
  throw invalidInput(`expected task 'line' | 'semicircle' | 'spiral', got ${String(task)}`)
}

/** Snapshots of the trajectory task (see the module comment). */
export function jkonetTrajectoryData(task: JkonetTrajectoryTask, config: JkonetTrajectoryConfig = {}): JkonetTrajectoryData {
  const n = config.n ?? 250, seed = config.seed ?? 0, noise = config.noise ?? 1
  if (!(Number.isInteger(n) && n >= 1)) throw invalidInput(`expected n to be an integer >= 1, got ${n}`)
  if (!(noise >= 0 && Number.isFinite(noise))) throw invalidInput(`expected noise >= 0, got ${noise}`)
  const { curve, snapshots: T } = jkonetTrajectoryCurve(task)
  const m = curve.length
  const rng = createRng(seed)
  const snapshots: PointCloud[] = []
  const centres = new Float64Array(T * 2)
  // numpy array_split: the first m mod T chunks have ⌈m/T⌉ points, the rest ⌊m/T⌋.
  let start = 0
  for (let k = 0; k < T; k++) {
    const size = Math.floor(m / T) + (k < m % T ? 1 : 0)
    const chunk = curve.slice(start, start + size)
    start += size
    const r = rng.fork()
    const x = new Float64Array(n * 2)
    for (let j = 0; j < n; j++) {
      const p = chunk[Math.floor((j * size) / n)]!
      x[2 * j] = p[0]! + noise * r.normal()
      x[2 * j + 1] = p[1]! + noise * r.normal()
    }
    for (const p of chunk) { centres[2 * k] += p[0]! / size; centres[2 * k + 1] += p[1]! / size }
    snapshots.push({ data: x, n, d: 2 })
  }
  return {
    name: task,
    snapshots,
    times: Array.from({ length: T }, (_, k) => k),
    curve: { data: Float64Array.from(curve.flat()), n: m, d: 2 },
    centres: { data: centres, n: T, d: 2 },
  }
}
