import { describe, expect, it } from 'vitest'
import { exactOt, linearAssignment } from '../../../../src-main/engines/ot/index'
import { costMatrix, createRng, randomCloud } from './exact-helpers'

/** Dual feasibility (u_i + v_j ≤ C_ij) everywhere, tightness on the assignment, a permutation. */
function expectCertificate(C: Float64Array, n: number, r: ReturnType<typeof linearAssignment>, tol: number) {
  expect(new Set(r.colOf).size).toBe(n)
  let cost = 0
  for (let i = 0; i < n; i++) {
    cost += C[i * n + r.colOf[i]!]!
    expect(Math.abs(C[i * n + r.colOf[i]!]! - r.u[i]! - r.v[r.colOf[i]!]!)).toBeLessThanOrEqual(tol)
    for (let j = 0; j < n; j++) expect(C[i * n + j]! - r.u[i]! - r.v[j]!).toBeGreaterThanOrEqual(-tol)
  }
  expect(r.cost).toBeCloseTo(cost, 12)
}

describe('linear assignment (exact OT between equally weighted clouds of the same size)', () => {
  it('matches the network simplex cost and certifies optimality by its duals (random clouds, squared and plain distances)', () => {
    const rng = createRng(3)
    for (const [n, d, sq] of [[1, 2, true], [7, 2, true], [40, 3, false], [100, 2, true]] as const) {
      const x = randomCloud(rng, n, d), y = randomCloud(rng, n, d)
      const C = costMatrix(x, y, sq)
      const r = linearAssignment(C, n)
      const w = new Float64Array(n).fill(1 / n)
      const ot = exactOt({ a: w, b: w, costMatrix: C })
      expect(r.cost / n).toBeCloseTo(ot.cost, 12)
      expectCertificate(C, n, r, 1e-10)
    }
  })

  it('handles ties and negative costs (integer costs with many equal entries)', () => {
    const rng = createRng(4)
    const n = 30
    const C = Float64Array.from({ length: n * n }, () => rng.int(4) - 2)
    const r = linearAssignment(C, n)
    const w = new Float64Array(n).fill(1 / n)
    expect(r.cost / n).toBeCloseTo(exactOt({ a: w, b: w, costMatrix: C }).cost, 12)
    expectCertificate(C, n, r, 1e-12)
  })

  it('a warm start from the duals of a nearby problem gives the same optimum with fewer augmenting paths', () => {
    const rng = createRng(5)
    const n = 80
    const x = randomCloud(rng, n, 2), y = randomCloud(rng, n, 2)
    const C1 = costMatrix(x, y, true)
    const C2 = C1.map((c) => c * (1 + 1e-3 * rng.normal()))
    const first = linearAssignment(C1, n)
    const cold = linearAssignment(C2, n)
    const warm = linearAssignment(C2, n, first.v)
    expect(warm.cost).toBeCloseTo(cold.cost, 12)
    expectCertificate(C2, n, warm, 1e-10)
    expect(warm.augmented).toBeLessThan(cold.augmented)
    // Any finite start is valid, even a poor one.
    const poor = linearAssignment(C2, n, Float64Array.from({ length: n }, () => 10 * rng.normal()))
    expect(poor.cost).toBeCloseTo(cold.cost, 12)
  })

  it('refuses a matrix that is not n × n', () => {
    expect(() => linearAssignment(new Float64Array(6), 3)).toThrow(/n×n matrix/)
  })
})
