/**
 * Boids (Reynolds 1987), the Vicsek-style variant of the WLM paper (§4.4, App. C.4; reference
 * guanton/WLM `dataset_modules/boids.py`, config `configs/data/boids.yaml`, restated in
 * research/peers.md §2.5). 2-D (any d works), unit-speed agents.
 *
 * Initial state: x_0 ~ N(0, initPosStd² I); v_0 ~ N(0, initVelStd² I), then the mean velocity is
 * subtracted and every row normalised to unit speed.
 * Each step, for agent i with Δ_ij = x_j − x_i, outer mask O_ij = 1[‖Δ_ij‖ < outerRadius],
 * inner mask I_ij = 1[‖Δ_ij‖ < innerRadius] (j = i included: it adds 0 to the sums and 1 to
 * n_i = Σ_j O_ij ≥ 1):
 *   cohesion   c_i = Σ_j O_ij Δ_ij / n_i
 *   separation s_i = −Σ_j I_ij Δ_ij
 *   alignment  a_i = Σ_j O_ij (v_j − v_i) / n_i
 *   boundary   b_i = −sign(x_i) ⊙ 1[|x_i| > boxHalfWidth]   (per coordinate)
 *   dv_i = wc c_i + ws s_i + wa a_i + wb b_i  (defaults 0.005, 0.1, 0.3, 0.5)
 * Update (semi-implicit Euler): v ← normalise(v + dt·dv), x ← x + dt·v (+ √dt·σ·ξ if σ > 0).
 * Defaults = the paper's config: N = 1000, d = 2, 100 steps, dt = 0.5, σ = 0, seed 1.
 * Cost O(steps · N² · d).
 */
import { invalidInput } from '@shared/errors'
import { createRng } from '../stats/random'
import type { PointCloud } from '../ot/types'

export interface BoidsConfig {
  /** Agents. @default 1000 */
  n?: number
  /** Dimension. @default 2 */
  d?: number
  /** Steps (snapshots = steps + 1). @default 100 */
  steps?: number
  /** Time step. @default 0.5 */
  dt?: number
  /** Position noise σ (x += √dt σ ξ). @default 0 */
  sigma?: number
  /** @default 1 */
  seed?: number
  /** @default 1 */
  initPosStd?: number
  /** @default 1 */
  initVelStd?: number
  /** Neighbourhood radius of cohesion and alignment. @default 1.0 */
  outerRadius?: number
  /** Radius of separation. @default 0.3 */
  innerRadius?: number
  /** Half-width of the box whose boundary pushes back. @default 5 */
  boxHalfWidth?: number
  /** Start from these positions and velocities (n × d each, velocities used as given) instead of the random draw. */
  initial?: { positions: Float64Array; velocities: Float64Array }
  /** Rule weights. @default { cohesion: 0.005, separation: 0.1, alignment: 0.3, boundary: 0.5 } */
  weights?: { cohesion?: number; separation?: number; alignment?: number; boundary?: number }
}

export interface BoidsData {
  /** k·dt, k = 0..steps. */
  times: number[]
  /** Positions per time; row i is agent i at every time (paired: identities kept). */
  positions: PointCloud[]
  /** Velocities per time (unit speed): velocities[k] moved the agents from positions[k−1] to positions[k]; [0] = v_0. */
  velocities: PointCloud[]
  dt: number
}

export function boids(config: BoidsConfig = {}): BoidsData {
  const n = config.n ?? 1000, d = config.d ?? 2, steps = config.steps ?? 100, dt = config.dt ?? 0.5
  const sigma = config.sigma ?? 0, seed = config.seed ?? 1
  const ro = config.outerRadius ?? 1.0, ri = config.innerRadius ?? 0.3, box = config.boxHalfWidth ?? 5
  const w = { cohesion: 0.005, separation: 0.1, alignment: 0.3, boundary: 0.5, ...config.weights }
  for (const [k, v] of [['n', n], ['d', d], ['steps', steps]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw invalidInput(`boids: expected ${k} to be an integer >= 1, got ${v}`)
  }
  for (const [k, v] of [['dt', dt], ['outerRadius', ro], ['innerRadius', ri], ['boxHalfWidth', box]] as const) {
    if (!(Number.isFinite(v) && v > 0)) throw invalidInput(`boids: expected ${k} > 0, got ${v}`)
  }
  if (!(Number.isFinite(sigma) && sigma >= 0)) throw invalidInput(`boids: expected sigma >= 0, got ${sigma}`)
  const rng = createRng(seed)
  const init = config.initial
  if (init && !(init.positions?.length === n * d && init.velocities?.length === n * d)) {
    throw invalidInput(`boids: expected initial positions and velocities of length n·d = ${n * d}, got ${init.positions?.length} and ${init.velocities?.length}`)
  }
  const x = init ? Float64Array.from(init.positions) : rng.normals(n * d, 0, config.initPosStd ?? 1)
  const v = init ? Float64Array.from(init.velocities) : rng.normals(n * d, 0, config.initVelStd ?? 1)
  if (!init) for (let c = 0; c < d; c++) {
    let m = 0
    for (let i = 0; i < n; i++) m += v[i * d + c]!
    m /= n
    for (let i = 0; i < n; i++) v[i * d + c] -= m
  }
  const normalise = (a: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let c = 0; c < d; c++) s += a[i * d + c]! ** 2
      const r = Math.sqrt(s)
      if (r > 1e-12) for (let c = 0; c < d; c++) a[i * d + c] = a[i * d + c]! / r
    }
  }
  if (!init) normalise(v)
  const positions: PointCloud[] = [{ data: Float64Array.from(x), n, d }]
  const velocities: PointCloud[] = [{ data: Float64Array.from(v), n, d }]
  const times = [0]
  const dv = new Float64Array(n * d)
  const coh = new Float64Array(d), sep = new Float64Array(d), ali = new Float64Array(d)
  const ro2 = ro * ro, ri2 = ri * ri
  for (let s = 1; s <= steps; s++) {
    for (let i = 0; i < n; i++) {
      coh.fill(0); sep.fill(0); ali.fill(0)
      let cnt = 0
      for (let j = 0; j < n; j++) {
        let r2 = 0
        for (let c = 0; c < d; c++) r2 += (x[j * d + c]! - x[i * d + c]!) ** 2
        if (r2 < ro2) {
          cnt++
          for (let c = 0; c < d; c++) {
            coh[c] += x[j * d + c]! - x[i * d + c]!
            ali[c] += v[j * d + c]! - v[i * d + c]!
          }
        }
        if (r2 < ri2) for (let c = 0; c < d; c++) sep[c] -= x[j * d + c]! - x[i * d + c]!
      }
      for (let c = 0; c < d; c++) {
        const xi = x[i * d + c]!
        const b = Math.abs(xi) > box ? -Math.sign(xi) : 0
        dv[i * d + c] = (w.cohesion * coh[c]!) / cnt + w.separation * sep[c]! + (w.alignment * ali[c]!) / cnt + w.boundary * b
      }
    }
    for (let i = 0; i < n * d; i++) v[i] = v[i]! + dt * dv[i]!
    normalise(v)
    const noise = sigma > 0 ? Math.sqrt(dt) * sigma : 0
    for (let i = 0; i < n * d; i++) x[i] = x[i]! + dt * v[i]! + (noise > 0 ? noise * rng.normal() : 0)
    positions.push({ data: Float64Array.from(x), n, d })
    velocities.push({ data: Float64Array.from(v), n, d })
    times.push(s * dt)
  }
  return { times, positions, velocities, dt }
}
