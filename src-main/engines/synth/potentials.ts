/**
 * Synthetic population dynamics driven by known energies, for JKOnet / iJKOnet (SPEC §4.3–4.4).
 *
 * 1. The JKOnet* benchmark (Terpin et al., NeurIPS 2024, App. F eqs. (31)–(45); code
 *    antonioterpin/jkonet-star @1741c53 `utils/functions.py`, restated in research/peers.md §1.1):
 *    15 potentials V: R^d → R, **as the code computes them** (where the docstrings differ, the code
 *    wins: it produced the published numbers). Several reduce v to a = mean(v[0:⌊d/2⌋]),
 *    b = mean(v[⌊d/2⌋:d]).
 *    Data (peers.md §1.2): x_0 ~ U([−4, 4]^d); explicit Euler–Maruyama, one step per snapshot,
 *      x_{k+1} = x_k − dt ∇V(x_k) − dt (1/N) Σ_j ∇W(x_k − x_j) + √(2β dt) ξ,   ξ ~ N(0, I)
 *    (the interaction mean includes j = i). Defaults d = 2, N = 2000, dt = 0.01, 5 steps (6 snapshots).
 *    **Unpaired** (iJKOnet §5.1): every snapshot k is simulated from its own fresh initial sample,
 *    so no particle is followed over time.
 * 2. The JKOnet paper's potential tasks (Bunne et al., AISTATS 2022, §4.1 / App. B; code
 *    bunnech/jkonet `potential_dataloader.py`, peers.md §4.4): x ← x + drift·dt + sd·√dt·ξ; the
 *    snapshots are the states after each of ⌊t/dt⌋ steps (the initial sample is not a snapshot);
 *    every snapshot from a fresh initial sample (unpaired, as the code's fresh batch per draw).
 *    - quadratic: V = ‖x‖² (drift −2x), dt 0.25, t 1.0 (4 snapshots), sd 0.2, x_0 ~ N(0, 50 I)
 *      (the code's covariance [[−50,0],[0,50]] is sampled by numpy as 50 I);
 *    - styblinski: drift −(3x³ − 32x + 5)/2 per coordinate (the code's, i.e. V = Σ 3x⁴/8 − 8x² + 5x/2),
 *      dt 0.06, t 0.4 (6 snapshots), sd 0.4 (SPEC §4.3; the code's config has 0.5), x_0 ~ N(0, 0.5 I).
 *
 * Gradients of the benchmark potentials are central finite differences in float64
 * (h = 1e−6·max(1, |v_i|)); relative error ~1e−9 where V is smooth (the reference uses autodiff;
 * they differ only at kinks of |·| and max(·, 0), a set of measure zero).
 *
 * Point clouds are `{ data: Float64Array (n×d row-major), n, d }`.
 */
import { invalidInput } from '@shared/errors'
import { createRng, type Rng } from '../stats/random'
import type { PointCloud } from '../knn'

/** A scalar function on R^d (takes a length-d vector). */
export type ScalarField = (v: ArrayLike<number>) => number

export const JKONET_STAR_POTENTIALS = [
  'styblinski_tang',
  'holder_table',
  'flowers',
  'oakley_ohagan',
  'watershed',
  'ishigami',
  'friedman',
  'sphere',
  'bohachevsky',
  'wavy_plateau',
  'zigzag_ridge',
  'double_exp',
  'relu',
  'rotational',
  'flat',
] as const
export type JkonetStarPotential = (typeof JKONET_STAR_POTENTIALS)[number]

/** Paper equation number (JKOnet* App. F) of each potential. */
export const JKONET_STAR_EQUATION: Record<JkonetStarPotential, number> = Object.fromEntries(
  JKONET_STAR_POTENTIALS.map((p, i) => [p, 31 + i]),
) as Record<JkonetStarPotential, number>

