/**
 * Problem types and training plumbing shared by JKOnet and iJKOnet: input checks, the
 * train/validation split, the validation metric (mean one-step EMD = exact W1, SPEC §3) and
 * early stopping.
 */
import { invalidInput } from '@shared/errors'
import { emd } from '../ot/index'
import type { Rng } from '../stats/random'
import type { SolveStatus } from '../common/context'
import type { PointCloud } from '../knn'

export type { PointCloud }

/** Snapshots μ_0, …, μ_{K−1} of a population (unpaired: rows are not identities). */
export interface SnapshotProblem {
  /** K ≥ 2 clouds {data: Float64Array (n_k×d row-major), n: n_k, d}, all the same d. */
  snapshots: PointCloud[]
  /** Observation times (increasing); informational (the step τ is a config). @default 0..K−1 */
  times?: number[]
}

/** Progress of a training run, reported every `evalEvery` epochs. */
export interface TrainProgress {
  epoch: number
  epochs: number
  /** Training loss averaged over the epoch. */
  loss: number
  /** Mean one-step-ahead EMD (W1) on the validation split, when evaluated. */
  validationEmd?: number
}

/** What both trainers return besides their model and method-specific figures. */
export interface TrainResultBase<M> {
  model: M
  converged: boolean
  status: SolveStatus | 'early-stopped'
  /** Epochs run. */
  iterations: number
  /** Validation one-step EMD at each evaluation. */
  errorHistory: number[]
  /** Training loss per epoch (the method's own objective). */
  lossHistory: number[]
  /** Epoch of the best validation EMD (its weights are the model's), −1 without validation. */
  bestEpoch: number
  bestValidationEmd: number
  seconds: number
}

export interface TrainContext {
  signal?: AbortSignal
  onProgress?: (p: TrainProgress) => void
}

export function checkSnapshots(p: SnapshotProblem): number {
  if (!p || !Array.isArray(p.snapshots) || p.snapshots.length < 2) {
    throw invalidInput(`expected at least 2 snapshots, got ${p?.snapshots?.length ?? 0}`)
  }
  const d = p.snapshots[0]!.d
  p.snapshots.forEach((s, k) => {
    if (!(s.d === d && Number.isInteger(s.n) && s.n >= 2 && s.data instanceof Float64Array && s.data.length === s.n * s.d)) {
      throw invalidInput(`expected snapshot ${k} to be a cloud of n >= 2 points in ${d}-D with data.length = n·d, got n = ${s.n}, d = ${s.d}, length = ${s.data?.length}`)
    }
    for (let i = 0; i < s.data.length; i++) {
      if (!Number.isFinite(s.data[i]!)) throw invalidInput(`expected finite coordinates, got ${s.data[i]} in snapshot ${k}`)
    }
  })
  if (p.times && (p.times.length !== p.snapshots.length || p.times.some((t, i) => i > 0 && !(t > p.times![i - 1]!)))) {
    throw invalidInput(`expected ${p.snapshots.length} increasing times, got [${p.times.join(', ')}]`)
  }
  return d
}

function rows(c: PointCloud, idx: ArrayLike<number>): PointCloud {
  const out = new Float64Array(idx.length * c.d)
  for (let i = 0; i < idx.length; i++) out.set(c.data.subarray(idx[i]! * c.d, idx[i]! * c.d + c.d), i * c.d)
  return { data: out, n: idx.length, d: c.d }
}

/** Splits every snapshot independently at random into train / validation rows. */
export function splitSnapshots(snaps: PointCloud[], valFraction: number, rng: Rng): { train: PointCloud[]; val: PointCloud[] } {
  if (!(valFraction >= 0 && valFraction < 1)) throw invalidInput(`expected valFraction in [0, 1), got ${valFraction}`)
  const train: PointCloud[] = [], val: PointCloud[] = []
  for (const s of snaps) {
    const nv = valFraction > 0 ? Math.max(2, Math.round(s.n * valFraction)) : 0
    if (s.n - nv < 2) throw invalidInput(`expected at least 2 training points per snapshot after the validation split, got ${s.n - nv}`)
    const p = rng.permutation(s.n)
    val.push(rows(s, p.subarray(0, nv)))
    train.push(rows(s, p.subarray(nv)))
  }
  return { train, val }
}

/**
 * Mean over t of EMD(step(μ_t), μ_{t+1}) — the one-step-ahead protocol of JKOnet* (peers.md §1.4).
 * Large clouds are subsampled to `maxPoints` (first rows) to bound the exact solve.
 */
export function oneStepEmd(snaps: PointCloud[], step: (x: PointCloud, t: number) => PointCloud, maxPoints = 500): { mean: number; perStep: number[] } {
  const cap = (c: PointCloud) => (c.n <= maxPoints ? c : { data: c.data.slice(0, maxPoints * c.d), n: maxPoints, d: c.d })
  const perStep: number[] = []
  for (let t = 0; t + 1 < snaps.length; t++) perStep.push(emd(cap(step(snaps[t]!, t)), cap(snaps[t + 1]!)))
  return { mean: perStep.reduce((a, b) => a + b, 0) / perStep.length, perStep }
}

/** Early stopping on a validation score (lower is better). */
export class EarlyStopper<S> {
  best = Infinity
  bestEpoch = -1
  bestState: S | null = null
  private bad = 0
  constructor(private readonly patience: number) {}
  /** Records a score; returns true when training should stop. */
  update(score: number, epoch: number, state: () => S): boolean {
    if (score < this.best) {
      this.best = score
      this.bestEpoch = epoch
      this.bestState = state()
      this.bad = 0
      return false
    }
    this.bad++
    return this.patience > 0 && this.bad >= this.patience
  }
}

export function toCloud(t: Float32Array | Float64Array, n: number, d: number): PointCloud {
  return { data: Float64Array.from(t), n, d }
}
