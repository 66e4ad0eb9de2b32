/**
 * The stabilised CPU path (stabilised.ts, cpu.ts, cpu-path.ts): agreement with the float64
 * log-domain reference (values, potentials, several ε, p = 1 and 2, unequal sizes, non-uniform
 * weights), marginals, gradients against finite differences and the tensor path, status,
 * cancellation, the log-domain fallback, and the automatic path choice.
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRng } from '../../../../src-main/engines/stats/random'
import { abortAtThirdReport, cloud } from './sinkhorn-helpers'
import {
  epsilonSchedule,
  sinkhorn,
  sinkhornDivergence,
  sinkhornDivergenceCpu,
  sinkhornDivergenceStabilisedCpu,
  sinkhornDivergenceWithReport,
  sinkhornLogCpu,
  sinkhornStabilisedCpu,
} from '../../../../src-main/engines/ot/sinkhorn'
import type { PointCloud } from '../../../../src-main/engines/ot/types'
import { CancelledError, PopdynError } from '@shared/errors'

beforeAll(async () => {
  await tf.setBackend('wasm')
  await tf.ready()
})

function weights(seed: number, n: number): Float64Array {
  const rng = createRng(seed)
  const w = Float64Array.from({ length: n }, () => 0.2 + rng.uniform())
  const s = w.reduce((t, v) => t + v, 0)
  return w.map((v) => v / s)
}
/** max |(u − mean u) − (v − mean v)|: potentials are defined up to f + c, g − c. */
function centredDiff(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let mu = 0, mv = 0
  for (let i = 0; i < u.length; i++) {
    mu += u[i]!
    mv += v[i]!
  }
  mu /= u.length
  mv /= v.length
  let e = 0
  for (let i = 0; i < u.length; i++) e = Math.max(e, Math.abs(u[i]! - mu - (v[i]! - mv)))
  return e
}
const T = (c: PointCloud) => tf.tensor2d(Float32Array.from(c.data), [c.n, c.d])
const maxAbs = (u: ArrayLike<number>) => Array.from(u).reduce((m, v) => Math.max(m, Math.abs(v)), 0)

/** L1 errors of both marginals of π_ij = a_i b_j exp((f_i + g_j − c_ij)/ε), by brute force. */
function marginalErrors(x: PointCloud, y: PointCloud, a: Float64Array, b: Float64Array, f: Float64Array, g: Float64Array, eps: number, p: 1 | 2) {
  const rows = new Float64Array(x.n), cols = new Float64Array(y.n)
  for (let i = 0; i < x.n; i++) {
    for (let j = 0; j < y.n; j++) {
      let s = 0
      for (let k = 0; k < x.d; k++) s += (x.data[i * x.d + k]! - y.data[j * y.d + k]!) ** 2
      const c = p === 2 ? s / 2 : Math.sqrt(s)
      const pij = a[i]! * b[j]! * Math.exp((f[i]! + g[j]! - c) / eps)
      rows[i]! += pij
      cols[j]! += pij
    }
  }
  let er = 0, ec = 0
  for (let i = 0; i < x.n; i++) er += Math.abs(rows[i]! - a[i]!)
  for (let j = 0; j < y.n; j++) ec += Math.abs(cols[j]! - b[j]!)
  return { er, ec }
}

