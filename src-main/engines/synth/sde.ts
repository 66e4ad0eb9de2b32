/**
 * Gradient-flow SDE benchmark of the WLM paper (§4.1, App. C.1; reference guanton/WLM
 * `configs/data/gf_sde.yaml` and its own `functions.py`, restated in research/peers.md §2.5):
 *   dX = −∇Ψ(X) dt + σ dW,   σ = 1,  x_0 ~ N(0, initVariance·I) (default 0.2),
 * snapshots every dt = 0.01 (steps = 20, times 0 … 0.2), each interval integrated by
 * Euler–Maruyama with `microSteps` = 10 micro-steps of h = dt/10: x ← x − h∇Ψ(x) + σ√h ξ.
 * - paired (default false → unpaired): ordinary trajectories, row i is particle i at every time;
 * - unpaired (`independent: true`, the reference's kill_condition): for each snapshot k, N starting
 *   points are drawn with replacement from x_0 and simulated afresh from 0 to k·dt (independent
 *   cross-sections; rows carry no identity).
 * Potentials as in WLM's `functions.py` (which differ from JKOnet*'s, see potentials.ts):
 *   bohachevsky     Ψ = x₁² + 2x₂² − 0.3 cos(3πx₁) − 0.4 cos(4πx₂) + 0.7   (d = 2)
 *   poly            Ψ = ½‖x‖²
 *   styblinski_tang Ψ = ½ Σ (v⁴ − 16v² + 5v)
 *   oakley_ohagan   Ψ = Σ v + Σ v² + Σ_{i≥2} v_i v_{i−1}
 *   wavy_plateau    Ψ = Σ sin v_i
 * Gradients are analytic.
 *
 * `probabilityFlowVelocity` gives the velocity of the probability flow of this SDE,
 * −∇Ψ(x) − (σ²/2) ∇log ρ(x), with the score ∇log ρ estimated by a Gaussian KDE (bandwidth
 * h² = median squared pairwise distance / (2 log(N + 1)), ≥ 1e-3, as the reference). The
 * reference code adds the score term with a "+" sign (peers.md §2.5 flags it as a likely bug);
 * we use the sign of the Fokker–Planck equation.
 */
import { invalidInput } from '@shared/errors'
import { createRng } from '../stats/random'
import type { PointCloud } from '../ot/types'

export const WLM_SDE_POTENTIALS = ['bohachevsky', 'poly', 'styblinski_tang', 'oakley_ohagan', 'wavy_plateau'] as const
export type WlmSdePotential = (typeof WLM_SDE_POTENTIALS)[number]

export interface PotentialField {
  value: (v: ArrayLike<number>) => number
  /** ∇Ψ(v) written into out. */
  grad: (v: ArrayLike<number>, out: Float64Array) => Float64Array
}

export const wlmSdePotentials: Record<WlmSdePotential, PotentialField> = {
  bohachevsky: {
    value: (v) => v[0]! ** 2 + 2 * v[1]! ** 2 - 0.3 * Math.cos(3 * Math.PI * v[0]!) - 0.4 * Math.cos(4 * Math.PI * v[1]!) + 0.7,
    grad: (v, o) => {
      o[0] = 2 * v[0]! + 0.9 * Math.PI * Math.sin(3 * Math.PI * v[0]!)
      o[1] = 4 * v[1]! + 1.6 * Math.PI * Math.sin(4 * Math.PI * v[1]!)
      return o
    },
  },
  poly: {
    value: (v) => { let s = 0; for (let i = 0; i < v.length; i++) s += v[i]! ** 2; return 0.5 * s },
    grad: (v, o) => { for (let i = 0; i < v.length; i++) o[i] = v[i]!; return o },
  },
  styblinski_tang: {
    value: (v) => { let s = 0; for (let i = 0; i < v.length; i++) { const x = v[i]!; s += x ** 4 - 16 * x * x + 5 * x } return 0.5 * s },
    grad: (v, o) => { for (let i = 0; i < v.length; i++) { const x = v[i]!; o[i] = 0.5 * (4 * x ** 3 - 32 * x + 5) } return o },
  },
  oakley_ohagan: {
    value: (v) => { let s = 0; for (let i = 0; i < v.length; i++) s += v[i]! + v[i]! ** 2 + (i > 0 ? v[i]! * v[i - 1]! : 0); return s },
    grad: (v, o) => {
      const d = v.length
      for (let i = 0; i < d; i++) o[i] = 1 + 2 * v[i]! + (i > 0 ? v[i - 1]! : 0) + (i < d - 1 ? v[i + 1]! : 0)
      return o
    },
  },
  wavy_plateau: {
    value: (v) => { let s = 0; for (let i = 0; i < v.length; i++) s += Math.sin(v[i]!); return s },
    grad: (v, o) => { for (let i = 0; i < v.length; i++) o[i] = Math.cos(v[i]!); return o },
  },
}