function halves(v: ArrayLike<number>): [number, number] {
  const d = v.length
  const h = Math.floor(d / 2)
  let a = 0, b = 0
  for (let i = 0; i < h; i++) a += v[i]!
  for (let i = h; i < d; i++) b += v[i]!
  return [h > 0 ? a / h : NaN, b / (d - h)]
}
function norm2(v: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!
  return s
}
const relu = (v: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < v.length; i++) s += Math.max(v[i]!, 0)
  return -50 * s
}

/** The 15 JKOnet* potentials exactly as coded in jkonet-star `utils/functions.py` (peers.md §1.1). */
export const jkonetStarPotentials: Record<JkonetStarPotential, ScalarField> = {
  styblinski_tang: (v) => {
    let s = 0
    for (let i = 0; i < v.length; i++) { const x = v[i]!; s += x ** 4 - 16 * x * x + 5 * x }
    return 0.5 * s
  },
  holder_table: (v) => {
    const [a, b] = halves(v)
    return 10 * Math.abs(Math.sin(a) * Math.cos(b) * Math.exp(Math.abs(1 - Math.sqrt(norm2(v)) / Math.PI)))
  },
  flowers: (v) => {
    let s = 0
    for (let i = 0; i < v.length; i++) s += v[i]! + 2 * Math.sin(Math.abs(v[i]!) ** 1.2)
    return s
  },
  oakley_ohagan: (v) => {
    let s = 0
    for (let i = 0; i < v.length; i++) { const x = v[i]!; s += Math.sin(x) + Math.cos(x) + x * x + x }
    return 5 * s
  },
  watershed: (v) => {
    let s = 0
    for (let i = 0; i < v.length - 1; i++) s += v[i]! + v[i]! * v[i]! * (v[i + 1]! + 4)
    return s / 10
  },
  ishigami: (v) => {
    const [a, b] = halves(v)
    const c = (a + b) / 2
    return Math.sin(a) + 7 * Math.sin(b) ** 2 + 0.1 * c ** 4 * Math.sin(a)
  },
  friedman: (v) => {
    const u = Array.from(v, (x) => 2 * (x - 7))
    const [p, q2] = halves(u)
    const q = q2 / 2
    return (10 * Math.sin(Math.PI * p * q) + 20 * (p * Math.sin(q) - 0.5) ** 2 + 10 * (p * Math.cos(q) - 1) ** 2 + 0.1 * q * Math.sin(p)) / 100
  },
  sphere: (v) => -10 * norm2(v),
  bohachevsky: (v) => {
    const [a, b] = halves(v)
    return 10 * (a * a + 2 * b * b - 0.3 * Math.cos(3 * Math.PI * a) - 0.4 * Math.cos(4 * Math.PI * b))
  },
  wavy_plateau: (v) => {
    let s = 0
    for (let i = 0; i < v.length; i++) { const x = v[i]!; s += Math.cos(Math.PI * x) + 0.5 * x ** 4 - 3 * x * x + 1 }
    return s
  },
  zigzag_ridge: (v) => {
    let s = 0
    for (let i = 0; i < v.length - 1; i++) {
      const x = v[i]!, y = v[i + 1]!
      s += (x - y) ** 2 + Math.cos(x) * (x + y) + x * x * y
    }
    return s
  },
  double_exp: (v) => {
    let p = 0, m = 0
    for (let i = 0; i < v.length; i++) { p += (v[i]! - 3) ** 2; m += (v[i]! + 3) ** 2 }
    return 200 * (Math.exp(-p / 20) + Math.exp(-m / 20))
  },
  relu,
  rotational: (v) => {
    const [a, b] = halves(v)
    const theta = Math.atan2(b + 5, a + 5)
    return 10 * relu([theta + Math.PI])
  },
  flat: () => 0,
}

