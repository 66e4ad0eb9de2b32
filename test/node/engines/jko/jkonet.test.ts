import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, tf } from '../../../../src-main/compute/backend'
import { JkonetModel, Mlp, implicitSurrogate, implicitVectors, trainIjkonet, trainJkonet } from '../../../../src-main/engines/jko/index'
import { createRng } from '../../../../src-main/engines/stats/index'
import { jkonetTaskData } from '../../../../src-main/engines/synth/potentials'
import { emd } from '../../../../src-main/engines/ot/index'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

const sumEmd = (pred: { data: Float64Array; n: number; d: number }[], snaps: { data: Float64Array; n: number; d: number }[]) => {
  let p = 0, s = 0
  for (let t = 0; t + 1 < snaps.length; t++) {
    p += emd(pred[t]!, snaps[t + 1]!)
    s += emd(snaps[t]!, snaps[t + 1]!)
  }
  return { p, s }
}

describe('JKOnet', () => {
  it('implicit gradient through the JKO optimum matches finite differences', () => {
    // ŷ(ξ) solves ŷ = x − τ∇E_ξ(ŷ) (found by fixed-point iteration; a contraction for small τ);
    // loss L = Σ ⟨c_i, ŷ_i⟩, so g = c. Compare ⟨∇_ξ L, δ⟩ with a central difference along δ.
    const tau = 0.2
    const E = new Mlp({ input: 2, hidden: [8], output: 1, activation: 'softplus' }, createRng(11), 'E')
    const x = tf.tensor2d([[0.5, -1], [1.2, 0.3], [-0.7, 0.8], [0.1, 1.5]])
    const c = tf.tensor2d([[1, 0.5], [-0.3, 2], [0.7, -1], [1.5, 0.2]])
    const solve = () => tf.tidy(() => {
      let y = x.clone()
      for (let k = 0; k < 200; k++) y = tf.sub(x, tf.mul(tau, tf.grad((w: tf.Tensor) => tf.sum(E.scalar(w as tf.Tensor2D)))(y))) as tf.Tensor2D
      return y
    })
    const loss = () => tf.tidy(() => tf.sum(tf.mul(c, solve())).dataSync()[0]!)
    const y = solve()
    const v = implicitVectors(E, y, c, tau)
    const { grads } = tf.variableGrads(() => implicitSurrogate(E, y, v, tau), E.params.list())
    const rng = createRng(5)
    const vars = E.params.list()
    const dirs = vars.map((p) => tf.tensor(Float32Array.from({ length: p.size }, () => rng.normal()), p.shape))
    const analytic = vars.reduce((s, p, i) => s + (grads[p.name] ? tf.sum(tf.mul(grads[p.name]!, dirs[i]!)).dataSync()[0]! : 0), 0)
    const h = 1e-2
    const orig = vars.map((p) => p.clone())
    vars.forEach((p, i) => p.assign(tf.add(orig[i]!, tf.mul(h, dirs[i]!))))
    const lp = loss()
    vars.forEach((p, i) => p.assign(tf.sub(orig[i]!, tf.mul(h, dirs[i]!))))
    const lm = loss()
    const fd = (lp - lm) / (2 * h)
    expect(Math.abs(analytic)).toBeGreaterThan(1e-2)
    expect(Math.abs(analytic - fd)).toBeLessThan(0.02 * Math.abs(fd) + 1e-3)
    E.params.dispose()
  })

  it('inner JKO solve reaches the first-order condition ∇E(ŷ) + (ŷ − x)/τ = 0', () => {
    const m = new JkonetModel(2, { icnnHidden: [32, 32], innerMin: 100, innerMax: 200, innerLr: 0.05, innerTol: 1e-4, seed: 3 })
    // Scale the energy's last layer so that E has a non-trivial gradient (≈ O(1)).
    const last = m.E!.params.vars.get('E.w2')!
    last.assign(tf.mul(last, 3))
    const x = tf.randomNormal([32, 2], 0, 1.5, 'float32', 5) as tf.Tensor2D
    const { y } = m.jkoStepT(x)
    const res = tf.tidy(() => {
      const g = tf.grad((w: tf.Tensor) => tf.sum(m.E!.scalar(w as tf.Tensor2D)))(y)
      const r = tf.add(g, tf.sub(y, x))
      return [tf.norm(r).dataSync()[0]!, tf.norm(g).dataSync()[0]!]
    })
    // residual small compared with the size of the step ‖∇E‖ (float32, finite iterations)
    expect(res[1]!).toBeGreaterThan(0.5)
    expect(res[0]! / res[1]!).toBeLessThan(0.15)
    tf.dispose([x, y])
    m.dispose()
  })

  it('JKOnet (implicit gradient) and the forward method beat "no motion" on the quadratic task', () => {
    const data = jkonetTaskData('quadratic', { n: 48, seed: 1 })
    // Untrained: the JKO step of a random energy hardly moves the particles (ratio ≈ 1), so the
    // bound below is met only through training (seen: JKOnet 0.64, forward 0.64 after these epochs).
    const untrained = trainJkonet({ snapshots: data.snapshots }, { icnnHidden: [32, 32], epochs: 0, innerLr: 0.05, innerMin: 10, innerMax: 15, valFraction: 0 })
    const u = sumEmd(untrained.model.predictOneStep(data.snapshots), data.snapshots)
    expect(u.p / u.s).toBeGreaterThan(0.9)
    untrained.model.dispose()
    for (const method of ['jkonet', 'forward'] as const) {
      const inner = method === 'jkonet' ? { innerMin: 10, innerMax: 15 } : {}
      const res = trainJkonet({ snapshots: data.snapshots }, { method, icnnHidden: [32, 32], epochs: method === 'jkonet' ? 5 : 8, batchSize: 48, lr: 0.05, innerLr: 0.05, ...inner, valFraction: 0, seed: 0 })
      expect(res.lossHistory.every(Number.isFinite)).toBe(true)
      const { p, s } = sumEmd(res.model.predictOneStep(data.snapshots), data.snapshots)
      expect(p).toBeLessThan(0.8 * s)
      res.model.dispose()
    }
  })

  it('checkpoint round-trip and abort', () => {
    const data = jkonetTaskData('quadratic', { n: 30, seed: 2 })
    const res = trainJkonet({ snapshots: data.snapshots }, { epochs: 1, batchSize: 30, innerMin: 2, innerMax: 5, valFraction: 0, seed: 1 })
    const other = new JkonetModel(2, { seed: 9 })
    other.setState(res.model.getState())
    expect(Array.from(other.energy(data.snapshots[0]!))).toEqual(Array.from(res.model.energy(data.snapshots[0]!)))
    other.dispose()
    res.model.dispose()
    const ac = new AbortController()
    const seen: number[] = []
    expect(() => trainJkonet({ snapshots: data.snapshots }, { epochs: 20, batchSize: 30, innerMin: 2, innerMax: 5, valFraction: 0 }, {
      signal: ac.signal,
      onProgress: (p) => { seen.push(p.epoch); ac.abort() },
    })).toThrow(/cancel/i)
    expect(seen).toEqual([1])
  })

  it('training, prediction and dispose release every tensor (both engines)', () => {
    const data = jkonetTaskData('quadratic', { n: 40, seed: 1 })
    const runs = [
      () => trainIjkonet({ snapshots: data.snapshots }, { variant: 'ijkonet', epochs: 1, batchSize: 30, pairBatch: 8, mapSteps: 1, valFraction: 0.25, evalEvery: 1 }),
      () => trainJkonet({ snapshots: data.snapshots }, { teacherForcing: false, epochs: 1, batchSize: 30, innerMin: 2, innerMax: 3, icnnHidden: [8, 8], valFraction: 0.25, evalEvery: 1 }),
      () => trainJkonet({ snapshots: data.snapshots }, { method: 'forward', teacherForcing: false, epochs: 1, batchSize: 30, icnnHidden: [8, 8], valFraction: 0.25, evalEvery: 1 }),
    ]
    for (const run of runs) {
      const before = tf.memory().numTensors
      const r = run()
      r.model.predictOneStep(data.snapshots)
      r.model.rollout(data.snapshots[0]!, 2)
      r.model.dispose()
      expect(tf.memory().numTensors).toBe(before)
    }
  })

  it('with strong convexity ℓ the ICNN still starts at the identity (learnable quadratic term starts at 1 − ℓ)', () => {
    // ψ = ℓ‖x‖²/2 + softplus(q)‖x‖²/2 + (small random ICNN): ∇ψ(x) ≈ (ℓ + softplus(q))x. With the old
    // default softplus(q) = 1 and ℓ = 0.8 (the spiral task), ∇ψ(x) ≈ 1.8x: 18 at x = (10, 0).
    const x = tf.tensor2d([10, 0, 0, -10, 7, 7, -3, 2], [4, 2])
    for (const [cfg, factor] of [[{ strongConvexity: 0.8 }, 1], [{ strongConvexity: 0.8, quadraticInit: 1 }, 1.8], [{}, 1]] as const) {
      const m = new JkonetModel(2, cfg)
      m.psi.reinit(createRng(5))
      const g = m.psi.grad(x).arraySync()
      const xs = x.arraySync()
      for (let i = 0; i < 4; i++) for (let c = 0; c < 2; c++) expect(Math.abs(g[i]![c]! - factor * xs[i]![c]!)).toBeLessThan(0.5)
      m.dispose()
    }
    x.dispose()
  })
})
