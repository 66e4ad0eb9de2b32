/**
 * JKOnet (SPEC §4.3; Bunne, Papaxanthos, Krause, Cuturi, "Proximal optimal transport modeling of
 * population dynamics", AISTATS 2022, papers/004; code bunnech/jkonet, peers.md §4) and its
 * baseline, the forward method.
 *
 * Energy J_ξ(ρ) = ∫E_ξ dρ, E_ξ an MLP (2×64 softplus). A JKO step from ρ_t,
 *   ρ_{t+1} = argmin_ρ J_ξ(ρ) + W₂²(ρ, ρ_t)/(2τ),
 * is computed as ρ_{t+1} = ∇ψ_θ # ρ_t, ψ_θ an ICNN (3×64, see nn.ts), re-initialised for every
 * step (as the reference), minimising on the particles x ~ ρ_t
 *   F(θ) = mean_i E_ξ(∇ψ_θ(x_i)) + (1/2τ) mean_i ‖x_i − ∇ψ_θ(x_i)‖²
 * by Adam (lr 0.01, β = (0.5, 0.9)), at least `innerMin` and at most `innerMax` iterations,
 * stopping when the global gradient norm ‖∇_θF‖ < `innerTol`.
 *
 * Outer loss Σ_t S_ε(ρ_{t+1}(ξ), μ_{t+1}), the debiased Sinkhorn divergence with squared-Euclidean
 * cost ‖x−y‖² and ε = 1 (reference: ott-jax defaults), computed as 2·S_{ε/2} of engines/ot/sinkhorn
 * (whose cost is ‖x−y‖²/2). Adam on ξ (lr 1e-3, β = (0.5, 0.9)), clipping 10, batch 250.
 *
 * Differentiation through the inner solve: **implicit differentiation of the inner optimum, per
 * particle.** At the optimum of the inner problem every particle satisfies the first-order
 * condition of the JKO step with a potential energy, ∇E_ξ(ŷ_i) + (ŷ_i − x_i)/τ = 0 (the JKO step of
 * a potential energy is the implicit Euler step of each particle; ŷ = ∇ψ*(x)). By the implicit
 * function theorem dŷ_i/dξ = −τ (I + τ∇²E_ξ(ŷ_i))⁻¹ ∂_ξ∇E_ξ(ŷ_i), so with g_i = ∂S/∂ŷ_i
 * (envelope-theorem gradient of the divergence),
 *   ∇_ξ S = −τ Σ_i ∂_ξ ⟨∇E_ξ(ŷ_i), v_i⟩,   v_i = (I + τ∇²E_ξ(ŷ_i))⁻¹ g_i,
 * one d×d Hessian and solve per particle and one second-order backward pass. Why not unrolling:
 * the reference back-propagates through 100 unrolled Adam steps of ψ (memory ∝ steps × network,
 * and tfjs would record 100 second-order tapes per snapshot — far too slow on CPU/WASM); the implicit
 * gradient costs one step's worth and does not depend on the optimiser's path. Its assumption is
 * that the inner solve converged and that I + τ∇²E is invertible at ŷ (a singular system is
 * damped by adding 1e-3·I). The input ρ_t is treated as a constant (the reference updates the
 * energy per time step with the previous prediction as data); gradients are summed over intervals.
 * Teacher forcing (`teacherForcing`, default true): ρ_t := μ_t; otherwise ρ_t is the model's own
 * rollout from μ_0.
 *
 * Forward method (the paper's baseline): ρ_{t+1} = ∇F_ξ # ρ_t with F_ξ an ICNN, trained directly on
 * Σ_t S_ε(∇F_ξ#ρ_t, μ_{t+1}) (no inner problem; F is not an energy of the dynamics).
 */
