/**
 * Second derivatives of the network's building blocks against closed forms. tfjs 4.22's own
 * tf.exp / tf.sigmoid / tf.tanh / tf.softmax get them wrong (their gradients reuse the saved
 * output, which a second pass treats as a constant: ops.ts), so WLM uses these instead.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, tf } from '../../../../src-main/compute/backend'
import { exp2, gelu, layerNorm, matMul2, softmax } from '../../../../src-main/engines/wlm/ops'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

const xs = [-1.3, -0.4, 0.2, 0.9, 1.7]
const ws = [0.3, -1.1, 0.7, 0.5, -0.2]
const th0 = 0.8

/** d/dθ Σ_i w_i ∂/∂x_i Σ_j f(θ x_j), by tfjs (nested gradients). */
function mixedSecond(f: (t: tf.Tensor) => tf.Tensor): number {
  return tf.tidy(() => {
    const x = tf.tensor1d(xs), w = tf.tensor1d(ws)
    const outer = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.grad((xx: tf.Tensor) => tf.sum(f(tf.mul(t, xx))))(x), w)))
    return outer(tf.scalar(th0)).dataSync()[0]!
  })
}
/** The same from f′ and f″ in float64: Σ w_i (f′(θx_i) + θ x_i f″(θx_i)). */
function closedForm(d1: (u: number) => number, d2: (u: number) => number): number {
  let s = 0
  xs.forEach((x, i) => (s += ws[i]! * (d1(th0 * x) + th0 * x * d2(th0 * x))))
  return s
}

