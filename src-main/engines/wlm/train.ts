/**
 * WLM training (paper Alg. 1; reference `rollout.train_rollout_anchor_p0_randk`, peers.md §2.3).
 *
 * One optimiser step per epoch:
 * 1. horizon k ~ U{1, …, K_max} (K_max = `maxHorizon`, default K − 1);
 * 2. x_0 = a random subset of μ_0 of B = min(batchSize, n_0) particles with their initial
 *    velocities v_0; each target μ_m (m ≤ k) subsampled independently to min(B, n_m) (no identities);
 * 3. roll out from t_0 with the damped leapfrog, steps ≤ h_train = (smallest gap)/`substeps`,
 *    so held-out gaps are crossed with the same step;
 * 4. loss = (1/k) Σ_{m=1..k} S_ε(x̂_{t_m}, μ_m) (debiased Sinkhorn divergence; cost ½‖x−y‖² for
 *    p = 2, ‖x−y‖ for p = 1; ε = blur^p), back-propagated through the roll-out: the accelerations
 *    are −∇_x Σψ, so ∂loss/∂θ is a second-order derivative (see ops.ts for the ops that allow it);
 * 5. AdamW step on θ (and on ρ = log γ with its own learning rate, no weight decay), then the EMA
 *    of θ with warm-up: decay_k = min(emaDecay, (1 + k)/(w + k)), w = `emaWarmup` (10: as
 *    tf.train.ExponentialMovingAverage; the EMA then averages ≈ (w + k)/(w − 1) last steps).
 * A non-finite loss or gradient skips the update and ends training with status 'numerical-error'
 * (weights stay at the last finite step). Stopping rule: `epochs`, or with `validation` and
 * `patience` > 0, `patience` validations without improvement (status 'converged'); with
 * `validation` the weights of the best validation score are kept.
 *
 * Cost per epoch ≈ (k · substeps + 1) force evaluations, each a forward + backward pass of the
 * attention network on B particles (O(B² H) per block), then the reverse pass through all of them
 * (about 3× that). Memory: every intermediate of the roll-out is kept for the reverse pass:
 * ≈ k·substeps·layers·heads·B² floats for the attention maps alone (e.g. 20 steps, 2 layers,
 * 2 heads, B = 256: 5·10⁶ floats ≈ 20 MB, times a small constant). B bounds it.
 */
import * as tf from '@tensorflow/tfjs'
import { invalidInput } from '@shared/errors'
import { checkAborted, type IterationReport, type Progress } from '../common/context'
import { sinkhornDivergence } from '../ot/index'
import type { PointCloud } from '../ot/types'
import { createRng, type Rng } from '../stats/random'
import { rollout, type IntegratorScheme } from './integrator'
import { potentialForce, resolveArchitecture, type WlmArchitecture } from './network'
import { assignValues, ownedVariable, WlmModel, type WlmModelSpec, type WlmState } from './model'
import { otVelocity } from './velocity'
import { w1 } from './uses'

/** Snapshots μ_0 … μ_{K−1} of a population (unpaired: rows need not be identities). */
export interface WlmProblem {
  /** K ≥ 2 clouds {data: Float64Array (n_k × d, row-major), n: n_k, d}, the same d. */
  snapshots: PointCloud[]
  /** Observation times, increasing (gaps may differ: held-out snapshots are just absent). @default 0, 1, …, K − 1 */
  times?: number[]
  /** Measured velocities per snapshot (rows matching that snapshot's rows), or null where unknown. Only [0] is used by training. */
  velocities?: (PointCloud | null | undefined)[]
}

export type InitialVelocity = 'given' | 'zero' | 'ot'

