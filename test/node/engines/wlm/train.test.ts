/**
 * Training WLM end to end on a population of harmonic oscillators (true mechanics:
 * U = ½ Σ|x|²/N, γ = 0, so every particle rotates on an ellipse: x(t) = x_0 cos t + v_0 sin t),
 * checkpoint / resume, cancellation, bad input, and the OT initial-velocity estimator.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, tf } from '../../../../src-main/compute/backend'
import { forecast, interpolateHeldOut, otVelocity, trainWlm, WlmModel, type WlmCheckpoint, type WlmTrainConfig } from '../../../../src-main/engines/wlm/index'
import { emd } from '../../../../src-main/engines/ot/index'
import { createRng } from '../../../../src-main/engines/stats/random'
import { CancelledError, PopdynError } from '../../../../src-shared/errors'
import { rotatingCloud } from './oscillator'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

const { n, d, x0, v0, at } = rotatingCloud(48, 1)
const times = [0, 0.7, 1.4, 2.1]
const problem = { snapshots: times.map(at), times, velocities: [{ data: v0, n, d }] }
const small: WlmTrainConfig = { batchSize: 48, architecture: { hidden: 16, heads: 1, layers: 1, ff: 32 }, emaDecay: 0.99 }

describe('trainWlm', () => {
  it('learns harmonic mechanics: the loss drops and the forecast beyond the last snapshot beats "no motion" by a wide margin', async () => {
    const progress: number[] = []
    const res = await trainWlm(problem, { ...small, epochs: 50, lr: 6e-3, progressEvery: 25 }, { onProgress: (p) => progress.push(p.epoch) })
    expect(progress).toEqual([25, 50])
    expect(res.status).toBe('max-iterations')
    expect(res.lossHistory).toHaveLength(50)
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length
    expect(mean(res.lossHistory.slice(-10))).toBeLessThan(0.2 * mean(res.lossHistory.slice(0, 10)))
    const f = forecast(res.model, problem.snapshots[0]!, problem.velocities[0]!, 0, [2.1, 2.45], [at(2.1), at(2.45)])
    // "No motion" predicts μ(2.45) = μ(2.1): the cloud travels ≈ |v|·0.35 ≈ 0.5 along its orbit in
    // that time, so that baseline's W1 is ≈ 0.5. The learned mechanics must carry the population on
    // beyond the training window: with this budget (50 epochs) the ratio ours/baseline was 0.33–0.66
    // over model seeds 0–3 (0.49 for seed 0, used here); an untrained model (no force: coasting
    // in straight lines) does not bend with the orbit. 0.75 leaves room for platform rounding.
    const baseline = emd(at(2.1), at(2.45))
    expect(baseline).toBeGreaterThan(0.45)
    expect(f.w1[1]!).toBeLessThan(0.75 * baseline)
    expect(f.w1[0]!).toBeLessThan(0.35) // the last training snapshot is fitted (its spread is ≈ 0.3·√2)
    // interpolation protocol: from the observed μ(0.7) (velocities by OT to μ(1.4)) to a held-out t = 1.05
    const it = interpolateHeldOut(res.model, { from: at(0.7), fromTime: 0.7, heldOutTime: 1.05, next: { cloud: at(1.4), time: 1.4 }, truth: at(1.05) })
    expect(it.velocitySource).toBe('ot')
    expect(it.w1).toBeLessThan(0.5 * emd(at(0.7), at(1.05)))
    res.model.dispose()
  })

  it('checkpoint → resume continues exactly as the uninterrupted run (weights, EMA, learnable friction, Adam moments)', async () => {
    const cfg: WlmTrainConfig = { ...small, epochs: 6, lr: 5e-3, learnFriction: true, friction: 0.5, progressEvery: 1, checkpointEvery: 3 }
    const before = tf.memory().numTensors
    const full = await trainWlm(problem, cfg)
    let cp: WlmCheckpoint | undefined
    const part = await trainWlm(problem, { ...cfg, epochs: 3 }, { onCheckpoint: (c) => (cp = c) })
    expect(cp?.epoch).toBe(3)
    const resumed = await trainWlm(problem, { ...cfg, resume: cp })
    expect(resumed.lossHistory).toHaveLength(6)
    expect(resumed.lossHistory).toEqual(full.lossHistory)
    const a = full.model.getState(), b = resumed.model.getState()
    for (const k of Object.keys(a)) expect(Array.from(b[k]!)).toEqual(Array.from(a[k]!))
    expect(full.friction).not.toBeCloseTo(0.5, 4) // γ moved
    expect(full.friction).toBeGreaterThan(0)
    // a model rebuilt from {spec, state} simulates identically
    const clone = new WlmModel(full.model.spec)
    clone.setState(full.model.getState())
    const p1 = full.model.simulate(at(0), { data: v0, n, d }, 0, [0.7]).positions[0]!.data
    const p2 = clone.simulate(at(0), { data: v0, n, d }, 0, [0.7]).positions[0]!.data
    expect(Array.from(p2)).toEqual(Array.from(p1))
    for (const r of [full, part, resumed]) r.model.dispose()
    clone.dispose()
    expect(tf.memory().numTensors).toBe(before) // nothing leaks
  })

  it('cancels through the AbortSignal and rejects bad input with "expected …, got …"', async () => {
    const ac = new AbortController()
    await expect(trainWlm(problem, { ...small, epochs: 50, progressEvery: 1 }, { signal: ac.signal, onProgress: (p) => p.epoch === 2 && ac.abort() })).rejects.toBeInstanceOf(CancelledError)
    await expect(trainWlm({ snapshots: [at(0)] })).rejects.toThrow(/expected at least 2 snapshots, got 1/)
    await expect(trainWlm({ snapshots: [at(0), { data: new Float64Array(9), n: 3, d: 3 }] })).rejects.toBeInstanceOf(PopdynError)
    await expect(trainWlm({ ...problem, times: [0, 1, 1, 2, 3] })).rejects.toThrow(/increasing/)
    await expect(trainWlm({ snapshots: problem.snapshots }, { initialVelocity: 'given' })).rejects.toThrow(/expected velocities\[0\]/)
  })
})

describe('WlmModel.simulate', () => {
  it('an untrained model (zero output layer: no force) coasts: x(t) = x0 + v0 (1 − e^{−γt})/γ, whole or in groups', () => {
    for (const gamma of [0, 0.5]) {
      const m = new WlmModel({ architecture: { dim: 2, hidden: 8, heads: 1, layers: 1, ff: 8, timeEmbedding: false, timeDim: 16, zeroInitOutput: true }, friction: gamma, learnFriction: false, scheme: 'exponential', evalStep: 0.05, seed: 0 })
      const x = at(0), v = { data: v0, n, d }
      const whole = m.simulate(x, v, 0, [0.5, 1.2])
      const grouped = m.simulate(x, v, 0, [0.5, 1.2], { groupSize: 10, seed: 3 })
      const f = gamma === 0 ? 1.2 : (1 - Math.exp(-gamma * 1.2)) / gamma
      for (let j = 0; j < n * d; j++) {
        expect(whole.positions[1]!.data[j]).toBeCloseTo(x.data[j]! + f * v0[j]!, 3)
        expect(grouped.positions[1]!.data[j]).toBeCloseTo(whole.positions[1]!.data[j]!, 5)
        expect(whole.velocities[1]!.data[j]).toBeCloseTo(v0[j]! * Math.exp(-gamma * 1.2), 3)
      }
      expect(m.energy(x).total).toBe(0)
      expect(() => m.simulate(x, v, 0, [0.5, 0.4])).toThrow(/increasing/)
      m.dispose()
    }
  })
})

describe('otVelocity', () => {
  it('recovers a rigid translation exactly, whatever the row order of the second snapshot', () => {
    const u = [0.3, -0.2], dt = 0.5
    const perm = createRng(4).permutation(n)
    const x1 = new Float64Array(n * d)
    perm.forEach((src, i) => {
      x1[2 * i] = x0[2 * src]! + dt * u[0]!
      x1[2 * i + 1] = x0[2 * src + 1]! + dt * u[1]!
    })
    const v = otVelocity({ data: x0, n, d }, { data: x1, n, d }, dt)
    for (let i = 0; i < n; i++) {
      expect(v.data[2 * i]).toBeCloseTo(u[0]!, 9)
      expect(v.data[2 * i + 1]).toBeCloseTo(u[1]!, 9)
    }
  })
})