describe('twice-differentiable ops', () => {
  it('exp2 has the exact second derivative', () => {
    const want = closedForm(Math.exp, Math.exp)
    expect(mixedSecond(exp2)).toBeCloseTo(want, 5)
  })

  it('gelu (erf form) has the exact second derivative', () => {
    const phi = (u: number) => Math.exp(-u * u / 2) / Math.sqrt(2 * Math.PI)
    // Φ via erf from tfjs is float32; use a float64 series for Φ (Abramowitz–Stegun 7.1.26 is too coarse)
    const Phi = (u: number) => {
      let s = 0, term = u, k = 0
      while (Math.abs(term) > 1e-17 && k < 200) { s += term / (2 * k + 1); k++; term *= (-u * u) / (2 * k) } // erf(u/√2)·√(π/2)
      return 0.5 + s / Math.sqrt(2 * Math.PI)
    }
    const d1 = (u: number) => Phi(u) + u * phi(u)
    const d2 = (u: number) => 2 * phi(u) - u * u * phi(u)
    expect(mixedSecond(gelu)).toBeCloseTo(closedForm(d1, d2), 5)
  })

  it('softmax and layerNorm: second derivatives match finite differences of the first (float32, h = 1e-2)', () => {
    // g(θ) = Σ w ⊙ ∂/∂x E(x; θ), E = Σ (softmax(θ x) ⊙ c) + Σ layerNorm(θ x)·c ; check dg/dθ vs (g(θ+h) − g(θ−h))/2h
    const c = tf.tensor1d([0.5, -1.2, 2.0, 0.3, 0.9])
    const E = (t: tf.Tensor, x: tf.Tensor) => tf.add(tf.sum(tf.mul(softmax(tf.mul(t, x)), c)), tf.sum(tf.mul(tf.square(layerNorm(tf.mul(t, x), tf.onesLike(x), tf.zerosLike(x))), c)))
    const g = (t: tf.Tensor) => tf.sum(tf.mul(tf.grad((xx: tf.Tensor) => E(t, xx) as tf.Scalar)(tf.tensor1d(xs)), tf.tensor1d(ws)))
    const auto = tf.tidy(() => tf.grad(g)(tf.scalar(th0)).dataSync()[0]!)
    const h = 1e-2
    const fd = tf.tidy(() => (g(tf.scalar(th0 + h)).dataSync()[0]! - g(tf.scalar(th0 - h)).dataSync()[0]!) / (2 * h))
    expect(Math.abs(auto - fd)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)))
    // the native ops fail this check on tfjs 4.22 (reported, not asserted: a fixed tfjs must not break the suite)
  })

  it('matMul2 equals tf.matMul in value and in first, second and third derivatives (both transpose choices)', () => {
    // tf.matMul's own gradients recompute from the inputs, so they are exact to any order: the reference.
    // Shapes [n, k]·[k, m] with k small (attention scores) and with n = k large (attention × values)
    // take the two branches of matMul2's gradient (transpose an operand, or dy and the result).
    for (const [n, k, m] of [[7, 2, 7], [7, 7, 2], [3, 4, 5]] as const) {
      tf.tidy(() => {
        const a0 = tf.randomNormal([n, k], 0, 1, 'float32', 1) as tf.Tensor2D, b0 = tf.randomNormal([k, m], 0, 1, 'float32', 2) as tf.Tensor2D
        const w = tf.randomNormal([n, m], 0, 1, 'float32', 3)
        const run = (mm: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) => {
          // E = Σ w ⊙ gelu(a·b)²; g = ∂E/∂a; h = ∂/∂b Σ g²; third = ∂/∂a Σ h²
          const E = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(w, tf.square(gelu(mm(a as tf.Tensor2D, b as tf.Tensor2D)))))
          const g = (a: tf.Tensor, b: tf.Tensor) => tf.grad((aa: tf.Tensor) => E(aa, b) as tf.Scalar)(a)
          const h = (a: tf.Tensor, b: tf.Tensor) => tf.grad((bb: tf.Tensor) => tf.sum(tf.square(g(a, bb))) as tf.Scalar)(b)
          const third = tf.grad((aa: tf.Tensor) => tf.sum(tf.square(h(aa, b0))) as tf.Scalar)(a0)
          return [mm(a0, b0), g(a0, b0), h(a0, b0), third].map((t) => Array.from(t.dataSync()))
        }
        const got = run(matMul2), want = run((a, b) => tf.matMul(a, b))
        got.forEach((v, i) => {
          const scale = Math.max(1, ...want[i]!.map(Math.abs))
          v.forEach((x, j) => expect(Math.abs(x - want[i]![j]!)).toBeLessThan(1e-4 * scale))
        })
      })
    }
  })

  it('softmax (one custom op) equals the composition exp2(s) / Σ exp2(s) to the third derivative', () => {
    // The composition is exact to any order (exp2, sum, div recompute from their inputs); unshifted
    // here (softmax is shift-invariant, and the scores are small).
    const ref = (s: tf.Tensor) => {
      const e = exp2(s)
      return tf.div(e, tf.sum(e, -1, true))
    }
    tf.tidy(() => {
      const s0 = tf.randomNormal([4, 6], 0, 2, 'float32', 5), w = tf.randomNormal([4, 6], 0, 1, 'float32', 6)
      const run = (sm: (s: tf.Tensor) => tf.Tensor) => {
        const g = (s: tf.Tensor) => tf.grad((ss: tf.Tensor) => tf.sum(tf.mul(w, tf.square(sm(ss)))) as tf.Scalar)(s)
        const h = (s: tf.Tensor) => tf.grad((ss: tf.Tensor) => tf.sum(tf.mul(w, tf.square(g(ss)))) as tf.Scalar)(s)
        const third = tf.grad((ss: tf.Tensor) => tf.sum(tf.square(h(ss))) as tf.Scalar)(s0)
        return [sm(s0), g(s0), h(s0), third].map((t) => Array.from(t.dataSync()))
      }
      const got = run(softmax), want = run(ref)
      got.forEach((v, i) => {
        const scale = Math.max(1, ...want[i]!.map(Math.abs))
        v.forEach((x, j) => expect(Math.abs(x - want[i]![j]!)).toBeLessThan(1e-4 * scale))
      })
    })
  })
})
