/**
 * Gaussian metrics against closed forms: BW² of 1-D Gaussians, commuting covariances, the 2×2
 * formula tr √M = √(tr M + 2√det M), BW(μ, μ) = 0, symmetry and the triangle inequality; B-UVP;
 * L2-UVP for a quadratic potential with a known gradient error; relative L2 with quadrature weights.
 */
import { describe, expect, it } from 'vitest'
import {
  bUvp,
  bUvpClouds,
  bw2,
  bw2Clouds,
  gaussianFit,
  l2Uvp,
  relativeL2,
  type Gaussian,
} from '../../../../src-main/engines/metrics/index'
import { createRng, type Rng } from '../../../../src-main/engines/stats/random'

function randomCov(rng: Rng, d: number, shift = 0.1): Float64Array {
  const A = rng.normals(d * d)
  const S = new Float64Array(d * d)
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0
    for (let k = 0; k < d; k++) s += A[k * d + i] * A[k * d + j]
    S[i * d + j] = s + (i === j ? shift : 0)
  }
  return S
}

const gauss = (mean: number[], cov: number[]): Gaussian => ({ mean: Float64Array.from(mean), cov: Float64Array.from(cov), d: mean.length })

describe('Bures–Wasserstein', () => {
  it('1-D: BW² = (m1 − m2)² + (s1 − s2)²', () => {
    const rng = createRng(1)
    for (let t = 0; t < 20; t++) {
      const m1 = rng.normal(), m2 = rng.normal(), s1 = rng.uniform() * 3, s2 = rng.uniform() * 3
      expect(bw2(gauss([m1], [s1 * s1]), gauss([m2], [s2 * s2]))).toBeCloseTo((m1 - m2) ** 2 + (s1 - s2) ** 2, 12)
    }
  })

  it('commuting covariances (same eigenvectors): BW² = ‖Δm‖² + Σ (√a_k − √b_k)²', () => {
    const rng = createRng(2)
    const d = 6
    // Random orthogonal Q from Gram–Schmidt.
    const Q = rng.normals(d * d)
    for (let j = 0; j < d; j++) {
      for (let p = 0; p < j; p++) {
        let s = 0
        for (let i = 0; i < d; i++) s += Q[i * d + j] * Q[i * d + p]
        for (let i = 0; i < d; i++) Q[i * d + j] -= s * Q[i * d + p]
      }
      let nrm = 0
      for (let i = 0; i < d; i++) nrm += Q[i * d + j] ** 2
      for (let i = 0; i < d; i++) Q[i * d + j] /= Math.sqrt(nrm)
    }
    const la = Array.from({ length: d }, () => 0.1 + 2 * rng.uniform())
    const lb = Array.from({ length: d }, () => 0.1 + 2 * rng.uniform())
    lb[2] = 0 // singular is allowed
    const build = (l: number[]) => {
      const S = new Float64Array(d * d)
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        let s = 0
        for (let k = 0; k < d; k++) s += Q[i * d + k] * l[k] * Q[j * d + k]
        S[i * d + j] = s
      }
      return S
    }
    const ma = rng.normals(d), mb = rng.normals(d)
    let expected = 0
    for (let k = 0; k < d; k++) expected += (ma[k] - mb[k]) ** 2 + (Math.sqrt(la[k]) - Math.sqrt(lb[k])) ** 2
    expect(bw2({ mean: ma, cov: build(la), d }, { mean: mb, cov: build(lb), d })).toBeCloseTo(expected, 10)
  })

  it('2×2 general covariances: cross term √(tr(AB) + 2√(det A det B))', () => {
    const rng = createRng(3)
    for (let t = 0; t < 20; t++) {
      const A = randomCov(rng, 2), B = randomCov(rng, 2)
      const trAB = A[0] * B[0] + A[1] * B[2] + A[2] * B[1] + A[3] * B[3]
      const det = (S: Float64Array) => S[0] * S[3] - S[1] * S[2]
      const cross = Math.sqrt(trAB + 2 * Math.sqrt(det(A) * det(B)))
      const expected = A[0] + A[3] + B[0] + B[3] - 2 * cross
      expect(bw2({ mean: new Float64Array(2), cov: A, d: 2 }, { mean: new Float64Array(2), cov: B, d: 2 })).toBeCloseTo(expected, 11)
    }
  })

  it('BW(μ, μ) = 0, symmetric, satisfies the triangle inequality (d = 10)', () => {
    const rng = createRng(4)
    const d = 10
    const g = () => ({ mean: rng.normals(d), cov: randomCov(rng, d), d })
    for (let t = 0; t < 5; t++) {
      const a = g(), b = g(), c = g()
      const tr = a.cov.reduce((s, _, i) => (i % (d + 1) === 0 ? s + a.cov[i] : s), 0)
      expect(bw2(a, a)).toBeLessThan(1e-12 * tr)
      expect(bw2(a, b)).toBeCloseTo(bw2(b, a), 10)
      expect(Math.sqrt(bw2(a, c))).toBeLessThanOrEqual(Math.sqrt(bw2(a, b)) + Math.sqrt(bw2(b, c)) + 1e-10)
    }
  })

  it('from clouds: identical clouds give 0, a translated cloud gives ‖v‖²', () => {
    const rng = createRng(5)
    const n = 500, d = 3
    const x = { data: rng.normals(n * d), n, d }
    const v = [1, -2, 0.5]
    const y = { data: x.data.map((val, i) => val + v[i % d]), n, d }
    expect(bw2Clouds(x, x)).toBe(0)
    expect(bw2Clouds(x, y)).toBeCloseTo(1 + 4 + 0.25, 10)
  })

  it('B-UVP: 0 for identical moments; 100 δ² / (½ s²) for a 1-D mean shift δ', () => {
    expect(bUvp(gauss([1, 2], [2, 0.3, 0.3, 1]), gauss([1, 2], [2, 0.3, 0.3, 1]))).toBeLessThan(1e-12)
    expect(bUvp(gauss([0.5], [4]), gauss([0], [4]))).toBeCloseTo((100 * 0.25) / 2, 12)
    const rng = createRng(6)
    const x = { data: rng.normals(300), n: 150, d: 2 }
    expect(bUvpClouds(x, x)).toBeLessThan(1e-12)
    expect(() => bUvp(gauss([0], [1]), gauss([0], [0]))).toThrow(/positive total variance/)
  })
})

