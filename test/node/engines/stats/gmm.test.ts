import { describe, expect, it } from 'vitest'
import { compareGmmBic, createRng, fitGmm, gmmPosteriors } from '../../../../src-main/engines/stats'

/** n draws from Σ_c w_c N(μ_c, L_c L_cᵀ) in R^d; returns points and true labels. */
function mixture(n: number, weights: number[], means: number[][], chols: number[][][], seed: number) {
  const rng = createRng(seed)
  const d = means[0]!.length
  const data = new Float64Array(n * d)
  const labels = new Int32Array(n)
  const z = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    let u = rng.uniform()
    let c = 0
    while (c < weights.length - 1 && u >= weights[c]!) u -= weights[c++]!
    labels[i] = c
    for (let j = 0; j < d; j++) z[j] = rng.normal()
    for (let a = 0; a < d; a++) {
      let s = means[c]![a]!
      for (let b = 0; b <= a; b++) s += chols[c]![a]![b]! * z[b]!
      data[i * d + a] = s
    }
  }
  return { points: { data, n, d }, labels }
}

describe('Gaussian mixtures by EM', () => {
  it('recovers a planted 1-D mixture (means, weights, variances)', () => {
    const { points } = mixture(3000, [0.3, 0.7], [[-2], [3]], [[[0.5]], [[1]]], 1)
    const r = fitGmm(points, { components: 2, seed: 2 })
    expect(r.converged).toBe(true)
    expect(r.means[0]).toBeCloseTo(-2, 1)
    expect(r.means[1]).toBeCloseTo(3, 1)
    expect(Math.abs(r.weights[0]! - 0.3)).toBeLessThan(0.03)
    expect(Math.abs(r.covariances[0]! - 0.25)).toBeLessThan(0.04)
    expect(Math.abs(r.covariances[1]! - 1)).toBeLessThan(0.1)
    expect(r.weights[0]! + r.weights[1]!).toBeCloseTo(1, 14)
  })

  it('recovers a planted 2-D mixture with full covariances', () => {
    const means = [[0, 0], [6, 0], [3, 6]]
    const chols = [
      [[1, 0], [0.8, 0.6]],
      [[0.5, 0], [-0.3, 1]],
      [[1.2, 0], [0, 0.4]],
    ]
    const { points, labels } = mixture(3000, [0.5, 0.2, 0.3], means, chols, 3)
    const r = fitGmm(points, { components: 3, covariance: 'full', restarts: 5, seed: 4 })
    expect(r.status).toBe('converged')
    // Components come sorted by mean x: (0,0), (3,6), (6,0).
    const order = [0, 2, 1]
    const w = [0.5, 0.2, 0.3]
    order.forEach((src, dst) => {
      expect(Math.abs(r.means[2 * dst]! - means[src]![0]!)).toBeLessThan(0.1)
      expect(Math.abs(r.means[2 * dst + 1]! - means[src]![1]!)).toBeLessThan(0.1)
      expect(Math.abs(r.weights[dst]! - w[src]!)).toBeLessThan(0.03)
      const L = chols[src]!
      const cov = [L[0]![0]! ** 2, L[0]![0]! * L[1]![0]!, L[1]![0]! ** 2 + L[1]![1]! ** 2]
      expect(Math.abs(r.covariances[4 * dst]! - cov[0]!)).toBeLessThan(0.12)
      expect(Math.abs(r.covariances[4 * dst + 1]! - cov[1]!)).toBeLessThan(0.12)
      expect(r.covariances[4 * dst + 2]).toBe(r.covariances[4 * dst + 1])
      expect(Math.abs(r.covariances[4 * dst + 3]! - cov[2]!)).toBeLessThan(0.12)
    })
    // Hard labels agree with the planted ones (up to the sort) for almost every point.
    let agree = 0
    for (let i = 0; i < points.n; i++) if (order[r.labels[i]!] === labels[i]) agree++
    expect(agree / points.n).toBeGreaterThan(0.98)
    expect(r.nParameters).toBe(2 + 6 + 9)
    expect(r.bic).toBeCloseTo(-2 * r.logLikelihood + 17 * Math.log(3000), 8)
    expect(r.aic).toBeCloseTo(-2 * r.logLikelihood + 34, 8)
  })

  it('posteriors are a probability vector per point and match gmmPosteriors; ℓ = Σ log p(x_i)', () => {
    const { points } = mixture(500, [0.5, 0.5], [[0, 0], [3, 1]], [[[1, 0], [0, 1]], [[1, 0], [0.5, 0.7]]], 5)
    const r = fitGmm(points, { components: 2, covariance: 'diag', seed: 1 })
    for (let i = 0; i < points.n; i++) {
      const a = r.posteriors[2 * i]!
      const b = r.posteriors[2 * i + 1]!
      expect(a).toBeGreaterThanOrEqual(0)
      expect(b).toBeGreaterThanOrEqual(0)
      expect(a + b).toBeCloseTo(1, 12)
      expect(r.labels[i]).toBe(b > a ? 1 : 0)
    }
    const again = gmmPosteriors(r, points)
    for (let t = 0; t < r.posteriors.length; t++) expect(again.posteriors[t]).toBeCloseTo(r.posteriors[t]!, 12)
    expect(again.logDensity.reduce((s, v) => s + v, 0)).toBeCloseTo(r.logLikelihood, 8)
    // Diagonal model: zero off-diagonals and (K−1) + 2Kd parameters.
    expect(r.covariances[1]).toBe(0)
    expect(r.covariances[2]).toBe(0)
    expect(r.nParameters).toBe(1 + 8)
    expect(Math.max(...r.restartLogLikelihoods)).toBe(r.logLikelihood)
  })

  it('one component is the closed-form Gaussian MLE (plus the regularisation)', () => {
    const rng = createRng(8)
    const n = 400
    const data = new Float64Array(n * 2)
    for (let i = 0; i < n; i++) {
      const a = rng.normal()
      data[2 * i] = 1 + 2 * a
      data[2 * i + 1] = -1 + a + rng.normal()
    }
    const r = fitGmm({ data, n, d: 2 }, { components: 1, regCovar: 0 })
    let mx = 0, my = 0
    for (let i = 0; i < n; i++) { mx += data[2 * i]! / n; my += data[2 * i + 1]! / n }
    let sxx = 0, sxy = 0, syy = 0
    for (let i = 0; i < n; i++) {
      const a = data[2 * i]! - mx, b = data[2 * i + 1]! - my
      sxx += (a * a) / n; sxy += (a * b) / n; syy += (b * b) / n
    }
    expect(r.means[0]).toBeCloseTo(mx, 12)
    expect(r.means[1]).toBeCloseTo(my, 12)
    expect(Array.from(r.covariances).map((v) => +v.toFixed(10))).toEqual([sxx, sxy, sxy, syy].map((v) => +v.toFixed(10)))
    // ℓ of the MLE Gaussian: −n/2 (d log 2π + log det S + d)
    const ll = (-n / 2) * (2 * Math.log(2 * Math.PI) + Math.log(sxx * syy - sxy * sxy) + 2)
    expect(r.logLikelihood).toBeCloseTo(ll, 8)
    expect(r.weights[0]).toBeCloseTo(1, 12)
  })

  it('stopping after maxIter is reported as a result, not thrown', () => {
    const { points } = mixture(300, [0.5, 0.5], [[0], [1.5]], [[[1]], [[1]]], 6)
    const r = fitGmm(points, { components: 2, maxIter: 2, restarts: 1, tol: 0 })
    expect(r.converged).toBe(false)
    expect(r.status).toBe('max-iterations')
    expect(r.iterations).toBe(2)
    expect(r.errorHistory.length).toBe(2)
  })
})

