import { describe, expect, it } from 'vitest'
import { adjustedRandIndex, createRng, kmeans, kmeansPlusPlus } from '../../../../src-main/engines/stats'

/** k well-separated blobs (centres 20 apart, sd 1) with known labels. */
function blobs(k: number, perBlob: number, d: number, seed: number) {
  const rng = createRng(seed)
  const n = k * perBlob
  const data = new Float64Array(n * d)
  const truth = new Int32Array(n)
  const centres = new Float64Array(k * d)
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) centres[c * d + j] = 20 * ((c >> j) & 1) + (j === 0 ? 40 * c : 0)
  const order = rng.permutation(n)
  for (let t = 0; t < n; t++) {
    const i = order[t]!
    const c = t % k
    truth[i] = c
    for (let j = 0; j < d; j++) data[i * d + j] = centres[c * d + j]! + rng.normal()
  }
  return { points: { data, n, d }, truth }
}

function inertiaOf(p: { data: Float64Array; n: number; d: number }, labels: Int32Array, centres: Float64Array, w?: Float64Array) {
  let s = 0
  for (let i = 0; i < p.n; i++) for (let j = 0; j < p.d; j++) s += (w ? w[i]! : 1) * (p.data[i * p.d + j]! - centres[labels[i]! * p.d + j]!) ** 2
  return s
}

describe('k-means++', () => {
  for (const d of [2, 5]) {
    it(`recovers well-separated blobs exactly (ARI = 1), d = ${d}`, () => {
      const { points, truth } = blobs(5, 60, d, d)
      const r = kmeans(points, { k: 5, seed: 3 })
      expect(adjustedRandIndex(r.labels, truth)).toBe(1)
      expect(r.converged).toBe(true)
      expect(r.status).toBe('converged')
      expect(r.iterations).toBeLessThan(20)
      expect(r.inertia).toBeCloseTo(inertiaOf(points, r.labels, r.centres), 8)
      expect(r.restartInertias.length).toBe(10)
      expect(r.inertia).toBe(Math.min(...r.restartInertias))
    })
  }

  it('integer weights act like duplicated points', () => {
    const rng = createRng(11)
    const n = 120
    const d = 2
    const data = rng.normals(n * d)
    const w = new Float64Array(n)
    for (let i = 0; i < n; i++) w[i] = 1 + rng.int(3)
    const dupData: number[] = []
    for (let i = 0; i < n; i++) for (let t = 0; t < w[i]!; t++) dupData.push(data[i * d]!, data[i * d + 1]!)
    const a = kmeans({ data, n, d }, { k: 3, weights: w, restarts: 20, seed: 1 })
    const b = kmeans({ data: Float64Array.from(dupData), n: dupData.length / 2, d }, { k: 3, restarts: 20, seed: 1 })
    expect(a.inertia).toBeCloseTo(b.inertia, 8)
    expect(a.inertia).toBeCloseTo(inertiaOf({ data, n, d }, a.labels, a.centres, w), 8)
  })

  it('k = 1 gives the weighted mean; results are reproducible from the seed', () => {
    const data = Float64Array.from([0, 0, 2, 0, 0, 4])
    const w = Float64Array.from([2, 1, 1])
    const r = kmeans({ data, n: 3, d: 2 }, { k: 1, weights: w })
    expect(Array.from(r.centres)).toEqual([0.5, 1])
    const p = { data: createRng(1).normals(400), n: 200, d: 2 }
    expect(kmeans(p, { k: 4, seed: 9 }).labels).toEqual(kmeans(p, { k: 4, seed: 9 }).labels)
  })

  it('k-means++ seeds are distinct data points; zero-weight points are never chosen', () => {
    const { points } = blobs(3, 30, 2, 1)
    const w = new Float64Array(points.n).fill(1)
    for (let i = 0; i < points.n; i += 2) w[i] = 0
    const c = kmeansPlusPlus(points, 3, createRng(5), w)
    for (let t = 0; t < 3; t++) {
      let hit = -1
      for (let i = 0; i < points.n; i++) if (points.data[2 * i] === c[2 * t] && points.data[2 * i + 1] === c[2 * t + 1]) hit = i
      expect(hit).toBeGreaterThanOrEqual(0)
      expect(w[hit]).toBe(1)
    }
  })

  it('reports progress per restart and honours cancellation', () => {
    const { points } = blobs(3, 50, 2, 2)
    const stages = new Set<string>()
    kmeans(points, { k: 3, restarts: 2 }, { onProgress: (p) => stages.add(p.stage) })
    expect([...stages]).toEqual(['kmeans restart 1/2', 'kmeans restart 2/2'])
    const ac = new AbortController()
    ac.abort()
    expect(() => kmeans(points, { k: 3 }, { signal: ac.signal })).toThrow(/Cancelled/)
  })

  it('rejects bad k and weights', () => {
    const p = { data: new Float64Array(6), n: 3, d: 2 }
    expect(() => kmeans(p, { k: 4 })).toThrow(/1 <= k <= n = 3/)
    expect(() => kmeans(p, { k: 2, weights: Float64Array.from([1, -1, 1]) })).toThrow(/>= 0/)
    expect(() => kmeans(p, { k: 2, weights: new Float64Array(3) })).toThrow(/positive sum/)
  })
})