export interface WlmTrainConfig {
  /** Network size (peers.md §2.4 for the paper's). @default hidden 32, heads 2, layers 2, ff 64, no time embedding */
  architecture?: Partial<Omit<WlmArchitecture, 'dim'>>
  /**
   * Friction γ (fixed), or its initial value when `learnFriction`. For populations that move by
   * gradient flow / diffusion with zero initial velocity (the GF-SDE benchmark), start overdamped:
   * γ·h_train ≫ 1 (e.g. 10/h_train) — learning γ up from 1 is too slow in CPU-sized runs (γ went
   * 1 → 1.7 in 200 epochs). @default 0
   */
  friction?: number
  /** Learn γ = e^ρ (ρ₀ = log max(γ₀, 0.01)). @default false */
  learnFriction?: boolean
  /** Learning rate of ρ (Adam, no weight decay). @default 1e-2 */
  frictionLr?: number
  /**
   * Integrator kick coefficient (integrator.ts). 'reference' (the paper's) is, for small h, the ODE
   * dv/dt = (1 + γ)F − γv: its terminal velocity (1 + 1/γ)F → F, so a large γ gives the
   * first-order gradient flow x' = F ("unit mobility") with forces of the same size as the
   * velocities. Under 'exponential' (dv/dt = F − γv exactly) the terminal velocity is F/γ: an
   * overdamped flow needs forces ∝ γ, so the friction gradient pushes γ *down* and a population
   * that moves by diffusion / gradient flow is fitted inertially (x − x₀ ≈ ½Ft²), which
   * overshoots beyond the training window (issue 8: GF-SDE forecasts worse than "no motion").
   * @default 'reference'
   */
  scheme?: IntegratorScheme
  /** v_0: measured (`velocities[0]`), zero, or OT-matched μ_0 → μ_1 (velocity.ts). @default 'given' if velocities[0] exists, else 'ot' */
  initialVelocity?: InitialVelocity
  /** Optimiser steps. @default 500 (the paper: 10⁴–10⁵ at lr 1e-4) */
  epochs?: number
  /** AdamW learning rate of θ. @default 1e-3 */
  lr?: number
  /** AdamW decoupled weight decay. @default 1e-4 */
  weightDecay?: number
  /** Clip the global gradient norm of θ to this. @default 10 */
  clipNorm?: number
  /** EMA decay of θ (null = no EMA). @default 0.999 */
  emaDecay?: number | null
  /**
   * EMA warm-up w > 1: decay_k = min(emaDecay, (1 + k)/(w + k)), so the EMA spans ≈ (w + k)/(w − 1)
   * steps until emaDecay caps it; w = 2 is the running average of all iterates (the initial
   * weights counted twice: e_k = (2θ_0 + θ_1 + … + θ_k)/(k + 2)), w = 3 about the last half
   * (tail averaging, against the optimiser's noise in short runs: GF-SDE bench, BENCHMARKS.md).
   * @default 10
   */
  emaWarmup?: number
  /** Particles per batch B (attention memory ∝ B²). @default 128 */
  batchSize?: number
  /** Integrator steps per (smallest) observation gap during training. @default 1 */
  substeps?: number
  /** Integrator steps per (smallest) gap at inference (stored as the model's evalStep). @default 5 */
  evalSubsteps?: number
  /** Largest roll-out horizon k (in snapshots). @default K − 1 */
  maxHorizon?: number
  /** Sinkhorn cost exponent. @default 2 */
  p?: 1 | 2
  /** Sinkhorn blur (length units; ε = blur^p). @default 0.5 × median pairwise distance (median over snapshots), clipped to [1e-3, 10] */
  blur?: number
  /**
   * Sinkhorn solver of the loss (engines/ot): ε-scaling factor, iterations at the target ε, tolerance
   * on the marginal error, and how often it is checked (each check synchronises with the backend, the
   * main cost at small B). The defaults put S_ε within ~1 % of its converged value at ~20 ms per
   * B = 64 pair on wasm. @default { scaling: 0.7, maxIter: 30, tol: 1e-2, checkEvery: 5 }
   */
  sinkhorn?: { scaling?: number; maxIter?: number; tol?: number; checkEvery?: number }
  /** Seed (weights, batches, horizons). @default 0 */
  seed?: number
  /** Report progress / check cancellation every this many epochs. @default 10 */
  progressEvery?: number
  /** Call `onCheckpoint` every this many epochs (0 = never). @default 0 */
  checkpointEvery?: number
  /** Resume from a checkpoint written by `onCheckpoint` (same problem and config). */
  resume?: WlmCheckpoint
  /** Early stopping on held-out marginals (see {@link WlmValidation}). @default none */
  validation?: WlmValidation
}