describe('gaussianFit', () => {
  it('mean and covariance by hand; ddof 0 and 1; integer weights equal repeated points', () => {
    const x = { data: Float64Array.from([0, 0, 2, 0, 0, 4, 2, 4]), n: 4, d: 2 } // corners of a 2×4 box
    const g1 = gaussianFit(x)
    expect(Array.from(g1.mean)).toEqual([1, 2])
    expect(Array.from(g1.cov)).toEqual([4 / 3, 0, 0, 16 / 3])
    const g0 = gaussianFit(x, { ddof: 0 })
    expect(Array.from(g0.cov)).toEqual([1, 0, 0, 4])
    const pts = { data: Float64Array.from([0, 1, 5]), n: 3, d: 1 }
    const rep = { data: Float64Array.from([0, 0, 1, 5, 5, 5]), n: 6, d: 1 }
    const gw = gaussianFit(pts, { weights: Float64Array.from([2, 1, 3]), ddof: 0 })
    const gr = gaussianFit(rep, { ddof: 0 })
    expect(gw.mean[0]).toBeCloseTo(gr.mean[0], 14)
    expect(gw.cov[0]).toBeCloseTo(gr.cov[0], 14)
  })

  it('rejects bad clouds', () => {
    expect(() => gaussianFit({ data: new Float64Array(5), n: 2, d: 3 })).toThrow(/length n·d = 6/)
    expect(() => gaussianFit({ data: Float64Array.from([1, NaN]), n: 2, d: 1 })).toThrow(/finite/)
    expect(() => gaussianFit({ data: Float64Array.from([1]), n: 1, d: 1 })).toThrow(/at least 2 points/)
  })
})

describe('L2-UVP and relative L2', () => {
  it('quadratic potential: ∇V* = x, ∇V̂ = x + c gives 100 τ²‖c‖² / ((1 − τ)² tr Cov(x))', () => {
    const rng = createRng(7)
    const n = 400, d = 2, tau = 0.25
    const x = { data: rng.normals(n * d), n, d }
    const c = [0.3, -0.1]
    const gradTrue = { data: x.data.slice(), n, d }
    const gradPred = { data: x.data.map((v, i) => v + c[i % d]), n, d }
    const cov = gaussianFit(x, { ddof: 0 }).cov
    const expected = (100 * tau * tau * (0.09 + 0.01)) / ((1 - tau) ** 2 * (cov[0] + cov[3]))
    expect(l2Uvp({ x, tau, gradPred, gradTrue })).toBeCloseTo(expected, 10)
    expect(l2Uvp({ x, tau, gradPred: gradTrue, gradTrue })).toBe(0)
    expect(() => l2Uvp({ x, tau: 0, gradPred, gradTrue })).toThrow(/tau > 0/)
    expect(() => l2Uvp({ x, tau, gradPred: { data: new Float64Array(6), n: 3, d: 2 }, gradTrue })).toThrow(/shape 400 × 2/)
  })

  it('relativeL2: scaled function, per-point quadrature weights for vector values, zero reference throws', () => {
    const t = Float64Array.from({ length: 101 }, (_, i) => i / 100)
    const f = t.map((v) => Math.sin(3 * v))
    expect(relativeL2(f.map((v) => 1.1 * v), f)).toBeCloseTo(0.1, 14)
    // trapezoid weights, 2 components per point; error only in the second component
    const w = t.map((_, i) => (i === 0 || i === 100 ? 0.005 : 0.01))
    const F = new Float64Array(202), Fh = new Float64Array(202)
    for (let i = 0; i < 101; i++) {
      F[2 * i] = 1
      F[2 * i + 1] = 1
      Fh[2 * i] = 1
      Fh[2 * i + 1] = 1.5
    }
    expect(relativeL2(Fh, F, w)).toBeCloseTo(Math.sqrt(0.25 / 2), 14)
    expect(() => relativeL2(f, new Float64Array(101))).toThrow(/non-zero L2 norm/)
    expect(() => relativeL2(F, F, new Float64Array(3))).toThrow(/divisor/)
  })
})
