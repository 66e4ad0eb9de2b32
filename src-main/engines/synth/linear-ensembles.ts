/**
 * Synthetic data of the ensemble-separation benchmark (paper §IV): K ensembles with linear
 * dynamics x_{t+1} = A_k x_t + w, A_k and x_0 with i.i.d. N(0, 1) entries, w ~ N(0, σ² I).
 * Rows are shuffled within each time point (the method must not see identities); the ground
 * truth keeps labels, trajectories and matrices.
 */
import { invalidInput } from '@shared/errors'
import { createRng } from '../stats/random'

export interface LinearEnsembleSpec {
  /** Particles per ensemble, e.g. [20, 30, 50]. */
  sizes: number[]
  /** @default 2 */
  d?: number
  /** Number of time points T + 1. @default 5 */
  times?: number
  /** Noise variance σ². @default 1e-2 */
  noiseVariance?: number
  seed?: number
}

export interface LinearEnsembleData {
  d: number
  times: number
  /** Per time: shuffled positions [N, d] row-major. */
  snapshots: Float64Array[]
  /** Per time: true ensemble of each shuffled row. */
  labels: Int32Array[]
  /** Per time: index of the true trajectory of each shuffled row. */
  particle: Int32Array[]
  /** Unshuffled trajectories: trajectories[t] is [N, d] in particle order. */
  trajectories: Float64Array[]
  /** True ensemble of each particle (particle order). */
  particleLabels: Int32Array
  /** A_k, d×d row-major. */
  A: Float64Array[]
}

export function linearEnsembles(spec: LinearEnsembleSpec): LinearEnsembleData {
  const d = spec.d ?? 2
  const times = spec.times ?? 5
  const sigma2 = spec.noiseVariance ?? 1e-2
  if (!spec.sizes.length || spec.sizes.some((s) => !Number.isInteger(s) || s < 1)) throw invalidInput(`sizes must be positive integers, got [${spec.sizes.join(', ')}]`)
  if (!Number.isInteger(times) || times < 2) throw invalidInput(`times must be an integer ≥ 2, got ${times}`)
  if (!(sigma2 >= 0)) throw invalidInput(`noiseVariance must be ≥ 0, got ${sigma2}`)
  const rng = createRng(spec.seed ?? 0)
  const K = spec.sizes.length
  const A = Array.from({ length: K }, () => rng.normals(d * d))
  const N = spec.sizes.reduce((a, b) => a + b, 0)
  const particleLabels = new Int32Array(N)
  let p = 0
  spec.sizes.forEach((s, k) => {
    for (let i = 0; i < s; i++) particleLabels[p++] = k
  })
  const trajectories: Float64Array[] = [rng.normals(N * d)]
  const sd = Math.sqrt(sigma2)
  for (let t = 1; t < times; t++) {
    const prev = trajectories[t - 1]!
    const next = new Float64Array(N * d)
    for (let i = 0; i < N; i++) {
      const Ak = A[particleLabels[i]!]!
      for (let r = 0; r < d; r++) {
        let v = 0
        for (let c = 0; c < d; c++) v += Ak[r * d + c]! * prev[i * d + c]!
        next[i * d + r] = v + sd * rng.normal()
      }
    }
    trajectories.push(next)
  }
  const snapshots: Float64Array[] = []
  const labels: Int32Array[] = []
  const particle: Int32Array[] = []
  for (let t = 0; t < times; t++) {
    const perm = rng.permutation(N)
    const s = new Float64Array(N * d)
    const l = new Int32Array(N)
    for (let q = 0; q < N; q++) {
      const i = perm[q]!
      for (let c = 0; c < d; c++) s[q * d + c] = trajectories[t]![i * d + c]!
      l[q] = particleLabels[i]!
    }
    snapshots.push(s)
    labels.push(l)
    particle.push(perm)
  }
  return { d, times, snapshots, labels, particle, trajectories, particleLabels, A }
}
