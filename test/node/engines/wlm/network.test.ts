/**
 * The potential network and the differentiated roll-out: permutation invariance, forces = −∇Σψ,
 * and ∂loss/∂θ through a short damped-leapfrog roll-out against central finite differences
 * (this is a second-order derivative: the loss depends on θ through accelerations that are
 * gradients of the energy).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, tf } from '../../../../src-main/compute/backend'
import { initialParameters, particleEnergies, potentialForce, resolveArchitecture, rollout } from '../../../../src-main/engines/wlm/index'
import { sinkhornDivergence } from '../../../../src-main/engines/ot/index'
import { createRng } from '../../../../src-main/engines/stats/random'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

const arch = resolveArchitecture(2, { hidden: 8, heads: 2, layers: 2, ff: 16, timeEmbedding: true, zeroInitOutput: false })
const init = initialParameters(arch, createRng(3))
// Sharpen the attention (query/key weights ×4) so that softmax's second derivative matters in the
// roll-out checks: with PyTorch-style init the attention is nearly uniform and a wrong softmax
// second derivative (tfjs's own tf.softmax) would slip through.
for (const [k, v] of init) if (/attn\.(q|k)\.w$/.test(k)) v.values.forEach((x, i) => (v.values[i] = 4 * x))
const asTensors = () => new Map<string, tf.Tensor>([...init].map(([k, v]) => [k, tf.tensor(v.values, v.shape)]))

describe('set-function potential U_θ', () => {
  it('is permutation invariant and its forces are permutation equivariant', () => {
    const rng = createRng(5)
    const x = Array.from({ length: 14 }, () => rng.normal())
    const perm = [3, 0, 6, 1, 5, 2, 4]
    const xp = perm.flatMap((i) => [x[2 * i]!, x[2 * i + 1]!])
    tf.tidy(() => {
      const p = asTensors()
      const e = tf.sum(particleEnergies(p, arch, tf.tensor2d(x, [7, 2]), 0.3)).dataSync()[0]!
      const ep = tf.sum(particleEnergies(p, arch, tf.tensor2d(xp, [7, 2]), 0.3)).dataSync()[0]!
      expect(ep).toBeCloseTo(e, 4)
      const f = potentialForce(p, arch, tf.tensor2d(x, [7, 2]), 0.3).arraySync()
      const fp = potentialForce(p, arch, tf.tensor2d(xp, [7, 2]), 0.3).arraySync()
      perm.forEach((i, k) => {
        expect(fp[k]![0]).toBeCloseTo(f[i]![0]!, 4)
        expect(fp[k]![1]).toBeCloseTo(f[i]![1]!, 4)
      })
    })
  })

  it('forces are −∇_x Σ_j ψ_j (central differences of the energy)', () => {
    const rng = createRng(6)
    const x = Array.from({ length: 10 }, () => rng.normal())
    tf.tidy(() => {
      const p = asTensors()
      const E = (xx: number[]) => tf.sum(particleEnergies(p, arch, tf.tensor2d(xx, [5, 2]), 0)).dataSync()[0]!
      const f = potentialForce(p, arch, tf.tensor2d(x, [5, 2]), 0).dataSync()
      const h = 1e-2
      for (const i of [0, 3, 7]) {
        const xp = [...x], xm = [...x]
        xp[i] += h
        xm[i] -= h
        expect(f[i]!).toBeCloseTo(-(E(xp) - E(xm)) / (2 * h), 2)
      }
    })
  })
})

describe('∂loss/∂θ through a roll-out (second-order autodiff)', () => {
  // Parameters that cannot change any force get no gradient (out.b, the last block's ff2.b).
  const names = [...init.keys()].filter((n) => n !== 'out.b' && n !== 'block1.ff2.b')
  const N = 6
  const rng = createRng(9)
  const x0v = Array.from({ length: N * 2 }, () => rng.normal())
  const v0v = Array.from({ length: N * 2 }, () => 0.5 * rng.normal())
  const wv = Array.from({ length: N * 2 }, () => rng.normal())
  const yv = Array.from({ length: N * 2 }, () => rng.normal() + 0.5)

  function check(loss: (x1: tf.Tensor2D, x2: tf.Tensor2D) => tf.Scalar, gamma: number, tol: number) {
    const lossOf = (vals: tf.Tensor[]) => {
      const params = new Map<string, tf.Tensor>(names.map((n, i) => [n, vals[i]!]))
      params.set('out.b', tf.zeros([1]))
      params.set('block1.ff2.b', tf.zeros([8]))
      const s = rollout((x, t) => potentialForce(params, arch, x, t), tf.tensor2d(x0v, [N, 2]), tf.tensor2d(v0v, [N, 2]), 0, [0.3, 0.6], 0.1, gamma)
      return loss(s[0]!.x, s[1]!.x)
    }
    tf.tidy(() => {
      const base = names.map((n) => tf.tensor(init.get(n)!.values, init.get(n)!.shape))
      const grads = tf.grads((...vals: tf.Tensor[]) => lossOf(vals))(base)
      const drng = createRng(21)
      for (let trial = 0; trial < 2; trial++) {
        const dir = base.map((b) => tf.tensor(Array.from({ length: b.size }, () => drng.normal()), b.shape))
        const nrm = Math.sqrt(dir.reduce((s, d) => s + tf.sum(tf.square(d)).dataSync()[0]!, 0))
        const dd = dir.map((d) => tf.div(d, nrm))
        const analytic = dd.reduce((s, d, i) => s + tf.sum(tf.mul(grads[i]!, d)).dataSync()[0]!, 0)
        const h = 1e-2
        const lp = lossOf(base.map((b, i) => tf.add(b, tf.mul(dd[i]!, h)))).dataSync()[0]!
        const lm = lossOf(base.map((b, i) => tf.sub(b, tf.mul(dd[i]!, h)))).dataSync()[0]!
        const fd = (lp - lm) / (2 * h)
        expect(Math.abs(fd - analytic)).toBeLessThan(tol * Math.abs(analytic) + 2e-5)
      }
    })
  }

  it('smooth loss Σ w·x(0.6) + ‖x(0.3) − x0‖², 6 leapfrog steps, γ = 0.5: FD agree within 1 %', () => {
    const w = tf.tensor2d(wv, [N, 2])
    const x0 = tf.tensor2d(x0v, [N, 2])
    check((x1, x2) => tf.add(tf.sum(tf.mul(w, x2)), tf.sum(tf.square(tf.sub(x1, x0)))) as tf.Scalar, 0.5, 1e-2)
    tf.dispose([w, x0])
  })

  it('the training loss Σ_t S_ε(x(t), μ_t) (Sinkhorn, converged tightly): FD agree within 2 %', () => {
    const y = tf.tensor2d(yv, [N, 2])
    const cfg = { p: 2 as const, blur: 0.5, scaling: 0.7, tol: 1e-6, maxIter: 2000 }
    check((x1, x2) => tf.add(sinkhornDivergence(x1, y, cfg), sinkhornDivergence(x2, y, cfg)) as tf.Scalar, 0, 2e-2)
    y.dispose()
  })

  it('∂loss/∂γ for a learnable friction (γ a tensor in both integrator schemes): FD agree within 1 %', () => {
    tf.tidy(() => {
      const params = asTensors()
      const w = tf.tensor2d(wv, [N, 2])
      for (const scheme of ['exponential', 'reference'] as const) {
        const L = (g: tf.Tensor) => {
          const s = rollout((x, t) => potentialForce(params, arch, x, t), tf.tensor2d(x0v, [N, 2]), tf.tensor2d(v0v, [N, 2]), 0, [0.6], 0.1, g as tf.Scalar, scheme)
          return tf.sum(tf.mul(w, s[0]!.x)) as tf.Scalar
        }
        const auto = tf.grad(L)(tf.scalar(0.7)).dataSync()[0]!
        const h = 1e-2
        const fd = (L(tf.scalar(0.7 + h)).dataSync()[0]! - L(tf.scalar(0.7 - h)).dataSync()[0]!) / (2 * h)
        expect(Math.abs(auto - fd)).toBeLessThan(1e-2 * Math.abs(fd) + 1e-5)
        expect(Math.abs(fd)).toBeGreaterThan(1e-3) // γ matters
      }
    })
  })
})
