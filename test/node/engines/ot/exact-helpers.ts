import { expect } from 'vitest'
import type { ExactOtResult, PointCloud } from '../../../../src-main/engines/ot/index'
import { createRng, type Rng } from '../../../../src-main/engines/stats/random'

export const cloud = (data: number[] | Float64Array, d: number): PointCloud => ({
  data: Float64Array.from(data),
  n: data.length / d,
  d,
})

export function randomCloud(rng: Rng, n: number, d: number): PointCloud {
  const data = new Float64Array(n * d)
  for (let k = 0; k < data.length; k++) data[k] = rng.uniform()
  return { data, n, d }
}

/** Random weights in (0.1, 1.1), a share `zeroFrac` set to 0 (never all), summing to `mass`. */
export function randomWeights(rng: Rng, n: number, mass = 1, zeroFrac = 0): Float64Array {
  const w = new Float64Array(n)
  for (let i = 0; i < n; i++) w[i] = rng.uniform() < zeroFrac ? 0 : 0.1 + rng.uniform()
  if (w.every((x) => x === 0)) w[0] = 1
  const s = w.reduce((p, q) => p + q, 0)
  return w.map((x) => (x * mass) / s)
}

/** Independent reference cost matrix. */
export function costMatrix(x: PointCloud, y: PointCloud, sq: boolean): Float64Array {
  const C = new Float64Array(x.n * y.n)
  for (let i = 0; i < x.n; i++) {
    for (let j = 0; j < y.n; j++) {
      let s = 0
      for (let k = 0; k < x.d; k++) s += (x.data[i * x.d + k] - y.data[j * y.d + k]) ** 2
      C[i * y.n + j] = sq ? s : Math.sqrt(s)
    }
  }
  return C
}

export function densePlan(r: ExactOtResult, n: number, m: number): Float64Array {
  const P = new Float64Array(n * m)
  for (let k = 0; k < r.plan.values.length; k++) P[r.plan.rows[k] * m + r.plan.cols[k]] += r.plan.values[k]
  return P
}

/**
 * Optimality certificate: plan >= 0 with marginals a and b, cost = <C, P>, dual feasibility
 * C_ij >= u_i + v_j, complementary slackness on the support, strong duality, sorted sparse plan.
 */
export function expectCertificate(C: Float64Array, a: Float64Array, b: Float64Array, r: ExactOtResult, tol = 1e-9): void {
  const n = a.length
  const m = b.length
  expect(r.status).toBe('optimal')
  expect(r.converged).toBe(true)
  const { rows, cols, values } = r.plan
  expect(values.length).toBeLessThanOrEqual(n + m - 1)
  let scale = 0
  for (const c of C) scale = Math.max(scale, Math.abs(c))
  scale = Math.max(scale, 1e-300)
  const sa = a.reduce((p, q) => p + q, 0)
  const rowSum = new Float64Array(n)
  const colSum = new Float64Array(m)
  let cost = 0
  for (let k = 0; k < values.length; k++) {
    expect(values[k]).toBeGreaterThan(0)
    if (k > 0) expect(rows[k] > rows[k - 1] || (rows[k] === rows[k - 1] && cols[k] > cols[k - 1])).toBe(true)
    rowSum[rows[k]] += values[k]
    colSum[cols[k]] += values[k]
    const c = C[rows[k] * m + cols[k]]
    cost += values[k] * c
    // complementary slackness
    expect(Math.abs(c - r.u[rows[k]] - r.v[cols[k]])).toBeLessThanOrEqual(tol * scale)
  }
  for (let i = 0; i < n; i++) expect(Math.abs(rowSum[i] - a[i])).toBeLessThanOrEqual(1e-12 * sa)
  for (let j = 0; j < m; j++) expect(Math.abs(colSum[j] - b[j])).toBeLessThanOrEqual(1e-9 * sa)
  expect(Math.abs(cost - r.cost)).toBeLessThanOrEqual(1e-12 * scale * sa)
  let minSlack = Infinity
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) minSlack = Math.min(minSlack, C[i * m + j] - r.u[i] - r.v[j])
  expect(minSlack).toBeGreaterThanOrEqual(-tol * scale)
  let dual = 0
  for (let i = 0; i < n; i++) dual += a[i] * r.u[i]
  for (let j = 0; j < m; j++) dual += b[j] * r.v[j]
  expect(Math.abs(dual - r.cost)).toBeLessThanOrEqual(tol * scale * sa)
}

export { createRng }
