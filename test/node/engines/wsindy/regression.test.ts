import { describe, expect, it } from 'vitest'
import { mstls, defaultLambdas } from '../../../../src-main/engines/wsindy'
import { createRng } from '../../../../src-main/engines/stats'

function problem(seed: number, noise: number) {
  const rng = createRng(seed)
  const rows = 240, cols = 30
  const G = rng.normals(rows * cols)
  // Columns of very different scales (the thresholds must be scale-free).
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) G[i * cols + j]! *= Math.pow(10, (j % 5) - 2)
  const w = new Float64Array(cols)
  // Column scales 10^{(j mod 5) − 2}: terms G_j w_j of comparable size, coefficients over 4 decades.
  w[2] = 1.5 // scale 1
  w[7] = -2 // scale 1
  w[13] = -0.08 // scale 10
  w[24] = 0.03 // scale 100
  const b = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    let s = 0
    for (let j = 0; j < cols; j++) s += G[i * cols + j]! * w[j]!
    b[i] = s
  }
  const bn = Math.hypot(...b)
  const e = rng.normals(rows)
  const en = Math.hypot(...e)
  for (let i = 0; i < rows; i++) b[i]! += (noise * bn * e[i]!) / en
  return { G: { data: G, rows, cols }, b, w }
}

describe('constrained MSTLS', () => {
  it('recovers a planted sparse model (support and coefficients) from noisy data', () => {
    const { G, b, w } = problem(1, 1e-3)
    const res = mstls(G, b, null)
    const support = [...res.w].flatMap((x, j) => (x !== 0 ? [j] : []))
    expect(support).toEqual([2, 7, 13, 24])
    for (const j of support) expect(Math.abs(res.w[j]! / w[j]! - 1)).toBeLessThan(5e-3)
    expect(res.residual).toBeLessThan(2e-3)
    expect(res.lambdas).toEqual(defaultLambdas())
    expect(res.converged).toBe(true)
  })

  it('honours sign constraints C w ≤ 0 and still finds the support', () => {
    const { G, b } = problem(2, 1e-3)
    const cols = G.cols
    // Columns 7 and 13 must be ≤ 0 (true values are negative), column 2 must be ≤ 0 (true value +1.5: infeasible).
    const rowsC = [7, 13, 2]
    const C = { data: new Float64Array(rowsC.length * cols), rows: rowsC.length, cols }
    rowsC.forEach((j, r) => (C.data[r * cols + j] = 1))
    const res = mstls(G, b, C)
    expect(res.w[2]).toBeLessThanOrEqual(1e-12)
    expect(res.w[7]).toBeLessThan(0)
    expect(res.w[13]).toBeLessThan(0)
    // Without the constraint the fit is better: the constraint really binds.
    const free = mstls(G, b, null)
    expect(free.residual).toBeLessThan(res.residual)
  })

  it('returns the first minimiser of the selection loss, and ℒ(λ) = ½ for the empty model', () => {
    const { G, b } = problem(3, 0.3)
    const res = mstls(G, b, null, { lambdas: defaultLambdas(20) })
    const k = res.lambdas.indexOf(res.lambda)
    const min = Math.min(...res.losses)
    expect(res.losses[k]).toBe(min)
    expect(res.losses.slice(0, k).every((l) => l > min)).toBe(true)
    // λ = 1 keeps only terms with ‖G_j w_j‖ = ‖b‖ exactly: the empty model, loss α·1 + 0 = ½.
    expect(res.losses[res.losses.length - 1]).toBeCloseTo(0.5, 12)
  })
})
