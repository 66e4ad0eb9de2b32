import { describe, expect, it } from 'vitest'
import { CancelledError, PopdynError } from '../../../../src-shared/errors'
import { emd, exactOt, w2squared } from '../../../../src-main/engines/ot/index'
import {
  cloud,
  costMatrix,
  createRng,
  densePlan,
  expectCertificate,
  randomCloud,
  randomWeights,
} from './exact-helpers'

/** Monotone (quantile) coupling of two weighted 1-D samples: optimal for any convex c(x - y). */
function quantileCoupling(x: Float64Array, a: Float64Array, y: Float64Array, b: Float64Array, c: (t: number) => number) {
  const n = x.length
  const m = y.length
  const ix = Array.from({ length: n }, (_, i) => i).sort((p, q) => x[p] - x[q])
  const iy = Array.from({ length: m }, (_, j) => j).sort((p, q) => y[p] - y[q])
  const P = new Float64Array(n * m)
  let cost = 0
  let i = 0
  let j = 0
  let ra = a[ix[0]]
  let rb = b[iy[0]]
  while (i < n && j < m) {
    const t = Math.min(ra, rb)
    P[ix[i] * m + iy[j]] += t
    cost += t * c(x[ix[i]] - y[iy[j]])
    if (ra <= rb) {
      rb -= ra
      i++
      ra = a[ix[i]]
    } else {
      ra -= rb
      j++
      rb = b[iy[j]]
    }
  }
  return { P, cost }
}

describe('exactOt: permutation problems', () => {
  it('y = x gives cost 0 and the identity plan, for both costs', () => {
    const rng = createRng(1)
    const x = randomCloud(rng, 60, 3)
    for (const cost of ['euclidean', 'sqeuclidean'] as const) {
      const r = exactOt({ x, y: x, cost })
      expect(r.status).toBe('optimal')
      expect(r.cost).toBe(0)
      expect(Array.from(r.plan.rows)).toEqual(Array.from({ length: 60 }, (_, i) => i))
      expect(Array.from(r.plan.cols)).toEqual(Array.from({ length: 60 }, (_, i) => i))
      for (const v of r.plan.values) expect(v).toBeCloseTo(1 / 60, 15)
      expectCertificate(costMatrix(x, x, cost === 'sqeuclidean'), new Float64Array(60).fill(1 / 60), new Float64Array(60).fill(1 / 60), r)
    }
  })

  it('a shuffled copy gives the inverse permutation as plan, with non-uniform weights', () => {
    const rng = createRng(2)
    const n = 80
    const x = randomCloud(rng, n, 2)
    const a = randomWeights(rng, n)
    const perm = rng.permutation(n) // y_j = x_perm[j]
    const y = { data: new Float64Array(2 * n), n, d: 2 }
    const b = new Float64Array(n)
    for (let j = 0; j < n; j++) {
      y.data[2 * j] = x.data[2 * perm[j]]
      y.data[2 * j + 1] = x.data[2 * perm[j] + 1]
      b[j] = a[perm[j]]
    }
    for (const cost of ['euclidean', 'sqeuclidean'] as const) {
      const r = exactOt({ x, a, y, b, cost })
      expect(r.cost).toBeLessThan(1e-15)
      expect(r.plan.values.length).toBe(n)
      for (let k = 0; k < n; k++) {
        expect(perm[r.plan.cols[k]]).toBe(r.plan.rows[k])
        expect(r.plan.values[k]).toBeCloseTo(a[r.plan.rows[k]], 14)
      }
      expectCertificate(costMatrix(x, y, cost === 'sqeuclidean'), a, b, r)
    }
  })

  it('a translated copy costs |t|² (W2²) and |t| (W1), the translation being optimal', () => {
    const rng = createRng(3)
    const n = 100
    const x = randomCloud(rng, n, 2)
    const t = [0.3, -0.4]
    const y = { data: x.data.map((v, k) => v + t[k % 2]), n, d: 2 }
    const r2 = exactOt({ x, y, cost: 'sqeuclidean' })
    expect(r2.cost).toBeCloseTo(0.25, 12)
    for (let k = 0; k < n; k++) expect(r2.plan.cols[k]).toBe(r2.plan.rows[k])
    expect(emd(x, y)).toBeCloseTo(0.5, 12)
    expect(w2squared(x, y)).toBeCloseTo(0.25, 12)
  })

  it('handles massive ties without cycling: a shuffled integer grid, and a shifted 1-D lattice under W1', () => {
    const g: number[] = []
    for (let i = 0; i < 15; i++) for (let j = 0; j < 15; j++) g.push(i, j)
    const x = cloud(g, 2)
    const perm = createRng(4).permutation(x.n)
    const y = { data: new Float64Array(2 * x.n), n: x.n, d: 2 }
    for (let j = 0; j < x.n; j++) {
      y.data[2 * j] = x.data[2 * perm[j]]
      y.data[2 * j + 1] = x.data[2 * perm[j] + 1]
    }
    const r = exactOt({ x, y, cost: 'euclidean' })
    expect(r.cost).toBe(0)
    for (let k = 0; k < x.n; k++) expect(perm[r.plan.cols[k]]).toBe(r.plan.rows[k])

    // 0..n-1 against 1..n: every monotone-ish plan costs 1 under W1 (huge optimal face).
    const n = 200
    const p = cloud(Array.from({ length: n }, (_, i) => i), 1)
    const q = cloud(Array.from({ length: n }, (_, i) => i + 1), 1)
    const w = exactOt({ x: p, y: q, cost: 'euclidean' })
    expect(w.cost).toBeCloseTo(1, 12)
    expectCertificate(costMatrix(p, q, false), new Float64Array(n).fill(1 / n), new Float64Array(n).fill(1 / n), w)
  })

  it('finds a hidden zero-cost permutation among integer costs full of ties (assignment, 300 x 300)', () => {
    const rng = createRng(14)
    const n = 300
    const perm = rng.permutation(n)
    const C = new Float64Array(n * n).map(() => 1 + rng.int(3))
    for (let i = 0; i < n; i++) C[i * n + perm[i]] = 0
    const w = new Float64Array(n).fill(1 / n)
    const r = exactOt({ a: w, b: w, costMatrix: C })
    expect(r.cost).toBe(0)
    expect(r.plan.values.length).toBe(n)
    for (let k = 0; k < n; k++) expect(r.plan.cols[k]).toBe(perm[r.plan.rows[k]])
    expectCertificate(C, w, w, r)
  })

  it('all sources at one point: every plan is optimal, cost = sum_j b_j |y_j|', () => {
    const rng = createRng(5)
    const x = cloud(new Array(2 * 30).fill(0), 2)
    const y = randomCloud(rng, 40, 2)
    const b = randomWeights(rng, 40)
    let want = 0
    for (let j = 0; j < 40; j++) want += b[j] * Math.hypot(y.data[2 * j], y.data[2 * j + 1])
    const r = exactOt({ x, y, b, cost: 'euclidean' })
    expect(r.cost).toBeCloseTo(want, 13)
    expectCertificate(costMatrix(x, y, false), new Float64Array(30).fill(1 / 30), b, r)
  })
})

