/**
 * iJKOnet (SPEC §4.4; Persiianov et al., "Learning of population dynamics: inverse optimization
 * meets JKO scheme", papers/001): learns a free energy from unpaired snapshots μ_0, …, μ_{K−1}
 * by inverse optimisation of the JKO scheme.
 *
 * Free energy  J_θ(ρ) = ∫V dρ + ∫∫W(x−y) dρ(x)dρ(y) + β∫ρ log ρ,  V, W MLPs (2×64 softplus),
 * β = softplus(b) ≥ 0 learnable. Transport map T_φ(x, t) = x + MLP_φ([x, s_t]) (2×64 selu; s_t = t/(K−1);
 * the identity skip is a reparametrisation that starts the map at the identity).
 * Min–max loss (paper eqs. 10–11), min over θ, max over φ:
 *   L(θ, φ) = Σ_t [ J_θ(μ_{t+1}) − J_θ(T_φ(·,t)#μ_t) − (1/2τ) E_{μ_t}‖x − T_φ(x,t)‖² ].
 * Internal energy of the pushforward by change of variables:
 *   ∫ T#μ log T#μ = ∫ μ log μ − E_μ log|det ∇_x T(x)|,  ∫ μ_t log μ_t = −H_KL(μ_t) (Kozachenko–Leonenko,
 *   k = 5, precomputed on the training split); the Jacobian in full (closed form for the MLP), d ≤ 10.
 * The interaction term is estimated on pairs within a sub-batch of the mini-batch.
 * Training (paper App. C): per iteration, `mapSteps` Adam steps on φ (maximising L, i.e. minimising
 * Σ_t J_θ(T#μ_t) + cost), then one Adam step on θ (minimising L); mini-batches of `batchSize` per
 * snapshot, losses summed over all intervals; global-norm clipping.
 * Variants: 'ijkonet' (V + W + β), 'ijkonet-v' (V only), 'ijkonet-tv' (time-varying V(x, s_t) only).
 *
 * Time scale: τ (default 1) is the JKO step per snapshot interval, as the reference evaluator
 * (peers.md §1.3): the learned V̂ ≈ Δt·V* for data generated with step Δt.
 * Prediction (default, 'implicit'): the JKO step of the learned energy, proximal in V̂:
 *   x' = argmin_y V̂(y) + ‖y − x_e‖²/(2τ),  x_e = x − τ mean_j ∇Ŵ(x − x_j) + √(2β̂τ) ξ,
 * which is what the loss fits (V̂ is only evaluated at pushed points and data, i.e. where particles
 * arrive). 'explicit' is the reference evaluator's step x' = x − τ[∇V̂(x) + mean_j ∇Ŵ(x − x_j)] +
 * √(2β̂τ) ξ (peers.md §1.3); on the JKOnet* potentials whose particles leave the edge of the initial
 * box (wavy_plateau, styblinski_tang) it reads ∇V̂ where no data constrained it and can do worse
 * than "no motion". 'map' is x' = T_φ(x, t) (only for t inside the training range).
 * Minibatches: all K−1 intervals are stacked into one batch with a time column, one network pass
 * per loss.
 * Stopping: `epochs` epochs, or early stopping when the validation one-step EMD has not improved
 * for `patience` evaluations. With a validation split (default 20% of every snapshot) the weights of
 * the best validation evaluation are kept (`restoreBest`).
 * Guard against fitting sampling noise (unpaired data): two independent samples of the same law
 * differ by a W1 distance that, on slowly moving populations, exceeds one step's motion, and the
 * energy can learn to move particles along those differences (worse than "no motion" on unseen
 * snapshots). After training, the energy is scaled by an α of `energyScales` (J ← αJ, i.e. the
 * JKO step τ ← ατ; α = 0 is "no motion") chosen on the validation one-step EMD by the
 * one-standard-error rule (Hastie, Tibshirani & Friedman, Elements of Statistical Learning §7.10):
 * the smallest α whose validation EMD is within one standard error of the best α's (standard error
 * of the difference: the larger of its spread over the intervals, each with independent validation
 * clouds, and a bootstrap over the validation rows). The validation rows are never trained on, so
 * their differences are independent of the ones the energy fitted; the rule keeps "no motion" unless the learned motion
 * is a clear gain on them (a small validation split is noisy: two draws of 80 points are ≈ 1 apart
 * in W1 on the JKOnet* box, a one-step motion only 0.02–0.2).
 */
import * as tf from '@tensorflow/tfjs'
import { CancelledError, invalidInput } from '@shared/errors'
import { klEntropy } from '../stats/index'
import { emd } from '../ot/index'
import { createRng, type Rng } from '../stats/random'
import type { SolveStatus } from '../common/context'
import { Adam, Mlp, ParamSet, gatherRows, logAbsDet, sampleIndices } from './nn'
import { EarlyStopper, checkSnapshots, oneStepEmd, splitSnapshots, type PointCloud, type SnapshotProblem, type TrainContext, type TrainResultBase } from './common'

