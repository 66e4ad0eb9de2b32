/**
 * The set-function potential energy U_θ(X) of WLM (paper §3; reference guanton/WLM
 * `potential_energy_models.py`, architecture `attn_flow`, restated in research/peers.md §2.1).
 *
 * Input: the population X ∈ R^{N×D} as a set (no positional encoding), optionally with a time
 * embedding e(t) = W₂ GELU(W₁ t + b₁) + b₂ ∈ R^{timeDim} concatenated to every particle.
 *   h⁰ = Linear(D[+timeDim] → H)(x_i)
 *   for each of L blocks (pre-LayerNorm):  h ← h + MHA(LN(h));  h ← h + FFN(LN(h)),
 *     MHA = multi-head self-attention over the N particles (heads × (H/heads)), FFN = Linear(H→F) → GELU → Linear(F→H)
 *   ψ_i = Linear(H → 1)(h_i)            (per particle; no final LayerNorm)
 *   U_θ(X) = (1/N) Σ_i ψ_i,   a_i = −N ∇_{x_i} U_θ(X) = −∇_{x_i} Σ_j ψ_j(X)   (paper Prop. 3.1).
 * The energy is permutation-invariant (attention is equivariant, the sum invariant).
 *
 * Deviations from the reference, all for second-order autodiff on tfjs (ops.ts): GELU is the erf
 * form (PyTorch's default too), softmax is a custom op whose gradient recomputes it from its input,
 * and the time embedding uses GELU instead of SiLU (tfjs's sigmoid has a wrong second derivative).
 * Dropout is not implemented (the reference uses 0 except on EB). Products are `matMul2` (ops.ts),
 * one head at a time: tfjs-wasm's fast kernel only takes untransposed rank-2 products (issue 8).
 *
 * Initialisation as PyTorch's nn.Linear: W, b ~ U(−1/√fan_in, 1/√fan_in), seeded; LayerNorm γ = 1, β = 0;
 * the output layer at zero unless `zeroInitOutput` is false.
 */
import * as tf from '@tensorflow/tfjs'
import { invalidInput } from '@shared/errors'
import type { Rng } from '../stats/random'
import { gelu, layerNorm, linear, matMul2, softmax } from './ops'

/** Architecture of U_θ. Defaults are CPU-sized; the paper's are H 64, heads 4, layers 4, ff 512 (peers.md §2.4). */
export interface WlmArchitecture {
  /** Particle dimension D. */
  dim: number
  /** Hidden width H (divisible by `heads`). @default 32 */
  hidden: number
  /** Attention heads. @default 2 */
  heads: number
  /** Attention + feed-forward blocks L. @default 2 */
  layers: number
  /** Feed-forward inner width F. @default 64 */
  ff: number
  /** Concatenate a learned time embedding to each particle (time-varying U). @default false */
  timeEmbedding: boolean
  /** Width of the time embedding. @default 16 */
  timeDim: number
  /**
   * Initialise the output layer Linear(H → 1) at zero, so the untrained model exerts no force
   * (particles coast with their initial velocities) and training starts from "no interaction".
   * The reference uses PyTorch's default init; in short CPU runs that gave seed-dependent
   * failures (a random initial force field to unlearn). @default true
   */
  zeroInitOutput: boolean
}

export const DEFAULT_ARCHITECTURE: Omit<WlmArchitecture, 'dim'> = { hidden: 32, heads: 2, layers: 2, ff: 64, timeEmbedding: false, timeDim: 16, zeroInitOutput: true }

export function resolveArchitecture(dim: number, a: Partial<WlmArchitecture> = {}): WlmArchitecture {
  const r: WlmArchitecture = { ...DEFAULT_ARCHITECTURE, ...a, dim }
  for (const k of ['dim', 'hidden', 'heads', 'layers', 'ff', 'timeDim'] as const) {
    if (!(Number.isInteger(r[k]) && r[k] >= 1)) throw invalidInput(`wlm architecture: expected ${k} to be an integer >= 1, got ${r[k]}`)
  }
  if (r.hidden % r.heads !== 0) throw invalidInput(`wlm architecture: expected hidden (${r.hidden}) divisible by heads, got heads = ${r.heads}`)
  return r
}

/** Parameter names and shapes, in a fixed order (the checkpoint layout). */
export function parameterShapes(a: WlmArchitecture): [string, number[], number][] {
  // [name, shape, fan_in (0 = LayerNorm gain (init 1), -1 = LayerNorm bias (init 0))]
  const H = a.hidden, F = a.ff
  const out: [string, number[], number][] = []
  const lin = (name: string, fin: number, fout: number) => {
    out.push([`${name}.w`, [fin, fout], fin], [`${name}.b`, [fout], fin])
  }
  if (a.timeEmbedding) {
    lin('time1', 1, a.timeDim)
    lin('time2', a.timeDim, a.timeDim)
  }
  lin('embed', a.dim + (a.timeEmbedding ? a.timeDim : 0), H)
  for (let l = 0; l < a.layers; l++) {
    out.push([`block${l}.ln1.g`, [H], 0], [`block${l}.ln1.b`, [H], -1])
    for (const p of ['q', 'k', 'v', 'o']) lin(`block${l}.attn.${p}`, H, H)
    out.push([`block${l}.ln2.g`, [H], 0], [`block${l}.ln2.b`, [H], -1])
    lin(`block${l}.ff1`, H, F)
    lin(`block${l}.ff2`, F, H)
  }
  lin('out', H, 1)
  return out
}

