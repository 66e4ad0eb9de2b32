import { describe, expect, it } from 'vitest'
import { SortedPoints } from '../../../../src-main/engines/ensembles/nearest'
import { createRng } from '../../../../src-main/engines/stats/random'

/** The scan the sorted search replaces: every point in index order, the first strictly nearer one kept. */
function scan(x: Float64Array, n: number, d: number, q: Float64Array, o: number): { index: number; dist2: number } {
  let best = Infinity, bi = -1
  for (let j = 0; j < n; j++) {
    let e = 0
    if (d === 2) {
      const a = x[2 * j]! - q[o]!, b = x[2 * j + 1]! - q[o + 1]!
      e = a * a + b * b
    } else for (let c = 0; c < d; c++) e += (x[j * d + c]! - q[o + c]!) ** 2
    if (e < best) (best = e), (bi = j)
  }
  return { index: bi, dist2: best }
}

/** The k best of the scan in index order (a later point enters only when strictly nearer). */
function scanK(x: Float64Array, n: number, d: number, q: Float64Array, k: number): { r: number[]; j: number[] } {
  const r = new Array<number>(k).fill(Infinity), js = new Array<number>(k).fill(-1)
  for (let j = 0; j < n; j++) {
    const e = scan(x.subarray(j * d, (j + 1) * d), 1, d, q, 0).dist2
    if (e >= r[k - 1]!) continue
    let p = k - 1
    while (p > 0 && r[p - 1]! > e) (r[p] = r[p - 1]!), (js[p] = js[p - 1]!), p--
    r[p] = e
    js[p] = j
  }
  return { r, j: js }
}

describe('sorted nearest-neighbour search', () => {
  it('returns the point, squared distance and k nearest of a full scan, ties to the lowest index (d = 1, 2, 3)', () => {
    const rng = createRng(11)
    for (const d of [1, 2, 3])
      for (const n of [1, 2, 7, 100])
        for (const grid of [false, true]) {
          // On a coarse integer grid many points share a first coordinate or a whole position (ties).
          const x = Float64Array.from({ length: n * d }, () => (grid ? rng.int(4) : rng.normal()))
          const sp = new SortedPoints(x, n, d)
          for (let trial = 0; trial < 200; trial++) {
            const q = Float64Array.from({ length: d + 1 }, () => (grid ? rng.int(5) - 0.5 * rng.int(2) : 2 * rng.normal()))
            const want = scan(x, n, d, q, 1)
            expect(sp.query(q, 1)).toBe(want.index)
            expect(sp.dist2).toBe(want.dist2)
            // With a bound: the same point when it is within the bound, none otherwise.
            for (const bound of [want.dist2, want.dist2 * 0.999, want.dist2 * 2]) {
              const got = sp.query(q, 1, bound)
              expect(got).toBe(want.dist2 <= bound ? want.index : -1)
            }
            for (const k of [1, 4]) {
              const r = new Float64Array(k), j = new Int32Array(k)
              const qq = q.subarray(1)
              sp.nearestK(qq, 0, k, r, j)
              const w = scanK(x, n, d, qq, k)
              expect(Array.from(r)).toEqual(w.r)
              w.r.forEach((v, p) => v < Infinity && expect(j[p]).toBe(w.j[p]))
            }
          }
        }
  })
})
