import { describe, expect, it } from 'vitest'
import { cells } from '../../../../src-main/engines/synth/cells'
import { learnCellModel, prepareWsindy, relativeForceError, TRUE_FORCES, validationError, codeString, layout } from '../../../../src-main/engines/wsindy'

// Small-size setting (runs in a few seconds): N = 60 species-A cells in a box of side 0.5 (the paper's
// density, N = 1000 in side 2, would need N = 60 in side 0.49), L = 200 at Δt = 0.13, Euler Δt* = Δt/312,
// 4th-order centred velocities (the default). r_ff scales with the box (paper: r_ff = 1 = half the box side),
// so r_ff = 0.25 here.
// Bounds: the paper reports Δf < 4% per force at N = 1000. A focal cell here sees 59 neighbours instead of
// 999, so the 88 library columns are far more collinear and some single-cell fits are poor (measured for
// cells 0..7 with seed 1: 2 of 8 below 1.1% on every force, 2 with an empty model). We assert (1) the paper's
// accuracy (< 3%) and the exact mode code for one cell, cell 0 (measured 0.8% / 0.2% / 1.1%, code 10101010),
// and (2) what the pipeline relies on for the rest: at least 2 of 8 cells are that accurate, and the model
// it trusts most (lowest p-score = ½ΔV + ½ residual) has accurate alignment and a small validation error.
describe('single-cell WSINDy model, homogeneous species A (small size)', () => {
  const sim = cells({ n: 60, steps: 200, species: { A: 1 }, box: 0.5, seed: 1 })
  const data = prepareWsindy(sim.panel, { rFar: 0.25 })
  const err = (w: Float64Array, k: 'ar' | 'align' | 'drag') =>
    relativeForceError(data.lib, w, k, k === 'drag' ? (s: number) => TRUE_FORCES.drag(s) : TRUE_FORCES[k], { sMax: data.sMax })

  it('chooses (m, p) by the change-point rule and r_nf from the data', () => {
    expect(data.m).toBeGreaterThanOrEqual(15)
    expect(data.m).toBeLessThanOrEqual(45)
    expect(data.p).toBeGreaterThanOrEqual(7)
    expect(data.p).toBeLessThanOrEqual(12)
    expect(data.rNear).toBeGreaterThan(0.005)
    expect(data.rNear).toBeLessThan(0.06)
  })

  const models = Array.from({ length: 8 }, (_, i) => learnCellModel(data, i))

  it('cell 0: forces within 3% over r ∈ [0, 2], θ ∈ {0, π/4, …, π} and the right 8-bit mode code', () => {
    const m = models[0]!
    expect(codeString(m.code)).toBe('10101010') // ar cos 0 + cos 2θ, align 1 + cos θ, drag mode 0
    expect(err(m.w, 'ar')).toBeLessThan(0.03)
    expect(err(m.w, 'align')).toBeLessThan(0.03)
    expect(err(m.w, 'drag')).toBeLessThan(0.03)
    const lay = layout(data.lib)
    expect(m.w[lay.align + 8 + 5]).toBeCloseTo(-8, 1) // (1 + cos θ) e^{−8r}
    expect(validationError(data, m.w, 0).error).toBeLessThan(0.05)
  })

  it('across 8 cells: ≥ 2 reach that accuracy, and the most trusted model aligns correctly and validates well', () => {
    const accurate = models.filter((m) => err(m.w, 'ar') < 0.03 && err(m.w, 'align') < 0.03 && err(m.w, 'drag') < 0.03)
    expect(accurate.length).toBeGreaterThanOrEqual(2)
    const scored = models.map((m, i) => ({ m, p: 0.5 * validationError(data, m.w, i).error + 0.5 * m.residual }))
    scored.sort((a, b) => a.p - b.p)
    const best = scored[0]!
    expect(best.p).toBeLessThan(0.05)
    expect(err(best.m.w, 'align')).toBeLessThan(0.05)
    expect(codeString(best.m.code).slice(3, 6)).toBe('010')
  })
})