export type IjkonetVariant = 'ijkonet' | 'ijkonet-v' | 'ijkonet-tv'

export interface IjkonetConfig {
  /** Which energy terms are learned (see the module comment). @default 'ijkonet-v' */
  variant?: IjkonetVariant
  /** JKO step per snapshot interval. @default 1 */
  tau?: number
  /** Hidden widths of V, W and T. @default [64, 64] */
  hidden?: number[]
  /** Particles per snapshot per mini-batch. @default 250 */
  batchSize?: number
  /** Particles of the sub-batch on which the interaction pairs are formed. @default 64 */
  pairBatch?: number
  /** Epochs (one epoch = ⌈min_t n_t / batchSize⌉ iterations). @default 100 */
  epochs?: number
  /** Ascent steps on φ per descent step on θ. @default 5 */
  mapSteps?: number
  /** Adam on θ (energy): lr, β1, β2 (papers' defaults: 1e-3, 0.9, 0.999). @default {lr: 1e-3} */
  lrEnergy?: number
  /** Adam on φ (map). @default 1e-3 */
  lrMap?: number
  /** Global-norm gradient clipping (both optimisers). @default 10 */
  clip?: number
  /** Initial diffusion β (variant 'ijkonet'). @default 0.01 */
  betaInit?: number
  /** Neighbour order of the entropy estimator. @default 5 */
  entropyK?: number
  /** Fraction of each snapshot held out for validation (0 = none, no early stopping). @default 0.2 */
  valFraction?: number
  /** Evaluate the validation EMD every this many epochs. @default 5 */
  evalEvery?: number
  /** Evaluations without improvement before stopping (0 = never stop early). @default 0 */
  patience?: number
  /**
   * Keep the weights of the best validation evaluation at the end, not only after an early stop
   * (needs valFraction > 0). @default true
   */
  restoreBest?: boolean
  /**
   * Candidate scales α ≥ 0 of the learned energy, chosen after training by the validation one-step
   * EMD (needs valFraction > 0): J ← αJ (V̂, Ŵ, β̂ all × α), the same as a JKO step of ατ; α = 0 is
   * "no motion". One-standard-error rule (module comment). [] or [1] turns the selection off.
   * @default [0, 0.25, 0.5, 0.75, 1]
   */
  energyScales?: number[]
  /**
   * Bootstrap resamples of the validation rows for the standard errors of the energy-scale
   * selection (0 = none: only the spread over the intervals, used with ≥ 3 intervals; with fewer,
   * the plain arg-min of the validation EMD, ties to the larger α). At most `maxValidationPoints`
   * rows per snapshot are used. @default 20
   */
  energyScaleBootstrap?: number
  /** Rows per validation snapshot used by the energy-scale selection. @default 300 */
  maxValidationPoints?: number
  /** Seed of the initialisation, batches and prediction noise. @default 0 */
  seed?: number
}

interface Resolved {
  variant: IjkonetVariant
  tau: number
  hidden: number[]
  batchSize: number
  pairBatch: number
  epochs: number
  mapSteps: number
  lrEnergy: number
  lrMap: number
  clip: number
  betaInit: number
  entropyK: number
  valFraction: number
  evalEvery: number
  patience: number
  restoreBest: boolean
  energyScales: number[]
  energyScaleBootstrap: number
  maxValidationPoints: number
  seed: number
}

const MAX_JACOBIAN_DIM = 10

