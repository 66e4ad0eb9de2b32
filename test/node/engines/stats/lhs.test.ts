import { describe, expect, it } from 'vitest'
import { latinHypercube } from '../../../../src-main/engines/stats'

describe('Latin hypercube sampling', () => {
  it('every 1-D projection has exactly one point per stratum', () => {
    const n = 257
    const d = 4
    const lo = [-1, 0, 10, -5]
    const hi = [1, 2, 11, 5]
    const p = latinHypercube(n, d, { lo, hi, seed: 7 })
    expect(p.n).toBe(n)
    expect(p.d).toBe(d)
    for (let j = 0; j < d; j++) {
      const seen = new Uint8Array(n)
      for (let i = 0; i < n; i++) {
        const x = p.data[i * d + j]!
        expect(x).toBeGreaterThanOrEqual(lo[j]!)
        expect(x).toBeLessThan(hi[j]!)
        seen[Math.floor(((x - lo[j]!) / (hi[j]! - lo[j]!)) * n)]++
      }
      expect(Array.from(seen).every((c) => c === 1)).toBe(true)
    }
  })

  it('is reproducible from its seed, differs across seeds, and centres cells when asked', () => {
    const a = latinHypercube(50, 3, { seed: 1 })
    expect(latinHypercube(50, 3, { seed: 1 }).data).toEqual(a.data)
    expect(latinHypercube(50, 3, { seed: 2 }).data).not.toEqual(a.data)
    const c = latinHypercube(4, 2, { centered: true, lo: 0, hi: 4 })
    expect(Array.from(c.data.filter((_, i) => i % 2 === 0)).sort()).toEqual([0.5, 1.5, 2.5, 3.5])
  })

  it('rejects an empty box', () => {
    expect(() => latinHypercube(5, 2, { lo: [0, 1], hi: [1, 1] })).toThrow(/lo < hi/)
  })
})