/** ∇f(v) by central differences in float64 (see the module comment). */
export function numericalGradient(f: ScalarField, v: ArrayLike<number>, out = new Float64Array(v.length)): Float64Array {
  const w = Float64Array.from(v)
  for (let i = 0; i < w.length; i++) {
    const x = w[i]!
    const h = 1e-6 * Math.max(1, Math.abs(x))
    w[i] = x + h
    const fp = f(w)
    w[i] = x - h
    const fm = f(w)
    w[i] = x
    out[i] = (fp - fm) / (2 * h)
  }
  return out
}

export interface Snapshots {
  /** Snapshot times (physical units: k·dt). */
  times: number[]
  /** One cloud per time, each sampled afresh (unpaired). */
  snapshots: PointCloud[]
  /** Time step between consecutive snapshots. */
  dt: number
  /** The true potential V* and its gradient. */
  potential: ScalarField
  gradPotential: (v: ArrayLike<number>) => Float64Array
  /** The true interaction kernel W* (if any) and the diffusion coefficient β*. */
  interaction?: ScalarField
  beta: number
  name: string
}

export interface JkonetStarDataConfig {
  /** Potential name (peers.md §1.1) or a custom scalar field. */
  potential: JkonetStarPotential | ScalarField
  /** Interaction kernel W applied to x_i − x_j (name or field). @default none */
  interaction?: JkonetStarPotential | ScalarField
  /** Dimension. @default 2 */
  d?: number
  /** Particles per snapshot. @default 2000 */
  n?: number
  /** Euler steps = snapshots − 1. @default 5 */
  steps?: number
  /** Time step. @default 0.01 */
  dt?: number
  /** Diffusion coefficient β of dX = −∇V dt − ∇W∗μ dt + √(2β) dB. @default 0 */
  beta?: number
  /**
   * Paired (the reference code's behaviour, iJKOnet §5.1): one population followed through all
   * steps, so row i of every snapshot is the same particle. Only for comparisons. @default false
   */
  paired?: boolean
  /** Seed. @default 0 */
  seed?: number
}

function positiveInt(name: string, v: number, min = 1): void {
  if (!(Number.isInteger(v) && v >= min)) throw invalidInput(`expected ${name} to be an integer >= ${min}, got ${v}`)
}

/**
 * JKOnet* benchmark data, unpaired: snapshot k (k = 0..steps) is the state after k Euler–Maruyama
 * steps of its own fresh population x_0 ~ U([−4,4]^d) of n particles.
 */
export function jkonetStarData(config: JkonetStarDataConfig): Snapshots {
  const d = config.d ?? 2, n = config.n ?? 2000, steps = config.steps ?? 5, dt = config.dt ?? 0.01
  const beta = config.beta ?? 0, seed = config.seed ?? 0
  positiveInt('d', d)
  positiveInt('n', n)
  positiveInt('steps', steps)
  if (!(dt > 0 && Number.isFinite(dt))) throw invalidInput(`expected dt > 0, got ${dt}`)
  if (!(beta >= 0 && Number.isFinite(beta))) throw invalidInput(`expected beta >= 0, got ${beta}`)
  const resolve = (p: JkonetStarPotential | ScalarField, what: string): ScalarField => {
    if (typeof p === 'function') return p
    const f = jkonetStarPotentials[p]
    if (!f) throw invalidInput(`expected ${what} to be one of ${JKONET_STAR_POTENTIALS.join(', ')}, got ${String(p)}`)
    return f
  }
  const V = resolve(config.potential, 'potential')
  const W = config.interaction === undefined ? undefined : resolve(config.interaction, 'interaction')
  const rng = createRng(seed)
  const snapshots: PointCloud[] = []
  const times: number[] = []
  const fresh = (r: Rng) => {
    const x = new Float64Array(n * d)
    for (let i = 0; i < n * d; i++) x[i] = -4 + 8 * r.uniform()
    return x
  }
  if (config.paired) {
    const r = rng.fork()
    const x = fresh(r)
    for (let k = 0; k <= steps; k++) {
      if (k > 0) eulerStep(x, n, d, V, W, dt, beta, r)
      snapshots.push({ data: x.slice(), n, d })
      times.push(k * dt)
    }
  } else {
    for (let k = 0; k <= steps; k++) {
      const r = rng.fork()
      const x = fresh(r)
      for (let s = 0; s < k; s++) eulerStep(x, n, d, V, W, dt, beta, r)
      snapshots.push({ data: x, n, d })
      times.push(k * dt)
    }
  }
  const name = typeof config.potential === 'string' ? config.potential : 'custom'
  return { times, snapshots, dt, potential: V, gradPotential: (v) => numericalGradient(V, v), interaction: W, beta, name }
}

