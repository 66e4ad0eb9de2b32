import { describe, expect, it } from 'vitest'
import {
  buildCloudBuffers,
  buildTrackBuffers,
  cloudRangeForTimes,
  colorChoices,
  countingOrder,
  hasSeveralTimes,
  makeLayout,
  rankRange,
  tailWindow,
  timeIndex,
  toData,
  toWorld,
  trackSegments,
  vertexColors,
  worldPositions,
  type PointsLike,
} from '../../../src-renderer/views/core/buffers'
import { categorical, srgbToLinear } from '../../../src-renderer/views/core/colormaps'
import { syntheticSnapshots, syntheticTracks } from '../../../src-renderer/views/core/synthetic'

/** Fisher–Yates with a fixed LCG, so shuffled inputs are reproducible. */
function shuffledRows(d: PointsLike, seed = 7): PointsLike {
  const n = d.time.length
  const perm = Array.from({ length: n }, (_, i) => i)
  let s = seed
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648
    const j = s % (i + 1)
    ;[perm[i], perm[j]] = [perm[j], perm[i]]
  }
  const pick = (a: ArrayLike<number>, w: number) => perm.flatMap((p) => Array.from({ length: w }, (_, k) => a[p * w + k]))
  return { ...d, pos: pick(d.pos, d.dim), time: pick(d.time, 1), track: pick(d.track, 1), label: pick(d.label, 1) }
}

/** Segments as a set of "trackId:tFrom->tTo" strings, independent of vertex order. */
function segmentSet(d: PointsLike, index: Uint32Array): string[] {
  const out: string[] = []
  for (let s = 0; s < index.length; s += 2) out.push(`${d.track[index[s]]}:${d.time[index[s]]}->${d.time[index[s + 1]]}`)
  return out.sort()
}

describe('layout and world positions', () => {
  const d = syntheticTracks({ tracks: 4, steps: 5, dim: 2 })

  it('2-D data lie flat, centred, with units on the axes', () => {
    const L = makeLayout(d)
    expect(L.flat).toBe(true)
    expect(L.axes.map((a) => a.name)).toEqual(['x', 'y', 'z'])
    expect(L.axes[0].unit).toBe('µm')
    expect(L.axes[0].worldMin).toBeCloseTo(-L.axes[0].worldMax, 9)
    const p = worldPositions(d, L)
    expect(p.length).toBe(d.time.length * 3)
    for (let i = 0; i < d.time.length; i++) {
      expect(toData(L.axes[0], p[3 * i])).toBeCloseTo(d.pos[2 * i], 3)
      expect(toData(L.axes[1], p[3 * i + 1])).toBeCloseTo(d.pos[2 * i + 1], 3)
      expect(p[3 * i + 2]).toBe(0)
    }
  })

  it('time as the third axis spans the largest spatial extent and maps back to time', () => {
    const L = makeLayout(d, true)
    expect(L.flat).toBe(false)
    expect(L.axes[2]).toMatchObject({ name: 'time', unit: 'min', dataMin: 0, dataMax: 2 })
    const spatial = Math.max(L.axes[0].worldMax - L.axes[0].worldMin, L.axes[1].worldMax - L.axes[1].worldMin)
    expect(L.axes[2].worldMax - L.axes[2].worldMin).toBeCloseTo(spatial, 9)
    expect(toData(L.axes[2], toWorld(L.axes[2], 1.5))).toBeCloseTo(1.5, 12)
  })

  it('keeps precision far from the origin (world is centred on the data)', () => {
    const far: PointsLike = { ...d, pos: Array.from(d.pos, (v) => v + 1e6) }
    const p = worldPositions(far, makeLayout(far))
    const q = worldPositions(d, makeLayout(d))
    for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(1e-3)
  })

  it('names PCs for more than 3 dimensions and rejects a bad shape', () => {
    const s = syntheticSnapshots({ times: 2, perTime: 10, dim: 5 })
    expect(makeLayout(s).axes.map((a) => a.name)).toEqual(['PC1', 'PC2', 'PC3'])
    expect(() => makeLayout({ ...s, pos: [1, 2, 3] })).toThrow(/expected pos.length to be a multiple of dim=5/)
  })
})

describe('time index and counting order', () => {
  it('ranks distinct sorted times', () => {
    const ti = timeIndex([3, 1, 2, 1, 3])
    expect([...ti.times]).toEqual([1, 2, 3])
    expect([...ti.rank]).toEqual([2, 0, 1, 0, 2])
  })

  it('counting order is stable with correct offsets', () => {
    const { order, offsets } = countingOrder([2, 0, 1, 0, 2], 3)
    expect([...order]).toEqual([1, 3, 2, 0, 4])
    expect([...offsets]).toEqual([0, 2, 3, 5])
  })

  it('hasSeveralTimes', () => {
    expect(hasSeveralTimes([1, 1, 1])).toBe(false)
    expect(hasSeveralTimes([1, 1, 2])).toBe(true)
  })
})

