/**
 * Small neural-network toolkit shared by JKOnet and iJKOnet (SPEC §4.3–4.4), on TensorFlow.js:
 * seeded MLPs and ICNNs whose weights are plain tf.Variables, Adam with global-norm gradient
 * clipping, checkpoint / restore of all weights as plain Float32Arrays, mini-batch sampling,
 * and the batched log|det| of small Jacobians.
 *
 * Tensors are float32, points [n, d] row-major. Every network here owns its variables; call
 * `dispose()` when done.
 */
import * as tf from '@tensorflow/tfjs'
import { invalidInput } from '@shared/errors'
import type { Rng } from '../stats/random'

export type Activation = 'softplus' | 'selu' | 'tanh' | 'relu'

function activate(a: Activation, x: tf.Tensor): tf.Tensor {
  switch (a) {
    case 'softplus': return tf.softplus(x)
    case 'selu': return tf.selu(x)
    case 'tanh': return tf.tanh(x)
    case 'relu': return tf.relu(x)
  }
}

function activationDerivative(a: Activation, u: tf.Tensor): tf.Tensor {
  switch (a) {
    case 'softplus': return tf.sigmoid(u)
    case 'selu': {
      const pos = tf.step(u)
      return tf.mul(SELU_SCALE, tf.add(pos, tf.mul(tf.mul(SELU_ALPHA, tf.exp(tf.neg(tf.relu(tf.neg(u))))), tf.sub(1, pos))))
    }
    case 'tanh': return tf.sub(1, tf.square(tf.tanh(u)))
    case 'relu': return tf.step(u)
  }
}

/*
 * tfjs's selu and leakyRelu kernels have gradients built from `greater`, which has no gradient,
 * so they cannot be differentiated twice. These compositions of relu/exp can (relu's gradient
 * is dy·step(x), and step has a zero gradient).
 */
const SELU_ALPHA = 1.6732632423543772
const SELU_SCALE = 1.0507009873554805
export function selu(x: tf.Tensor): tf.Tensor {
  return tf.mul(SELU_SCALE, tf.add(tf.relu(x), tf.mul(SELU_ALPHA, tf.sub(tf.exp(tf.neg(tf.relu(tf.neg(x)))), 1))))
}
export function leaky(x: tf.Tensor, slope: number): tf.Tensor {
  return tf.sub(tf.relu(x), tf.mul(slope, tf.relu(tf.neg(x))))
}

let variableCounter = 0

/** Named variables with checkpointing. */
export class ParamSet {
  readonly vars = new Map<string, tf.Variable>()

  add(name: string, shape: number[], values: Float32Array): tf.Variable {
    if (this.vars.has(name)) throw new Error(`duplicate parameter ${name}`)
    const init = tf.tensor(values, shape, 'float32')
    const v = tf.variable(init, true, `jko_${name}_${++variableCounter}`)
    init.dispose()
    this.vars.set(name, v)
    return v
  }

  list(): tf.Variable[] {
    return [...this.vars.values()]
  }

  /** All weights as plain Float32Arrays (copies), keyed by parameter name. */
  getState(prefix = ''): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {}
    for (const [k, v] of this.vars) out[prefix + k] = Float32Array.from(v.dataSync() as Float32Array)
    return out
  }

  /** Restores weights saved by getState; throws invalidInput on a missing or mis-sized entry. */
  setState(state: Record<string, Float32Array>, prefix = ''): void {
    for (const [k, v] of this.vars) {
      const a = state[prefix + k]
      if (!a) throw invalidInput(`expected checkpoint entry ${prefix + k}, got none`)
      if (a.length !== v.size) throw invalidInput(`expected ${v.size} values for ${prefix + k}, got ${a.length}`)
      tf.tidy(() => v.assign(tf.tensor(a, v.shape, 'float32')))
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose()
    this.vars.clear()
  }
}

function normals(rng: Rng, n: number, sd: number): Float32Array {
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = sd * rng.normal()
  return a
}