/** Fresh seeded initial values for every parameter. */
export function initialParameters(a: WlmArchitecture, rng: Rng): Map<string, { shape: number[]; values: Float32Array }> {
  const m = new Map<string, { shape: number[]; values: Float32Array }>()
  for (const [name, shape, fin] of parameterShapes(a)) {
    const size = shape.reduce((p, q) => p * q, 1)
    const values = new Float32Array(size)
    if (fin === 0) values.fill(1)
    else if (fin > 0 && !(a.zeroInitOutput && name.startsWith('out.'))) {
      const bound = 1 / Math.sqrt(fin)
      for (let i = 0; i < size; i++) values[i] = (2 * rng.uniform() - 1) * bound
    }
    m.set(name, { shape, values })
  }
  return m
}

export type Params = ReadonlyMap<string, tf.Tensor>

function P(params: Params, name: string): tf.Tensor {
  const t = params.get(name)
  if (!t) throw new Error(`wlm network: missing parameter ${name}`)
  return t
}

/**
 * Self-attention over the N particles, one head at a time on rank-2 tensors (matMul2: the fast
 * wasm product in the forward and every backward pass); the 1/√d_h scale is applied to the
 * queries ([N, d_h]) rather than to the scores ([N, N]).
 */
function multiHeadAttention(params: Params, pre: string, x: tf.Tensor2D, heads: number): tf.Tensor2D {
  const H = x.shape[1]
  const dh = H / heads
  const split = (t: tf.Tensor2D) => (heads === 1 ? [t] : (tf.split(t, heads, 1) as tf.Tensor2D[])) // heads × [N, dh]
  const q = split(tf.mul(linear(x, P(params, `${pre}.q.w`), P(params, `${pre}.q.b`)), 1 / Math.sqrt(dh)) as tf.Tensor2D)
  const k = split(linear(x, P(params, `${pre}.k.w`), P(params, `${pre}.k.b`)))
  const v = split(linear(x, P(params, `${pre}.v.w`), P(params, `${pre}.v.b`)))
  const o = q.map((qh, h) => matMul2(softmax(matMul2(qh, tf.transpose(k[h]!) as tf.Tensor2D)) as tf.Tensor2D, v[h]!))
  return linear(heads === 1 ? o[0]! : (tf.concat(o, 1) as tf.Tensor2D), P(params, `${pre}.o.w`), P(params, `${pre}.o.b`))
}

/** Per-particle energies ψ_i(X) for x [N, D] at time t → [N]. Differentiable (twice) in x and the parameters. */
export function particleEnergies(params: Params, a: WlmArchitecture, x: tf.Tensor2D, t = 0): tf.Tensor1D {
  const N = x.shape[0]
  let inp: tf.Tensor2D = x
  if (a.timeEmbedding) {
    const e1 = gelu(linear(tf.fill([1, 1], t) as tf.Tensor2D, P(params, 'time1.w'), P(params, 'time1.b'))) as tf.Tensor2D
    const e = linear(e1, P(params, 'time2.w'), P(params, 'time2.b'))
    inp = tf.concat([x, tf.tile(e, [N, 1])], 1) as tf.Tensor2D
  }
  let h = linear(inp, P(params, 'embed.w'), P(params, 'embed.b'))
  for (let l = 0; l < a.layers; l++) {
    const b = `block${l}`
    const n1 = layerNorm(h, P(params, `${b}.ln1.g`), P(params, `${b}.ln1.b`)) as tf.Tensor2D
    h = tf.add(h, multiHeadAttention(params, `${b}.attn`, n1, a.heads)) as tf.Tensor2D
    const n2 = layerNorm(h, P(params, `${b}.ln2.g`), P(params, `${b}.ln2.b`)) as tf.Tensor2D
    const f = linear(gelu(linear(n2, P(params, `${b}.ff1.w`), P(params, `${b}.ff1.b`))) as tf.Tensor2D, P(params, `${b}.ff2.w`), P(params, `${b}.ff2.b`))
    h = tf.add(h, f) as tf.Tensor2D
  }
  return tf.reshape(linear(h, P(params, 'out.w'), P(params, 'out.b')), [N]) as tf.Tensor1D
}

/** Population energy U_θ(X) = (1/N) Σ_i ψ_i(X) (scalar). */
export function populationEnergy(params: Params, a: WlmArchitecture, x: tf.Tensor2D, t = 0): tf.Scalar {
  return tf.mean(particleEnergies(params, a, x, t)) as tf.Scalar
}

/**
 * Conservative accelerations −N ∇_{x_i} U_θ(X) = −∇_{x_i} Σ_j ψ_j(X), [N, D]. Recorded on any
 * enclosing tape, so a loss built from them can be differentiated w.r.t. θ (second order).
 */
export function potentialForce(params: Params, a: WlmArchitecture, x: tf.Tensor2D, t = 0): tf.Tensor2D {
  const g = tf.grad((xx: tf.Tensor) => tf.sum(particleEnergies(params, a, xx as tf.Tensor2D, t)) as tf.Scalar)(x)
  return tf.neg(g) as tf.Tensor2D
}