export interface GradientFlowSdeConfig {
  potential: WlmSdePotential
  /** Particles per snapshot. @default 1000 */
  n?: number
  /** @default 2 (bohachevsky needs 2) */
  d?: number
  /** Snapshot intervals (snapshots = steps + 1). @default 20 */
  steps?: number
  /** Time between snapshots. @default 0.01 */
  dt?: number
  /** Euler–Maruyama micro-steps per interval. @default 10 */
  microSteps?: number
  /** Diffusivity σ. @default 1 */
  sigma?: number
  /** Variance of the centred Gaussian x_0. @default 0.2 */
  initVariance?: number
  /** Independent cross-sections (unpaired) instead of trajectories (paired). @default false */
  independent?: boolean
  /** @default 0 */
  seed?: number
}

export interface GradientFlowSdeData {
  times: number[]
  /** One cloud per time (paired: row i is particle i throughout; unpaired: fresh rows each time). */
  snapshots: PointCloud[]
  potential: PotentialField
  sigma: number
  dt: number
  paired: boolean
}

export function gradientFlowSde(config: GradientFlowSdeConfig): GradientFlowSdeData {
  const pot = wlmSdePotentials[config.potential]
  if (!pot) throw invalidInput(`gradientFlowSde: expected potential one of ${WLM_SDE_POTENTIALS.join(', ')}, got ${String(config.potential)}`)
  const n = config.n ?? 1000, d = config.d ?? 2, steps = config.steps ?? 20, dt = config.dt ?? 0.01
  const micro = config.microSteps ?? 10, sigma = config.sigma ?? 1, var0 = config.initVariance ?? 0.2
  for (const [k, v] of [['n', n], ['d', d], ['steps', steps], ['microSteps', micro]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw invalidInput(`gradientFlowSde: expected ${k} to be an integer >= 1, got ${v}`)
  }
  if (config.potential === 'bohachevsky' && d !== 2) throw invalidInput(`gradientFlowSde: expected d = 2 for bohachevsky, got ${d}`)
  for (const [k, v] of [['dt', dt], ['initVariance', var0]] as const) {
    if (!(Number.isFinite(v) && v > 0)) throw invalidInput(`gradientFlowSde: expected ${k} > 0, got ${v}`)
  }
  if (!(Number.isFinite(sigma) && sigma >= 0)) throw invalidInput(`gradientFlowSde: expected sigma >= 0, got ${sigma}`)
  const rng = createRng(config.seed ?? 0)
  const x0 = rng.normals(n * d, 0, Math.sqrt(var0))
  const h = dt / micro
  const noise = sigma * Math.sqrt(h)
  const g = new Float64Array(d)
  const advance = (x: Float64Array, intervals: number) => {
    for (let s = 0; s < intervals * micro; s++) {
      for (let i = 0; i < n; i++) {
        const row = x.subarray(i * d, i * d + d)
        pot.grad(row, g)
        for (let c = 0; c < d; c++) row[c] = row[c]! - h * g[c]! + (noise > 0 ? noise * rng.normal() : 0)
      }
    }
  }
  const snapshots: PointCloud[] = [{ data: Float64Array.from(x0), n, d }]
  const times = [0]
  if (config.independent) {
    for (let k = 1; k <= steps; k++) {
      const x = new Float64Array(n * d)
      for (let i = 0; i < n; i++) {
        const r = rng.int(n)
        x.set(x0.subarray(r * d, r * d + d), i * d)
      }
      advance(x, k)
      snapshots.push({ data: x, n, d })
      times.push(k * dt)
    }
  } else {
    const x = Float64Array.from(x0)
    for (let k = 1; k <= steps; k++) {
      advance(x, 1)
      snapshots.push({ data: Float64Array.from(x), n, d })
      times.push(k * dt)
    }
  }
  return { times, snapshots, potential: pot, sigma, dt, paired: !config.independent }
}

/**
 * Probability-flow velocity −∇Ψ(x_i) − (σ²/2) ŝ(x_i) of the cloud, ŝ the Gaussian-KDE score
 * (Σ_j K_ij (x_j − x_i)/h²) / Σ_j K_ij, K_ij = exp(−‖x_i − x_j‖²/(2h²)). O(n²·d).
 */
export function probabilityFlowVelocity(cloud: PointCloud, potential: PotentialField, sigma: number, seed = 0): PointCloud {
  const { n, d, data } = cloud
  const rng = createRng(seed)
  const sq: number[] = []
  for (let q = 0; q < Math.min(4096, (n * (n - 1)) / 2); q++) {
    const i = rng.int(n), j = rng.int(n)
    if (i === j) continue
    let s = 0
    for (let c = 0; c < d; c++) s += (data[i * d + c]! - data[j * d + c]!) ** 2
    sq.push(s)
  }
  sq.sort((a, b) => a - b)
  const med = sq.length ? sq[sq.length >> 1]! : 1
  const h2 = Math.max(1e-3, med / (2 * Math.log(n + 1)))
  const out = new Float64Array(n * d)
  const g = new Float64Array(d), num = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    num.fill(0)
    let den = 0
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let c = 0; c < d; c++) s += (data[j * d + c]! - data[i * d + c]!) ** 2
      const k = Math.exp(-s / (2 * h2))
      den += k
      for (let c = 0; c < d; c++) num[c] += (k * (data[j * d + c]! - data[i * d + c]!)) / h2
    }
    potential.grad(data.subarray(i * d, i * d + d), g)
    for (let c = 0; c < d; c++) out[i * d + c] = -g[c]! - 0.5 * sigma * sigma * (num[c]! / den)
  }
  return { data: out, n, d }
}
