import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRng } from '../../../../src-main/engines/stats/random'
import { abortAtThirdReport, cloud } from './sinkhorn-helpers'
import {
  epsilonSchedule,
  resolveSinkhornOptions as resolveOptions,
  sinkhorn,
  sinkhornLogCpu,
  transportPlan,
} from '../../../../src-main/engines/ot/sinkhorn'
import type { PointCloud } from '../../../../src-main/engines/ot/types'
import { PopdynError, CancelledError } from '@shared/errors'

beforeAll(async () => {
  await tf.setBackend('wasm')
  await tf.ready()
})

const T = (c: PointCloud) => tf.tensor2d(Float32Array.from(c.data), [c.n, c.d])
/** Centre a potential pair (f + c, g − c is the same solution): subtract mean(f) from f, add it to g. */
function centred(f: ArrayLike<number>, g: ArrayLike<number>): [number[], number[]] {
  let s = 0
  for (let i = 0; i < f.length; i++) s += f[i]!
  s /= f.length
  return [Array.from(f, (v) => v - s), Array.from(g, (v) => v + s)]
}
const maxAbsDiff = (u: ArrayLike<number>, v: ArrayLike<number>) => {
  let e = 0
  for (let i = 0; i < u.length; i++) e = Math.max(e, Math.abs(u[i]! - v[i]!))
  return e
}

describe('config', () => {
  it('blur and eps conventions: ε = blur^p', () => {
    expect(resolveOptions({ blur: 0.1 }).eps).toBeCloseTo(0.01, 12)
    expect(resolveOptions({ blur: 0.1, p: 1 }).eps).toBeCloseTo(0.1, 12)
    expect(resolveOptions({ eps: 0.04 }).blur).toBeCloseTo(0.2, 12)
    expect(resolveOptions({}).eps).toBeCloseTo(0.0025, 12) // default blur 0.05
    expect(() => resolveOptions({ eps: 0.1, blur: 0.1 })).toThrow(/either eps or blur/)
    expect(() => resolveOptions({ eps: -1 })).toThrow(/expected eps > 0/)
    expect(() => resolveOptions({ scaling: 1 })).toThrow(/scaling in \(0, 1\)/)
  })

  it('ε-scaling schedule follows geomloss: diameter^p, geometric decay by scaling^p, target last', () => {
    const s = epsilonSchedule(2, 4, 0.1, 0.5)
    expect(s[0]).toBeCloseTo(16, 10)
    expect(s[1]).toBeCloseTo(16, 10)
    expect(s[2]).toBeCloseTo(4, 10)
    expect(s[s.length - 1]).toBeCloseTo(0.01, 12)
    for (let k = 2; k < s.length - 1; k++) expect(s[k]! / s[k - 1]!).toBeCloseTo(0.25, 10)
    expect(s[s.length - 2]!).toBeGreaterThan(0.01)
    expect(epsilonSchedule(2, 0.1, 1, 0.5)).toEqual([1]) // target above the diameter: no annealing
  })
})