describe('exactOt: 1-D problems against the sorted (quantile) solution', () => {
  it('matches W1 and W2² with unequal sizes and non-uniform weights; W2² plan is the monotone one', () => {
    const rng = createRng(6)
    for (let rep = 0; rep < 6; rep++) {
      const n = 5 + rng.int(40)
      const m = 5 + rng.int(60)
      const x = randomCloud(rng, n, 1)
      const y = randomCloud(rng, m, 1)
      const a = randomWeights(rng, n, 2.5)
      const b = randomWeights(rng, m, 2.5)
      const q1 = quantileCoupling(x.data, a, y.data, b, Math.abs)
      const q2 = quantileCoupling(x.data, a, y.data, b, (t) => t * t)
      const r1 = exactOt({ x, a, y, b, cost: 'euclidean' })
      const r2 = exactOt({ x, a, y, b, cost: 'sqeuclidean' })
      expect(Math.abs(r1.cost - q1.cost)).toBeLessThanOrEqual(1e-12 * q1.cost)
      expect(Math.abs(r2.cost - q2.cost)).toBeLessThanOrEqual(1e-12 * q2.cost)
      expect(Math.abs(emd(x, y, a, b) - q1.cost)).toBeLessThanOrEqual(1e-12 * q1.cost)
      // Strictly convex cost and distinct points: the monotone plan is the unique optimum.
      const P = densePlan(r2, n, m)
      for (let k = 0; k < n * m; k++) expect(Math.abs(P[k] - q2.P[k])).toBeLessThan(1e-12)
      expectCertificate(costMatrix(x, y, false), a, b, r1)
      expectCertificate(costMatrix(x, y, true), a, b, r2)
    }
  })
})