import * as tf from '@tensorflow/tfjs'
import { CancelledError, invalidInput } from '@shared/errors'
import { createRng, type Rng } from '../stats/random'
import type { SolveStatus } from '../common/context'
import { sinkhornDivergence } from '../ot/sinkhorn/index'
import { Adam, Icnn, Mlp, batchJacobian, gatherRows, sampleIndices } from './nn'
import { EarlyStopper, checkSnapshots, oneStepEmd, splitSnapshots, type PointCloud, type SnapshotProblem, type TrainContext, type TrainResultBase } from './common'

export interface JkonetConfig {
  /** 'jkonet' (energy + inner JKO solve) or 'forward' (the forward-method baseline). @default 'jkonet' */
  method?: 'jkonet' | 'forward'
  /** JKO step per snapshot interval. @default 1 */
  tau?: number
  /** Hidden widths of the energy MLP. @default [64, 64] */
  hidden?: number[]
  /** Hidden widths of the ICNN. @default [64, 64, 64] */
  icnnHidden?: number[]
  /** ICNN strong convexity ℓ (ψ += ℓ‖x‖²/2, for ψ and for the forward method's F). @default 0 */
  strongConvexity?: number
  /**
   * Initial coefficient of the ICNNs' learnable quadratic term softplus(q)‖x‖²/2 (nn.ts): with 1,
   * ∇ψ starts near the identity, where a JKO step of a small τ is; without it (the reference)
   * 50–100 inner Adam steps from a random ICNN often do not get there. 0 = off. With a strong
   * convexity ℓ the default is 1 − ℓ (at least 0), so that ∇ψ still starts near the identity (with
   * ℓ = 0.8 and 1, ∇ψ ≈ 1.8x at the start: a displacement of 8 at |x| = 10, the spiral task).
   * @default max(0, 1 − strongConvexity)
   */
  quadraticInit?: number
  /** Inner Adam learning rate. @default 0.01 */
  innerLr?: number
  /** Inner iterations: minimum before the stopping test, and maximum. @default 50, 100 */
  innerMin?: number
  innerMax?: number
  /** Inner stopping tolerance on ‖∇_θF‖. @default 1e-3 */
  innerTol?: number
  /** Outer Adam learning rate (β = (0.5, 0.9)). @default 1e-3 */
  lr?: number
  /** Outer gradient clipping (global norm). @default 10 */
  clip?: number
  /** Sinkhorn ε (squared-Euclidean cost). @default 1 */
  eps?: number
  /** Particles per snapshot per batch. @default 250 */
  batchSize?: number
  /** Outer iterations (epochs; one batch per epoch). @default 100 */
  epochs?: number
  /** Train from the observed μ_t (true) or from the model's own rollout (false). @default true */
  teacherForcing?: boolean
  /** Validation split, evaluation period and patience, as iJKOnet. @default 0.2, 10, 0 */
  valFraction?: number
  evalEvery?: number
  patience?: number
  /** Keep the weights of the best validation evaluation at the end, not only after an early stop. @default true */
  restoreBest?: boolean
  /** @default 0 */
  seed?: number
}

type Resolved = Required<JkonetConfig>