function resolve(c: IjkonetConfig): Resolved {
  const r: Resolved = {
    variant: c.variant ?? 'ijkonet-v',
    tau: c.tau ?? 1,
    hidden: c.hidden ?? [64, 64],
    batchSize: c.batchSize ?? 250,
    pairBatch: c.pairBatch ?? 64,
    epochs: c.epochs ?? 100,
    mapSteps: c.mapSteps ?? 5,
    lrEnergy: c.lrEnergy ?? 1e-3,
    lrMap: c.lrMap ?? 1e-3,
    clip: c.clip ?? 10,
    betaInit: c.betaInit ?? 0.01,
    entropyK: c.entropyK ?? 5,
    valFraction: c.valFraction ?? 0.2,
    evalEvery: c.evalEvery ?? 5,
    patience: c.patience ?? 0,
    restoreBest: c.restoreBest ?? true,
    energyScales: c.energyScales ?? [0, 0.25, 0.5, 0.75, 1],
    energyScaleBootstrap: c.energyScaleBootstrap ?? 20,
    maxValidationPoints: c.maxValidationPoints ?? 300,
    seed: c.seed ?? 0,
  }
  if (!['ijkonet', 'ijkonet-v', 'ijkonet-tv'].includes(r.variant)) throw invalidInput(`expected variant 'ijkonet' | 'ijkonet-v' | 'ijkonet-tv', got ${String(r.variant)}`)
  for (const [k, v] of [['tau', r.tau], ['lrEnergy', r.lrEnergy], ['lrMap', r.lrMap]] as const) {
    if (!(v > 0 && Number.isFinite(v))) throw invalidInput(`expected ${k} > 0, got ${v}`)
  }
  for (const [k, v, min] of [['batchSize', r.batchSize, 2], ['pairBatch', r.pairBatch, 2], ['epochs', r.epochs, 0], ['mapSteps', r.mapSteps, 1], ['entropyK', r.entropyK, 1], ['evalEvery', r.evalEvery, 1], ['patience', r.patience, 0], ['energyScaleBootstrap', r.energyScaleBootstrap, 0], ['maxValidationPoints', r.maxValidationPoints, 2]] as const) {
    if (!(Number.isInteger(v) && v >= min)) throw invalidInput(`expected ${k} to be an integer >= ${min}, got ${v}`)
  }
  if (!(r.betaInit > 0)) throw invalidInput(`expected betaInit > 0, got ${r.betaInit}`)
  if (!Array.isArray(r.energyScales) || r.energyScales.some((a) => !(a >= 0 && Number.isFinite(a)))) {
    throw invalidInput(`expected energyScales to be finite numbers >= 0, got [${String(r.energyScales)}]`)
  }
  return r
}

/** A trained (or being trained) iJKOnet: energy networks, map, and prediction. */
export class IjkonetModel {
  readonly V: Mlp
  readonly W: Mlp | null
  readonly T: Mlp
  private readonly betaParams = new ParamSet()
  private readonly betaRaw: tf.Variable | null
  readonly config: Resolved
  /** Number of snapshots the map's time input was scaled for. */
  readonly horizon: number

  constructor(readonly d: number, horizon: number, config: IjkonetConfig = {}) {
    this.config = resolve(config)
    if (!(Number.isInteger(d) && d >= 1)) throw invalidInput(`expected d >= 1, got ${d}`)
    if (this.config.variant === 'ijkonet' && d > MAX_JACOBIAN_DIM) {
      throw invalidInput(`iJKOnet with the internal-energy term computes the full Jacobian, supported for d <= ${MAX_JACOBIAN_DIM}; expected d <= ${MAX_JACOBIAN_DIM}, got d = ${d} (use variant 'ijkonet-v', or reduce the dimension, e.g. by PCA)`)
    }
    this.horizon = Math.max(2, horizon)
    const rng = createRng(this.config.seed)
    const tv = this.config.variant === 'ijkonet-tv'
    this.V = new Mlp({ input: tv ? d + 1 : d, hidden: this.config.hidden, output: 1, activation: 'softplus' }, rng.fork(), 'V')
    this.W = this.config.variant === 'ijkonet' ? new Mlp({ input: d, hidden: this.config.hidden, output: 1, activation: 'softplus' }, rng.fork(), 'W') : null
    this.T = new Mlp({ input: d + 1, hidden: this.config.hidden, output: d, activation: 'selu' }, rng.fork(), 'T')
    // Zero last layer: T starts as the identity map.
    const last = [...this.T.params.vars.entries()].filter(([k]) => k.startsWith('T.w')).pop()![1]
    tf.tidy(() => last.assign(tf.zeros(last.shape)))
    this.betaRaw = this.config.variant === 'ijkonet' ? this.betaParams.add('beta', [], Float32Array.of(Math.log(Math.expm1(this.config.betaInit)))) : null
  }

  get energyVars(): tf.Variable[] {
    return [...this.V.params.list(), ...(this.W?.params.list() ?? []), ...(this.betaRaw ? [this.betaRaw] : [])]
  }

  /** Normalised time input s_t = t/(K−1) of snapshot index t. */
  timeInput(t: number): number {
    return t / (this.horizon - 1)
  }

  private withTime(x: tf.Tensor2D, t: number): tf.Tensor2D {
    return tf.concat([x, tf.fill([x.shape[0], 1], this.timeInput(t))], 1) as tf.Tensor2D
  }