export interface MlpConfig {
  input: number
  /** Hidden widths. @default [64, 64] */
  hidden?: number[]
  output: number
  /** @default 'softplus' */
  activation?: Activation
}

/**
 * Fully connected network, Glorot-normal weights (std √(2/(fan_in + fan_out))) from the given
 * seeded generator, zero biases.
 */
export class Mlp {
  readonly params = new ParamSet()
  private readonly layers: { w: tf.Variable; b: tf.Variable }[] = []
  readonly activation: Activation

  constructor(readonly config: MlpConfig, rng: Rng, name = 'mlp') {
    const sizes = [config.input, ...(config.hidden ?? [64, 64]), config.output]
    this.activation = config.activation ?? 'softplus'
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fi = sizes[l]!, fo = sizes[l + 1]!
      const w = this.params.add(`${name}.w${l}`, [fi, fo], normals(rng, fi * fo, Math.sqrt(2 / (fi + fo))))
      const b = this.params.add(`${name}.b${l}`, [fo], new Float32Array(fo))
      this.layers.push({ w, b })
    }
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor = x
    this.layers.forEach(({ w, b }, l) => {
      h = tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D), b)
      if (l + 1 < this.layers.length) h = activate(this.activation, h)
    })
    return h as tf.Tensor2D
  }

  /**
   * Transposed Jacobian of the network w.r.t. its first k inputs, in closed form:
   * Jᵀ[i] = W₀[0:k]·diag σ'(h₀ᵢ)·W₁·diag σ'(h₁ᵢ)···W_L, shape [n, k, out]. Built from forward ops
   * only, so its gradient w.r.t. the weights is exact first-order autodiff (tfjs cannot take the
   * second derivative of selu/exp kernels, whose gradients use saved outputs).
   */
  jacobianT(x: tf.Tensor2D, k: number): tf.Tensor3D {
    const n = x.shape[0]
    let h: tf.Tensor = x
    let acc: tf.Tensor | null = null
    this.layers.forEach(({ w, b }, l) => {
      const pre = tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D), b)
      const wk = l === 0 ? tf.slice(w, [0, 0], [k, -1]) : w
      // acc: [n, k, width]
      // One [n·k, in] × [in, out] product instead of a batched one against n tiled copies of w (same
      // numbers; the tiled form cost ~100× more in time and memory on the wasm backend, with its gradient).
      const [, win, wout] = [0, wk.shape[0]!, wk.shape[1]!]
      acc = acc === null ? tf.tile(tf.expandDims(wk, 0), [n, 1, 1]) : tf.reshape(tf.matMul(tf.reshape(acc as tf.Tensor, [n * k, win]) as tf.Tensor2D, wk as tf.Tensor2D), [n, k, wout])
      if (l + 1 < this.layers.length) {
        acc = tf.mul(acc, tf.expandDims(activationDerivative(this.activation, pre), 1))
        h = activate(this.activation, pre)
      }
    })
    return acc as unknown as tf.Tensor3D
  }

  /** Multiplies the last layer's weights and bias by α, so the network's output becomes α·output. */
  scaleOutput(alpha: number): void {
    if (!Number.isFinite(alpha)) throw invalidInput(`expected a finite output scale, got ${alpha}`)
    const { w, b } = this.layers[this.layers.length - 1]!
    tf.tidy(() => {
      w.assign(tf.mul(w, alpha))
      b.assign(tf.mul(b, alpha))
    })
  }

  /** Scalar network: [n, d] → [n]. */
  scalar(x: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(this.apply(x), [-1]) as tf.Tensor1D
  }
}

export interface IcnnConfig {
  input: number
  /** Hidden widths (the first layer takes only x). @default [64, 64, 64] */
  hidden?: number[]
  /** Leaky-ReLU slope. @default 0.01 */
  slope?: number
  /** Std of the N(0, σ²) initialisation of all kernels. @default 0.1 */
  initStd?: number
  /** Strong-convexity weight ℓ: ψ(x) += ℓ‖x‖²/2. @default 0 */
  strongConvexity?: number
  /**
   * Learnable non-negative quadratic term: ψ(x) += softplus(q)‖x‖²/2 with softplus(q) = this value at
   * (re)initialisation; 0 = no such term. With 1, ∇ψ starts near the identity and can still contract
   * (a fixed ℓ = 1 could not: ∇ψ would be 1-strongly monotone). @default 0
   */
  quadraticInit?: number
}