describe('sinkhorn (tensor) vs float64 reference', () => {
  for (const [p, solver] of [[2, 'tensor'], [1, 'tensor'], [2, 'cpu'], [1, 'cpu']] as const) {
    it(`potentials and cost agree with sinkhornLogCpu, p = ${p}, non-uniform weights, solver ${solver}`, () => {
      const xc = cloud(1, 30, 2), yc = cloud(2, 40, 2, 0.7)
      const rng = createRng(3)
      const a = Float64Array.from({ length: 30 }, () => 0.5 + rng.uniform())
      const b = Float64Array.from({ length: 40 }, () => 0.5 + rng.uniform())
      const sa = a.reduce((s, v) => s + v, 0), sb = b.reduce((s, v) => s + v, 0)
      a.forEach((v, i) => (a[i] = v / sa))
      b.forEach((v, i) => (b[i] = v / sb))
      const opts = { p, blur: 0.3, tol: 1e-6, maxIter: 2000 }
      const ref = sinkhornLogCpu(xc, yc, { ...opts, a, b })
      expect(ref.converged).toBe(true)
      const cfg = { ...opts, solver, tol: 1e-5, a: tf.tensor1d(Float32Array.from(a)), b: tf.tensor1d(Float32Array.from(b)) }
      const res = sinkhorn(T(xc), T(yc), cfg)
      expect(res.status).toBe('converged')
      expect(res.path).toBe(solver === 'cpu' ? 'cpu-stabilised' : 'tensor-log')
      // Marginals of the plan: rows exact after the f-update, columns within tol (L1).
      const P = transportPlan(T(xc), T(yc), res, cfg)
      const rows = tf.sum(P, 1).dataSync(), cols = tf.sum(P, 0).dataSync()
      expect(maxAbsDiff(rows, a)).toBeLessThan(1e-6)
      expect(Array.from(cols).reduce((e, v, j) => e + Math.abs(v - b[j]!), 0)).toBeLessThan(2e-5)
      const [fr, gr] = centred(ref.f, ref.g)
      const [ft, gt] = centred(res.f.dataSync(), res.g.dataSync())
      expect(maxAbsDiff(fr, ft)).toBeLessThan(2e-3)
      expect(maxAbsDiff(gr, gt)).toBeLessThan(2e-3)
      expect(Math.abs(res.cost - ref.cost)).toBeLessThan(1e-3 * Math.max(1, Math.abs(ref.cost)))
      res.dispose()
    })
  }

  it('plan marginals match a and b after convergence; plan of a permutation problem is the permutation', () => {
    // y = x permuted: for small ε the plan concentrates on the permutation (points well separated).
    const n = 12
    const xc = cloud(5, n, 2, 0, 2)
    const perm = createRng(6).permutation(n)
    const yd = new Float64Array(n * 2)
    for (let i = 0; i < n; i++) for (let k = 0; k < 2; k++) yd[perm[i]! * 2 + k] = xc.data[i * 2 + k]!
    const x = T(xc), y = tf.tensor2d(Float32Array.from(yd), [n, 2])
    const cfg = { blur: 0.05, tol: 1e-5 }
    const res = sinkhorn(x, y, cfg)
    expect(res.converged).toBe(true)
    const P = transportPlan(x, y, res, cfg)
    const Pv = P.arraySync()
    for (let i = 0; i < n; i++) {
      const row = Pv[i]!.reduce((s, v) => s + v, 0)
      expect(row).toBeCloseTo(1 / n, 4)
      expect(Pv[i]![perm[i]!]!).toBeGreaterThan(0.99 / n)
    }
    for (let j = 0; j < n; j++) expect(Pv.reduce((s, r) => s + r[j]!, 0)).toBeCloseTo(1 / n, 4)
    // OT_ε → 0 transport cost when y is a permutation of x (entropic part is small at this ε)
    expect(Math.abs(res.cost)).toBeLessThan(0.01)
    res.dispose()
  })

  it('online (chunked) kernel gives the same potentials as the dense kernel, p = 2 and p = 1', () => {
    for (const p of [2, 1] as const) {
      const x = T(cloud(7, 50, 3)), y = T(cloud(8, 37, 3, 0.5))
      const base = { p, blur: 0.2, tol: 1e-5 }
      const dense = sinkhorn(x, y, { ...base, mode: 'dense' })
      const online = sinkhorn(x, y, { ...base, mode: 'online', memoryBudget: 7 * 37 * 3 }) // blocks of 7 rows
      expect(dense.dense).toBe(true)
      expect(online.dense).toBe(false)
      const auto = sinkhorn(x, y, { ...base, memoryBudget: 100 })
      expect(auto.dense).toBe(false)
      expect(maxAbsDiff(dense.f.dataSync(), online.f.dataSync())).toBeLessThan(1e-4)
      expect(maxAbsDiff(dense.g.dataSync(), online.g.dataSync())).toBeLessThan(1e-4)
      expect(online.cost).toBeCloseTo(dense.cost, 4)
      for (const r of [dense, online, auto]) r.dispose()
    }
  })

  it('1-D: W ≤ OT_ε ≤ W + ε log n against the exact sorted cost (p = 2), and agrees with float64', () => {
    const n = 40
    const xs = Float64Array.from(cloud(9, n, 1).data).sort()
    const ys = Float64Array.from(cloud(10, n, 1, 1.5, 0.5).data).sort()
    let w = 0
    for (let i = 0; i < n; i++) w += (xs[i]! - ys[i]!) ** 2 / 2 / n
    for (const blur of [0.2, 0.05]) {
      const eps = blur * blur
      const opts = { blur, tol: 1e-2, maxIter: 3000 }
      const res = sinkhorn(tf.tensor2d(Float32Array.from(xs), [n, 1]), tf.tensor2d(Float32Array.from(ys), [n, 1]), opts)
      expect(res.converged).toBe(true)
      // OT_ε = ⟨π, C⟩ + ε KL(π | a⊗b) with 0 ≤ KL ≤ log n at the optimum.
      expect(res.cost).toBeGreaterThan(w - 1e-4)
      expect(res.cost).toBeLessThan(w + eps * Math.log(n) + 1e-4)
      const ref = sinkhornLogCpu({ data: xs, n, d: 1 }, { data: ys, n, d: 1 }, { ...opts, tol: 1e-6 })
      expect(Math.abs(res.cost - ref.cost)).toBeLessThan(2e-4)
      res.dispose()
    }
  })
})