describe('stabilised CPU solver vs the float64 log-domain reference', () => {
  const cases = [
    { p: 2, eps: 1 },
    { p: 2, eps: 0.05 },
    { p: 2, eps: 0.01 },
    { p: 1, eps: 0.5 },
    { p: 1, eps: 0.05 },
  ] as const
  for (const { p, eps } of cases) {
    it(`OT_ε: cost and potentials agree (p = ${p}, ε = ${eps}, 45 × 60 points, non-uniform weights); marginals within tol`, () => {
      const x = cloud(1, 45, 3), y = cloud(2, 60, 3, 0.6, 0.8)
      const a = weights(3, 45), b = weights(4, 60)
      const ref = sinkhornLogCpu(x, y, { p, eps, a, b, tol: 1e-10, maxIter: 100000 })
      expect(ref.converged).toBe(true)
      const tol = 1e-8
      const r = sinkhornStabilisedCpu(x, y, { p, eps, a, b, tol, maxIter: 100000 })
      expect(r.status).toBe('converged')
      expect(r.path).toBe('cpu-stabilised')
      expect(r.errorHistory.at(-1)!).toBeLessThanOrEqual(tol)
      expect(Math.abs(r.cost - ref.cost)).toBeLessThan(1e-7 * Math.max(1, Math.abs(ref.cost)))
      // f, g up to a constant; a marginal error δ moves the potentials by about ε·δ.
      expect(centredDiff(r.f, ref.f)).toBeLessThan(1e-6 * Math.max(1, eps))
      expect(centredDiff(r.g, ref.g)).toBeLessThan(1e-6 * Math.max(1, eps))
      const { er, ec } = marginalErrors(x, y, a, b, r.f, r.g, r.eps, p)
      expect(er).toBeLessThan(2 * tol)
      expect(ec).toBeLessThan(2 * tol)
    })
  }

  for (const { p, eps } of [{ p: 2, eps: 0.02 }, { p: 1, eps: 0.2 }] as const) {
    it(`S_ε: value and symmetric potentials agree (p = ${p}, ε = ${eps}, 50 × 35, non-uniform weights); S(α, α) = 0`, () => {
      const x = cloud(5, 50, 2), y = cloud(6, 35, 2, 0.5, 1.3)
      const a = weights(7, 50), b = weights(8, 35)
      const ref = sinkhornDivergenceCpu(x, y, { p, eps, a, b, tol: 1e-10, maxIter: 100000 })
      expect(ref.converged).toBe(true)
      const r = sinkhornDivergenceStabilisedCpu(x, y, { p, eps, a, b, tol: 1e-8, maxIter: 100000 })
      expect(r.converged).toBe(true)
      expect(Math.abs(r.value - ref.value)).toBeLessThan(1e-7 * Math.max(1, ref.value))
      const raa = sinkhornLogCpu(x, x, { p, eps, a, b: a, tol: 1e-10, maxIter: 100000 })
      expect(centredDiff(r.faa, raa.f)).toBeLessThan(1e-6)
      const self = sinkhornDivergenceStabilisedCpu(x, x, { p, eps, a, b: a, tol: 1e-8 })
      expect(Math.abs(self.value)).toBeLessThan(1e-9)
    })
  }

  it('small ε on 200 × 150 points keeps a sparse kernel; the exact (untruncated) marginals of its solution are within tol', () => {
    const n = 200, m = 150
    const x = cloud(9, n, 5), y = cloud(10, m, 5, 0.5)
    const tol = 1e-6
    const r = sinkhornStabilisedCpu(x, y, { eps: 0.02, tol, maxIter: 20000 })
    expect(r.converged).toBe(true)
    expect(r.stats.nnz).toBeGreaterThan(0)
    expect(r.stats.nnz).toBeLessThan(0.25 * n * m) // pairs within 40ε of the support (≈ 8% here)
    // Both marginals from the full float64 plan: the potentials solve the untruncated problem.
    const { er, ec } = marginalErrors(x, y, new Float64Array(n).fill(1 / n), new Float64Array(m).fill(1 / m), r.f, r.g, r.eps, 2)
    expect(Math.max(er, ec)).toBeLessThan(2 * tol)
  })

  it('the log-domain fallback (kernel over maxEntries) gives the same solution', () => {
    const x = cloud(11, 40, 2), y = cloud(12, 30, 2, 1)
    const opts = { eps: 0.05, tol: 1e-8, maxIter: 20000 }
    const kern = sinkhornStabilisedCpu(x, y, opts)
    const logd = sinkhornStabilisedCpu(x, y, { ...opts, maxEntries: 100 })
    expect(kern.stats.logSteps).toBe(0)
    expect(logd.stats.logSteps).toBeGreaterThan(0)
    expect(logd.stats.nnz).toBe(0)
    expect(logd.converged).toBe(true)
    expect(Math.abs(kern.cost - logd.cost)).toBeLessThan(1e-8)
    expect(centredDiff(kern.f, logd.f)).toBeLessThan(1e-6)
  })

  it('over-relaxation changes the path, not the answer, and takes fewer iterations at small ε', () => {
    const x = cloud(13, 200, 2), y = cloud(14, 150, 2, 0.5)
    const opts = { eps: 0.02, tol: 1e-5, maxIter: 20000 }
    const plain = sinkhornStabilisedCpu(x, y, { ...opts, overRelaxation: false })
    const relaxed = sinkhornStabilisedCpu(x, y, opts)
    expect(plain.converged && relaxed.converged).toBe(true)
    expect(relaxed.iterations).toBeLessThan(0.6 * plain.iterations)
    expect(Math.abs(plain.cost - relaxed.cost)).toBeLessThan(1e-5 * Math.abs(plain.cost))
  })
})

