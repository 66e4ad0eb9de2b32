import * as THREE from 'three'
import { describe, expect, it } from 'vitest'
import { buildCloudBuffers, buildTrackBuffers, checkColumns, chooseAxisColumn, featureNames, makeLayout, type PointsLike } from '../../../src-renderer/views/core/buffers'
import { legendModel } from '../../../src-renderer/views/core/legend'
import { formatValue, highlightTrack, nextTimeIndex, pickSegment, pickSegmentScreen, pickVertex, projectAll, toScreen, trackInfo, trackRanges } from '../../../src-renderer/views/core/pick'
import { syntheticSnapshots, syntheticTracks } from '../../../src-renderer/views/core/synthetic'

/** An orthographic camera looking down -z at the square [-1, 1]^2, on a 200 x 100 canvas. */
function orthoView(): number[] {
  const cam = new THREE.OrthographicCamera(-2, 2, 1, -1, 0.1, 10)
  cam.position.set(0, 0, 5)
  cam.lookAt(0, 0, 0)
  cam.updateMatrixWorld()
  return new THREE.Matrix4().multiplyMatrices(cam.projectionMatrix, cam.matrixWorldInverse).elements.slice()
}

describe('screen-space picking', () => {
  const W = 200
  const H = 100
  const m = orthoView()

  it('projects world points to CSS pixels (y down), matching three.js Vector3.project', () => {
    expect(toScreen(m, 0, 0, 0, W, H)).toEqual([100, 50])
    expect(toScreen(m, -2, 1, 0, W, H)).toEqual([0, 0])
    expect(toScreen(m, 2, -1, 0, W, H)).toEqual([200, 100])
    // Perspective: agrees with three's own projection, and points behind the camera are null.
    const cam = new THREE.PerspectiveCamera(40, 2, 0.1, 100)
    cam.position.set(3, -2, 4)
    cam.lookAt(0, 0, 0)
    cam.updateMatrixWorld()
    const pm = new THREE.Matrix4().multiplyMatrices(cam.projectionMatrix, cam.matrixWorldInverse).elements
    const v = new THREE.Vector3(0.3, -0.7, 0.2).project(cam)
    const s = toScreen(pm, 0.3, -0.7, 0.2, W, H)!
    expect(s[0]).toBeCloseTo(((v.x + 1) / 2) * W, 9)
    expect(s[1]).toBeCloseTo(((1 - v.y) / 2) * H, 9)
    expect(toScreen(pm, 6, -4, 8, W, H)).toBeNull()
  })

  // Three horizontal segments at y = -0.5, 0, 0.5 from x = -1 to 1 (vertices 0..5).
  const positions = new Float32Array([-1, -0.5, 0, 1, -0.5, 0, -1, 0, 0, 1, 0, 0, -1, 0.5, 0, 1, 0.5, 0])
  const index = new Uint32Array([0, 1, 2, 3, 4, 5])

  it('finds the segment under the pointer, with the nearer end, and misses beyond maxPx', () => {
    // y = 0 is screen row 50; world y = 0.5 is row 25. x = 0.9 -> column 145 (near vertex 3).
    const hit = pickSegment(positions, index, 0, 3, m, W, H, 145, 52)
    expect(hit).toEqual({ segment: 1, vertex: 3, distance: 2 })
    expect(pickSegment(positions, index, 0, 3, m, W, H, 60, 26)?.segment).toBe(2)
    expect(pickSegment(positions, index, 0, 3, m, W, H, 60, 26)?.vertex).toBe(4)
    // Between two lines (rows 37.5 apart from both by 12.5 px) with maxPx 6: nothing.
    expect(pickSegment(positions, index, 0, 3, m, W, H, 100, 37.5)).toBeNull()
    expect(pickSegment(positions, index, 0, 3, m, W, H, 100, 37.5, 13)?.segment).toBe(1)
    // Past the end of a segment the distance is to its end point.
    expect(pickSegment(positions, index, 0, 3, m, W, H, 154, 50)?.distance).toBeCloseTo(4, 9)
    // Only the draw range counts.
    expect(pickSegment(positions, index, 2, 1, m, W, H, 145, 52)).toBeNull()
  })

  it('brute force agrees: the picked segment is the nearest of all', () => {
    const d = syntheticTracks({ tracks: 30, steps: 12, dim: 3, seed: 4 })
    const b = buildTrackBuffers(d, { colorBy: 'track' })
    const cam = new THREE.PerspectiveCamera(40, 1.5, 0.1, 5000)
    cam.position.set(150, -210, 140)
    cam.lookAt(0, 0, 0)
    cam.updateMatrixWorld()
    const pm = new THREE.Matrix4().multiplyMatrices(cam.projectionMatrix, cam.matrixWorldInverse).elements
    const nSeg = b.segments.segRank.length
    const screen = projectAll(b.positions, pm, 300, 200)
    let hits = 0
    for (let k = 0; k < 40; k++) {
      const px = 50 + ((k * 37) % 200)
      const py = 30 + ((k * 53) % 140)
      const got = pickSegment(b.positions, b.segments.index, 0, nSeg, pm, 300, 200, px, py, 1e9)!
      let best = Infinity
      for (let s = 0; s < nSeg; s++) {
        const one = pickSegment(b.positions, b.segments.index, s, 1, pm, 300, 200, px, py, 1e9)
        if (one) best = Math.min(best, one.distance)
      }
      expect(got.distance).toBeCloseTo(best, 9)
      // The cached-projection path gives the same segment (float32 screen positions: ~1e-4 px).
      const cached = pickSegmentScreen(screen, b.segments.index, 0, nSeg, px, py, 1e9)!
      expect(cached.distance).toBeCloseTo(got.distance, 3)
      if (got.distance < 6) {
        hits++
        expect(pickSegmentScreen(screen, b.segments.index, 0, nSeg, px, py)?.segment).toBe(pickSegment(b.positions, b.segments.index, 0, nSeg, pm, 300, 200, px, py)?.segment)
      }
    }
    expect(hits).toBeGreaterThan(0)
  })

  it('picks the nearest vertex of a draw range of an order array', () => {
    const order = new Uint32Array([5, 4, 3, 2, 1, 0])
    expect(pickVertex(positions, order, 0, 6, m, W, H, 148, 24)).toEqual({ vertex: 5, distance: Math.hypot(2, 1) })
    expect(pickVertex(positions, order, 1, 5, m, W, H, 148, 24)).toBeNull()
    expect(pickVertex(positions, order, 1, 5, m, W, H, 148, 24, 30)?.vertex).toBe(3)
    expect(pickVertex(positions, order, 0, 6, m, W, H, 100, 50)).toBeNull()
  })
})