/**
 * Input-convex neural network (Amos et al. 2017, as in JKOnet, peers.md §4.1):
 *   z₁ = leaky(W₀x + b₀)²,  z_{k+1} = leaky(K̃_k z_k + W_k x + b_k),  ψ = K̃_L z_L + W_L x + b_L (+ ℓ‖x‖²/2).
 * Hidden-to-hidden kernels are made non-negative by the softplus reparametrisation
 * K̃ = softplus(K)/fan_in (the reference uses softplus(K) without the 1/fan_in; with N(0, 0.1) init
 * every entry is ≈ 0.69, so each layer multiplies magnitudes by ≈ 0.69·width and ∇ψ starts at
 * ~10⁴ on data of scale 10 — the division keeps it O(1)), so ψ is convex in x (leaky ReLU and its square are convex and
 * the squared one is applied to an affine map; non-negative combinations of convex non-decreasing
 * functions of convex functions are convex). All kernels N(0, initStd²), zero biases.
 */
export class Icnn {
  readonly params = new ParamSet()
  private readonly wx: { w: tf.Variable; b: tf.Variable }[] = []
  private readonly wz: tf.Variable[] = []
  readonly slope: number
  readonly ell: number
  private readonly q: tf.Variable | null = null
  private readonly q0: number

  constructor(readonly config: IcnnConfig, rng: Rng, name = 'icnn') {
    const hidden = config.hidden ?? [64, 64, 64]
    const sd = config.initStd ?? 0.1
    this.slope = config.slope ?? 0.01
    this.ell = config.strongConvexity ?? 0
    const d = config.input
    const qi = config.quadraticInit ?? 0
    if (!(qi >= 0)) throw invalidInput(`expected quadraticInit >= 0, got ${qi}`)
    this.q0 = qi > 0 ? Math.log(Math.expm1(qi)) : 0
    if (qi > 0) this.q = this.params.add(`${name}.q`, [], Float32Array.of(this.q0))
    const outs = [...hidden, 1]
    outs.forEach((fo, l) => {
      const w = this.params.add(`${name}.wx${l}`, [d, fo], normals(rng, d * fo, sd))
      const b = this.params.add(`${name}.b${l}`, [fo], new Float32Array(fo))
      this.wx.push({ w, b })
      if (l > 0) this.wz.push(this.params.add(`${name}.wz${l}`, [outs[l - 1]!, fo], normals(rng, outs[l - 1]! * fo, sd)))
    })
  }

  /** Fresh N(0, initStd²) kernels and zero biases (JKOnet re-initialises ψ for every JKO step). */
  reinit(rng: Rng): void {
    const sd = this.config.initStd ?? 0.1
    for (const v of this.params.list()) {
      if (v === this.q) { tf.tidy(() => v.assign(tf.scalar(this.q0))); continue }
      const isBias = v.shape.length === 1
      tf.tidy(() => v.assign(tf.tensor(isBias ? new Float32Array(v.size) : normals(rng, v.size, sd), v.shape, 'float32')))
    }
  }

  /** ψ(x): [n, d] → [n]. */
  apply(x: tf.Tensor2D): tf.Tensor1D {
    const lk = (t: tf.Tensor) => leaky(t, this.slope)
    let z: tf.Tensor = tf.square(lk(tf.add(tf.matMul(x, this.wx[0]!.w as tf.Tensor2D), this.wx[0]!.b)))
    for (let l = 1; l < this.wx.length; l++) {
      const pre = tf.add(tf.add(tf.matMul(z as tf.Tensor2D, tf.div(tf.softplus(this.wz[l - 1]!), this.wz[l - 1]!.shape[0]!) as tf.Tensor2D), tf.matMul(x, this.wx[l]!.w as tf.Tensor2D)), this.wx[l]!.b)
      z = l + 1 < this.wx.length ? lk(pre) : pre
    }
    let psi = tf.reshape(z, [-1])
    if (this.ell > 0) psi = tf.add(psi, tf.mul(0.5 * this.ell, tf.sum(tf.square(x), 1)))
    if (this.q) psi = tf.add(psi, tf.mul(tf.mul(0.5, tf.softplus(this.q)), tf.sum(tf.square(x), 1)))
    return psi as tf.Tensor1D
  }