function eulerStep(x: Float64Array, n: number, d: number, V: ScalarField, W: ScalarField | undefined, dt: number, beta: number, rng: Rng): void {
  const drift = new Float64Array(n * d)
  const g = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    numericalGradient(V, x.subarray(i * d, i * d + d), g)
    for (let c = 0; c < d; c++) drift[i * d + c] = -g[c]!
  }
  if (W) {
    const diff = new Float64Array(d)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        for (let c = 0; c < d; c++) diff[c] = x[i * d + c]! - x[j * d + c]!
        numericalGradient(W, diff, g)
        for (let c = 0; c < d; c++) drift[i * d + c] -= g[c]! / n
      }
    }
  }
  const noise = Math.sqrt(2 * beta * dt)
  for (let i = 0; i < n * d; i++) x[i] = x[i]! + dt * drift[i]! + (noise > 0 ? noise * rng.normal() : 0)
}

export type JkonetTask = 'quadratic' | 'styblinski'

export interface JkonetTaskConfig {
  /** Particles per snapshot. @default 250 (the paper's batch) */
  n?: number
  /** Seed. @default 0 */
  seed?: number
}

/** The JKOnet paper's potential tasks (see the module comment), unpaired, in 2-D. */
export function jkonetTaskData(task: JkonetTask, config: JkonetTaskConfig = {}): Snapshots {
  const n = config.n ?? 250, seed = config.seed ?? 0
  positiveInt('n', n)
  const d = 2
  let V: ScalarField, gradV: (v: ArrayLike<number>) => Float64Array, dt: number, tEnd: number, sd: number
  let init: (r: Rng) => number
  if (task === 'quadratic') {
    V = (v) => norm2(v)
    gradV = (v) => Float64Array.from(v, (x) => 2 * x)
    dt = 0.25; tEnd = 1.0; sd = 0.2
    init = (r) => Math.sqrt(50) * r.normal()
  } else if (task === 'styblinski') {
    V = (v) => { let s = 0; for (let i = 0; i < v.length; i++) { const x = v[i]!; s += (3 * x ** 4) / 8 - 8 * x * x + 2.5 * x } return s }
    gradV = (v) => Float64Array.from(v, (x) => (3 * x ** 3 - 32 * x + 5) / 2)
    dt = 0.06; tEnd = 0.4; sd = 0.4
    init = (r) => Math.sqrt(0.5) * r.normal()
  } else {
    throw invalidInput(`expected task 'quadratic' or 'styblinski', got ${String(task)}`)
  }
  const steps = Math.floor(tEnd / dt + 1e-9)
  const rng = createRng(seed)
  const snapshots: PointCloud[] = []
  const times: number[] = []
  for (let k = 1; k <= steps; k++) {
    const r = rng.fork()
    const x = new Float64Array(n * d)
    for (let i = 0; i < n * d; i++) x[i] = init(r)
    for (let s = 0; s < k; s++) {
      for (let i = 0; i < n; i++) {
        const g = gradV(x.subarray(i * d, i * d + d))
        for (let c = 0; c < d; c++) x[i * d + c] = x[i * d + c]! - dt * g[c]! + sd * Math.sqrt(dt) * r.normal()
      }
    }
    snapshots.push({ data: x, n, d })
    times.push(k * dt)
  }
  return { times, snapshots, dt, potential: V, gradPotential: gradV, beta: (sd * sd) / 2, name: task }
}