describe('track tooltip and selection', () => {
  const d: PointsLike = {
    kind: 'tracks',
    dim: 2,
    units: { space: 'µm', time: 'min' },
    pos: [0, 0, 1, 1, 5, 5, 2, 2, 6, 6, 7, 7],
    time: [0, 0.5, 1, 1, 1.5, 2],
    track: [7, 7, 9, 7, 9, 9],
    label: [0, 0, 1, 0, 1, 1],
    labelNames: ['fast', 'slow'],
  }

  it('reports the track id, its label, its time range and the values at the point', () => {
    const r = trackRanges(d)
    expect(r.get(7)).toEqual([0, 1, 3])
    expect(r.get(9)).toEqual([1, 2, 3])
    expect(trackInfo(d, 4, r)).toEqual({ track: 9, trackName: '9', label: 'slow', tStart: 1, tEnd: 2, points: 3, time: 1.5, position: [6, 6] })
    expect(trackInfo({ ...d, label: [] }, 1, r).label).toBeNull()
    // The file's own ids, when the data carry them.
    const ids = Array.from({ length: 10 }, (_, i) => `cell-${i}`)
    expect(trackInfo({ ...d, trackIds: ids }, 4, r).trackName).toBe('cell-9')
    const leg = legendModel({ ...d, trackIds: ids }, 'track')
    expect(leg.kind === 'categorical' && leg.items.map((i) => i.name)).toEqual(['track cell-7', 'track cell-9'])
  })

  it('dims every other track towards white and keeps the selected one', () => {
    const colors = new Float32Array([0.2, 0.4, 0.6, 0.2, 0.4, 0.6, 0, 0, 0, 0.2, 0.4, 0.6, 0, 0, 0, 1, 1, 1])
    const out = highlightTrack(colors, d.track, 9, 0.5)
    expect(Array.from(out.subarray(0, 3))).toEqual([0.6000000238418579, 0.699999988079071, 0.800000011920929])
    expect(Array.from(out.subarray(6, 9))).toEqual([0, 0, 0])
    expect(Array.from(out.subarray(15, 18))).toEqual([1, 1, 1])
    expect(Array.from(colors.subarray(0, 3))).toEqual(Array.from(new Float32Array([0.2, 0.4, 0.6]))) // input untouched
    expect(() => highlightTrack(colors, [1, 2], 9)).toThrow(/expected 6 track ids, got 2/)
  })

  it('play steps through the times and loops', () => {
    expect([0, 1, 2, 3].map((i) => nextTimeIndex(i, 4))).toEqual([1, 2, 3, 0])
    expect(nextTimeIndex(5, 4)).toBe(0)
    expect(nextTimeIndex(0, 0)).toBe(0)
  })

  it('formats tooltip numbers briefly', () => {
    expect(formatValue(3)).toBe('3')
    expect(formatValue(1.234567)).toBe('1.235')
    expect(formatValue(0.00001234)).toBe('1.234e-5')
    expect(formatValue(NaN)).toBe('NaN')
  })
})