  /** ∇ψ(x): [n, d] → [n, d] (differentiable again w.r.t. the parameters). */
  grad(x: tf.Tensor2D): tf.Tensor2D {
    return tf.grad((y: tf.Tensor) => tf.sum(this.apply(y as tf.Tensor2D)))(x) as tf.Tensor2D
  }
}

/** Scales the gradients so that their global L2 norm is at most maxNorm (in place of the map values). */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: number } {
  const sq = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))))
  const norm = Math.sqrt(sq.dataSync()[0]!)
  sq.dispose()
  if (!(maxNorm > 0) || !Number.isFinite(norm) || norm <= maxNorm) return { grads, norm }
  const s = maxNorm / norm
  const out: tf.NamedTensorMap = {}
  for (const [k, g] of Object.entries(grads)) {
    out[k] = tf.mul(g, s)
    g.dispose()
  }
  return { grads: out, norm }
}

export interface AdamConfig {
  /** @default 1e-3 */
  lr?: number
  /** @default 0.9 */
  beta1?: number
  /** @default 0.999 */
  beta2?: number
  /** @default 1e-8 */
  eps?: number
  /** Global-norm clipping threshold; 0 = off. @default 10 */
  clip?: number
}

/** Adam on a fixed set of variables, with global-norm clipping. */
export class Adam {
  private readonly opt: tf.AdamOptimizer
  readonly clip: number

  constructor(private readonly vars: tf.Variable[], c: AdamConfig = {}) {
    this.opt = tf.train.adam(c.lr ?? 1e-3, c.beta1 ?? 0.9, c.beta2 ?? 0.999, c.eps ?? 1e-8)
    this.clip = c.clip ?? 10
  }

  /**
   * One step minimising loss(); returns the loss value and the pre-clipping gradient norm.
   * A non-finite loss or gradient skips the update (returned as is, for the caller to report).
   */
  step(loss: () => tf.Scalar): { loss: number; gradNorm: number } {
    const { value, grads } = tf.variableGrads(loss, this.vars)
    const lossValue = value.dataSync()[0]!
    value.dispose()
    const { grads: clipped, norm } = clipByGlobalNorm(grads, this.clip)
    if (Number.isFinite(lossValue) && Number.isFinite(norm)) this.opt.applyGradients(clipped as unknown as Parameters<tf.AdamOptimizer["applyGradients"]>[0])
    tf.dispose(Object.values(clipped))
    return { loss: lossValue, gradNorm: norm }
  }

  dispose(): void {
    this.opt.dispose()
  }
}

/**
 * log|det A_i| for a batch of small square matrices A [n, d, d] → [n], with gradient
 * A_i^{-T} (so it composes with the tape that produced A, e.g. a Jacobian from tf.grad).
 * Forward and gradient by LU with partial pivoting in float64. A singular matrix gives −∞
 * (and a zero gradient for that sample).
 */
export const logAbsDet = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
  const [n, d, d2] = a.shape as [number, number, number]
  if (a.rank !== 3 || d !== d2) throw invalidInput(`logAbsDet: expected [n, d, d], got [${a.shape.join(', ')}]`)
  const src = a.dataSync()
  const vals = new Float32Array(n)
  const invT = new Float32Array(n * d * d)
  const m = new Float64Array(d * d)
  const inv = new Float64Array(d * d)
  const piv = new Int32Array(d)
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < d * d; i++) m[i] = src[s * d * d + i]!
    const ld = luLogAbsDetInverse(m, d, piv, inv)
    vals[s] = ld
    if (Number.isFinite(ld)) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) invT[s * d * d + i * d + j] = inv[j * d + i]!
  }
  const g = tf.tensor3d(invT, [n, d, d])
  save([g])
  return {
    value: tf.tensor1d(vals),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(tf.reshape(dy, [n, 1, 1]), saved[0]!),
  }
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor3D) => tf.Tensor1D

