import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KdTree, buildKdTree, type PointCloud } from '../../../../src-main/engines/knn'
import { createRng } from '../../../../src-main/engines/stats/random'
import { PopdynError } from '../../../../src-shared/errors'

function cloud(n: number, d: number, seed: number): PointCloud {
  return { data: createRng(seed).normals(n * d), n, d }
}

/** Brute-force sorted (distance, index) list from point q to all points except `skip`. */
function brute(p: PointCloud, q: ArrayLike<number>, skip = -1): { i: number; dist: number }[] {
  const out: { i: number; dist: number }[] = []
  for (let i = 0; i < p.n; i++) {
    if (i === skip) continue
    let s = 0
    for (let j = 0; j < p.d; j++) s += (p.data[i * p.d + j]! - q[j]!) ** 2
    out.push({ i, dist: Math.sqrt(s) })
  }
  return out.sort((a, b) => a.dist - b.dist || a.i - b.i)
}

const row = (p: PointCloud, i: number) => p.data.subarray(i * p.d, i * p.d + p.d)

describe('kd-tree k nearest neighbours', () => {
  for (const d of [1, 2, 3, 7, 15]) {
    it(`knnAll matches brute force (n = 400, d = ${d}, self excluded)`, () => {
      const p = cloud(400, d, 10 + d)
      const tree = buildKdTree(p, { leafSize: 5 })
      const k = 6
      const r = tree.knnAll(k)
      expect(r.indices.length).toBe(400 * k)
      for (let i = 0; i < p.n; i++) {
        const b = brute(p, row(p, i), i)
        for (let t = 0; t < k; t++) {
          expect(r.indices[i * k + t]).toBe(b[t]!.i)
          expect(r.distances[i * k + t]).toBeCloseTo(b[t]!.dist, 12)
        }
      }
    })
  }

  it('without self-exclusion each point is its own nearest neighbour at distance 0', () => {
    const p = cloud(300, 3, 5)
    const r = buildKdTree(p).knnAll(4, { excludeSelf: false })
    for (let i = 0; i < p.n; i++) {
      expect(r.indices[i * 4]).toBe(i)
      expect(r.distances[i * 4]).toBe(0)
      const b = brute(p, row(p, i), i)
      expect(r.distances[i * 4 + 3]).toBeCloseTo(b[2]!.dist, 12)
    }
  })

  it('external queries and single-point queries match brute force', () => {
    const p = cloud(500, 4, 7)
    const q = cloud(60, 4, 8)
    const tree = buildKdTree(p)
    const r = tree.knn(q, 3)
    for (let i = 0; i < q.n; i++) {
      const b = brute(p, row(q, i))
      for (let t = 0; t < 3; t++) expect(r.indices[i * 3 + t]).toBe(b[t]!.i)
    }
    const one = tree.knnPoint(row(p, 17), 2, 17)
    const b = brute(p, row(p, 17), 17)
    expect(Array.from(one.indices)).toEqual([b[0]!.i, b[1]!.i])
    expect(one.distances[1]).toBeCloseTo(b[1]!.dist, 12)
  })

  it('handles heavy ties and all-identical points (integer grid with duplicates)', () => {
    const rng = createRng(3)
    const n = 600
    const d = 2
    const data = new Float64Array(n * d)
    for (let i = 0; i < n * d; i++) data[i] = rng.int(6) // only 36 distinct sites
    const p = { data, n, d }
    const r = buildKdTree(p, { leafSize: 4 }).knnAll(8)
    for (let i = 0; i < n; i += 7) {
      const b = brute(p, row(p, i), i)
      for (let t = 0; t < 8; t++) expect(r.distances[i * 8 + t]).toBeCloseTo(b[t]!.dist, 12)
    }
    const same = { data: new Float64Array(200 * 3).fill(1.5), n: 200, d: 3 }
    const rs = buildKdTree(same, { leafSize: 2 }).knnAll(3)
    expect(Math.max(...rs.distances)).toBe(0)
    for (let i = 0; i < 200; i++) expect(Array.from(rs.indices.subarray(i * 3, i * 3 + 3))).not.toContain(i)
  })
})

describe('kd-tree property (fast-check, seeded)', () => {
  it('knnAll and radiusAll equal brute force for any small cloud, k, leaf size (grid values force ties)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        (n, d, leafSize, seed, grid) => {
          const rng = createRng(seed)
          const data = new Float64Array(n * d)
          for (let i = 0; i < n * d; i++) data[i] = grid ? rng.int(4) : rng.normal()
          const p = { data, n, d }
          const tree = buildKdTree(p, { leafSize })
          const k = 1 + (seed % Math.min(5, n - 1))
          const r = tree.knnAll(k)
          const rad = tree.radiusAll(1)
          for (let i = 0; i < n; i++) {
            const b = brute(p, row(p, i), i)
            for (let t = 0; t < k; t++) if (Math.abs(r.distances[i * k + t]! - b[t]!.dist) > 1e-12) return false
            const inBall = b.filter((e) => e.dist <= 1).map((e) => e.i)
            const got = Array.from(rad.indices.subarray(rad.offsets[i]!, rad.offsets[i + 1]!)).sort((x, y) => x - y)
            if (got.join() !== inBall.sort((x, y) => x - y).join()) return false
          }
          return true
        },
      ),
      { seed: 20261125, numRuns: 150 },
    )
  })
})