describe('status, input and cancellation paths', () => {
  it('non-convergence is a result: maxIter tiny → status max-iterations with an error history', () => {
    const res = sinkhorn(T(cloud(11, 30, 2)), T(cloud(12, 30, 2, 1)), { blur: 0.01, tol: 1e-9, maxIter: 2 })
    expect(res.converged).toBe(false)
    expect(res.status).toBe('max-iterations')
    expect(res.errorHistory.length).toBe(2)
    expect(res.errorHistory[1]!).toBeGreaterThan(1e-9)
    expect(res.iterations).toBe(res.epsSchedule.length - 1 + 2)
    res.dispose()
  })

  it('float32 overflow inside the solve is reported as status numerical-error, not thrown (both solvers)', () => {
    // Finite inputs whose squared norms overflow float32 (‖x‖² ≈ 1e40): the tensor potentials go
    // NaN; the float64 CPU path solves but its potentials (≈ 1e40) do not fit the float32 tensors.
    const x = tf.tensor2d([1e20, 0, 0, 1e20], [2, 2]), y = tf.tensor2d([-1e20, 0, 0, -1e20], [2, 2])
    const before = tf.memory().numTensors
    for (const solver of ['tensor', 'cpu'] as const) {
      const res = sinkhorn(x, y, { eps: 1, maxIter: 5, solver })
      expect(res.status).toBe('numerical-error')
      expect(res.converged).toBe(false)
      res.dispose()
    }
    expect(tf.memory().numTensors).toBe(before)
  })

  it('NaN / shape / weight problems throw invalidInput with expected … got …', () => {
    const x = T(cloud(13, 5, 2))
    const bad = tf.tensor2d([0, 0, NaN, 1], [2, 2])
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
    expectInvalid(() => sinkhorn(x, bad), /expected finite coordinates in y, got NaN/)
    expectInvalid(() => sinkhorn(x, tf.zeros([3, 3]) as tf.Tensor2D), /same dimension, got d = 2 and 3/)
    expectInvalid(() => sinkhorn(x, x, { a: tf.tensor1d([1, 1, 1, 1, 1]) }), /equal positive total mass/)
    expectInvalid(() => sinkhorn(x, x, { a: tf.tensor1d([1, 2]) }), /weights a of shape \[5\]/)
    expectInvalid(() => sinkhorn(x, x, { a: tf.tensor1d([0.5, 0.5, 0.2, -0.2, 0]) }), /finite and >= 0, got -0.2/)
  })

  it('AbortSignal cancels with CancelledError, reports progress, and leaks no tensors', () => {
    const x = T(cloud(14, 40, 2)), y = T(cloud(15, 40, 2, 1))
    const before = tf.memory().numTensors
    const r0 = abortAtThirdReport((ctx) => sinkhorn(x, y, { blur: 0.01, tol: 1e-12, maxIter: 500 }, ctx))
    expect(r0.error).toBeInstanceOf(CancelledError)
    expect(r0.calls).toBe(3)
    expect(tf.memory().numTensors).toBe(before)
    // and a normal call leaves exactly its two potentials
    const r = sinkhorn(x, y, { blur: 0.1 })
    expect(tf.memory().numTensors).toBe(before + 2)
    r.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})