function resolve(c: JkonetConfig): Resolved {
  const r: Resolved = {
    method: c.method ?? 'jkonet',
    tau: c.tau ?? 1,
    hidden: c.hidden ?? [64, 64],
    icnnHidden: c.icnnHidden ?? [64, 64, 64],
    strongConvexity: c.strongConvexity ?? 0,
    quadraticInit: c.quadraticInit ?? Math.max(0, 1 - (c.strongConvexity ?? 0)),
    innerLr: c.innerLr ?? 0.01,
    innerMin: c.innerMin ?? 50,
    innerMax: c.innerMax ?? 100,
    innerTol: c.innerTol ?? 1e-3,
    lr: c.lr ?? 1e-3,
    clip: c.clip ?? 10,
    eps: c.eps ?? 1,
    batchSize: c.batchSize ?? 250,
    epochs: c.epochs ?? 100,
    teacherForcing: c.teacherForcing ?? true,
    valFraction: c.valFraction ?? 0.2,
    evalEvery: c.evalEvery ?? 10,
    patience: c.patience ?? 0,
    restoreBest: c.restoreBest ?? true,
    seed: c.seed ?? 0,
  }
  if (r.method !== 'jkonet' && r.method !== 'forward') throw invalidInput(`expected method 'jkonet' | 'forward', got ${String(r.method)}`)
  for (const [k, v] of [['tau', r.tau], ['innerLr', r.innerLr], ['lr', r.lr], ['eps', r.eps], ['innerTol', r.innerTol]] as const) {
    if (!(v > 0 && Number.isFinite(v))) throw invalidInput(`expected ${k} > 0, got ${v}`)
  }
  for (const [k, v, min] of [['innerMin', r.innerMin, 0], ['innerMax', r.innerMax, 1], ['batchSize', r.batchSize, 2], ['epochs', r.epochs, 0], ['evalEvery', r.evalEvery, 1], ['patience', r.patience, 0]] as const) {
    if (!(Number.isInteger(v) && v >= min)) throw invalidInput(`expected ${k} to be an integer >= ${min}, got ${v}`)
  }
  if (r.innerMin > r.innerMax) throw invalidInput(`expected innerMin <= innerMax, got ${r.innerMin} > ${r.innerMax}`)
  if (!(r.strongConvexity >= 0)) throw invalidInput(`expected strongConvexity >= 0, got ${r.strongConvexity}`)
  return r
}

export interface InnerReport {
  iterations: number
  converged: boolean
  gradNorm: number
}

/** JKOnet model: energy E_ξ (or, for the forward method, the ICNN F_ξ) and the inner solver. */
export class JkonetModel {
  readonly config: Resolved
  readonly E: Mlp | null
  readonly F: Icnn | null
  /** Inner ICNN ψ (re-initialised per JKO step). */
  readonly psi: Icnn
  private stepCounter = 0
  /** Reports of the last inner solves. */
  lastInner: InnerReport[] = []

  constructor(readonly d: number, config: JkonetConfig = {}) {
    this.config = resolve(config)
    if (!(Number.isInteger(d) && d >= 1)) throw invalidInput(`expected d >= 1, got ${d}`)
    const rng = createRng(this.config.seed)
    const icnnCfg = { input: d, hidden: this.config.icnnHidden, strongConvexity: this.config.strongConvexity, quadraticInit: this.config.quadraticInit }
    this.E = this.config.method === 'jkonet' ? new Mlp({ input: d, hidden: this.config.hidden, output: 1, activation: 'softplus' }, rng.fork(), 'E') : null
    this.F = this.config.method === 'forward' ? new Icnn(icnnCfg, rng.fork(), 'F') : null
    this.psi = new Icnn(icnnCfg, rng.fork(), 'psi')
  }

  get trainableVars(): tf.Variable[] {
    return this.E ? this.E.params.list() : this.F!.params.list()
  }

  /** Learned energy E_ξ at the rows of x (jkonet method only). */
  energy(x: PointCloud): Float64Array {
    if (!this.E) throw invalidInput(`expected method 'jkonet' for energy(), got 'forward' (the forward method learns no energy)`)
    this.checkCloud(x)
    return Float64Array.from(tf.tidy(() => this.E!.scalar(tf.tensor2d(Float32Array.from(x.data), [x.n, x.d])).dataSync()))
  }

  /** ∇E_ξ at the rows of x. */
  gradEnergy(x: PointCloud): PointCloud {
    if (!this.E) throw invalidInput(`expected method 'jkonet' for gradEnergy(), got 'forward'`)
    this.checkCloud(x)
    const g = tf.tidy(() => tf.grad((y: tf.Tensor) => tf.sum(this.E!.scalar(y as tf.Tensor2D)))(tf.tensor2d(Float32Array.from(x.data), [x.n, x.d])).dataSync())
    return { data: Float64Array.from(g), n: x.n, d: x.d }
  }