/**
 * Early stopping on held-out marginals, against fitting the snapshots' sampling noise: every
 * `every` epochs the model (EMA weights) is rolled out from μ_0 (all its rows, with v_0) through
 * `times` with steps ≤ `step`, and scored by the mean exact W1 (engines/ot `emd`, ≤ `maxPoints`
 * points per cloud, seeded subsample) to `snapshots`; the weights (with EMA and γ) of the best
 * score are restored at the end. Training stops early after `patience` evaluations without
 * improvement. The held-out clouds must not be in the training problem: e.g. a later snapshot
 * (validated as a forecast), or a random part of each snapshot's rows (same times; for unpaired
 * snapshots its sampling noise is independent of the training part's). Cost per evaluation: one
 * forward roll-out of n_0 particles (attention O(n_0²) per step) plus the W1 solves.
 * The best-so-far is not part of checkpoints: a resumed run restarts the search.
 */
export interface WlmValidation {
  /** Held-out clouds, same d as the problem. */
  snapshots: PointCloud[]
  /** Their times, increasing, all > times[0] of the problem. */
  times: number[]
  /** Evaluate every this many epochs (and after the last). @default 20 */
  every?: number
  /** Stop after this many evaluations without improvement (0 = never stop early). @default 0 */
  patience?: number
  /** Largest integrator step of the validation roll-out. @default the model's evalStep (h_train / evalSubsteps) */
  step?: number
  /** Points per cloud for W1. @default 1000 */
  maxPoints?: number
}

export interface WlmProgress extends Progress {
  epoch: number
  epochs: number
  /** Mean training loss over the last `progressEvery` epochs. */
  loss: number
  friction: number
}

export interface WlmCheckpoint {
  spec: WlmModelSpec
  /** Weights, EMA, friction and optimiser moments (`adam/...`). */
  state: WlmState
  /** Epochs completed. */
  epoch: number
  lossHistory: number[]
}

export interface WlmTrainContext {
  signal?: AbortSignal
  onProgress?: (p: WlmProgress) => void
  onCheckpoint?: (c: WlmCheckpoint) => void
}

export interface WlmTrainResult extends IterationReport {
  /** The trained model (owns tf.Variables: dispose() when done). */
  model: WlmModel
  /** Loss of every epoch (also `errorHistory`). */
  lossHistory: number[]
  friction: number
  blur: number
  /** v_0 used for μ_0 (all its rows). */
  initialVelocity: PointCloud
  /** Maximal training step h_train. */
  trainStep: number
  seconds: number
  /** With `validation`: the scores (mean W1) by epoch and the epoch whose weights were kept. */
  validation?: { epochs: number[]; w1: number[]; bestEpoch: number; bestW1: number }
}

function checkCloud(c: PointCloud | null | undefined, d: number, what: string): asserts c is PointCloud {
  if (!(c && Number.isInteger(c.n) && c.n >= 2 && c.d === d && c.data instanceof Float64Array && c.data.length === c.n * d)) {
    throw invalidInput(`wlm: expected ${what} to be a cloud of n >= 2 points in ${d}-D with data.length = n·d, got n = ${c?.n}, d = ${c?.d}, length = ${c?.data?.length}`)
  }
  for (let i = 0; i < c.data.length; i++) {
    if (!Number.isFinite(c.data[i]!)) throw invalidInput(`wlm: expected finite values in ${what}, got ${c.data[i]} at row ${Math.floor(i / d)}`)
  }
}

