/**
 * Twice-differentiable building blocks for WLM's potential network.
 *
 * WLM back-propagates a loss through accelerations that are themselves gradients
 * (a = −∇_x Σ_i ψ_i), so every op inside the network needs a correct *second* derivative.
 * Measured on @tensorflow/tfjs 4.22 (wasm and cpu share the gradient code), against closed forms
 * (test/node/engines/wlm/ops.test.ts): ops whose registered gradient reuses the op's saved
 * *output* — tf.exp, tf.sigmoid, tf.tanh, and everything built on them (tf.softmax, SiLU, the tanh
 * GELU) — give wrong second derivatives (13 %, 82 %, 156 % off on a test vector): on the second
 * pass the saved output is treated as a constant. Ops whose gradient recomputes from the input
 * (tf.softplus, tf.erf, tf.sqrt, tf.rsqrt, tf.log, tf.reciprocal, matMul, mul, div) are exact.
 *
 * So here: `exp2` = exp whose gradient recomputes exp from the input (tf.customGrad), `softmax`
 * built on it with a max shift that carries no gradient, `gelu` = the exact erf form
 * x·Φ(x) = ½x(1 + erf(x/√2)), and a LayerNorm from mean/rsqrt. Third and higher derivatives
 * (never needed by WLM) are also exact for `exp2`, since its gradient calls itself.
 */
import * as tf from '@tensorflow/tfjs'

type Unary = (x: tf.Tensor) => tf.Tensor

/** e^x with a gradient dy·e^x recomputed from x (so it can be differentiated again). */
export const exp2: Unary = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x])
  return { value: tf.exp(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, exp2(saved[0]!)) }
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Unary

/**
 * max over the last axis (keepDims) with a zero gradient. The max is taken inside the custom op so
 * it is not recorded on the tape: tf.max's own gradient uses tf.equal, which has no gradient and
 * would stop a second differentiation.
 */
export const maxNoGrad: Unary = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.max(x, -1, true),
  gradFunc: () => tf.zerosLike(x),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Unary

/** Softmax over the last axis: exp2(s − max s) / Σ exp2(s − max s); the shift carries no gradient (softmax is shift-invariant). */
export function softmax(s: tf.Tensor): tf.Tensor {
  const e = exp2(tf.sub(s, maxNoGrad(s)))
  return tf.div(e, tf.sum(e, -1, true))
}

/** Exact GELU: x·Φ(x) = ½x(1 + erf(x/√2)) (Hendrycks & Gimpel 2016; PyTorch's default `nn.GELU()`). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))))
}

/** LayerNorm over the last axis: γ ⊙ (x − mean)/√(var + eps) + β (biased variance, eps 1e-5, as torch.nn.LayerNorm). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const mu = tf.mean(x, -1, true)
  const xc = tf.sub(x, mu)
  const v = tf.mean(tf.square(xc), -1, true)
  return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(v, eps))), gamma), beta)
}

/** x W + b for x [N, in], W [in, out], b [out]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, w as tf.Tensor2D), b) as tf.Tensor2D
}