  /**
   * Inner JKO solve from particles x (tensor [n, d]); returns ŷ = ∇ψ*(x) (caller disposes).
   * The ICNN is re-initialised from a generator seeded by (seed, call counter).
   */
  jkoStepT(x: tf.Tensor2D, rng?: Rng): { y: tf.Tensor2D; report: InnerReport } {
    const c = this.config
    this.psi.reinit(rng ?? createRng(c.seed * 1000003 + ++this.stepCounter))
    const opt = new Adam(this.psi.params.list(), { lr: c.innerLr, beta1: 0.5, beta2: 0.9, clip: 0 })
    const half = 1 / (2 * c.tau)
    let it = 0, gradNorm = Infinity, converged = false
    try {
      while (it < c.innerMax) {
        const r = opt.step(() => tf.tidy(() => {
          const y = this.psi.grad(x)
          return tf.add(tf.mean(this.E!.scalar(y)), tf.mul(half, tf.mean(tf.sum(tf.square(tf.sub(x, y)), 1)))) as tf.Scalar
        }))
        it++
        gradNorm = r.gradNorm
        if (it >= c.innerMin && gradNorm < c.innerTol) { converged = true; break }
      }
    } finally {
      opt.dispose()
    }
    return { y: tf.tidy(() => this.psi.grad(x)), report: { iterations: it, converged, gradNorm } }
  }

  /** One step of the learned dynamics from x: the JKO step (jkonet) or ∇F(x) (forward). */
  step(x: PointCloud): PointCloud {
    this.checkCloud(x)
    const xt = tf.tensor2d(Float32Array.from(x.data), [x.n, x.d])
    try {
      if (this.F) return { data: Float64Array.from(tf.tidy(() => this.F!.grad(xt).dataSync())), n: x.n, d: x.d }
      const { y, report } = this.jkoStepT(xt)
      this.lastInner = [report]
      const out = Float64Array.from(y.dataSync())
      y.dispose()
      return { data: out, n: x.n, d: x.d }
    } finally {
      xt.dispose()
    }
  }

  /** One-step-ahead predictions of μ_{t+1} from each observed μ_t. */
  predictOneStep(snaps: PointCloud[]): PointCloud[] {
    return snaps.slice(0, -1).map((s) => this.step(s))
  }

  /** All-steps-ahead rollout from x0 (also beyond the last snapshot). */
  rollout(x0: PointCloud, steps: number): PointCloud[] {
    if (!(Number.isInteger(steps) && steps >= 1)) throw invalidInput(`expected steps >= 1, got ${steps}`)
    const out: PointCloud[] = []
    let x = x0
    for (let k = 0; k < steps; k++) out.push((x = this.step(x)))
    return out
  }

  getState(): Record<string, Float32Array> {
    return this.E ? this.E.params.getState() : this.F!.params.getState()
  }

  setState(state: Record<string, Float32Array>): void {
    if (this.E) this.E.params.setState(state)
    else this.F!.params.setState(state)
  }

  dispose(): void {
    this.E?.params.dispose()
    this.F?.params.dispose()
    this.psi.params.dispose()
  }

  private checkCloud(x: PointCloud): void {
    if (x.d !== this.d || x.data.length !== x.n * x.d) throw invalidInput(`expected an n×${this.d} cloud, got n = ${x.n}, d = ${x.d}, length = ${x.data.length}`)
  }
}

/** 2·S_{ε/2} with cost ‖x−y‖²/2 = S_ε with cost ‖x−y‖² (ott-jax convention of the reference). */
function divergence(x: tf.Tensor2D, y: tf.Tensor2D, eps: number): tf.Scalar {
  return tf.mul(2, sinkhornDivergence(x, y, { eps: eps / 2 })) as tf.Scalar
}

/**
 * v_i = (I + τ∇²E(ŷ_i))⁻¹ g_i for every particle (g = ∂loss/∂ŷ): [n, d] (caller disposes).
 * See the module comment (implicit differentiation of the inner optimum).
 */
