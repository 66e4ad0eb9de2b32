import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRng } from '../../../../src-main/engines/stats/random'
import { cloud } from './sinkhorn-helpers'
import {
  sinkhornDivergence,
  sinkhornDivergenceBatch,
  sinkhornDivergenceBatchWithReport,
  sinkhornDivergenceCpu,
  sinkhornDivergenceWithReport,
  type SinkhornConfig,
} from '../../../../src-main/engines/ot/sinkhorn'
import type { PointCloud } from '../../../../src-main/engines/ot/types'
import { CancelledError, PopdynError } from '@shared/errors'

beforeAll(async () => {
  await tf.setBackend('wasm')
  await tf.ready()
})

const T = (c: PointCloud) => tf.tensor2d(Float32Array.from(c.data), [c.n, c.d])
const S = (x: tf.Tensor2D, y: tf.Tensor2D, cfg: SinkhornConfig) => {
  const v = sinkhornDivergence(x, y, cfg)
  const out = v.dataSync()[0]!
  v.dispose()
  return out
}
const maxAbs = (u: ArrayLike<number>) => Array.from(u).reduce((m, v) => Math.max(m, Math.abs(v)), 0)

describe('Sinkhorn divergence: values', () => {
  it.each(['tensor', 'cpu'] as const)('S(α, α) = 0, S ≥ 0, symmetric, and equals the float64 reference (solver %s)', (solver) => {
    const cfg = { blur: 0.3, tol: 1e-5, solver }
    const x = T(cloud(1, 25, 2)), y = T(cloud(2, 30, 2, 0.8, 0.7))
    expect(Math.abs(S(x, x, cfg))).toBeLessThan(1e-5)
    const sxy = S(x, y, cfg), syx = S(y, x, cfg)
    expect(sxy).toBeGreaterThan(0.1)
    expect(Math.abs(sxy - syx)).toBeLessThan(1e-5)
    const ref = sinkhornDivergenceCpu(cloud(1, 25, 2), cloud(2, 30, 2, 0.8, 0.7), { blur: 0.3, tol: 1e-9, maxIter: 5000 })
    expect(ref.converged).toBe(true)
    expect(Math.abs(sxy - ref.value)).toBeLessThan(2e-5 + 1e-4 * ref.value)
    for (let s = 10; s < 14; s++) expect(S(T(cloud(s, 15, 3)), T(cloud(s + 100, 20, 3, 0.1)), cfg)).toBeGreaterThan(-1e-6)
  })

  it('translation: S_ε(α, α + t) = ‖t‖²/2 for p = 2, at any ε', () => {
    const xc = cloud(3, 30, 2)
    const t = [0.7, -0.4]
    const yd = Float32Array.from(xc.data, (v, i) => v + t[i % 2]!)
    for (const blur of [1, 0.2]) {
      const s = S(T(xc), tf.tensor2d(yd, [30, 2]), { blur, tol: 1e-5 })
      expect(s).toBeCloseTo((0.7 ** 2 + 0.4 ** 2) / 2, 4)
    }
  })

  it('S_ε → W₂²/2 as ε → 0 (1-D, exact sorted solution)', () => {
    const n = 40
    const xs = Float64Array.from(cloud(4, n, 1).data).sort()
    const ys = Float64Array.from(cloud(5, n, 1, 1, 0.5).data).sort()
    let w = 0
    for (let i = 0; i < n; i++) w += (xs[i]! - ys[i]!) ** 2 / 2 / n
    const X = tf.tensor2d(Float32Array.from(xs), [n, 1]), Y = tf.tensor2d(Float32Array.from(ys), [n, 1])
    const errs = [0.5, 0.2, 0.05].map((blur) => Math.abs(S(X, Y, { blur, tol: 1e-3, maxIter: 3000 }) - w))
    expect(errs[1]!).toBeLessThan(errs[0]!)
    expect(errs[2]!).toBeLessThan(errs[1]!)
    expect(errs[2]!).toBeLessThan(5e-3 * w)
  })

  it.each(['tensor', 'cpu'] as const)('p = 1: S(α, α) = 0 and agrees with the float64 reference (solver %s)', (solver) => {
    const cfg = { p: 1 as const, blur: 0.3, tol: 1e-5, solver }
    const xc = cloud(6, 20, 2), yc = cloud(7, 24, 2, 0.5)
    expect(Math.abs(S(T(xc), T(xc), cfg))).toBeLessThan(1e-5)
    const ref = sinkhornDivergenceCpu(xc, yc, { ...cfg, tol: 1e-9, maxIter: 5000 })
    expect(Math.abs(S(T(xc), T(yc), cfg) - ref.value)).toBeLessThan(3e-5)
  })

  it('report: status, iterations; NaN → invalidInput; abort → CancelledError without leaks', () => {
    const x = T(cloud(8, 20, 2)), y = T(cloud(9, 20, 2, 1))
    const r = sinkhornDivergenceWithReport(x, y, { blur: 0.05, tol: 1e-9, maxIter: 3 })
    expect(r.report.status).toBe('max-iterations')
    expect(r.report.errorHistory.length).toBe(3)
    r.value.dispose()
    const before = tf.memory().numTensors
    const bad = tf.tensor2d([0, NaN], [1, 2])
    expect(() => sinkhornDivergence(x, bad)).toThrow(PopdynError)
    expect(() => sinkhornDivergence(x, bad)).toThrow(/expected finite coordinates in y, got NaN/)
    const ac = new AbortController()
    ac.abort()
    expect(() => tf.grad((xx: tf.Tensor) => sinkhornDivergence(xx as tf.Tensor2D, y, { blur: 0.05 }, { signal: ac.signal }))(x)).toThrow(
      CancelledError,
    )
    bad.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})

/** Central finite differences of the float64 reference divergence w.r.t. every coordinate of x. */
function fdGradCpu(xc: PointCloud, yc: PointCloud, opts: object, h = 1e-5): Float64Array {
  const g = new Float64Array(xc.data.length)
  for (let k = 0; k < g.length; k++) {
    const xp = { ...xc, data: Float64Array.from(xc.data) }, xm = { ...xc, data: Float64Array.from(xc.data) }
    xp.data[k]! += h
    xm.data[k]! -= h
    g[k] = (sinkhornDivergenceCpu(xp, yc, opts).value - sinkhornDivergenceCpu(xm, yc, opts).value) / (2 * h)
  }
  return g
}

describe('Sinkhorn divergence: envelope gradients', () => {
  for (const [p, solver] of [[2, 'tensor'], [1, 'tensor'], [2, 'cpu'], [1, 'cpu']] as const) {
    it(`∇_x S and ∇_y S match float64 finite differences (p = ${p}, solver ${solver})`, () => {
      const xc = cloud(20 + p, 6, 2), yc = cloud(30 + p, 7, 2, 0.6)
      const cfg = { p, blur: 0.5, tol: 1e-6, maxIter: 3000, solver }
      const [gx, gy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => sinkhornDivergence(a as tf.Tensor2D, b as tf.Tensor2D, cfg))([T(xc), T(yc)])
      const opts = { ...cfg, tol: 1e-10, maxIter: 20000 }
      const fdx = fdGradCpu(xc, yc, opts)
      const fdy = fdGradCpu(yc, xc, opts) // S is symmetric
      const ex = maxAbs(Array.from(gx!.dataSync(), (v, i) => v - fdx[i]!))
      const ey = maxAbs(Array.from(gy!.dataSync(), (v, i) => v - fdy[i]!))
      const scale = Math.max(maxAbs(fdx), maxAbs(fdy))
      expect(scale).toBeGreaterThan(1e-2)
      expect(ex).toBeLessThan(2e-3 * scale + 1e-5)
      expect(ey).toBeLessThan(2e-3 * scale + 1e-5)
    })
  }

  it('matches autodiff through many unrolled log-domain iterations (small problem)', () => {
    const xc = cloud(40, 7, 2), yc = cloud(41, 9, 2, 0.5)
    const eps = 0.25
    // Plain differentiable Sinkhorn, fixed ε, 400 alternating iterations (no ε-scaling).
    const unrolled = (x: tf.Tensor2D, y: tf.Tensor2D) => {
      const cost = (P: tf.Tensor2D, Q: tf.Tensor2D) => tf.mul(tf.sum(tf.square(tf.sub(tf.expandDims(P, 1), tf.expandDims(Q, 0))), 2), 0.5)
      const ot = (P: tf.Tensor2D, Q: tf.Tensor2D) => {
        const C = cost(P, Q) as tf.Tensor2D
        const la = Math.log(1 / P.shape[0]), lb = Math.log(1 / Q.shape[0])
        let f = tf.zeros([P.shape[0]]) as tf.Tensor1D
        let g = tf.zeros([Q.shape[0]]) as tf.Tensor1D
        for (let k = 0; k < 400; k++) {
          g = tf.mul(tf.logSumExp(tf.div(tf.sub(tf.expandDims(f, 1), C), eps), 0).add(la), -eps) as tf.Tensor1D
          f = tf.mul(tf.logSumExp(tf.div(tf.sub(tf.expandDims(g, 0), C), eps), 1).add(lb), -eps) as tf.Tensor1D
        }
        return tf.add(tf.mean(f), tf.mean(g))
      }
      return tf.sub(ot(x, y), tf.mul(0.5, tf.add(ot(x, x), ot(y, y)))) as tf.Scalar
    }
    const x = T(xc), y = T(yc)
    const gAuto = tf.grad((a: tf.Tensor) => unrolled(a as tf.Tensor2D, y))(x)
    const gEnv = tf.grad((a: tf.Tensor) => sinkhornDivergence(a as tf.Tensor2D, y, { eps, tol: 1e-6 }))(x)
    const diff = maxAbs(tf.sub(gAuto, gEnv).dataSync())
    expect(maxAbs(gAuto.dataSync())).toBeGreaterThan(1e-2)
    expect(diff).toBeLessThan(2e-4)
  })

  it('online (chunked) path: same value and gradient as the dense path', () => {
    const x = T(cloud(50, 60, 3)), y = T(cloud(51, 45, 3, 0.3))
    const cfg = { blur: 0.3, tol: 1e-5 }
    const run = (extra: SinkhornConfig) => {
      const { value, grads } = tf.variableGrads(() => sinkhornDivergence(xv, y, { ...cfg, ...extra }), [xv])
      const out = { v: value.dataSync()[0]!, g: grads[xv.name]!.dataSync() }
      return out
    }
    const xv = tf.variable(x, true, 'sk_online_x')
    const dense = run({ mode: 'dense' })
    const online = run({ mode: 'online', memoryBudget: 500 }) // 11 rows per block
    expect(online.v).toBeCloseTo(dense.v, 5)
    expect(maxAbs(Array.from(online.g, (v, i) => v - dense.g[i]!))).toBeLessThan(1e-5)
    xv.dispose()
  })

  it('batch [B, n, d]: values and gradients equal the per-pair calls', () => {
    const B = 3, n = 12, m = 15, d = 2
    const xs = [0, 1, 2].map((k) => cloud(60 + k, n, d)), ys = [0, 1, 2].map((k) => cloud(70 + k, m, d, 0.3 * k))
    const X = tf.stack(xs.map(T)) as tf.Tensor3D, Y = tf.stack(ys.map(T)) as tf.Tensor3D
    const cfg = { blur: 0.3, tol: 1e-6 }
    const { report } = sinkhornDivergenceBatchWithReport(X, Y, cfg)
    expect(report.converged).toBe(true)
    const vals = sinkhornDivergenceBatch(X, Y, cfg).dataSync()
    const gB = tf.grad((a: tf.Tensor) => tf.sum(sinkhornDivergenceBatch(a as tf.Tensor3D, Y, cfg)))(X)
    for (let k = 0; k < B; k++) {
      expect(vals[k]!).toBeCloseTo(S(T(xs[k]!), T(ys[k]!), cfg), 5)
      const g1 = tf.grad((a: tf.Tensor) => sinkhornDivergence(a as tf.Tensor2D, T(ys[k]!), cfg))(T(xs[k]!))
      const gk = tf.slice(gB, [k, 0, 0], [1, n, d]).reshape([n, d])
      expect(maxAbs(tf.sub(gk, g1).dataSync())).toBeLessThan(1e-5)
    }
  })
})

describe('Sinkhorn divergence as a training loss', () => {
  it('optimizer.minimize through a network output decreases S and leaks nothing', () => {
    const rng = createRng(80)
    const z = tf.tensor2d(Float32Array.from(rng.normals(40 * 2)), [40, 2])
    const target = T(cloud(81, 40, 2, 2, 0.5))
    const W = tf.variable(tf.eye(2)), bias = tf.variable(tf.zeros([2]))
    const net = () => tf.add(tf.matMul(z, W), bias) as tf.Tensor2D
    const cfg = { blur: 0.2, tol: 1e-3, maxIter: 200 }
    const opt = tf.train.adam(0.05)
    const loss0 = S(net(), target, cfg)
    const before = tf.memory().numTensors
    for (let k = 0; k < 30; k++) opt.minimize(() => sinkhornDivergence(net(), target, cfg))
    const loss1 = S(net(), target, cfg)
    expect(loss1).toBeLessThan(0.3 * loss0)
    // Adam allocates its moment slots on the first step only.
    const after = tf.memory().numTensors
    opt.minimize(() => sinkhornDivergence(net(), target, cfg))
    expect(tf.memory().numTensors).toBe(after)
    expect(after - before).toBeLessThanOrEqual(6) // m, v per variable + Adam's two β-power scalars
  })

  it('WLM-style: rollout with accelerations from tf.grad of an energy, S at the end; variableGrads matches finite differences', () => {
    const n = 16
    const x0 = T(cloud(90, n, 2, 0, 0.5))
    const target = T(cloud(91, n, 2, 0.4, 0.6))
    const theta = tf.variable(tf.tensor1d([0.3, -0.2, 0.5]), true, 'sk_wlm_theta')
    // U(X) = Σ_i θ0 |x_i|²/2 + θ1 x_i·e1 + θ2 Σ_{i<j} 1/(1 + |x_i − x_j|²)/n  (interaction).
    // (Not exp(−d²): tfjs 4.22's Exp gradient reuses its saved output, and second-order gradients
    // through it came out ~3 % off finite differences in a separate probe.)
    const energy = (X: tf.Tensor2D, th: tf.Tensor1D) => {
      const [t0, t1, t2] = tf.unstack(th)
      const conf = tf.add(tf.mul(t0!, tf.mul(0.5, tf.sum(tf.square(X)))), tf.mul(t1!, tf.sum(tf.slice(X, [0, 0], [n, 1]))))
      const d2 = tf.sum(tf.square(tf.sub(tf.expandDims(X, 1), tf.expandDims(X, 0))), 2)
      return tf.add(conf, tf.mul(t2!, tf.div(tf.sum(tf.div(1, tf.add(1, d2))), 2 * n))) as tf.Scalar
    }
    const cfg = { blur: 0.3, tol: 1e-6 }
    const rollout = (th: tf.Tensor1D) => {
      let X: tf.Tensor2D = x0
      let V: tf.Tensor2D = tf.zerosLike(x0)
      const dt = 0.2
      const acc = (P: tf.Tensor2D) => tf.neg(tf.grad((q: tf.Tensor) => energy(q as tf.Tensor2D, th))(P)) as tf.Tensor2D
      let A = acc(X)
      for (let s = 0; s < 4; s++) {
        X = tf.add(X, tf.add(tf.mul(V, dt), tf.mul(A, 0.5 * dt * dt))) as tf.Tensor2D
        const A2 = acc(X)
        V = tf.add(V, tf.mul(tf.add(A, A2), 0.5 * dt)) as tf.Tensor2D
        A = A2
      }
      return sinkhornDivergence(X, target, cfg)
    }
    const { value, grads } = tf.variableGrads(() => rollout(theta), [theta])
    const g = grads[theta.name]!.dataSync()
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true)
    const th0 = theta.dataSync()
    const h = 5e-3
    for (let k = 0; k < 3; k++) {
      const lossAt = (delta: number) => {
        const t = Float32Array.from(th0)
        t[k]! += delta
        return tf.tidy(() => rollout(tf.tensor1d(t)).dataSync()[0]!)
      }
      const fd = (lossAt(h) - lossAt(-h)) / (2 * h)
      expect(Math.abs(g[k]! - fd)).toBeLessThan(0.01 * Math.abs(fd) + 5e-4)
    }
    expect(maxAbs(g)).toBeGreaterThan(1e-2)
    theta.dispose()
  })
})
