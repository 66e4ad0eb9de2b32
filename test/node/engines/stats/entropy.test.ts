import { describe, expect, it } from 'vitest'
import { buildKdTree } from '../../../../src-main/engines/knn'
import { createRng, digamma, gaussianEntropy, klEntropy, logUnitBallVolume } from '../../../../src-main/engines/stats'
import { PopdynError } from '../../../../src-shared/errors'

/** n samples of N(0, diag(s²)). */
function gaussian(n: number, scales: number[], seed: number) {
  const d = scales.length
  const rng = createRng(seed)
  const data = new Float64Array(n * d)
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = scales[j]! * rng.normal()
  const logDet = scales.reduce((s, v) => s + 2 * Math.log(v), 0)
  return { points: { data, n, d }, exact: gaussianEntropy(d, logDet) }
}

describe('Kozachenko–Leonenko entropy', () => {
  // Standard deviation of the estimate ≈ sd(log p(X))/√n = √(d/2)/√n: 0.014 (d = 2), 0.022 (d = 5)
  // at n = 5000; tolerances are about 3 sd plus the small k-NN bias.
  it('Gaussian, d = 2, n = 5000: ½ log((2πe)^d det Σ) within 0.05 nats', () => {
    const { points, exact } = gaussian(5000, [0.5, 2], 1)
    expect(Math.abs(klEntropy(points) - exact)).toBeLessThan(0.05)
  })

  it('Gaussian, d = 5, n = 5000, correlated covariance: within 0.08 nats', () => {
    const { points, exact } = gaussian(5000, [0.5, 1, 1.5, 2, 3], 2)
    // Rotate (x, y) pairs by fixed angles: entropy is rotation invariant, det Σ unchanged.
    const { data, d } = points
    for (let i = 0; i < points.n; i++) {
      const a = data[i * d]!, b = data[i * d + 1]!
      data[i * d] = 0.6 * a - 0.8 * b
      data[i * d + 1] = 0.8 * a + 0.6 * b
    }
    expect(Math.abs(klEntropy(points) - exact)).toBeLessThan(0.08)
  })

  it('uniform on a box: log of its volume (d = 1 and 2)', () => {
    const rng = createRng(3)
    const n = 5000
    const x = new Float64Array(n)
    for (let i = 0; i < n; i++) x[i] = -1 + 4 * rng.uniform()
    expect(Math.abs(klEntropy({ data: x, n, d: 1 }) - Math.log(4))).toBeLessThan(0.03)
    const y = new Float64Array(2 * n)
    for (let i = 0; i < n; i++) {
      y[2 * i] = 2 * rng.uniform()
      y[2 * i + 1] = 3 * rng.uniform()
    }
    expect(Math.abs(klEntropy({ data: y, n, d: 2 }) - Math.log(6))).toBeLessThan(0.06)
  })

  it('implements exactly ψ(n) − ψ(k) + log V_d + (d/n) Σ log ε_i (hand example, k = 1)', () => {
    // Points 0, 1, 3 on a line: nearest-neighbour distances 1, 1, 2.
    const p = { data: Float64Array.from([0, 1, 3]), n: 3, d: 1 }
    const expected = digamma(3) - digamma(1) + logUnitBallVolume(1) + (1 / 3) * Math.log(2)
    expect(klEntropy(p, { k: 1 })).toBeCloseTo(expected, 14)
    // k = 2: distances to the 2nd neighbour are 3, 2, 3.
    const e2 = digamma(3) - digamma(2) + Math.log(2) + (1 / 3) * Math.log(18)
    expect(klEntropy(p, { k: 2, tree: buildKdTree(p) })).toBeCloseTo(e2, 14)
  })

  it('scales as H(cX) = H(X) + d log c', () => {
    const { points } = gaussian(1000, [1, 1, 1], 4)
    const scaled = { ...points, data: points.data.map((v) => 10 * v) }
    expect(klEntropy(scaled) - klEntropy(points)).toBeCloseTo(3 * Math.log(10), 10)
  })

  it('rejects duplicated samples and k out of range', () => {
    const dup = { data: Float64Array.from([0, 0, 0, 1]), n: 4, d: 1 }
    expect(() => klEntropy(dup, { k: 2 })).toThrow(/distinct samples/)
    expect(() => klEntropy(dup, { k: 4 })).toThrow(PopdynError)
  })
})