describe('exactOt: weights, masses and zero-weight points', () => {
  it('zero-weight points carry no mass and still get feasible, tight duals', () => {
    const rng = createRng(7)
    const x = randomCloud(rng, 30, 2)
    const y = randomCloud(rng, 25, 2)
    const a = randomWeights(rng, 30, 1, 0.3)
    const b = randomWeights(rng, 25, 1, 0.3)
    const r = exactOt({ x, a, y, b, cost: 'sqeuclidean' })
    for (let k = 0; k < r.plan.values.length; k++) {
      expect(a[r.plan.rows[k]]).toBeGreaterThan(0)
      expect(b[r.plan.cols[k]]).toBeGreaterThan(0)
    }
    const C = costMatrix(x, y, true)
    expectCertificate(C, a, b, r)
    // c-transform: each zero-weight column's dual is tight for some row.
    for (let j = 0; j < 25; j++) {
      if (b[j] > 0) continue
      let slack = Infinity
      for (let i = 0; i < 30; i++) if (a[i] > 0) slack = Math.min(slack, C[i * 25 + j] - r.u[i] - r.v[j])
      expect(Math.abs(slack)).toBeLessThan(1e-12)
    }
    // Same answer as dropping the zero-weight points.
    const keepA = [...a.keys()].filter((i) => a[i] > 0)
    const keepB = [...b.keys()].filter((j) => b[j] > 0)
    const sub = exactOt({
      x: cloud(keepA.flatMap((i) => [x.data[2 * i], x.data[2 * i + 1]]), 2),
      a: Float64Array.from(keepA.map((i) => a[i])),
      y: cloud(keepB.flatMap((j) => [y.data[2 * j], y.data[2 * j + 1]]), 2),
      b: Float64Array.from(keepB.map((j) => b[j])),
      cost: 'sqeuclidean',
    })
    expect(r.cost).toBeCloseTo(sub.cost, 14)
  })

  it('duals are centred: sum a u = sum b v = cost / 2', () => {
    const rng = createRng(8)
    const x = randomCloud(rng, 20, 2)
    const y = randomCloud(rng, 30, 2)
    const r = exactOt({ x, y, cost: 'euclidean' })
    const au = r.u.reduce((s, u) => s + u / 20, 0)
    const bv = r.v.reduce((s, v) => s + v / 30, 0)
    expect(au).toBeCloseTo(r.cost / 2, 12)
    expect(bv).toBeCloseTo(r.cost / 2, 12)
  })

  it('throws invalid-input naming both sums when masses differ', () => {
    const x = cloud([0, 1, 2], 1)
    const y = cloud([0, 1], 1)
    const call = () => exactOt({ x, y, a: Float64Array.of(0.2, 0.3, 0.5), b: Float64Array.of(0.5, 0.6), cost: 'euclidean' })
    expect(call).toThrow(PopdynError)
    expect(call).toThrow(/expected equal total masses.*sum\(a\) = 1 and sum\(b\) = 1\.1/)
    try {
      call()
    } catch (e) {
      expect((e as PopdynError).kind).toBe('invalid-input')
    }
    // A looser tolerance accepts it, rescaling b to the mass of a.
    const r = exactOt({ x, y, a: Float64Array.of(0.2, 0.3, 0.5), b: Float64Array.of(0.5, 0.6), cost: 'euclidean' }, { massTolerance: 0.2 })
    const colSum = [0, 0]
    r.plan.cols.forEach((j, k) => (colSum[j] += r.plan.values[k]))
    expect(colSum[0]).toBeCloseTo(0.5 / 1.1, 14)
    expect(colSum[1]).toBeCloseTo(0.6 / 1.1, 14)
  })

  it('renormalises mass differences below the tolerance', () => {
    const rng = createRng(9)
    const x = randomCloud(rng, 10, 2)
    const y = randomCloud(rng, 12, 2)
    const a = randomWeights(rng, 10)
    const b = randomWeights(rng, 12, 1 + 3e-10)
    const r = exactOt({ x, a, y, b, cost: 'sqeuclidean' })
    expect(r.status).toBe('optimal')
    const total = r.plan.values.reduce((s, v) => s + v, 0)
    expect(Math.abs(total - 1)).toBeLessThan(1e-14)
  })

  it('accepts a cost matrix with negative entries; adding a constant shifts the cost by constant * mass', () => {
    const rng = createRng(10)
    const n = 9
    const m = 14
    const C = new Float64Array(n * m).map(() => rng.normal())
    const a = randomWeights(rng, n, 3)
    const b = randomWeights(rng, m, 3)
    const r = exactOt({ a, b, costMatrix: C })
    expectCertificate(C, a, b, r)
    const r5 = exactOt({ a, b, costMatrix: C.map((c) => c + 5) })
    expect(r5.cost).toBeCloseTo(r.cost + 15, 12)
  })
})