export function checkProblem(p: WlmProblem): { d: number; times: number[] } {
  if (!p || !Array.isArray(p.snapshots) || p.snapshots.length < 2) throw invalidInput(`wlm: expected at least 2 snapshots, got ${p?.snapshots?.length ?? 0}`)
  const d = p.snapshots[0]?.d as number
  if (!(Number.isInteger(d) && d >= 1)) throw invalidInput(`wlm: expected a dimension d >= 1, got ${d}`)
  p.snapshots.forEach((s, k) => checkCloud(s, d, `snapshot ${k}`))
  const times = p.times ?? p.snapshots.map((_, k) => k)
  if (times.length !== p.snapshots.length || times.some((t, i) => !Number.isFinite(t) || (i > 0 && !(t > times[i - 1]!)))) {
    throw invalidInput(`wlm: expected ${p.snapshots.length} increasing finite times, got [${times.join(', ')}]`)
  }
  p.velocities?.forEach((v, k) => {
    if (v == null) return
    checkCloud(v, d, `velocities of snapshot ${k}`)
    if (v.n !== p.snapshots[k]!.n) throw invalidInput(`wlm: expected ${p.snapshots[k]!.n} velocities for snapshot ${k}, got ${v.n}`)
  })
  return { d, times }
}

/** 0.5 × median over snapshots of the median distance of up to 2048 random pairs, clipped to [1e-3, 10] (reference bundle estimate). */
export function estimateBlur(snaps: PointCloud[], rng: Rng): number {
  const med = (a: number[]) => {
    const s = [...a].sort((x, y) => x - y)
    const m = s.length >> 1
    return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!)
  }
  const perSnap = snaps.map((c) => {
    const ds: number[] = []
    for (let q = 0; q < 2048; q++) {
      const i = rng.int(c.n), j = rng.int(c.n)
      if (i === j) continue
      let s = 0
      for (let k = 0; k < c.d; k++) s += (c.data[i * c.d + k]! - c.data[j * c.d + k]!) ** 2
      ds.push(Math.sqrt(s))
    }
    return ds.length ? med(ds) : 0
  })
  return Math.min(10, Math.max(1e-3, 0.5 * med(perSnap)))
}

function rowsF32(c: PointCloud, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * c.d)
  for (let i = 0; i < idx.length; i++) for (let k = 0; k < c.d; k++) out[i * c.d + k] = c.data[idx[i]! * c.d + k]!
  return out
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!(Number.isInteger(v) && v >= min)) throw invalidInput(`wlm: expected ${name} to be an integer >= ${min}, got ${v}`)
  return v
}
function positive(name: string, v: number, allowZero = false): number {
  if (!(Number.isFinite(v) && (allowZero ? v >= 0 : v > 0))) throw invalidInput(`wlm: expected ${name} ${allowZero ? '>= 0' : '> 0'}, got ${v}`)
  return v
}

const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0))