describe('degenerate data', () => {
  it('constant data: one Gaussian wins, nothing throws (regularised covariances)', () => {
    const c = compareGmmBic(new Float64Array(50).fill(1.5), 5)
    expect(c.prefersTwo).toBe(false)
    expect(c.one.means[0]).toBe(1.5)
    // The emptied second component is parked on the data, not at 0/0.
    expect(c.two.means[0]).toBeCloseTo(1.5, 12)
    expect(c.two.means[1]).toBeCloseTo(1.5, 12)
    expect(Number.isFinite(c.one.logLikelihood)).toBe(true)
  })

  it('without regularisation, singular covariances everywhere are a numerical error', () => {
    let kind = ''
    try {
      fitGmm({ data: Float64Array.from([0, 0, 0, 0, 5]), n: 5, d: 1 }, { components: 2, regCovar: 0 })
    } catch (e) {
      kind = (e as { kind: string }).kind
    }
    expect(kind).toBe('numerical')
    expect(() => compareGmmBic([1, NaN, 2])).toThrow(/finite/)
  })
})

describe('compareGmmBic (WSINDy species split)', () => {
  it('prefers one Gaussian on unimodal data', () => {
    for (const seed of [1, 2, 3]) {
      const x = createRng(seed).normals(500, -2, 0.4)
      const c = compareGmmBic(x, 20)
      expect(c.prefersTwo).toBe(false)
      expect(c.deltaBic).toBeLessThan(0)
      expect(c.one.K).toBe(1)
      expect(c.two.K).toBe(2)
      expect(c.two.restartLogLikelihoods.length).toBe(20)
    }
  })

  it('prefers two components on bimodal data and finds the low-error mode first', () => {
    const rng = createRng(4)
    const x = new Float64Array(600)
    for (let i = 0; i < 600; i++) x[i] = i < 400 ? -2.5 + 0.3 * rng.normal() : -0.5 + 0.4 * rng.normal()
    const c = compareGmmBic(x, 20)
    expect(c.prefersTwo).toBe(true)
    expect(c.deltaBic).toBeGreaterThan(100)
    expect(c.two.means[0]).toBeCloseTo(-2.5, 1)
    expect(c.two.means[1]).toBeCloseTo(-0.5, 1)
    expect(c.two.weights[0]).toBeCloseTo(2 / 3, 1)
    // The low component's hard labels pick out the first 400 values almost exactly.
    let agree = 0
    for (let i = 0; i < 600; i++) if ((c.two.labels[i] === 0) === i < 400) agree++
    expect(agree).toBeGreaterThan(590)
  })
})
