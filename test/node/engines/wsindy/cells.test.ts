import { describe, expect, it } from 'vitest'
import { cells } from '../../../../src-main/engines/synth/cells'
import { panelFromTracks } from '../../../../src-main/engines/wsindy'

const maxAbsDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0)

describe('synth/cells generator', () => {
  it('has the requested shapes, species shares and time grid, and is deterministic per seed', () => {
    const spec = { n: 13, steps: 12, substeps: 8, species: { A: 1, B: 1, C: 1 }, seed: 5 }
    const d = cells(spec)
    expect(d.tracks.trackId.length).toBe(13 * 12)
    expect(d.panel.positions.length).toBe(13 * 12 * 2)
    const count = (s: string) => d.truth.species.filter((x) => x === s).length
    expect([count('A'), count('B'), count('C')]).toEqual([5, 4, 4])
    expect(d.tracks.time[11]).toBeCloseTo(11 * 0.13, 12)
    // Initial positions in the box of side 2 centred at 0.
    for (let i = 0; i < 13; i++) {
      expect(Math.abs(d.panel.positions[i * 12 * 2]!)).toBeLessThanOrEqual(1)
      expect(Math.abs(d.panel.positions[i * 12 * 2 + 1]!)).toBeLessThanOrEqual(1)
    }
    const again = cells(spec)
    expect(maxAbsDiff(again.panel.positions, d.panel.positions)).toBe(0)
    expect(maxAbsDiff(cells({ ...spec, seed: 6 }).panel.positions, d.panel.positions)).toBeGreaterThan(1e-3)
    // Rows and panel agree, and panelFromTracks reproduces the panel.
    const p = panelFromTracks(d.tracks)
    expect(p.n).toBe(13)
    expect(p.L).toBe(12)
    expect(p.dt).toBeCloseTo(0.13, 12)
    expect(maxAbsDiff(p.positions, d.panel.positions)).toBe(0)
  })

  it('isolated drag-only cells follow the closed form v(t) = v0 / (1 + 5|v0| t)', () => {
    // Two B cells about 50 apart: the attraction–repulsion (≤ e^{−500}) is outside the cut-off, only drag acts.
    const d = cells({ n: 2, steps: 40, species: { B: 1 }, box: 100, velocitySd: 0.1, seed: 3 })
    const L = 40, V = d.truth.velocities
    for (let i = 0; i < 2; i++) {
      const v0 = Math.hypot(V[i * L * 2]!, V[i * L * 2 + 1]!)
      for (const k of [10, 39]) {
        const t = k * 0.13
        const v = Math.hypot(V[(i * L + k) * 2]!, V[(i * L + k) * 2 + 1]!)
        expect(Math.abs(v - v0 / (1 + 5 * v0 * t)) / v).toBeLessThan(2e-4)
        // Direction is unchanged.
        const cross = V[i * L * 2]! * V[(i * L + k) * 2 + 1]! - V[i * L * 2 + 1]! * V[(i * L + k) * 2]!
        expect(Math.abs(cross) / (v0 * v)).toBeLessThan(1e-12)
      }
    }
  })

  it('the Verlet-list cut-off equals the all-pairs sum when every pair is inside it, and the default cut-off 2 changes trajectories by < 1e-8 otherwise', () => {
    const base = { n: 20, steps: 10, substeps: 16, species: { A: 2, B: 1, C: 1 }, seed: 9 }
    const dense = cells({ ...base, box: 0.5 })
    const denseAll = cells({ ...base, box: 0.5, cutoff: Infinity })
    expect(maxAbsDiff(dense.panel.positions, denseAll.panel.positions)).toBeLessThan(1e-12)
    const sparse = cells({ ...base, box: 6 })
    const sparseAll = cells({ ...base, box: 6, cutoff: Infinity })
    const diff = maxAbsDiff(sparse.panel.positions, sparseAll.panel.positions)
    expect(diff).toBeLessThan(1e-8)
    // …but the cut-off is really used: a tiny cut-off changes the trajectories.
    expect(maxAbsDiff(cells({ ...base, box: 6, cutoff: 0.3 }).panel.positions, sparseAll.panel.positions)).toBeGreaterThan(diff)
  })

  it('adds position noise of the requested size and rejects bad specs', () => {
    const clean = cells({ n: 5, steps: 6, substeps: 4, seed: 1 })
    const noisy = cells({ n: 5, steps: 6, substeps: 4, seed: 1, positionNoise: 0.01 })
    const diffs = clean.panel.positions.map((x, i) => noisy.panel.positions[i]! - x)
    const sd = Math.sqrt(diffs.reduce((s, x) => s + x * x, 0) / diffs.length)
    expect(sd).toBeGreaterThan(0.005)
    expect(sd).toBeLessThan(0.02)
    expect(() => cells({ n: 1 })).toThrow(/n: expected an integer ≥ 2/)
    expect(() => cells({ species: { D: 1 } as never })).toThrow(/expected keys A, B, C/)
    expect(() => cells({ species: { A: 0 } })).toThrow(/at least one positive share/)
  })
})