/** Train WLM on snapshots (see the module comment). Async only to let cancellation and progress through between epochs. */
export async function trainWlm(problem: WlmProblem, config: WlmTrainConfig = {}, ctx: WlmTrainContext = {}): Promise<WlmTrainResult> {
  const t0 = Date.now()
  const { d, times } = checkProblem(problem)
  const K = problem.snapshots.length
  const epochs = positiveInt('epochs', config.epochs ?? 500, 0)
  const lr = positive('lr', config.lr ?? 1e-3)
  const wd = positive('weightDecay', config.weightDecay ?? 1e-4, true)
  const clipNorm = positive('clipNorm', config.clipNorm ?? 10)
  const emaDecay = config.emaDecay === undefined ? 0.999 : config.emaDecay
  if (emaDecay !== null && !(emaDecay > 0 && emaDecay < 1)) throw invalidInput(`wlm: expected emaDecay in (0, 1) or null, got ${emaDecay}`)
  const emaWarmup = config.emaWarmup ?? 10
  if (!(Number.isFinite(emaWarmup) && emaWarmup > 1)) throw invalidInput(`wlm: expected emaWarmup > 1, got ${emaWarmup}`)
  const batchSize = positiveInt('batchSize', config.batchSize ?? 128, 2)
  const substeps = positiveInt('substeps', config.substeps ?? 1)
  const evalSubsteps = positiveInt('evalSubsteps', config.evalSubsteps ?? 5)
  const maxHorizon = Math.min(K - 1, positiveInt('maxHorizon', config.maxHorizon ?? K - 1))
  const p = config.p ?? 2
  if (p !== 1 && p !== 2) throw invalidInput(`wlm: expected p = 1 or 2, got ${String(p)}`)
  const friction = positive('friction', config.friction ?? 0, true)
  const frictionLr = positive('frictionLr', config.frictionLr ?? 1e-2)
  const progressEvery = positiveInt('progressEvery', config.progressEvery ?? 10)
  const checkpointEvery = positiveInt('checkpointEvery', config.checkpointEvery ?? 0, 0)
  const seed = config.seed ?? 0
  const scheme = config.scheme ?? 'reference'
  if (scheme !== 'exponential' && scheme !== 'reference') throw invalidInput(`wlm: expected scheme 'exponential' or 'reference', got ${String(scheme)}`)
  const rng = createRng(seed + 1)
  const blur = config.blur === undefined ? estimateBlur(problem.snapshots, rng.fork()) : positive('blur', config.blur)
  const minGap = Math.min(...times.slice(1).map((t, i) => t - times[i]!))
  const hTrain = minGap / substeps

  // Initial velocities of μ_0.
  const vMode: InitialVelocity = config.initialVelocity ?? (problem.velocities?.[0] ? 'given' : 'ot')
  let v0: PointCloud
  if (vMode === 'given') {
    const v = problem.velocities?.[0]
    if (!v) throw invalidInput(`wlm: expected velocities[0] for initialVelocity 'given', got none`)
    v0 = v
  } else if (vMode === 'zero') v0 = { data: new Float64Array(problem.snapshots[0]!.data.length), n: problem.snapshots[0]!.n, d }
  else if (vMode === 'ot') v0 = otVelocity(problem.snapshots[0]!, problem.snapshots[1]!, times[1]! - times[0]!)
  else throw invalidInput(`wlm: expected initialVelocity 'given', 'zero' or 'ot', got ${String(vMode)}`)

  const val = config.validation
  if (val) {
    if (!Array.isArray(val.snapshots) || val.snapshots.length < 1 || !Array.isArray(val.times) || val.times.length !== val.snapshots.length) {
      throw invalidInput(`wlm: expected validation.snapshots and validation.times of the same length >= 1, got ${val.snapshots?.length} and ${val.times?.length}`)
    }
    val.snapshots.forEach((c, k) => checkCloud(c, d, `validation snapshot ${k}`))
    val.times.forEach((t, i) => {
      if (!(Number.isFinite(t) && t > (i > 0 ? val.times[i - 1]! : times[0]!))) throw invalidInput(`wlm: expected validation.times increasing and > ${times[0]}, got [${val.times.join(', ')}]`)
    })
  }
  const valEvery = positiveInt('validation.every', val?.every ?? 20)
  const patience = positiveInt('validation.patience', val?.patience ?? 0, 0)
  const valPoints = positiveInt('validation.maxPoints', val?.maxPoints ?? 1000)
  const architecture = resolveArchitecture(d, config.architecture)
  const spec: WlmModelSpec = config.resume?.spec ?? {
    architecture, friction, learnFriction: config.learnFriction ?? false, scheme, evalStep: minGap / evalSubsteps, seed,
  }
  const model = new WlmModel(spec)
  if (emaDecay !== null) model.enableEma()
  const names = [...model.params.keys()]
  const mom = new Map<string, { m: tf.Variable; v: tf.Variable }>()
  for (const [k, v] of model.params) mom.set(k, { m: ownedVariable(tf.zerosLike(v), false), v: ownedVariable(tf.zerosLike(v), false) })
  const rhoMom = model.rho ? { m: ownedVariable(tf.scalar(0), false), v: ownedVariable(tf.scalar(0), false) } : null
  let step = 0
  const lossHistory: number[] = []
  let startEpoch = 0
  if (config.resume) {
    const st = config.resume.state
    model.setState(st)
    for (const [k, mv] of mom) {
      if (st[`adam/m/${k}`]) assignValues(mv.m, st[`adam/m/${k}`]!)
      if (st[`adam/v/${k}`]) assignValues(mv.v, st[`adam/v/${k}`]!)
    }
    if (rhoMom && st['adam/rho']) {
      assignValues(rhoMom.m, [st['adam/rho']![0]!])
      assignValues(rhoMom.v, [st['adam/rho']![1]!])
    }
    step = st['adam/step']?.[0] ?? config.resume.epoch
    startEpoch = config.resume.epoch
    lossHistory.push(...config.resume.lossHistory)
    // replay the random stream so a resumed run continues as the uninterrupted one
    for (let e = 0; e < startEpoch; e++) drawBatch(rng, problem, maxHorizon, batchSize)
  }
  const checkpoint = (epoch: number): WlmCheckpoint => {
    const extra: WlmState = { 'adam/step': Float32Array.of(step) }
    for (const [k, mv] of mom) {
      extra[`adam/m/${k}`] = Float32Array.from(mv.m.dataSync() as Float32Array)
      extra[`adam/v/${k}`] = Float32Array.from(mv.v.dataSync() as Float32Array)
    }
    if (rhoMom) extra['adam/rho'] = Float32Array.of(rhoMom.m.dataSync()[0]!, rhoMom.v.dataSync()[0]!)
    return { spec: model.spec, state: model.getState(extra), epoch, lossHistory: [...lossHistory] }
  }

  const b1 = 0.9, b2 = 0.999, epsAdam = 1e-8
  let status: IterationReport['status'] = 'max-iterations'
  const errorHistory: number[] = []
  let windowSum = 0, windowCount = 0
  const arch = model.architecture
  const sinkhornCfg = { p, blur, scaling: 0.7, maxIter: 30, tol: 1e-2, checkEvery: 5, ...config.sinkhorn }
  const valLog = { epochs: [] as number[], w1: [] as number[], bestEpoch: -1, bestW1: Infinity }
  let bestState: WlmState | null = null
  let sinceBest = 0
  let stoppedEarly = false
  const validate = (epoch: number): boolean => {
    if (!val) return false
    const traj = model.simulate(problem.snapshots[0]!, v0, times[0]!, val.times, { step: val.step ?? model.spec.evalStep }, { signal: ctx.signal })
    const score = traj.positions.reduce((acc, x, k) => acc + w1(x, val.snapshots[k]!, valPoints, 7919 * k), 0) / val.times.length
    valLog.epochs.push(epoch)
    valLog.w1.push(score)
    if (score < valLog.bestW1) {
      valLog.bestW1 = score
      valLog.bestEpoch = epoch
      bestState = model.getState()
      sinceBest = 0
      return false
    }
    sinceBest++
    return patience > 0 && sinceBest >= patience
  }
  try {
    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      const batch = drawBatch(rng, problem, maxHorizon, batchSize)
      const lossValue = tf.tidy(() => {
        const x0 = tf.tensor2d(rowsF32(problem.snapshots[0]!, batch.rows0), [batch.rows0.length, d])
        const vv = tf.tensor2d(rowsF32(v0, batch.rows0), [batch.rows0.length, d])
        const targets = batch.targetRows.map((r, m) => tf.tensor2d(rowsF32(problem.snapshots[m + 1]!, r), [r.length, d]))
        const vars = [...model.params.values(), ...(model.rho ? [model.rho] : [])]
        const { value, grads } = tf.variableGrads(() => {
          const gamma = model.frictionTensor()
          const force = (x: tf.Tensor2D, t: number) => potentialForce(model.params, arch, x, t)
          const states = rollout(force, x0, vv, times[0]!, times.slice(1, batch.k + 1), hTrain, gamma, scheme)
          let loss = tf.scalar(0)
          states.forEach((s, m) => {
            loss = tf.add(loss, sinkhornDivergence(s.x, targets[m]!, sinkhornCfg))
          })
          return tf.div(loss, batch.k) as tf.Scalar
        }, vars)
        const lv = value.dataSync()[0]!
        // global norm over θ (ρ excluded)
        let sq = 0
        for (const k of names) if (grads[model.params.get(k)!.name]) sq += tf.sum(tf.square(grads[model.params.get(k)!.name]!)).dataSync()[0]!
        if (!Number.isFinite(lv) || !Number.isFinite(sq)) return NaN
        const scale = Math.sqrt(sq) > clipNorm ? clipNorm / Math.sqrt(sq) : 1
        step++
        const c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step)
        for (const k of names) {
          const w = model.params.get(k)!
          const g0 = grads[w.name]
          if (!g0) continue
          const g = tf.mul(g0, scale)
          const mv = mom.get(k)!
          mv.m.assign(tf.add(tf.mul(mv.m, b1), tf.mul(g, 1 - b1)))
          mv.v.assign(tf.add(tf.mul(mv.v, b2), tf.mul(tf.square(g), 1 - b2)))
          const upd = tf.div(tf.div(mv.m, c1), tf.add(tf.sqrt(tf.div(mv.v, c2)), epsAdam))
          w.assign(tf.sub(tf.mul(w, 1 - lr * wd), tf.mul(upd, lr)))
        }
        if (model.rho && rhoMom && grads[model.rho.name]) {
          const g = grads[model.rho.name]!
          rhoMom.m.assign(tf.add(tf.mul(rhoMom.m, b1), tf.mul(g, 1 - b1)))
          rhoMom.v.assign(tf.add(tf.mul(rhoMom.v, b2), tf.mul(tf.square(g), 1 - b2)))
          const upd = tf.div(tf.div(rhoMom.m, c1), tf.add(tf.sqrt(tf.div(rhoMom.v, c2)), epsAdam))
          model.rho.assign(tf.sub(model.rho, tf.mul(upd, frictionLr)))
        }
        if (model.ema && emaDecay !== null) {
          const dec = Math.min(emaDecay, (1 + step) / (emaWarmup + step))
          for (const [k, e] of model.ema) e.assign(tf.add(tf.mul(e, dec), tf.mul(model.params.get(k)!, 1 - dec)))
        }
        return lv
      })
      if (!Number.isFinite(lossValue)) {
        status = 'numerical-error'
        break
      }
      lossHistory.push(lossValue)
      errorHistory.push(lossValue)
      windowSum += lossValue
      windowCount++
      const done = epoch + 1
      if (done % progressEvery === 0 || done === epochs) {
        ctx.onProgress?.({ fraction: done / epochs, stage: 'train', epoch: done, epochs, loss: windowSum / windowCount, friction: model.friction() })
        windowSum = 0
        windowCount = 0
        await yieldToEventLoop()
        checkAborted({ signal: ctx.signal })
      }
      if (checkpointEvery > 0 && done % checkpointEvery === 0) ctx.onCheckpoint?.(checkpoint(done))
      if (val && (done % valEvery === 0 || done === epochs) && validate(done)) {
        status = 'converged' // the stopping rule (no improvement for `patience` evaluations) was met
        stoppedEarly = true
        break
      }
    }
    if (bestState) model.setState(bestState)
  } catch (err) {
    model.dispose()
    throw err
  } finally {
    for (const mv of mom.values()) tf.dispose([mv.m, mv.v])
    if (rhoMom) tf.dispose([rhoMom.m, rhoMom.v])
  }
  return {
    model,
    lossHistory,
    friction: model.friction(),
    blur,
    initialVelocity: v0,
    trainStep: hTrain,
    converged: stoppedEarly,
    status,
    iterations: lossHistory.length,
    errorHistory: lossHistory,
    seconds: (Date.now() - t0) / 1000,
    ...(val ? { validation: valLog } : {}),
  }
}

interface Batch {
  k: number
  rows0: Int32Array
  targetRows: Int32Array[]
}

/** The random draws of one epoch (horizon, source rows, target rows), in a fixed order so resume can replay them. */
function drawBatch(rng: Rng, problem: WlmProblem, maxHorizon: number, batchSize: number): Batch {
  const k = 1 + rng.int(maxHorizon)
  const s0 = problem.snapshots[0]!
  const rows0 = rng.permutation(s0.n).subarray(0, Math.min(batchSize, s0.n))
  const targetRows: Int32Array[] = []
  for (let m = 1; m <= k; m++) {
    const s = problem.snapshots[m]!
    targetRows.push(rng.permutation(s.n).subarray(0, Math.min(batchSize, s.n)))
  }
  return { k, rows0, targetRows }
}