describe('track segments', () => {
  const d = syntheticTracks({ tracks: 7, steps: 6, dim: 3 })

  it('one segment per consecutive pair of points in each track, sorted by end time', () => {
    const b = buildTrackBuffers(d, { colorBy: 'track' })
    expect(b.segments.tracks).toBe(7)
    expect(b.segments.index.length).toBe(2 * 7 * 5)
    for (let s = 0; s < b.segments.segRank.length; s++) {
      const a = b.segments.index[2 * s]
      const c = b.segments.index[2 * s + 1]
      expect(d.track[a]).toBe(d.track[c])
      expect(b.time.rank[c]).toBe(b.time.rank[a] + 1)
      expect(b.segments.segRank[s]).toBe(b.time.rank[c])
      if (s > 0) expect(b.segments.segRank[s]).toBeGreaterThanOrEqual(b.segments.segRank[s - 1])
    }
  })

  it('gives the same segments whatever the row order', () => {
    const sh = shuffledRows(d)
    const a = buildTrackBuffers(d, { colorBy: 'track' })
    const b = buildTrackBuffers(sh, { colorBy: 'track' })
    expect(segmentSet(sh, b.segments.index)).toEqual(segmentSet(d, a.segments.index))
  })

  it('skips points without a track and handles sparse huge ids', () => {
    const ti = timeIndex([0, 1, 2, 0, 1])
    const seg = trackSegments([5, 5, -1, 1e9, 1e9], ti.rank, ti.times.length)
    expect(seg.tracks).toBe(2)
    expect([...seg.index]).toEqual([0, 1, 3, 4])
    expect(trackSegments([], new Uint32Array(0), 0).index.length).toBe(0)
  })

  it('time window with a tail: k steps show k segments per track', () => {
    const b = buildTrackBuffers(d, { colorBy: 'time' })
    const win = (cur: number, tail: number) => {
      const { lo, hi } = tailWindow(cur, tail)
      return rankRange(b.segments.segRank, lo, hi).count
    }
    expect(win(5, Infinity)).toBe(35)
    expect(win(5, 2)).toBe(14)
    expect(win(3, Infinity)).toBe(21)
    expect(win(0, Infinity)).toBe(0)
    expect(win(1, 1)).toBe(7)
  })
})

describe('colours', () => {
  const d = syntheticTracks({ tracks: 5, steps: 3, species: 3 })
  const ti = timeIndex(d.time)

  it('label colours are the palette (linear), per point', () => {
    const c = vertexColors(d, 'label', ti)
    for (let i = 0; i < d.time.length; i++) {
      const want = srgbToLinear(categorical(d.label[i]))
      expect([c[3 * i], c[3 * i + 1], c[3 * i + 2]].map((v) => Math.fround(v))).toEqual(want.map((v) => Math.fround(v)))
    }
  })

  it('time colours: same time same colour, first and last differ', () => {
    const c = vertexColors(d, 'time', ti)
    const rgb = (i: number) => [c[3 * i], c[3 * i + 1], c[3 * i + 2]].join()
    expect(rgb(0)).toBe(rgb(1)) // both at t = 0
    expect(rgb(0)).not.toBe(rgb(d.time.length - 1))
  })

  it('offers only the colourings the data support', () => {
    expect(colorChoices(d)).toEqual(['label', 'track', 'time'])
    expect(colorChoices(syntheticSnapshots({ times: 2, perTime: 4 }))).toEqual(['label', 'time'])
    expect(colorChoices({ ...syntheticSnapshots({ times: 2, perTime: 4 }), label: [] })).toEqual(['time'])
  })
})

describe('clouds', () => {
  const d = shuffledRows(syntheticSnapshots({ times: 4, perTime: 25, dim: 3 }))

  it('sorts vertices by time so each time is one contiguous range', () => {
    const b = buildCloudBuffers(d, { colorBy: 'label' })
    expect(b.positions.length).toBe(300)
    for (let k = 1; k < 100; k++) expect(d.time[b.order[k]]).toBeGreaterThanOrEqual(d.time[b.order[k - 1]])
    expect(cloudRangeForTimes(b, 2, 2)).toEqual({ start: 50, count: 25 })
    expect(cloudRangeForTimes(b, -Infinity, Infinity)).toEqual({ start: 0, count: 100 })
    expect(cloudRangeForTimes(b, 1, 2)).toEqual({ start: 25, count: 50 })
    expect(cloudRangeForTimes(b, 2.5, 2.7).count).toBe(0)
    // vertex k really is point order[k]
    const p = worldPositions(d, b.layout)
    const k = 37
    expect(b.positions[3 * k]).toBe(p[3 * b.order[k]])
  })

  it('an overlay placed in the observed layout shares its frame', () => {
    const obs = buildCloudBuffers(d, { colorBy: 'time' })
    const pred = buildCloudBuffers(d, { colorBy: 'time', layout: obs.layout })
    expect(pred.layout).toBe(obs.layout)
    expect([...pred.positions]).toEqual([...obs.positions])
  })
})
