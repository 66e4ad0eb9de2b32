import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, tf } from '../../../../src-main/compute/backend'
import { IjkonetModel, trainIjkonet, batchJacobian, logAbsDet, Mlp } from '../../../../src-main/engines/jko/index'
import { EarlyStopper } from '../../../../src-main/engines/jko/common'
import { jkonetStarData, jkonetTaskData } from '../../../../src-main/engines/synth/potentials'
import { emd } from '../../../../src-main/engines/ot/index'
import { createRng } from '../../../../src-main/engines/stats/index'
import type { PointCloud } from '../../../../src-main/engines/knn'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

/** Mean cosine between ∇V̂ and ∇V* = 2x (quadratic) over all snapshot points. */
function meanCosine(model: IjkonetModel, snaps: PointCloud[]): number {
  let s = 0, n = 0
  for (const c of snaps) {
    const g = model.gradPotential(c)
    for (let i = 0; i < c.n; i++) {
      const x = c.data[2 * i]!, y = c.data[2 * i + 1]!, gx = g.data[2 * i]!, gy = g.data[2 * i + 1]!
      s += (x * gx + y * gy) / (Math.hypot(x, y) * Math.hypot(gx, gy) + 1e-12)
      n++
    }
  }
  return s / n
}

describe('iJKOnet', () => {
  it('iJKOnet_V learns the direction of ∇V* on the quadratic task and beats "no motion"', () => {
    const data = jkonetTaskData('quadratic', { n: 160, seed: 1 })
    const cfg = { variant: 'ijkonet-v' as const, epochs: 15, batchSize: 120, lrEnergy: 1e-2, lrMap: 1e-2, mapSteps: 5, valFraction: 0.25, evalEvery: 15, seed: 0 }
    const untrained = trainIjkonet({ snapshots: data.snapshots }, { ...cfg, epochs: 0 })
    const cos0 = meanCosine(untrained.model, data.snapshots)
    untrained.model.dispose()
    const res = trainIjkonet({ snapshots: data.snapshots }, cfg)
    const cos = meanCosine(res.model, data.snapshots)
    // A freshly initialised softplus MLP has a nearly constant gradient direction over the data,
    // whose mean cosine with the radial field 2x is ≈ 0; a learned V̂ ∝ ‖x‖² gives ≈ 1. With these
    // settings, seeds 0–3 gave cos 0.93–0.97 and EMD ratios (prediction / no motion) 0.52–0.70, so
    // the bounds 0.8 and 0.85 leave room for seed and float noise but fail if θ is not trained.
    expect(Math.abs(cos0)).toBeLessThan(0.5)
    expect(cos).toBeGreaterThan(0.8)
    const pred = res.model.predictOneStep(data.snapshots)
    let errPred = 0, errStill = 0
    for (let t = 0; t + 1 < data.snapshots.length; t++) {
      errPred += emd(pred[t]!, data.snapshots[t + 1]!)
      errStill += emd(data.snapshots[t]!, data.snapshots[t + 1]!)
    }
    expect(errPred).toBeLessThan(0.85 * errStill)
    expect(res.errorHistory.length).toBe(1)
    expect(res.lossHistory.length).toBe(15)
    // forecast beyond the last snapshot keeps contracting toward the minimum at 0
    const last = data.snapshots[data.snapshots.length - 1]!
    const fc = res.model.rollout(last, 2)
    const m2 = (c: PointCloud) => c.data.reduce((a, v) => a + v * v, 0) / c.n
    expect(m2(fc[1]!)).toBeLessThan(m2(last))
    res.model.dispose()
  })

  it('iJKOnet_V learns wavy_plateau from unpaired snapshots: the JKO (proximal) step beats "no motion"; the explicit step does not', () => {
    // JKOnet* wavy_plateau (peers.md §1.1), dt = 0.01, x_0 ~ U([−4,4]²), unpaired training data;
    // the test follows 200 particles (μ_{t+1} = the true step of the test μ_t), so "no motion" is the
    // mean displacement (≈ 0.16) and the EMD measures the model, not the sampling floor of two
    // independent draws (≈ 0.35 here). Near |x| = 4 the particles move ≈ 1 per step and leave the
    // edge empty, so ∇V̂ is only fitted where they land: the explicit step (∇V̂ at the start point),
    // the old default, lands above "no motion" (this seed: 0.226 vs 0.161; data and model
    // seeds shifted by 1 and 2: 1.14× and 1.18×), the proximal step y = x − ∇V̂(y) at 0.67× (other seeds 0.77×, 0.97×:
    // 300 energy steps are a short run; 800 steps on 400 points give 0.44×, BENCHMARKS.md). Seeded,
    // so deterministic on the wasm backend; bounds < 0.8× (proximal) and > 0.9× (explicit).
    const train = jkonetStarData({ potential: 'wavy_plateau', n: 150, seed: 10 })
    const test = jkonetStarData({ potential: 'wavy_plateau', n: 200, seed: 20, paired: true })
    const res = trainIjkonet({ snapshots: train.snapshots }, { variant: 'ijkonet-v', epochs: 150, batchSize: 100, mapSteps: 2, lrEnergy: 1e-2, lrMap: 1e-2, valFraction: 0, seed: 0 })
    const score = (pred: PointCloud[]) => pred.reduce((a, p, t) => a + emd(p, test.snapshots[t + 1]!), 0)
    const still = test.snapshots.slice(0, -1).reduce((a, x, t) => a + emd(x, test.snapshots[t + 1]!), 0)
    const prox = score(res.model.predictOneStep(test.snapshots))
    const explicit = score(res.model.predictOneStep(test.snapshots, { method: 'explicit' }))
    expect(prox).toBeLessThan(0.8 * still)
    expect(explicit).toBeGreaterThan(0.9 * still)
    // the proximal step solves y = x − τ∇V̂(y)
    const x = test.snapshots[0]!
    const y = res.model.step(x, 0)
    const g = res.model.gradPotential(y)
    let r = 0, m = 0
    for (let i = 0; i < y.data.length; i++) { r = Math.max(r, Math.abs(y.data[i]! - x.data[i]! + g.data[i]!)); m = Math.max(m, Math.abs(y.data[i]! - x.data[i]!)) }
    expect(r).toBeLessThan(1e-2 * m)
    res.model.dispose()
  })

  it('Jacobian log-det: closed-form MLP Jacobian = autodiff; linear map gives log|det A|', () => {
    const A = tf.tensor2d([[2, 1, 0], [0.5, -3, 1], [0, 0.2, 1.5]])
    const detA = 2 * (-3 * 1.5 - 0.2) - 1 * (0.5 * 1.5 - 0) // cofactor expansion
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 3) as tf.Tensor2D
    const J = batchJacobian((y) => tf.matMul(y, A, false, true) as tf.Tensor2D, x, 3)
    const ld = logAbsDet(J).arraySync()
    for (const v of ld) expect(v).toBeCloseTo(Math.log(Math.abs(detA)), 5)
    // gradient of log|det A| is A^{-T}: check by finite differences on one entry
    const a0 = J.slice([0, 0, 0], [1, 3, 3]) as tf.Tensor3D
    const g = tf.grad((m: tf.Tensor) => tf.sum(logAbsDet(m as tf.Tensor3D)))(a0).arraySync() as number[][][]
    const h = 1e-2
    const bump = tf.tensor3d([[[0, 0, 0], [0, h, 0], [0, 0, 0]]])
    const fd = (logAbsDet(tf.add(a0, bump) as tf.Tensor3D).dataSync()[0]! - logAbsDet(tf.sub(a0, bump) as tf.Tensor3D).dataSync()[0]!) / (2 * h)
    expect(g[0]![1]![1]!).toBeCloseTo(fd, 3)
    // closed-form Jacobian of a selu MLP on [x, t] w.r.t. x equals the autodiff one
    const net = new Mlp({ input: 4, output: 3, activation: 'selu', hidden: [8, 8] }, createRng(2))
    const t = tf.fill([5, 1], 0.3)
    const auto = batchJacobian((y) => net.apply(tf.concat([y, t], 1) as tf.Tensor2D), x, 3).arraySync() as number[][][]
    const closed = net.jacobianT(tf.concat([x, t], 1) as tf.Tensor2D, 3).arraySync() as number[][][]
    for (let i = 0; i < 5; i++) for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) expect(closed[i]![c]![r]!).toBeCloseTo(auto[i]![r]![c]!, 4)
    net.params.dispose()
  })

  it('full iJKOnet (V + W + β, log-det term) trains without NaN and keeps β ≥ 0', () => {
    const data = jkonetTaskData('quadratic', { n: 60, seed: 2 })
    const res = trainIjkonet({ snapshots: data.snapshots }, { variant: 'ijkonet', epochs: 2, batchSize: 40, pairBatch: 16, mapSteps: 2, valFraction: 0, seed: 1 })
    expect(res.lossHistory.every(Number.isFinite)).toBe(true)
    expect(res.model.beta()).toBeGreaterThanOrEqual(0)
    expect(res.model.getState()['W.w0']).toBeInstanceOf(Float32Array)
    res.model.dispose()
  })

  it("time-varying variant: V̂ depends on the snapshot index; early stopper keeps the best state", () => {
    const data = jkonetTaskData('quadratic', { n: 60, seed: 2 })
    const res = trainIjkonet({ snapshots: data.snapshots }, { variant: 'ijkonet-tv', epochs: 2, batchSize: 40, mapSteps: 1, lrEnergy: 1e-2, valFraction: 0.25, evalEvery: 1, patience: 5, seed: 1 })
    const v0 = res.model.potential(data.snapshots[0]!, 0), v2 = res.model.potential(data.snapshots[0]!, 2)
    expect(v0.some((v, i) => Math.abs(v - v2[i]!) > 1e-6)).toBe(true)
    expect(res.errorHistory.length).toBe(2)
    expect(res.bestValidationEmd).toBe(Math.min(...res.errorHistory))
    res.model.dispose()
    const es = new EarlyStopper<number>(2)
    expect([3, 2, 2.5, 2.1].map((s, i) => es.update(s, i, () => i))).toEqual([false, false, false, true])
    expect([es.best, es.bestEpoch, es.bestState]).toEqual([2, 1, 1])
  })

  it('refuses the full Jacobian above d = 10', () => {
    expect(() => new IjkonetModel(11, 3, { variant: 'ijkonet' })).toThrow(/d <= 10/)
  })

  it('checkpoint round-trip gives identical predictions; resume from a state', () => {
    const data = jkonetTaskData('quadratic', { n: 60, seed: 3 })
    const res = trainIjkonet({ snapshots: data.snapshots }, { epochs: 2, batchSize: 40, mapSteps: 1, valFraction: 0, seed: 4 })
    const state = res.model.getState()
    const other = new IjkonetModel(2, data.snapshots.length, { seed: 99 })
    const before = other.predictOneStep(data.snapshots, { seed: 5 })[0]!.data
    other.setState(state)
    const a = res.model.predictOneStep(data.snapshots, { seed: 5 })
    const b = other.predictOneStep(data.snapshots, { seed: 5 })
    expect(Array.from(b[0]!.data)).toEqual(Array.from(a[0]!.data))
    expect(Array.from(before)).not.toEqual(Array.from(a[0]!.data))
    const am = res.model.step(data.snapshots[0]!, 0, { method: 'map' })
    const bm = other.step(data.snapshots[0]!, 0, { method: 'map' })
    expect(Array.from(bm.data)).toEqual(Array.from(am.data))
    // resume: epochs 0 from the state reproduces the model
    const resumed = trainIjkonet({ snapshots: data.snapshots }, { epochs: 0, seed: 4, valFraction: 0 }, {}, state)
    expect(Array.from(resumed.model.potential(data.snapshots[1]!))).toEqual(Array.from(res.model.potential(data.snapshots[1]!)))
    expect(() => other.setState({})).toThrow(/expected checkpoint entry/)
    for (const m of [res.model, other, resumed.model]) m.dispose()
  })

  it('abort stops training', () => {
    const data = jkonetTaskData('quadratic', { n: 60, seed: 3 })
    const ac = new AbortController()
    const epochs: number[] = []
    expect(() =>
      trainIjkonet({ snapshots: data.snapshots }, { epochs: 50, batchSize: 40, mapSteps: 1, valFraction: 0, seed: 4 }, {
        signal: ac.signal,
        onProgress: (p) => { epochs.push(p.epoch); if (p.epoch === 2) ac.abort() },
      }),
    ).toThrow(/cancel/i)
    expect(epochs).toEqual([1, 2])
  })
})
