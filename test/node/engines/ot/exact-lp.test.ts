/**
 * Exact OT against a brute-force LP (HiGHS) on random small problems: unequal sizes, non-uniform
 * weights (some zero), both ground costs and raw cost matrices.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { exactOt } from '../../../../src-main/engines/ot/index'
import { costMatrix, createRng, expectCertificate, randomCloud, randomWeights } from './exact-helpers'

type Highs = { solve: (lp: string) => { Status: string; ObjectiveValue: number } }
let highs: Highs

beforeAll(async () => {
  highs = (await (await import('highs')).default()) as unknown as Highs
})

/** The transportation LP in CPLEX LP format. */
function transportLp(C: Float64Array, a: Float64Array, b: Float64Array): string {
  const n = a.length
  const m = b.length
  const terms: string[] = []
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) terms.push(`${C[i * m + j] >= 0 ? '+' : '-'} ${Math.abs(C[i * m + j])} x_${i}_${j}`)
  const lines = ['Minimize', ` obj: ${terms.join(' ')}`, 'Subject To']
  for (let i = 0; i < n; i++) lines.push(` r${i}: ${Array.from({ length: m }, (_, j) => `x_${i}_${j}`).join(' + ')} = ${a[i]}`)
  for (let j = 0; j < m; j++) lines.push(` c${j}: ${Array.from({ length: n }, (_, i) => `x_${i}_${j}`).join(' + ')} = ${b[j]}`)
  lines.push('End')
  return lines.join('\n')
}

function lpOptimum(C: Float64Array, a: Float64Array, b: Float64Array): number {
  const sol = highs.solve(transportLp(C, a, b))
  expect(sol.Status).toBe('Optimal')
  return sol.ObjectiveValue
}

describe('exactOt vs brute-force LP (HiGHS)', () => {
  it('random point clouds, unequal sizes, non-uniform and zero weights, both costs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.nat(), (n, m, d, seed) => {
        const rng = createRng(seed)
        const x = randomCloud(rng, n, d)
        const y = randomCloud(rng, m, d)
        const a = randomWeights(rng, n, 1, 0.2)
        const b = randomWeights(rng, m, 1, 0.2)
        for (const sq of [false, true]) {
          const C = costMatrix(x, y, sq)
          const r = exactOt({ x, a, y, b, cost: sq ? 'sqeuclidean' : 'euclidean' })
          const ref = lpOptimum(C, a, b)
          expect(Math.abs(r.cost - ref)).toBeLessThanOrEqual(1e-9 * Math.max(ref, 1e-12))
          expectCertificate(C, a, b, r)
        }
      }),
      { seed: 20251125, numRuns: 60 },
    )
  })

  it('random cost matrices with many ties (integer costs 0..3) and masses other than 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 15 }), fc.integer({ min: 2, max: 15 }), fc.nat(), (n, m, seed) => {
        const rng = createRng(seed)
        const C = new Float64Array(n * m).map(() => rng.int(4))
        const a = randomWeights(rng, n, 7)
        const b = randomWeights(rng, m, 7)
        const r = exactOt({ a, b, costMatrix: C })
        const ref = lpOptimum(C, a, b)
        expect(Math.abs(r.cost - ref)).toBeLessThanOrEqual(1e-9 * Math.max(ref, 1))
        expectCertificate(C, a, b, r)
      }),
      { seed: 7, numRuns: 60 },
    )
  })
})