describe('feature columns for clouds', () => {
  const s = { ...syntheticSnapshots({ times: 2, perTime: 50, dim: 5 }), featureNames: ['g1', 'g2', 'g3', 'g4', 'g5'] }

  it('names features from the data, else x/y/z or PC1..PCd', () => {
    expect(featureNames(s)).toEqual(['g1', 'g2', 'g3', 'g4', 'g5'])
    expect(featureNames({ dim: 5 })).toEqual(['PC1', 'PC2', 'PC3', 'PC4', 'PC5'])
    expect(featureNames({ dim: 2, featureNames: ['a'] })).toEqual(['x', 'y'])
  })

  it('lays out the chosen columns: axis names, ranges and world positions follow them', () => {
    const L = makeLayout(s, false, [3, 0, -2])
    expect(L.source).toEqual([3, 0, -2])
    expect(L.axes.map((a) => a.name)).toEqual(['g4', 'g1', 'z'])
    expect(L.flat).toBe(true)
    let lo = Infinity
    let hi = -Infinity
    for (let i = 0; i < 100; i++) {
      lo = Math.min(lo, s.pos[i * 5 + 3])
      hi = Math.max(hi, s.pos[i * 5 + 3])
    }
    expect([L.axes[0].dataMin, L.axes[0].dataMax]).toEqual([lo, hi])
    const b = buildCloudBuffers(s, { colorBy: 'time', columns: [3, 0, -2] })
    // Vertex k is point order[k]; its world x is feature 4 centred, z is 0.
    const i = b.order[17]
    expect(b.positions[17 * 3]).toBeCloseTo(s.pos[i * 5 + 3] - (lo + hi) / 2, 4)
    expect(b.positions[17 * 3 + 2]).toBe(0)
    const def = buildCloudBuffers(s, { colorBy: 'time' })
    expect(def.layout.source).toEqual([0, 1, 2])
    expect(Array.from(def.positions)).not.toEqual(Array.from(b.positions))
  })

  it('refuses bad choices and keeps the three axes distinct when the user picks', () => {
    expect(() => checkColumns([0, 0, 1], 5)).toThrow(/distinct feature columns, got 0 twice/)
    expect(() => checkColumns([0, 5, 1], 5)).toThrow(/feature columns in \[0, 5\), got 5/)
    expect(() => checkColumns([-2, 1], 5)).toThrow(/a feature column for x/)
    expect(chooseAxisColumn([0, 1, 2], 0, 3, 5)).toEqual([3, 1, 2])
    expect(chooseAxisColumn([0, 1, 2], 0, 1, 5)).toEqual([1, 0, 2]) // swap with y
    expect(chooseAxisColumn([0, 1, 2], 2, -2, 5)).toEqual([0, 1, -2])
    expect(chooseAxisColumn([0, 1, -2], 2, 0, 5)).toEqual([2, 1, 0]) // x moves to the first free column
    expect(chooseAxisColumn([0, 1, 2], 1, -2, 5)).toEqual([0, 1, 2]) // only z may be none
  })
})