describe('status, errors and cancellation', () => {
  it('max-iterations is a result with its error history; iterations count the ε-scaling steps', () => {
    const x = cloud(15, 30, 2), y = cloud(16, 30, 2, 1)
    const r = sinkhornDivergenceStabilisedCpu(x, y, { blur: 0.01, tol: 1e-12, maxIter: 4 })
    expect(r.converged).toBe(false)
    expect(r.status).toBe('max-iterations')
    expect(r.errorHistory.length).toBe(4)
    expect(r.iterations).toBe(r.epsSchedule.length - 1 + 4)
    expect(r.epsSchedule).toEqual(epsilonSchedule(2, Math.sqrt(r.epsSchedule[0]!), 0.01, 0.5))
    expect(r.eps).toBeCloseTo(1e-4, 15)
    const ok = sinkhornDivergenceStabilisedCpu(x, y, { blur: 0.3, tol: 1e-4, checkEvery: 3 })
    expect(ok.status).toBe('converged')
    expect(ok.errorHistory.at(-1)!).toBeLessThanOrEqual(1e-4)
    expect((ok.iterations - (ok.epsSchedule.length - 1)) % 3).toBe(0)
  })

  it('bad input throws invalidInput with expected … got …', () => {
    const x = cloud(17, 5, 2)
    const expectInvalid = (fn: () => unknown, re: RegExp) => {
      try {
        fn()
        expect.unreachable()
      } catch (e) {
        expect(e).toBeInstanceOf(PopdynError)
        expect((e as PopdynError).kind).toBe('invalid-input')
        expect((e as Error).message).toMatch(re)
      }
    }
    expectInvalid(() => sinkhornStabilisedCpu(x, { data: Float64Array.from([0, NaN]), n: 1, d: 2 }), /expected finite coordinates in y, got NaN/)
    expectInvalid(() => sinkhornStabilisedCpu(x, cloud(1, 4, 3)), /same dimension, got d = 2 and 3/)
    expectInvalid(() => sinkhornStabilisedCpu(x, x, { a: new Float64Array(5).fill(1) }), /equal positive total mass/)
    expectInvalid(() => sinkhornStabilisedCpu(x, x, { a: new Float64Array(3) }), /a of length 5, got 3/)
    expectInvalid(() => sinkhornStabilisedCpu(x, x, { maxEntries: 0 }), /maxEntries to be an integer >= 1, got 0/)
  })

  it('AbortSignal: CancelledError after the third progress report, and before any work when already aborted', () => {
    const x = cloud(18, 60, 2), y = cloud(19, 60, 2, 1)
    const r = abortAtThirdReport((ctx) => sinkhornDivergenceStabilisedCpu(x, y, { blur: 0.01, tol: 1e-14, maxIter: 100000 }, ctx))
    expect(r.error).toBeInstanceOf(CancelledError)
    expect(r.calls).toBe(3)
    // Through the tensor API on the CPU path: aborted before it starts, no tensor leaked.
    const before = tf.memory().numTensors
    const tx = T(x), ty = T(y)
    expect(() => sinkhornDivergence(tx, ty, { blur: 0.05, solver: 'cpu' }, { signal: AbortSignal.abort() })).toThrow(CancelledError)
    tf.dispose([tx, ty])
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe('gradients and the tensor API', () => {
  it('∇S from the CPU potentials matches float64 finite differences and the tensor path', () => {
    const xc = cloud(21, 8, 2), yc = cloud(22, 9, 2, 0.7)
    const a = weights(23, 8), b = weights(24, 9)
    const opts = { blur: 0.4, tol: 1e-10, maxIter: 20000, a, b }
    const r = sinkhornDivergenceStabilisedCpu(xc, yc, { ...opts, gradient: true })
    const h = 1e-5
    const fd = new Float64Array(xc.data.length)
    for (let k = 0; k < fd.length; k++) {
      const xp = { ...xc, data: Float64Array.from(xc.data) }, xm = { ...xc, data: Float64Array.from(xc.data) }
      xp.data[k]! += h
      xm.data[k]! -= h
      fd[k] = (sinkhornDivergenceStabilisedCpu(xp, yc, opts).value - sinkhornDivergenceStabilisedCpu(xm, yc, opts).value) / (2 * h)
    }
    const scale = maxAbs(fd)
    expect(scale).toBeGreaterThan(1e-2)
    expect(maxAbs(Array.from(r.gradX!, (v, i) => v - fd[i]!))).toBeLessThan(1e-6 * scale)
    // Tensor path (log-domain tfjs solve, float32) and the tensor API on the CPU path.
    const cfg = { blur: 0.4, tol: 1e-6, maxIter: 5000, a: tf.tensor1d(Float32Array.from(a)), b: tf.tensor1d(Float32Array.from(b)) }
    for (const solver of ['tensor', 'cpu'] as const) {
      const [gx, gy] = tf.grads((u: tf.Tensor, v: tf.Tensor) => sinkhornDivergence(u as tf.Tensor2D, v as tf.Tensor2D, { ...cfg, solver }))([T(xc), T(yc)])
      expect(maxAbs(Array.from(gx!.dataSync(), (v, i) => v - r.gradX![i]!))).toBeLessThan(2e-4 * scale)
      expect(maxAbs(Array.from(gy!.dataSync(), (v, i) => v - r.gradY![i]!))).toBeLessThan(2e-4 * scale)
      tf.dispose([gx!, gy!])
    }
  })

  it("'auto' picks the CPU path on wasm with mode 'auto', the tensor path otherwise; both agree", () => {
    const x = T(cloud(25, 40, 3)), y = T(cloud(26, 30, 3, 0.4))
    const cfg = { eps: 0.1, tol: 1e-5, maxIter: 5000 }
    const auto = sinkhornDivergenceWithReport(x, y, cfg)
    const tens = sinkhornDivergenceWithReport(x, y, { ...cfg, mode: 'dense' })
    const forced = sinkhornDivergenceWithReport(x, y, { ...cfg, solver: 'tensor' })
    expect(auto.report.path).toBe('cpu-stabilised')
    expect(tens.report.path).toBe('tensor-log')
    expect(forced.report.path).toBe('tensor-log')
    const [va, vt] = [auto.value.dataSync()[0]!, tens.value.dataSync()[0]!]
    expect(Math.abs(va - vt)).toBeLessThan(1e-4 * Math.max(1, va))
    const ref = sinkhornDivergenceCpu(
      { data: Float64Array.from(x.dataSync()), n: 40, d: 3 },
      { data: Float64Array.from(y.dataSync()), n: 30, d: 3 },
      { ...cfg, tol: 1e-9, maxIter: 100000 },
    )
    expect(Math.abs(va - ref.value)).toBeLessThan(1e-5 * Math.max(1, ref.value))
    const ot = sinkhorn(x, y, cfg)
    expect(ot.path).toBe('cpu-stabilised')
    ot.dispose()
    tf.dispose([x, y, auto.value, tens.value, forced.value])
  })
})