  /** V̂ with a per-row time column s [n, 1] (used only by the time-varying variant): [n, d] → [n]. */
  potentialCol(x: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor1D {
    return this.config.variant === 'ijkonet-tv' ? this.V.scalar(tf.concat([x, s], 1) as tf.Tensor2D) : this.V.scalar(x)
  }

  /** T_φ(x, s) = x + MLP([x, s]) with a per-row time column s [n, 1]. */
  mapCol(x: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor2D {
    return tf.add(x, this.T.apply(tf.concat([x, s], 1) as tf.Tensor2D)) as tf.Tensor2D
  }

  /** log|det ∇_x T_φ(x, s)| per row, with a per-row time column s [n, 1]: [n]. */
  logDetCol(x: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor1D {
    const jt = this.T.jacobianT(tf.concat([x, s], 1) as tf.Tensor2D, this.d)
    return logAbsDet(tf.add(jt, tf.eye(this.d).expandDims(0)) as tf.Tensor3D)
  }

  /** V̂(x) (at snapshot index t for the time-varying variant): [n, d] → [n]. */
  potentialT(x: tf.Tensor2D, t = 0): tf.Tensor1D {
    return this.config.variant === 'ijkonet-tv' ? this.V.scalar(this.withTime(x, t)) : this.V.scalar(x)
  }

  /** β̂ as a tensor (0 for the variants without internal energy). */
  betaT(): tf.Scalar {
    return this.betaRaw ? (tf.softplus(this.betaRaw) as tf.Scalar) : tf.scalar(0)
  }

  /**
   * Scales the learned energy by α ≥ 0: V̂ ← αV̂, Ŵ ← αŴ, β̂ ← αβ̂ (β̂ is floored at 1e-12, the
   * softplus cannot reach 0). A JKO step of αJ with τ is a step of J with ατ; α = 0 predicts no motion.
   */
  scaleEnergy(alpha: number): void {
    if (!(alpha >= 0 && Number.isFinite(alpha))) throw invalidInput(`expected an energy scale >= 0, got ${alpha}`)
    this.V.scaleOutput(alpha)
    this.W?.scaleOutput(alpha)
    if (this.betaRaw) {
      const b = Math.max(alpha * this.beta(), 1e-12)
      const raw = b > 20 ? b : Math.log(Math.expm1(b))
      tf.tidy(() => this.betaRaw!.assign(tf.scalar(raw)))
    }
  }

  /** Learned diffusion coefficient β̂. */
  beta(): number {
    return tf.tidy(() => this.betaT().dataSync()[0]!)
  }

  /** Mean interaction ∫∫Ŵ(x − y) over all pairs of the rows of x: [m, d] → scalar. */
  interactionT(x: tf.Tensor2D): tf.Scalar {
    if (!this.W) return tf.scalar(0)
    const m = x.shape[0]
    const diff = tf.reshape(tf.sub(tf.expandDims(x, 1), tf.expandDims(x, 0)), [m * m, this.d]) as tf.Tensor2D
    return tf.mean(this.W.scalar(diff)) as tf.Scalar
  }

  /** T_φ(x, t) = x + MLP([x, s_t]). */
  mapT(x: tf.Tensor2D, t: number): tf.Tensor2D {
    return tf.add(x, this.T.apply(this.withTime(x, t))) as tf.Tensor2D
  }

  /** log|det ∇_x T_φ(x, t)| per row: [n]. */
  logDetT(x: tf.Tensor2D, t: number): tf.Tensor1D {
    const jt = this.T.jacobianT(this.withTime(x, t), this.d)
    return logAbsDet(tf.add(jt, tf.eye(this.d).expandDims(0)) as tf.Tensor3D)
  }

  /** V̂ at the rows of x (snapshot index t for 'ijkonet-tv'). */
  potential(x: PointCloud, t = 0): Float64Array {
    this.checkCloud(x)
    return Float64Array.from(tf.tidy(() => this.potentialT(tf.tensor2d(Float32Array.from(x.data), [x.n, x.d]), t).dataSync()))
  }

  /** ∇V̂ at the rows of x: n × d. */
  gradPotential(x: PointCloud, t = 0): PointCloud {
    this.checkCloud(x)
    const g = tf.tidy(() => tf.grad((y: tf.Tensor) => tf.sum(this.potentialT(y as tf.Tensor2D, t)))(tf.tensor2d(Float32Array.from(x.data), [x.n, x.d])).dataSync())
    return { data: Float64Array.from(g), n: x.n, d: x.d }
  }

  /**
   * One step of the learned dynamics from the population x observed at snapshot index t:
   * - 'explicit' — x' = x − τ[∇V̂(x) + mean_j ∇Ŵ(x − x_j)] + √(2β̂τ) ξ (the reference evaluator's step);
   * - 'implicit' (default) — the JKO step of the learned energy: the potential part is proximal,
   *   x' = argmin_y V̂(y) + ‖y − x_e‖²/(2τ) with x_e = x − τ mean_j ∇Ŵ(x − x_j) + √(2β̂τ) ξ, i.e.
   *   x' = x_e − τ∇V̂(x'), solved per point by descent (see `prox`, at most `proxIterations`,
   *   default 200). This is the step iJKOnet's loss is
   *   consistent with: the loss evaluates V̂ only at the pushed points T(x) and the data, so ∇V̂ is
   *   learned where the particles arrive, not where they start (at the edge of a shrinking support
   *   the explicit step reads ∇V̂ where it was never fitted);
   * - 'map' — T_φ(x, t) (only meaningful for t inside the training range).
   * 'energy' is a synonym of 'implicit'.
   */
  step(x: PointCloud, t: number, opts: { method?: 'implicit' | 'explicit' | 'energy' | 'map'; rng?: Rng; proxIterations?: number } = {}): PointCloud {
    this.checkCloud(x)
    const { n, d } = x
    const tau = this.config.tau
    const method = opts.method ?? 'implicit'
    if (method === 'map') {
      const y = tf.tidy(() => this.mapT(tf.tensor2d(Float32Array.from(x.data), [n, d]), t).dataSync())
      return { data: Float64Array.from(y), n, d }
    }
    const implicit = method !== 'explicit'
    const drift = tf.tidy(() => {
      const xt = tf.tensor2d(Float32Array.from(x.data), [n, d])
      let g: tf.Tensor = implicit ? tf.zerosLike(xt) : tf.grad((y: tf.Tensor) => tf.sum(this.potentialT(y as tf.Tensor2D, t + 1)))(xt)
      if (this.W) {
        // ∇_x mean_j Ŵ(x − x_j), x_j fixed: gradient of Σ_i mean_j W(x_i − x_j) w.r.t. the first argument.
        const gw = tf.grad((y: tf.Tensor) => {
          const diff = tf.reshape(tf.sub(tf.expandDims(y, 1), tf.expandDims(xt, 0)), [n * n, d]) as tf.Tensor2D
          return tf.div(tf.sum(this.W!.scalar(diff)), n)
        })(xt)
        g = tf.add(g, gw)
      }
      return tf.mul(-tau, g).dataSync()
    })
    const beta = this.beta()
    const sd = Math.sqrt(2 * beta * tau)
    const rng = opts.rng ?? createRng(this.config.seed + 7919 * (t + 1))
    const out = new Float64Array(n * d)
    for (let i = 0; i < n * d; i++) out[i] = x.data[i]! + drift[i]! + (sd > 0 ? sd * rng.normal() : 0)
    if (!implicit) return { data: out, n, d }
    return this.prox(out, n, t, opts.proxIterations ?? 200)
  }

  /**
   * Proximal step of the learned potential, per point: argmin_y V̂(y) + ‖y − x_e‖²/(2τ) by gradient
   * descent from y = x_e with a per-point step size (×1.5 after a decrease, ×½ and rejected after an
   * increase), until τ‖∇V̂(y) + (y − x_e)/τ‖ < 1e-5·(1 + ‖y‖) at every point whose step has not
   * shrunk below 1e-6·τ (float32 resolution), or `iterations`.
   * A local minimiser where V̂ is not (1/τ)-semiconvex.
   */
  private prox(xe: Float64Array, n: number, t: number, iterations: number): PointCloud {
    const d = this.d, tau = this.config.tau
    const evalAt = (y: Float64Array) => {
      const vg = tf.tidy(() => {
        const yt = tf.tensor2d(Float32Array.from(y), [n, d])
        return [this.potentialT(yt, t + 1), tf.grad((z: tf.Tensor) => tf.sum(this.potentialT(z as tf.Tensor2D, t + 1)))(yt)]
      })
      const v = vg[0]!.dataSync(), g = vg[1]!.dataSync()
      tf.dispose(vg)
      const F = new Float64Array(n), G = new Float64Array(n * d)
      for (let i = 0; i < n; i++) {
        let q = 0
        for (let c = 0; c < d; c++) {
          const r = y[i * d + c]! - xe[i * d + c]!
          q += r * r
          G[i * d + c] = g[i * d + c]! + r / tau
        }
        F[i] = v[i]! + q / (2 * tau)
      }
      return { F, G }
    }
    const y = Float64Array.from(xe)
    const step = new Float64Array(n).fill(tau)
    let cur = evalAt(y)
    const cand = new Float64Array(n * d)
    for (let k = 0; k < iterations; k++) {
      let worst = 0
      for (let i = 0; i < n; i++) {
        if (step[i]! < 1e-6 * tau) continue // stalled at float32 resolution
        let gn = 0, yn = 0
        for (let c = 0; c < d; c++) { gn += cur.G[i * d + c]! ** 2; yn += y[i * d + c]! ** 2 }
        worst = Math.max(worst, (tau * Math.sqrt(gn)) / (1 + Math.sqrt(yn)))
      }
      if (worst < 1e-5) break
      for (let i = 0; i < n * d; i++) cand[i] = y[i]! - step[Math.floor(i / d)]! * cur.G[i]!
      const next = evalAt(cand)
      for (let i = 0; i < n; i++) {
        if (next.F[i]! <= cur.F[i]!) {
          for (let c = 0; c < d; c++) { y[i * d + c] = cand[i * d + c]!; cur.G[i * d + c] = next.G[i * d + c]! }
          cur.F[i] = next.F[i]!
          step[i] = Math.min(step[i]! * 1.5, 4 * tau)
        } else {
          step[i] = step[i]! * 0.5
        }
      }
    }
    return { data: y, n, d }
  }

  /** One-step-ahead predictions: from each observed μ_t (t = 0..K−2), the prediction of μ_{t+1}. */
  predictOneStep(snaps: PointCloud[], opts: { method?: 'implicit' | 'explicit' | 'energy' | 'map'; seed?: number } = {}): PointCloud[] {
    const rng = createRng(opts.seed ?? this.config.seed)
    return snaps.slice(0, -1).map((s, t) => this.step(s, t, { method: opts.method, rng }))
  }

  /**
   * All-steps-ahead: rolled out from x0 (at snapshot index t0) for `steps` steps with the learned
   * energy (forecasts beyond the last snapshot too). Returns the `steps` predicted clouds.
   */
  rollout(x0: PointCloud, steps: number, opts: { t0?: number; seed?: number } = {}): PointCloud[] {
    if (!(Number.isInteger(steps) && steps >= 1)) throw invalidInput(`expected steps >= 1, got ${steps}`)
    const rng = createRng(opts.seed ?? this.config.seed)
    const out: PointCloud[] = []
    let x = x0
    for (let k = 0; k < steps; k++) {
      x = this.step(x, (opts.t0 ?? 0) + k, { rng })
      out.push(x)
    }
    return out
  }

  /** All weights (V, W, T, β) as plain Float32Arrays keyed by name. */
  getState(): Record<string, Float32Array> {
    return { ...this.V.params.getState(), ...(this.W?.params.getState() ?? {}), ...this.T.params.getState(), ...this.betaParams.getState() }
  }

  setState(state: Record<string, Float32Array>): void {
    this.V.params.setState(state)
    this.W?.params.setState(state)
    this.T.params.setState(state)
    this.betaParams.setState(state)
  }

  dispose(): void {
    this.V.params.dispose()
    this.W?.params.dispose()
    this.T.params.dispose()
    this.betaParams.dispose()
  }

  private checkCloud(x: PointCloud): void {
    if (x.d !== this.d || x.data.length !== x.n * x.d) throw invalidInput(`expected an n×${this.d} cloud, got n = ${x.n}, d = ${x.d}, length = ${x.data.length}`)
  }
}

/** lossHistory: mean training loss L(θ, φ) per epoch. */
export interface IjkonetResult extends TrainResultBase<IjkonetModel> {
  /** The energy scale α chosen on validation (`energyScales`); 1 when no selection ran. */
  energyScale: number
  /**
   * Per candidate α (descending): validation one-step EMD and the standard error of its difference
   * to the best α's (module comment). Empty when no selection ran.
   */
  energyScaleScores: { scale: number; validationEmd: number; standardError: number }[]
  /** Validation one-step EMD of "no motion" (μ_t for μ_{t+1}); NaN without validation. */
  validationStillEmd: number
  /** The weights before the energy-scale selection (`model.setState` undoes it); null when none ran. */
  unscaledState: Record<string, Float32Array> | null
}

/**
 * Trains iJKOnet on the snapshots. Resume by passing `initialState` (from `model.getState()`).
 * Throws CancelledError when ctx.signal aborts (checked every iteration).
 */
export function trainIjkonet(problem: SnapshotProblem, config: IjkonetConfig = {}, ctx: TrainContext = {}, initialState?: Record<string, Float32Array>): IjkonetResult {
  const d = checkSnapshots(problem)
  const K = problem.snapshots.length
  const model = new IjkonetModel(d, K, config)
  try {
    if (initialState) model.setState(initialState)
    return trainModel(model, problem, ctx)
  } catch (e) {
    model.dispose()
    throw e
  }
}

function capRows(c: PointCloud, m: number): PointCloud {
  return c.n <= m ? c : { data: c.data.slice(0, m * c.d), n: m, d: c.d }
}

function pickRows(c: PointCloud, idx: ArrayLike<number>): PointCloud {
  const out = new Float64Array(idx.length * c.d)
  for (let i = 0; i < idx.length; i++) out.set(c.data.subarray(idx[i]! * c.d, idx[i]! * c.d + c.d), i * c.d)
  return { data: out, n: idx.length, d: c.d }
}

/**
 * The energy-scale selection (module comment): predictions of every validation μ_t (t < K−1) under
 * each α (descending `scales`), validation EMD to μ_{t+1}, bootstrap standard errors of the
 * differences to the best α, and the smallest α within one of them. Leaves the model scaled by it.
 * Steps are per point (given the noise draws; the interaction drift depends on the whole cloud, so
 * there only approximately), so a bootstrap resample of μ_t's rows resamples the prediction's rows:
 * only EMDs are recomputed.
 */
function chooseEnergyScale(model: IjkonetModel, valAll: PointCloud[], scales: number[], rng: Rng, signal?: AbortSignal): { scale: number; scores: IjkonetResult['energyScaleScores'] } {
  const c = model.config
  const val = valAll.map((v) => capRows(v, c.maxValidationPoints))
  const base = model.getState()
  const preds: PointCloud[][] = []
  for (const a of scales) {
    if (signal?.aborted) throw new CancelledError()
    model.setState(base)
    model.scaleEnergy(a)
    preds.push(val.slice(0, -1).map((x, t) => model.step(x, t)))
  }
  const T = val.length - 1
  const perInterval = (k: number, idx?: Uint32Array[]) => {
    const out: number[] = []
    for (let t = 0; t < T; t++) {
      const p = preds[k]![t]!, y = val[t + 1]!
      out.push(idx ? emd(pickRows(p, idx[t]!), pickRows(y, idx[t + 1]!)) : emd(p, y))
    }
    return out
  }
  const mean = (a: number[]) => a.reduce((x, v) => x + v, 0) / a.length
  const sd = (a: number[]) => { const m = mean(a); return Math.sqrt(a.reduce((x, v) => x + (v - m) ** 2, 0) / Math.max(1, a.length - 1)) }
  const score = (k: number, idx?: Uint32Array[]) => mean(perInterval(k, idx))
  const fullPer = scales.map((_, k) => perInterval(k))
  const full = fullPer.map(mean)
  let best = 0
  full.forEach((v, k) => { if (v < full[best]!) best = k })
  // Standard error of each α's difference to the best: the larger of the spread over the intervals
  // (each has its own independent validation clouds; with ≥ 3 intervals) and the bootstrap over rows.
  const se = fullPer.map((per, k) => (T >= 3 ? sd(per.map((v, t) => v - fullPer[best]![t]!)) / Math.sqrt(T) : 0))
  if (c.energyScaleBootstrap > 0) {
    const diffs: number[][] = scales.map(() => [])
    for (let b = 0; b < c.energyScaleBootstrap; b++) {
      if (signal?.aborted) throw new CancelledError()
      const idx = val.map((v) => Uint32Array.from({ length: v.n }, () => Math.floor(rng.uniform() * v.n)))
      const sb = scales.map((_, k) => score(k, idx))
      sb.forEach((v, k) => diffs[k]!.push(v - sb[best]!))
    }
    diffs.forEach((d, k) => { se[k] = Math.max(se[k]!, sd(d)) })
  }
  // smallest α (scales are descending) within one standard error of the best
  let chosen = best
  for (let k = 0; k < scales.length; k++) if (full[k]! - full[best]! <= se[k]!) chosen = k
  model.setState(base)
  model.scaleEnergy(scales[chosen]!)
  return { scale: scales[chosen]!, scores: scales.map((a, k) => ({ scale: a, validationEmd: full[k]!, standardError: se[k]! })) }
}

function trainModel(model: IjkonetModel, problem: SnapshotProblem, ctx: TrainContext): IjkonetResult {
  const c = model.config
  const t0 = Date.now()
  const rng = createRng(c.seed + 1)
  const { train, val } = splitSnapshots(problem.snapshots, c.valFraction, rng.fork())
  const K = train.length
  const d = model.d
  const internal = c.variant === 'ijkonet'
  const negEnt = internal ? train.map((s) => -klEntropy(s, { k: Math.min(c.entropyK, s.n - 1) })) : []
  const optE = new Adam(model.energyVars, { lr: c.lrEnergy, clip: c.clip })
  const optT = new Adam(model.T.params.list(), { lr: c.lrMap, clip: c.clip })
  const itersPerEpoch = Math.max(1, Math.ceil(Math.min(...train.map((s) => s.n)) / c.batchSize))
  const stopper = new EarlyStopper<Record<string, Float32Array>>(c.patience)
  const lossHistory: number[] = [], errorHistory: number[] = []
  let status: IjkonetResult['status'] = 'max-iterations'
  let epoch = 0
  const tauInv = 1 / (2 * c.tau)

  // All K−1 intervals are stacked into one batch of (K−1)·b rows (b rows per snapshot), with the
  // snapshot-time column as a tensor, so each loss is one pass through the networks.
  const b = Math.min(c.batchSize, ...train.map((s) => s.n))
  const timeCol = (offset: number) => {
    const a = new Float32Array((K - 1) * b)
    for (let t = 0; t + 1 < K; t++) a.fill(model.timeInput(t + offset), t * b, (t + 1) * b)
    return tf.tensor2d(a, [(K - 1) * b, 1])
  }
  const tSrc = timeCol(0), tTgt = timeCol(1)
  const negEntSrc = negEnt.slice(0, -1).reduce((a, v) => a + v, 0)
  const negEntTgt = negEnt.slice(1).reduce((a, v) => a + v, 0)
  const interactionSum = (z: tf.Tensor2D) => {
    let w: tf.Tensor = tf.scalar(0)
    for (let t = 0; t + 1 < K; t++) w = tf.add(w, model.interactionT(tf.slice(z, [t * b, 0], [Math.min(c.pairBatch, b), -1])))
    return w
  }
  /** Σ_t J_θ(T#μ_t) and Σ_t (1/2τ) E‖x − T(x)‖² over the stacked sources. */
  const pushTerms = (src: tf.Tensor2D) => {
    const tx = model.mapCol(src, tSrc)
    const cost = tf.mul(tauInv / b, tf.sum(tf.square(tf.sub(src, tx))))
    let j: tf.Tensor = tf.div(tf.sum(model.potentialCol(tx, tTgt)), b)
    if (model.W) j = tf.add(j, interactionSum(tx))
    if (internal) j = tf.add(j, tf.mul(model.betaT(), tf.sub(negEntSrc, tf.div(tf.sum(model.logDetCol(src, tSrc)), b))))
    return { j, cost }
  }
  /** Σ_t J_θ(μ_{t+1}) over the stacked targets. */
  const dataTerm = (tgt: tf.Tensor2D) => {
    let j: tf.Tensor = tf.div(tf.sum(model.potentialCol(tgt, tTgt)), b)
    if (model.W) j = tf.add(j, interactionSum(tgt))
    if (internal) j = tf.add(j, tf.mul(model.betaT(), negEntTgt))
    return j
  }

  try {
    for (epoch = 1; epoch <= c.epochs; epoch++) {
      let lossSum = 0
      for (let it = 0; it < itersPerEpoch; it++) {
        if (ctx.signal?.aborted) throw new CancelledError()
        const xs = train.map((s) => gatherRows(s.data, d, sampleIndices(rng, s.n, b)))
        const src = tf.concat(xs.slice(0, -1)) as tf.Tensor2D
        const tgt = tf.concat(xs.slice(1)) as tf.Tensor2D
        try {
          for (let s = 0; s < c.mapSteps; s++) {
            optT.step(() => tf.tidy(() => {
              const { j, cost } = pushTerms(src)
              return tf.add(j, cost) as tf.Scalar
            }))
          }
          const { loss } = optE.step(() => tf.tidy(() => {
            const { j, cost } = pushTerms(src)
            return tf.sub(tf.sub(dataTerm(tgt), j), cost) as tf.Scalar
          }))
          lossSum += loss
        } finally {
          tf.dispose([...xs, src, tgt])
        }
      }
      const loss = lossSum / itersPerEpoch
      lossHistory.push(loss)
      if (!Number.isFinite(loss)) { status = 'numerical-error'; break }
      let validationEmd: number | undefined
      let stop = false
      if (c.valFraction > 0 && (epoch % c.evalEvery === 0 || epoch === c.epochs)) {
        validationEmd = oneStepEmd(val, (x, t) => model.step(x, t)).mean
        errorHistory.push(validationEmd)
        stop = stopper.update(validationEmd, epoch, () => model.getState())
      }
      ctx.onProgress?.({ epoch, epochs: c.epochs, loss, validationEmd })
      if (stop) { status = 'early-stopped'; break }
    }
  } finally {
    optE.dispose()
    optT.dispose()
    tf.dispose([tSrc, tTgt])
  }
  if (stopper.bestState && (c.restoreBest || status === 'early-stopped' || status === 'numerical-error')) model.setState(stopper.bestState)
  const validationStillEmd = c.valFraction > 0 ? oneStepEmd(val, (x) => x).mean : NaN
  let energyScaleScores: IjkonetResult['energyScaleScores'] = []
  let energyScale = 1
  let unscaledState: Record<string, Float32Array> | null = null
  const scales = [...new Set(c.energyScales)].sort((a, b) => b - a)
  if (c.valFraction > 0 && status !== 'numerical-error' && !(scales.length === 0 || (scales.length === 1 && scales[0] === 1))) {
    unscaledState = model.getState()
    ;({ scale: energyScale, scores: energyScaleScores } = chooseEnergyScale(model, val, scales, rng.fork(), ctx.signal))
  }
  return {
    model,
    energyScale,
    energyScaleScores,
    validationStillEmd,
    unscaledState,
    converged: status === 'early-stopped',
    status,
    iterations: Math.min(epoch, c.epochs),
    errorHistory,
    lossHistory,
    bestEpoch: stopper.bestEpoch,
    bestValidationEmd: stopper.best,
    seconds: (Date.now() - t0) / 1000,
  }
}