/** LU with partial pivoting of m (d×d, overwritten); writes m⁻¹ into inv; returns log|det|. */
function luLogAbsDetInverse(m: Float64Array, d: number, piv: Int32Array, inv: Float64Array): number {
  let logdet = 0
  for (let i = 0; i < d; i++) piv[i] = i
  for (let k = 0; k < d; k++) {
    let p = k, best = Math.abs(m[k * d + k]!)
    for (let i = k + 1; i < d; i++) if (Math.abs(m[i * d + k]!) > best) { best = Math.abs(m[i * d + k]!); p = i }
    if (best === 0 || !Number.isFinite(best)) return -Infinity
    if (p !== k) {
      for (let j = 0; j < d; j++) { const t = m[k * d + j]!; m[k * d + j] = m[p * d + j]!; m[p * d + j] = t }
      const t = piv[k]!; piv[k] = piv[p]!; piv[p] = t
    }
    const pv = m[k * d + k]!
    logdet += Math.log(Math.abs(pv))
    for (let i = k + 1; i < d; i++) {
      const f = (m[i * d + k]! /= pv)
      for (let j = k + 1; j < d; j++) m[i * d + j] = m[i * d + j]! - f * m[k * d + j]!
    }
  }
  // Solve A X = I column by column: P A = L U.
  const col = new Float64Array(d)
  for (let c = 0; c < d; c++) {
    for (let i = 0; i < d; i++) col[i] = piv[i] === c ? 1 : 0
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) col[i] = col[i]! - m[i * d + j]! * col[j]!
    for (let i = d - 1; i >= 0; i--) {
      for (let j = i + 1; j < d; j++) col[i] = col[i]! - m[i * d + j]! * col[j]!
      col[i] = col[i]! / m[i * d + i]!
    }
    for (let i = 0; i < d; i++) inv[i * d + c] = col[i]!
  }
  return logdet
}

/**
 * Full Jacobian of a map f: [n, d] → [n, d'] applied row-wise (rows independent), J [n, d', d] with
 * J[i, k, :] = ∇_x f_k(x_i): d' backward passes. Differentiable again (second order) when called
 * under an outer tape.
 */
export function batchJacobian(f: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D, outDim: number): tf.Tensor3D {
  const rows: tf.Tensor[] = []
  for (let k = 0; k < outDim; k++) {
    rows.push(tf.grad((y: tf.Tensor) => tf.sum(tf.slice(f(y as tf.Tensor2D), [0, k], [-1, 1])))(x))
  }
  return tf.stack(rows, 1) as tf.Tensor3D
}

/** Draws a batch of b row indices of a cloud of n (without replacement when b ≤ n). */
export function sampleIndices(rng: Rng, n: number, b: number): Int32Array {
  if (b >= n) {
    const out = new Int32Array(b)
    const p = rng.permutation(n)
    for (let i = 0; i < b; i++) out[i] = i < n ? p[i]! : rng.int(n)
    return out
  }
  // Partial Fisher–Yates.
  const a = Int32Array.from({ length: n }, (_, i) => i)
  for (let i = 0; i < b; i++) {
    const j = i + rng.int(n - i)
    const t = a[i]!; a[i] = a[j]!; a[j] = t
  }
  return a.slice(0, b)
}

/** Rows idx of a float64 cloud as a float32 tensor [b, d]. */
export function gatherRows(data: Float64Array, d: number, idx: Int32Array): tf.Tensor2D {
  const out = new Float32Array(idx.length * d)
  for (let i = 0; i < idx.length; i++) for (let c = 0; c < d; c++) out[i * d + c] = data[idx[i]! * d + c]!
  return tf.tensor2d(out, [idx.length, d])
}
