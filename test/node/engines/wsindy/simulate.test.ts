import { describe, expect, it } from 'vitest'
import { cells } from '../../../../src-main/engines/synth/cells'
import { defaultLambdas, layout, learnCellModel, prepareWsindy } from '../../../../src-main/engines/wsindy'
import { validationError, validationErrorDirect, type ValidationOptions } from '../../../../src-main/engines/wsindy/simulate'
import { cut } from './panel-fixtures'

describe('validation simulations: the fast paths against the straightforward loop', () => {
  // X_{A,C}, N = 24 in a box of side 0.3 (everyone interacts), L = 80; fixed (m, p) keeps the models fast.
  // Cells 0, 4 (A: all three forces, 4 with the cos θ drag mode) and 13 (C: alignment and drag).
  const sim = cells({ n: 24, steps: 80, species: { A: 1, C: 1 }, box: 0.3, seed: 5 })
  const prep = { m: 8, p: 6, rFar: 0.15 }
  const data = prepareWsindy(sim.panel, prep)
  const J = layout(data.lib).size
  const learned = [0, 4, 13].map((i) => learnCellModel(data, i, { lambdas: defaultLambdas(15) }).w)
  // Every library column non-zero (all six radial profiles, cos θ and cos 2θ, both drag modes), and drag alone.
  const dense = Float64Array.from({ length: J }, (_, j) => 0.05 * Math.sin(1.7 * j + 0.3) * (j < layout(data.lib).drag ? 1 : 0.2))
  const dragOnly = Float64Array.from({ length: J }, (_, j) => (j === layout(data.lib).drag + 1 ? -5 : 0))
  const models = [...learned, dense, dragOnly]

  // The generated kernel (the default), the closure it is generated from, and makeForce on every neighbour.
  const same = (d: typeof data, w: Float64Array, i: number, o: ValidationOptions = {}) => {
    const fast = validationError(d, w, i, o), closure = validationError(d, w, i, { ...o, kernel: 'closure' }), direct = validationErrorDirect(d, w, i, o)
    for (const other of [closure, direct]) {
      expect(fast.error).toBe(other.error)
      expect(fast.stoppedEarly).toBe(other.stoppedEarly)
      expect(Array.from(fast.velocities)).toEqual(Array.from(other.velocities))
    }
    return fast
  }

  it('gives bit-identical ΔV and simulated velocities for learned, dense and drag-only models', () => {
    // Not vacuous: the learned models have pair-force terms, and the five models give five different ΔV.
    for (const w of learned) expect(w.some((c, j) => c !== 0 && j < layout(data.lib).drag)).toBe(true)
    const errors = new Set<number>()
    for (const w of models) for (const i of [0, 5, 13, 23]) errors.add(same(data, w, i).error)
    expect(errors.size).toBe(models.length * 4)
  })

  it('is identical for the other settings: neighbours at the sub-step start, other sub-steps and horizon, early stop', () => {
    let stopped = 0
    for (const w of [learned[1]!, dense]) {
      for (const i of [2, 17]) {
        same(data, w, i, { neighbourTime: 'start' })
        same(data, w, i, { substeps: 7, horizon: 0.6 })
        if (same(data, w, i, { stopAbove: 0.5 * validationError(data, w, i).error }).stoppedEarly) stopped++
      }
    }
    expect(stopped).toBeGreaterThan(0)
  })

  it('is identical with partial tracks (neighbours entering and leaving) and the 1/N_t mean field', () => {
    const panel = cut(sim.panel, { 3: [10, 80], 4: [0, 20], 8: [5, 60], 11: [12, 50] })
    for (const meanField of ['all', 'present'] as const) {
      const d = prepareWsindy(panel, { ...prep, meanField })
      for (const w of [learned[0]!, dense]) for (const i of [3, 8, 11, 20]) for (const neighbourTime of ['end', 'start'] as const) same(d, w, i, { neighbourTime })
    }
  })

  it('is identical for models with a cut-off inside the table and for a focal cell leaving the table', () => {
    const lay = layout(data.lib)
    // Attraction–repulsion alone, low Laguerre orders, on a library with a steep scale α: the profiles fall
    // below 1e−14 of their peak well inside the box (neighbours beyond it are skipped, one at a time when
    // the other of a pair is inside).
    const steep = prepareWsindy(sim.panel, { ...prep, alpha: 400 })
    const arOnly = Float64Array.from(dense, (c, j) => (j < lay.align && j % data.lib.arRadial < 3 ? c : 0))
    // A growing drag (+2v) drives the focal cell out of the table's range (r ≥ 2 r_max: exact profiles
    // with alignment, nothing without).
    const runaway = (w: Float64Array) => Float64Array.from(w, (c, j) => (j === lay.drag ? 1 : c))
    const errors = new Set<number>()
    for (const i of [1, 6, 19]) {
      errors.add(same(steep, arOnly, i).error)
      for (const w of [runaway(dense), runaway(arOnly)]) errors.add(same(data, w, i).error)
    }
    expect(errors.size).toBeGreaterThan(6) // (diverging runs all give the cap ΔV = 1000)
    // Not vacuous: a runaway cell travels finitely beyond the table's range 2 r_max from the field (of
    // diameter ≤ r_max).
    const v = validationError(data, runaway(dense), 1).velocities
    let path = 0
    for (let k = 1; k < v.length / 2; k++) path += Math.hypot(v[2 * k]!, v[2 * k + 1]!) * data.dt
    expect(path).toBeGreaterThan(4 * data.rMax)
    expect(Number.isFinite(path)).toBe(true)
  })

  it('is identical for learned models of the three species (A, B, C)', () => {
    const sim3 = cells({ n: 24, steps: 80, species: { A: 1, B: 1, C: 1 }, box: 0.3, seed: 7 })
    const d3 = prepareWsindy(sim3.panel, prep)
    const bySpecies = (['A', 'B', 'C'] as const).map((s) => sim3.truth.species.indexOf(s))
    expect(bySpecies.every((i) => i >= 0)).toBe(true)
    const codes = new Set<number>()
    for (const c of bySpecies) {
      const m = learnCellModel(d3, c, { lambdas: defaultLambdas(15) })
      codes.add(m.code)
      for (const i of [c, 2, 11, 22]) same(d3, m.w, i)
    }
    expect(codes.size).toBeGreaterThan(1)
  })

  it('follows the coefficient values, not the array: a model changed in place is simulated as changed', () => {
    const w = Float64Array.from(learned[2]!)
    const before = same(data, w, 9).error
    w[layout(data.lib).drag]! -= 1
    const after = same(data, w, 9).error
    expect(after).not.toBe(before)
  })
})