export function implicitVectors(E: Mlp, y: tf.Tensor2D, g: tf.Tensor2D, tau: number): tf.Tensor2D {
  const [n, d] = y.shape
  const H = tf.tidy(() => batchJacobian((z) => tf.grad((w: tf.Tensor) => tf.sum(E.scalar(w as tf.Tensor2D)))(z) as tf.Tensor2D, y, d))
  const v = implicitSolve(H.dataSync() as Float32Array, g.dataSync() as Float32Array, n, d, tau)
  H.dispose()
  return tf.tensor2d(v, [n, d])
}

/**
 * The scalar −τ Σ_i ⟨∇E_ξ(ŷ_i), v_i⟩ (ŷ, v constants) whose gradient w.r.t. ξ is the implicit
 * gradient ∇_ξ loss(ŷ(ξ)).
 */
export function implicitSurrogate(E: Mlp, y: tf.Tensor2D, v: tf.Tensor2D, tau: number): tf.Scalar {
  const gE = tf.grad((w: tf.Tensor) => tf.sum(E.scalar(w as tf.Tensor2D)))(y)
  return tf.mul(-tau, tf.sum(tf.mul(gE, v))) as tf.Scalar
}

/** Solves (I + τH_i) v_i = g_i per particle (float64 LU, d×d); damped if singular. */
function implicitSolve(H: Float32Array, g: Float32Array, n: number, d: number, tau: number): Float32Array {
  const v = new Float32Array(n * d)
  const a = new Float64Array(d * d), b = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    for (let damp = 0; damp < 2; damp++) {
      for (let r = 0; r < d; r++) {
        b[r] = g[i * d + r]!
        for (let c = 0; c < d; c++) a[r * d + c] = (r === c ? 1 + damp * 1e-3 : 0) + tau * H[i * d * d + r * d + c]!
      }
      if (gaussSolve(a, b, d)) { for (let r = 0; r < d; r++) v[i * d + r] = b[r]!; break }
    }
  }
  return v
}

function gaussSolve(a: Float64Array, b: Float64Array, d: number): boolean {
  for (let k = 0; k < d; k++) {
    let p = k
    for (let i = k + 1; i < d; i++) if (Math.abs(a[i * d + k]!) > Math.abs(a[p * d + k]!)) p = i
    if (!(Math.abs(a[p * d + k]!) > 1e-8)) return false
    if (p !== k) {
      for (let j = 0; j < d; j++) { const t = a[k * d + j]!; a[k * d + j] = a[p * d + j]!; a[p * d + j] = t }
      const t = b[k]!; b[k] = b[p]!; b[p] = t
    }
    for (let i = k + 1; i < d; i++) {
      const f = a[i * d + k]! / a[k * d + k]!
      for (let j = k; j < d; j++) a[i * d + j] = a[i * d + j]! - f * a[k * d + j]!
      b[i] = b[i]! - f * b[k]!
    }
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = b[i]!
    for (let j = i + 1; j < d; j++) s -= a[i * d + j]! * b[j]!
    b[i] = s / a[i * d + i]!
  }
  return b.every(Number.isFinite)
}

export interface JkonetResult extends TrainResultBase<JkonetModel> {
  /** Fraction of inner solves that met the tolerance. (lossHistory: Σ_t S_ε per epoch.) */
  innerConvergedFraction: number
}

/** Trains JKOnet (or the forward method). Resume with `initialState`. */
export function trainJkonet(problem: SnapshotProblem, config: JkonetConfig = {}, ctx: TrainContext = {}, initialState?: Record<string, Float32Array>): JkonetResult {
  const d = checkSnapshots(problem)
  const model = new JkonetModel(d, config)
  try {
    if (initialState) model.setState(initialState)
    return trainModel(model, problem, ctx)
  } catch (e) {
    model.dispose()
    throw e
  }
}

