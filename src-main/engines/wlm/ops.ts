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
 * a custom op whose gradient likewise recomputes the softmax from the input (the max shift is
 * inside the op: tf.max's own gradient uses tf.equal, which has no gradient and would stop a
 * second differentiation), `gelu` = the exact erf form x·Φ(x) = ½x(1 + erf(x/√2)), a LayerNorm
 * from mean/rsqrt, and `matMul2` (a product whose gradients stay on tfjs-wasm's fast kernel).
 * Third and higher derivatives (never needed by WLM) are also exact for the custom ops, since
 * their gradients call themselves.
 */
import * as tf from '@tensorflow/tfjs'

type Unary = (x: tf.Tensor) => tf.Tensor

/** e^x with a gradient dy·e^x recomputed from x (so it can be differentiated again). */
export const exp2: Unary = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x])
  return { value: tf.exp(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, exp2(saved[0]!)) }
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Unary

/**
 * Softmax over the last axis, y = e^{s − max s} / Σ e^{s − max s}, as one custom op: its gradient
 * ∂s = y ⊙ (dy − Σ dy ⊙ y) recomputes y from the saved input with this same op, so it can be
 * differentiated again (to any order). Issue 8: one op saves one copy of the [N, N] scores for the
 * backward pass, where the composition exp2 / sum / div saved several and ran about twice the
 * [N, N] kernels in its gradient.
 */
export const softmax: Unary = tf.customGrad(((s: tf.Tensor, save: tf.GradSaveFunc) => {
  save([s])
  const e = tf.exp(tf.sub(s, tf.max(s, -1, true)))
  return {
    value: tf.div(e, tf.sum(e, -1, true)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const y = softmax(saved[0]!)
      return tf.mul(y, tf.sub(dy, tf.sum(tf.mul(dy, y), -1, true)))
    },
  }
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Unary

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

type Binary = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D

const size = (t: tf.Tensor) => t.size

/**
 * a·b for a [n, k], b [k, m], differentiable to any order, with every product (value and
 * gradients) an untransposed rank-2 tf.matMul. Issue 8: tfjs-wasm 4.22 runs only that form on its
 * fast kernel (XNNPACK); a transposed or batched product takes a plain loop, 10–35× slower at
 * 1024 × 1024 × 16 (bench/wlm.ts `--only=step`), and tf.matMul's own gradient is made of
 * transposed products. Here the gradients
 *   ∂a = dy·bᵀ = (b·dyᵀ)ᵀ,   ∂b = aᵀ·dy = (dyᵀ·a)ᵀ
 * transpose explicitly whichever operands are smaller (tf.transpose of an N×N matrix is itself
 * slow on wasm): for attention, only [N, d_h] operands are ever transposed.
 */
export const matMul2: Binary = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b])
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [x, y] = saved as [tf.Tensor2D, tf.Tensor2D]
      const T = (t: tf.Tensor2D) => tf.transpose(t) as tf.Tensor2D
      // ∂x: transpose y, or transpose dy and the result
      const dx = size(y) <= size(dy) + size(x) ? matMul2(dy, T(y)) : T(matMul2(y, T(dy)))
      // ∂y: transpose x, or transpose dy and the result
      const dyy = size(x) <= size(dy) + size(y) ? matMul2(T(x), dy) : T(matMul2(T(dy), x))
      return [dx, dyy]
    },
  }
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Binary

/** x W + b for x [N, in], W [in, out], b [out]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(matMul2(x, w as tf.Tensor2D), b) as tf.Tensor2D
}
