import { describe, expect, it } from 'vitest'
import { cells } from '../../../../src-main/engines/synth/cells'
import { cellFeatures, defaultLambdas, identifySpecies, layout, panelFromTracks, prepareWsindy, validationError, weakSystem, learnCellModel, type TrackPanel } from '../../../../src-main/engines/wsindy'
import { cut } from './panel-fixtures'

/** A complete panel without cell `j`. */
function drop(p: TrackPanel, j: number): TrackPanel {
  const keep = Array.from({ length: p.n }, (_, i) => i).filter((i) => i !== j)
  const positions = new Float64Array(keep.length * p.L * 2)
  keep.forEach((i, q) => positions.set(p.positions.subarray(i * p.L * 2, (i + 1) * p.L * 2), q * p.L * 2))
  return { n: keep.length, L: p.L, t0: p.t0, dt: p.dt, positions }
}

const maxAbs = (a: Float64Array, b: Float64Array) => a.reduce((m, x, q) => Math.max(m, Math.abs(x - b[q]!)), 0)
const maxRel = (a: Float64Array, b: Float64Array) => maxAbs(a, b) / b.reduce((m, x) => Math.max(m, Math.abs(x)), 0)

describe('variable-length tracks', () => {
  // 12 cells of species A in a dense box (everyone interacts), L = 60, fixed (m, p) so that panels of
  // different shapes share the test function.
  const sim = cells({ n: 12, steps: 60, species: { A: 1 }, box: 0.3, seed: 4 })
  const opts = { m: 8, p: 6, rFar: 0.15 }
  const L = 60

  it('panelFromTracks: spans per track, gaps refused or filled by PCHIP (exact on straight lines)', () => {
    // Track 5 on frames 2..7, track 9 on frames 0..9 with frames 4 and 5 missing, all moving on straight lines.
    const rows = { trackId: [] as number[], time: [] as number[], x: [] as number[], y: [] as number[] }
    const add = (id: number, k: number) => {
      rows.trackId.push(id)
      rows.time.push(10 + 0.5 * k)
      rows.x.push(id + 0.3 * k)
      rows.y.push(-2 * k)
    }
    for (let k = 2; k < 8; k++) add(5, k)
    for (let k = 0; k < 10; k++) if (k !== 4 && k !== 5) add(9, k)
    expect(() => panelFromTracks(rows)).toThrow(/track 5 missing at time 10/)
    expect(() => panelFromTracks(rows, { partial: true })).toThrow(/no gaps inside a track, got track 9 missing at time 12/)
    const p = panelFromTracks(rows, { partial: true, fillGaps: true })
    expect([p.n, p.L, p.t0, p.dt, p.filled]).toEqual([2, 10, 10, 0.5, 2])
    expect([...p.start]).toEqual([2, 0])
    expect([...p.end]).toEqual([8, 10])
    expect(p.positions[(0 * 10 + 1) * 2]).toBeNaN()
    // PCHIP through collinear, equally spaced points reproduces the line.
    expect(p.positions[(1 * 10 + 4) * 2]).toBeCloseTo(9 + 1.2, 12)
    expect(p.positions[(1 * 10 + 5) * 2 + 1]).toBeCloseTo(-10, 12)
    // Times off the grid are still refused.
    expect(() => panelFromTracks({ trackId: [1, 1, 2], time: [0, 1, 0.3], x: [0, 0, 0], y: [0, 0, 0] }, { partial: true })).toThrow(/equally spaced/)
  })

  it('a neighbour is absent outside its span: features equal those of the panel without it, up to the 1/N', () => {
    const full = sim.panel
    const half = cut(full, { 7: [0, 30] }) // cell 7 leaves after frame 29
    const without = drop(full, 7)
    const dHalf = prepareWsindy(half, opts), dFull = prepareWsindy(full, opts), dWithout = prepareWsindy(without, opts)
    const dHalfP = prepareWsindy(half, { ...opts, meanField: 'present' })
    expect(dHalf.present[10]).toBe(12)
    expect(dHalf.present[40]).toBe(11)
    const J = layout(dHalf.lib).size
    const i = 2 // cell 2 in every panel (index unchanged: 2 < 7)
    const fh = cellFeatures(dHalf, i), fp = cellFeatures(dHalfP, i), ff = cellFeatures(dFull, i), fw = cellFeatures(dWithout, i)
    const tail = (f: Float64Array) => f.subarray(30 * J * 2)
    const ar = (f: Float64Array) => Float64Array.from({ length: 20 }, (_, k) => f[(30 + k) * J * 2]!) // ar column 0, x
    // Frames ≥ 30: as if cell 7 never existed, with 1/N_k = 1/11 ('present'); with 1/N = 1/12 ('all', the
    // default) the pair sums are the same, scaled by 11/12 (drag columns are means over neighbours: equal).
    expect(maxRel(tail(fp), tail(fw))).toBeLessThan(1e-12)
    expect(maxRel(ar(fh), ar(fw).map((x) => (x * 11) / 12))).toBeLessThan(1e-12)
    // Frames < 28: as in the complete panel (at 28, 29 cell 7's velocity comes from the one-sided end
    // stencil of its own track).
    expect(maxRel(fh.subarray(0, 28 * J * 2), ff.subarray(0, 28 * J * 2))).toBeLessThan(1e-12)
    expect(maxRel(fp.subarray(0, 28 * J * 2), ff.subarray(0, 28 * J * 2))).toBeLessThan(1e-12)
    // …and the difference is real (cell 7 is close enough to matter).
    expect(maxRel(fw.subarray(0, 30 * J * 2), ff.subarray(0, 30 * J * 2))).toBeGreaterThan(1e-3)
    expect(() => prepareWsindy(half, { ...opts, meanField: 'some' as never })).toThrow(/meanField: expected 'all' or 'present', got some/)
  })

  it('a focal cell with a shorter track uses its own time window (learning and validation)', () => {
    const full = sim.panel
    const late = cut(full, { 3: [20, 60] }) // cell 3 observed on frames 20..59 only
    const d = prepareWsindy(late, opts), dFull = prepareWsindy(full, opts)
    const sys = weakSystem(d, 3)
    expect(sys.rows).toBe(2 * (40 - 2 * opts.m))
    // Its features on interior frames (where the velocity stencils agree) equal the complete panel's.
    const J = layout(d.lib).size
    const f = cellFeatures(d, 3), fFull = cellFeatures(dFull, 3)
    expect(f.length).toBe(40 * J * 2)
    expect(maxRel(f.subarray(3 * J * 2, 37 * J * 2), fFull.subarray(23 * J * 2, 57 * J * 2))).toBeLessThan(1e-12)
    const model = learnCellModel(d, 3, { lambdas: defaultLambdas(10) })
    expect(model.residual).toBeLessThan(1)
    // Validation starts at the track's first frame and spans ⌊L_i/4⌋ = 10 frames.
    const v = validationError(d, model.w, 3)
    expect(v.velocities.length).toBe(2 * 10)
    expect(v.velocities[0]).toBe(d.velocities[(3 * L + 20) * 2])
    expect(v.error).toBeLessThan(1)
    // A neighbour that appears only after the focal window does not influence the simulation at all.
    const after = cut(full, { 7: [40, 60] })
    const dAfter = prepareWsindy(after, { ...opts, meanField: 'present' }), dWithout = prepareWsindy(drop(full, 7), opts)
    const w = learnCellModel(dFull, 2, { lambdas: defaultLambdas(10) }).w
    expect(validationError(dAfter, w, 2).error).toBeCloseTo(validationError(dWithout, w, 2).error, 12)
    expect(Math.abs(validationError(dFull, w, 2).error - validationError(dWithout, w, 2).error)).toBeGreaterThan(1e-6)
  })

  it('tracks shorter than the test-function support are reported as too short and left unassigned', () => {
    const p = cut(sim.panel, { 0: [10, 20], 11: [50, 60], 6: [5, 50] })
    const d = prepareWsindy(p, opts)
    expect([...d.tooShort]).toEqual([0, 11]) // 10 frames < 2m + 1 = 17; cell 6 (45 frames) is fine
    expect(() => learnCellModel(d, 0)).toThrow(/at least 2m \+ 1 = 17 time points .* got 10 \(too short\)/)
    const res = identifySpecies(d, { replacement: { K: 3 }, model: { lambdas: defaultLambdas(10) }, seed: 1 })
    expect(res.tooShort).toEqual([0, 11])
    expect(res.labels[0]).toBe(-1)
    expect(res.labels[11]).toBe(-1)
    for (const s of res.species) expect(s.cells).not.toContain(0)
    // Every other cell was modelled (one homogeneous population: all in species, or unclassified by ΔV).
    expect(res.models[6]!.nnz).toBeGreaterThan(0)
    // All tracks too short: a clear refusal.
    const tiny = cut(sim.panel, Object.fromEntries(Array.from({ length: 12 }, (_, i) => [i, [i, i + 12]])))
    expect(() => prepareWsindy(tiny, { ...opts, m: 6 })).toThrow(/at least one track of at least 2m \+ 1 = 13 time points .* longest with 12/)
  })

  it('end to end from rows of mixed lengths: B and C still separated, the too-short track unassigned', () => {
    // X_{B,C}, N = 30 at the paper's density, L = 150; tracks 0–2 start at frame 15, 27–29 end at frame 135,
    // track 12 has 10 frames only. Rows in input order, as an importer gives them. (The cells are still there
    // when not observed: unexplained forces on their neighbours, as in a real field of view. Cutting 40% of
    // the tracks by a third, as a harsher variant, leaves only C separable.)
    const n = 30, Lx = 150
    const sim2 = cells({ n, steps: Lx, species: { B: 1, C: 1 }, box: 2 * Math.sqrt(n / 1000), seed: 3 })
    const span = (i: number): [number, number] => (i < 3 ? [15, Lx] : i >= 27 ? [0, 135] : i === 12 ? [70, 80] : [0, Lx])
    const rows = { trackId: [] as number[], time: [] as number[], x: [] as number[], y: [] as number[] }
    for (let r = 0; r < sim2.tracks.trackId.length; r++) {
      const i = sim2.tracks.trackId[r]!, k = Math.round(sim2.tracks.time[r]! / 0.13)
      const [a, b] = span(i)
      if (k < a || k >= b) continue
      rows.trackId.push(i)
      rows.time.push(sim2.tracks.time[r]!)
      rows.x.push(sim2.tracks.x[r]!)
      rows.y.push(sim2.tracks.y[r]!)
    }
    const panel = panelFromTracks(rows, { partial: true })
    expect([panel.start[0], panel.end[0], panel.start[29], panel.end[29], panel.end[12]! - panel.start[12]!]).toEqual([15, 150, 0, 135, 10])
    const res = identifySpecies(panel, { prepare: { rFar: Math.sqrt(n / 1000) }, replacement: { K: 4 }, model: { lambdas: defaultLambdas(25) }, seed: 1 })
    expect(res.tooShort).toEqual([12])
    expect(res.labels[12]).toBe(-1)
    let correct = 0
    const majority: string[] = []
    for (const s of res.species) {
      const cnt: Record<string, number> = {}
      for (const i of s.cells) cnt[sim2.truth.species[i]!] = (cnt[sim2.truth.species[i]!] ?? 0) + 1
      const [best, c] = Object.entries(cnt).sort((a, b) => b[1] - a[1])[0]!
      majority.push(best)
      correct += c
    }
    // Measured: C 12/15 alone, B 14/14 with 3 C cells (26/29); complete tracks: 28/30, no C in B.
    expect(new Set(majority)).toEqual(new Set(['B', 'C']))
    expect(correct / 29).toBeGreaterThanOrEqual(0.85)
  })
})