function trainModel(model: JkonetModel, problem: SnapshotProblem, ctx: TrainContext): JkonetResult {
  const c = model.config
  const d = model.d
  const t0 = Date.now()
  const rng = createRng(c.seed + 1)
  const { train, val } = splitSnapshots(problem.snapshots, c.valFraction, rng.fork())
  const K = train.length
  const opt = new Adam(model.trainableVars, { lr: c.lr, beta1: 0.5, beta2: 0.9, clip: c.clip })
  const stopper = new EarlyStopper<Record<string, Float32Array>>(c.patience)
  const lossHistory: number[] = [], errorHistory: number[] = []
  let status: JkonetResult['status'] = 'max-iterations'
  let epoch = 0, innerRuns = 0, innerOk = 0
  try {
    for (epoch = 1; epoch <= c.epochs; epoch++) {
      if (ctx.signal?.aborted) throw new CancelledError()
      const batch = train.map((s) => gatherRows(s.data, d, sampleIndices(rng, s.n, Math.min(c.batchSize, s.n))))
      let lossValue = 0
      try {
        if (model.F) {
          // Forward method: plain autodiff through ∇F (the divergence's gradient is envelope-based).
          let prev: tf.Tensor2D | null = null
          const r = opt.step(() => tf.tidy(() => {
            let total: tf.Tensor = tf.scalar(0)
            prev = null
            for (let t = 0; t + 1 < K; t++) {
              const src: tf.Tensor2D = c.teacherForcing || !prev ? batch[t]! : prev
              const y = model.F!.grad(src)
              total = tf.add(total, divergence(y, batch[t + 1]!, c.eps))
              prev = y
            }
            return total as tf.Scalar
          }))
          lossValue = r.loss
        } else {
          // JKOnet: inner solves, then the implicit gradient (module comment).
          const ys: tf.Tensor2D[] = [], vs: tf.Tensor2D[] = []
          try {
            let src: tf.Tensor2D = batch[0]!
            for (let t = 0; t + 1 < K; t++) {
              if (ctx.signal?.aborted) throw new CancelledError()
              if (c.teacherForcing) src = batch[t]!
              const { y, report } = model.jkoStepT(src)
              innerRuns++
              if (report.converged) innerOk++
              ys.push(y)
              const target = batch[t + 1]!
              const { value, grad: grads } = tf.valueAndGrad((yy: tf.Tensor) => divergence(yy as tf.Tensor2D, target, c.eps))(y)
              lossValue += value.dataSync()[0]!
              vs.push(implicitVectors(model.E!, y, grads as tf.Tensor2D, c.tau))
              tf.dispose([value, grads])
              src = y
            }
            opt.step(() => tf.tidy(() => tf.addN(ys.map((y, t) => implicitSurrogate(model.E!, y, vs[t]!, c.tau))) as tf.Scalar))
          } finally {
            tf.dispose([...ys, ...vs])
          }
        }
      } finally {
        tf.dispose(batch)
      }
      lossHistory.push(lossValue)
      if (!Number.isFinite(lossValue)) { status = 'numerical-error'; break }
      let validationEmd: number | undefined
      let stop = false
      if (c.valFraction > 0 && (epoch % c.evalEvery === 0 || epoch === c.epochs)) {
        validationEmd = oneStepEmd(val, (x) => model.step(x)).mean
        errorHistory.push(validationEmd)
        stop = stopper.update(validationEmd, epoch, () => model.getState())
      }
      ctx.onProgress?.({ epoch, epochs: c.epochs, loss: lossValue, validationEmd })
      if (stop) { status = 'early-stopped'; break }
    }
  } finally {
    opt.dispose()
  }
  if (stopper.bestState && (c.restoreBest || status === 'early-stopped' || status === 'numerical-error')) model.setState(stopper.bestState)
  return {
    model,
    converged: status === 'early-stopped',
    status,
    iterations: Math.min(epoch, c.epochs),
    errorHistory,
    lossHistory,
    bestEpoch: stopper.bestEpoch,
    bestValidationEmd: stopper.best,
    innerConvergedFraction: innerRuns ? innerOk / innerRuns : 1,
    seconds: (Date.now() - t0) / 1000,
  }
}
