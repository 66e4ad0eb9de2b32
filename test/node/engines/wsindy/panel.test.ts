import { describe, expect, it } from 'vitest'
import { panelFromTracks, prepareWsindy } from '../../../../src-main/engines/wsindy'

const rows = (ids: number[], times: number[], shuffle = false) => {
  const r = ids.map((id, k) => ({ id, t: times[k]!, x: id + times[k]!, y: id - times[k]! }))
  if (shuffle) r.reverse()
  return { trackId: r.map((q) => q.id), time: r.map((q) => q.t), x: r.map((q) => q.x), y: r.map((q) => q.y) }
}

describe('panelFromTracks', () => {
  it('builds the N × L × 2 panel from rows in any order, sorted by track id', () => {
    const p = panelFromTracks(rows([7, 7, 7, 3, 3, 3], [0.5, 1, 1.5, 0.5, 1, 1.5], true))
    expect(p.n).toBe(2)
    expect(p.L).toBe(3)
    expect(p.t0).toBe(0.5)
    expect(p.dt).toBeCloseTo(0.5, 14)
    expect([...p.ids!]).toEqual([3, 7])
    // Track 3 at time 1: x = 4, y = 2.
    expect(p.positions[(0 * 3 + 1) * 2]).toBe(4)
    expect(p.positions[(0 * 3 + 1) * 2 + 1]).toBe(2)
  })

  it('reports gaps, duplicates, irregular steps and non-finite values', () => {
    expect(() => panelFromTracks(rows([1, 1, 2], [0, 1, 0]))).toThrow(/track 2 missing at time 1/)
    expect(() => panelFromTracks(rows([1, 1, 1], [0, 0, 1]))).toThrow(/duplicate observation of track 1/)
    expect(() => panelFromTracks(rows([1, 1, 1], [0, 1, 3]))).toThrow(/equally spaced/)
    const bad = rows([1, 1], [0, 1])
    bad.x[1] = NaN
    expect(() => panelFromTracks(bad)).toThrow(/finite x, y/)
  })

  it('prepareWsindy rejects too short or too few tracks', () => {
    const p = panelFromTracks(rows([1, 1, 2, 2, 3, 3], [0, 1, 0, 1, 0, 1]))
    expect(() => prepareWsindy(p)).toThrow(/at least 8 time points/)
    expect(() => prepareWsindy({ ...p, n: 2, positions: p.positions.subarray(0, 8) })).toThrow(/at least 3 cells/)
  })
})
