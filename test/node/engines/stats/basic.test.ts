import { describe, expect, it } from 'vitest'
import { adjustedRandIndex, digamma, logSumExp, logUnitBallVolume, mean, quantile, variance } from '../../../../src-main/engines/stats'
import { PopdynError } from '../../../../src-shared/errors'

const EULER_GAMMA = 0.5772156649015329

describe('moments and quantiles', () => {
  it('mean and variance of a known sample', () => {
    const x = [2, 4, 4, 4, 5, 5, 7, 9]
    expect(mean(x)).toBe(5)
    expect(variance(x)).toBe(4)
    expect(variance(x, 1)).toBeCloseTo(32 / 7, 14)
    // Large offset: the two-pass formula keeps full precision.
    expect(variance(x.map((v) => v + 1e9))).toBeCloseTo(4, 6)
  })

  it('quantile matches numpy (type 7) on a hand example', () => {
    const x = [10, 1, 7, 3] // sorted 1 3 7 10; h = 3p
    expect(quantile(x, 0)).toBe(1)
    expect(quantile(x, 1)).toBe(10)
    expect(quantile(x, 0.5)).toBe(5) // h = 1.5: 3 + 0.5·4
    const q = quantile(x, [0.25, 0.9]) // h = 0.75 and 2.7
    expect(q[0]).toBeCloseTo(2.5, 14)
    expect(q[1]).toBeCloseTo(7 + 0.7 * 3, 14)
    expect(quantile([42], 0.3)).toBe(42)
  })

  it('rejects empty input and bad probabilities', () => {
    expect(() => mean([])).toThrow(PopdynError)
    expect(() => quantile([1, 2], 1.5)).toThrow(/probability in \[0, 1\]/)
    expect(() => quantile([1, NaN], 0.5)).toThrow(/NaN/)
  })
})

describe('special functions', () => {
  it('digamma at known values', () => {
    expect(digamma(1)).toBeCloseTo(-EULER_GAMMA, 14)
    expect(digamma(0.5)).toBeCloseTo(-EULER_GAMMA - 2 * Math.LN2, 14)
    // ψ(n) = −γ + H_{n−1}
    let h = 0
    for (let n = 2; n <= 60; n++) {
      h += 1 / (n - 1)
      expect(digamma(n)).toBeCloseTo(-EULER_GAMMA + h, 13)
    }
    expect(digamma(-0.5)).toBeCloseTo(-EULER_GAMMA - 2 * Math.LN2 + 2, 13) // ψ(1/2) = ψ(−1/2) + 1/(−1/2)
    expect(digamma(1e6)).toBeCloseTo(Math.log(1e6) - 0.5e-6, 12)
    expect(Number.isNaN(digamma(0))).toBe(true)
    expect(Number.isNaN(digamma(-3))).toBe(true)
  })

  it('log-sum-exp is stable and exact on simple inputs', () => {
    expect(logSumExp([0, 0])).toBeCloseTo(Math.LN2, 15)
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12)
    expect(logSumExp([-1000, -Infinity])).toBe(-1000)
    expect(logSumExp([])).toBe(-Infinity)
    expect(logSumExp([5, 1, 2, 3], 1, 3)).toBeCloseTo(Math.log(Math.E + Math.E ** 2), 14)
  })

  it('unit ball volumes: 2, π, 4π/3, π²/2', () => {
    expect(logUnitBallVolume(0)).toBe(0)
    expect(logUnitBallVolume(1)).toBeCloseTo(Math.log(2), 15)
    expect(logUnitBallVolume(2)).toBeCloseTo(Math.log(Math.PI), 15)
    expect(logUnitBallVolume(3)).toBeCloseTo(Math.log((4 * Math.PI) / 3), 15)
    expect(logUnitBallVolume(4)).toBeCloseTo(Math.log(Math.PI ** 2 / 2), 15)
    expect(logUnitBallVolume(5)).toBeCloseTo(Math.log((8 * Math.PI ** 2) / 15), 14)
  })
})

describe('adjusted Rand index', () => {
  it('is 1 for the same partition under relabelling and matches a hand-computed value', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9])).toBe(1)
    // sklearn's doc example: adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285715 (= 4/7)
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(4 / 7, 14)
    // Crossing split: Σ C(n_ij,2) = 0, Σ C(a_i,2) = Σ C(b_j,2) = 2, C(4,2) = 6, expected = 2·2/6 = 2/3,
    // max = 2, so ARI = (0 − 2/3)/(2 − 2/3) = −1/2.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 14)
  })
})