describe('kd-tree radius queries', () => {
  it('radiusAll returns exactly the pairs within r (closed ball), symmetric, self excluded', () => {
    const p = cloud(700, 2, 21)
    const r = 0.3
    const res = buildKdTree(p, { leafSize: 8 }).radiusAll(r, { sort: true })
    expect(res.offsets[0]).toBe(0)
    expect(res.offsets[p.n]).toBe(res.indices.length)
    let pairs = 0
    for (let i = 0; i < p.n; i++) {
      const b = brute(p, row(p, i), i).filter((e) => e.dist <= r)
      const got = Array.from(res.indices.subarray(res.offsets[i]!, res.offsets[i + 1]!))
      expect(got).toEqual(b.map((e) => e.i)) // sorted by distance, ties by index
      const ds = res.distances.subarray(res.offsets[i]!, res.offsets[i + 1]!)
      for (let t = 1; t < ds.length; t++) expect(ds[t]!).toBeGreaterThanOrEqual(ds[t - 1]!)
      pairs += got.length
    }
    expect(pairs % 2).toBe(0)
    expect(pairs).toBeGreaterThan(1000) // the test is not vacuous
  })

  it('points exactly at distance r are included', () => {
    const p = { data: Float64Array.from([0, 0, 1, 0, 0, 2, 3, 4]), n: 4, d: 2 }
    const res = buildKdTree(p, { leafSize: 1 }).radiusAll(1)
    expect(Array.from(res.indices.subarray(res.offsets[0]!, res.offsets[1]!))).toEqual([1])
    const res5 = buildKdTree(p, { leafSize: 1 }).radius({ data: Float64Array.from([0, 0]), n: 1, d: 2 }, 5, { sort: true })
    expect(Array.from(res5.indices)).toEqual([0, 1, 2, 3])
    expect(Array.from(res5.distances)).toEqual([0, 1, 2, 5])
  })

  it('radiusPoint neighbour sums equal the brute-force cut-off sum', () => {
    const p = cloud(2000, 3, 4)
    const tree = buildKdTree(p)
    const q = [0.1, -0.2, 0.3]
    let sum = 0
    const count = tree.radiusPoint(q, 0.8, (_j, dist) => (sum += Math.exp(-dist)))
    const b = brute(p, q).filter((e) => e.dist <= 0.8)
    expect(count).toBe(b.length)
    expect(sum).toBeCloseTo(b.reduce((s, e) => s + Math.exp(-e.dist), 0), 10)
    // Excluding a point by index, and a callback that itself queries the tree.
    let inner = 0
    const seen: number[] = []
    const c2 = tree.radiusPoint(row(p, 0), 0.5, (j) => {
      seen.push(j)
      inner += tree.knnPoint(q, 1).indices.length + tree.radiusPoint(q, 0.8, () => {})
    }, 0)
    const b0 = brute(p, row(p, 0), 0).filter((e) => e.dist <= 0.5)
    expect(c2).toBe(b0.length)
    expect(seen.sort((x, y) => x - y)).toEqual(b0.map((e) => e.i).sort((x, y) => x - y))
    expect(inner).toBe(c2 * (1 + b.length))
  })
})

describe('kd-tree input checks and cancellation', () => {
  const isInvalid = (f: () => unknown) => {
    try {
      f()
    } catch (e) {
      return e instanceof PopdynError && e.kind === 'invalid-input'
    }
    return false
  }
  it('rejects malformed input with invalid-input errors', () => {
    const p = cloud(10, 2, 1)
    const tree = KdTree.build(p)
    expect(isInvalid(() => tree.knnAll(10))).toBe(true) // k > n − 1
    expect(tree.knnAll(10, { excludeSelf: false }).k).toBe(10)
    expect(isInvalid(() => tree.knnPoint([1, 2, 3], 1))).toBe(true)
    expect(isInvalid(() => tree.knn(cloud(3, 3, 2), 1))).toBe(true)
    expect(isInvalid(() => tree.radiusAll(-1))).toBe(true)
    expect(isInvalid(() => KdTree.build({ data: Float64Array.from([0, NaN]), n: 1, d: 2 }))).toBe(true)
    expect(isInvalid(() => KdTree.build({ data: new Float64Array(5), n: 2, d: 2 }))).toBe(true)
  })

  it('stops with a cancelled error when the signal is aborted', () => {
    const p = cloud(20000, 2, 9)
    const tree = buildKdTree(p)
    const ac = new AbortController()
    const fractions: number[] = []
    let err: unknown
    try {
      tree.knnAll(3, {}, { signal: ac.signal, onProgress: (pr) => { fractions.push(pr.fraction); ac.abort() } })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(PopdynError)
    expect((err as PopdynError).kind).toBe('cancelled')
    expect(fractions.length).toBe(1)
  })
})