describe('exactOt: bad input, cancellation and status paths', () => {
  const x = cloud([0, 0, 1, 1], 2)
  const y = cloud([0, 1, 1, 0, 2, 2], 2)
  it.each([
    ['negative weight', () => exactOt({ x, y, a: Float64Array.of(-0.5, 1.5), cost: 'euclidean' }), /a: expected finite weights >= 0, got -0.5 at index 0/],
    ['NaN weight', () => exactOt({ x, y, b: Float64Array.of(0.5, NaN, 0.5), cost: 'euclidean' }), /b: expected finite weights >= 0, got NaN/],
    ['wrong weight length', () => exactOt({ x, y, a: Float64Array.of(1), cost: 'euclidean' }), /a: expected length 2, got 1/],
    ['all-zero weights', () => exactOt({ x, y, a: Float64Array.of(0, 0), cost: 'euclidean' }), /a: expected a positive total mass, got 0/],
    ['dimension mismatch', () => exactOt({ x, y: cloud([1, 2, 3], 3), cost: 'euclidean' }), /y.d: expected the dimension of x \(2\), got 3/],
    ['non-finite coordinate', () => exactOt({ x: cloud([0, Infinity], 2), y, cost: 'euclidean' }), /x: expected finite coordinates, got Infinity at point 0, coordinate 1/],
    ['bad data length', () => exactOt({ x: { data: new Float64Array(3), n: 2, d: 2 }, y, cost: 'euclidean' }), /x.data: expected length n\*d = 4, got 3/],
    ['unknown cost', () => exactOt({ x, y, cost: 'manhattan' as 'euclidean' }), /cost: expected 'euclidean' or 'sqeuclidean', got string/],
    ['matrix shape', () => exactOt({ a: Float64Array.of(1), b: Float64Array.of(0.5, 0.5), costMatrix: new Float64Array(3) }), /costMatrix: expected length n\*m = 1\*2 = 2, got 3/],
    ['matrix NaN', () => exactOt({ a: Float64Array.of(1), b: Float64Array.of(1), costMatrix: Float64Array.of(NaN) }), /costMatrix: expected finite entries, got NaN/],
    ['bad maxIter', () => exactOt({ x, y, cost: 'euclidean' }, { maxIter: 1.5 }), /maxIter: expected an integer >= 0, got 1.5/],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(message)
    try {
      call()
    } catch (e) {
      expect((e as PopdynError).kind).toBe('invalid-input')
    }
  })

  it('an already aborted signal throws CancelledError', () => {
    const ac = new AbortController()
    ac.abort()
    expect(() => exactOt({ x, y, cost: 'euclidean' }, {}, { signal: ac.signal })).toThrow(CancelledError)
  })

  it('aborting during the solve throws CancelledError after progress was reported', () => {
    const rng = createRng(11)
    const big = randomCloud(rng, 400, 2)
    const big2 = randomCloud(rng, 400, 2)
    const ac = new AbortController()
    const seen: number[] = []
    const call = () =>
      exactOt({ x: big, y: big2, cost: 'sqeuclidean' }, {}, {
        signal: ac.signal,
        onProgress: (p) => {
          expect(p.stage).toBe('network simplex')
          seen.push(p.fraction)
          ac.abort()
        },
      })
    expect(call).toThrow(CancelledError)
    expect(seen.length).toBe(1)
    expect(seen[0]).toBeGreaterThan(0)
    expect(seen[0]).toBeLessThan(1)
  })

  it('progress fractions rise to 1 on a full solve', () => {
    const rng = createRng(12)
    const fr: number[] = []
    const r = exactOt({ x: randomCloud(rng, 300, 2), y: randomCloud(rng, 300, 2), cost: 'euclidean' }, {}, { onProgress: (p) => fr.push(p.fraction) })
    expect(r.status).toBe('optimal')
    expect(r.iterations).toBeGreaterThan(1024)
    expect(fr.length).toBeGreaterThan(1)
    expect(fr[fr.length - 1]).toBe(1)
  })

  it("reports 'max-iterations' (not a throw) when the pivot budget runs out", () => {
    const rng = createRng(13)
    const p = randomCloud(rng, 50, 2)
    const q = randomCloud(rng, 50, 2)
    const full = exactOt({ x: p, y: q, cost: 'sqeuclidean' })
    const r = exactOt({ x: p, y: q, cost: 'sqeuclidean' }, { maxIter: 20 })
    expect(r.status).toBe('max-iterations')
    expect(r.converged).toBe(false)
    expect(r.iterations).toBe(20)
    expect(full.iterations).toBeGreaterThan(20)
  })

  it("reports 'numerical-error' when costs overflow float64 arithmetic", () => {
    const r = exactOt({ a: Float64Array.of(0.5, 0.5), b: Float64Array.of(0.5, 0.5), costMatrix: Float64Array.of(1e308, 0, 0, 1e308) })
    expect(r.status).toBe('numerical-error')
    expect(r.converged).toBe(false)
  })
})
