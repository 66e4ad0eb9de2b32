import { describe, expect, it } from 'vitest'
import { layoutBounds, makeLayout, type Bounds } from '../../../src-renderer/views/core/buffers'
import { fitCamera, sphereInView } from '../../../src-renderer/views/core/camera'
import { legendModel } from '../../../src-renderer/views/core/legend'
import { axisTitle, formatTick, niceTicks } from '../../../src-renderer/views/core/ticks'
import { syntheticSnapshots, syntheticTracks } from '../../../src-renderer/views/core/synthetic'

describe('fitCamera', () => {
  const boxes: Bounds[] = [
    { min: [-1, -1, -1], max: [1, 1, 1] },
    { min: [0, 0, 0], max: [1000, 10, 0] },
    { min: [-5, 100, 3], max: [5, 300, 4] },
  ]
  for (const b of boxes)
    for (const aspect of [0.4, 1, 2.5])
      for (const flat of [false, true])
        it(`keeps ${JSON.stringify(b)} in view at aspect ${aspect}${flat ? ' (flat)' : ''}`, () => {
          const f = fitCamera(b, 40, aspect, flat)
          expect(sphereInView(f, b, 40, aspect)).toBe(true)
          expect(f.target).toEqual([0, 1, 2].map((a) => (b.min[a] + b.max[a]) / 2))
        })

  it('looks straight down z for flat data, and is not needlessly far', () => {
    const b: Bounds = { min: [-1, -1, 0], max: [1, 1, 0] }
    const f = fitCamera(b, 40, 1, true)
    expect(f.position[0]).toBe(0)
    expect(f.position[1]).toBe(0)
    expect(f.up).toEqual([0, 1, 0])
    // tight sphere (radius sqrt 2) at 20° half-angle, 15 % margin
    expect(f.distance).toBeCloseTo((1.15 * Math.SQRT2) / Math.sin((20 * Math.PI) / 180), 9)
  })

  it('a degenerate (single point) box still gives a usable camera', () => {
    const f = fitCamera({ min: [3, 3, 3], max: [3, 3, 3] }, 40, 1)
    expect(Number.isFinite(f.distance) && f.distance > 0).toBe(true)
    expect(f.near).toBeGreaterThan(0)
    expect(f.far).toBeGreaterThan(f.near)
  })

  it('fits the layout box of real data', () => {
    const L = makeLayout(syntheticTracks({ tracks: 20, steps: 10, dim: 2 }), true)
    const b = layoutBounds(L)
    expect(sphereInView(fitCamera(b, 40, 1.6), b, 40, 1.6)).toBe(true)
  })
})

describe('ticks', () => {
  it('nice steps covering the range', () => {
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100])
    expect(niceTicks(-0.3, 0.3, 5)).toEqual([-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3])
    expect(niceTicks(1003, 1011, 5)).toEqual([1004, 1006, 1008, 1010])
    expect(niceTicks(5, 5)).toEqual([5])
    expect(niceTicks(Number.NaN, 1)).toEqual([])
    for (const [lo, hi] of [[0.001, 0.0093], [-1234, 98765], [7, 7.5]]) {
      const t = niceTicks(lo, hi)
      expect(t.length).toBeGreaterThanOrEqual(2)
      expect(t.length).toBeLessThanOrEqual(11)
      for (const v of t) expect(v >= lo - 1e-12 && v <= hi + 1e-12).toBe(true)
    }
  })

  it('formats without float noise and titles with units', () => {
    expect(formatTick(0.1 + 0.2)).toBe('0.3')
    expect(formatTick(0)).toBe('0')
    expect(formatTick(250000)).toBe('2.5e+5')
    expect(axisTitle('x', 'µm')).toBe('x (µm)')
    expect(axisTitle('time', '')).toBe('time')
  })
})

describe('legend model', () => {
  it('lists species by name with palette colours', () => {
    const L = legendModel(syntheticTracks({ tracks: 6, steps: 2, species: 3 }), 'label')
    expect(L).toMatchObject({ kind: 'categorical', title: 'species / label', more: 0 })
    if (L.kind !== 'categorical') throw new Error('kind')
    expect(L.items.map((i) => i.name)).toEqual(['species A', 'species B', 'species C'])
    expect(L.items[0].color).toBe('rgb(0, 114, 178)')
  })

  it('caps long track lists with "+N more"', () => {
    const L = legendModel(syntheticTracks({ tracks: 30, steps: 2 }), 'track', 12)
    if (L.kind !== 'categorical') throw new Error('kind')
    expect(L.items).toHaveLength(12)
    expect(L.more).toBe(18)
  })

  it('time is a continuous bar with the range in units', () => {
    const L = legendModel(syntheticSnapshots({ times: 5, perTime: 3 }), 'time')
    expect(L).toMatchObject({ kind: 'continuous', min: '0 day', max: '4 day' })
  })
})
