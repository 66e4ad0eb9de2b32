import { describe, expect, it } from 'vitest'
import { cells } from '../../../../src-main/engines/synth/cells'
import { codeForces, defaultLambdas, identifySpecies, layout, mergeSpecies, modeCode, prepareWsindy, validationError, type Species } from '../../../../src-main/engines/wsindy'

/** Cells correctly labelled when each found species is named after its majority true species. */
function accuracy(species: Species[], truth: string[]): { correct: number; majorities: string[] } {
  let correct = 0
  const majorities: string[] = []
  for (const s of species) {
    const cnt: Record<string, number> = {}
    for (const i of s.cells) cnt[truth[i]!] = (cnt[truth[i]!] ?? 0) + 1
    const [best, c] = Object.entries(cnt).sort((a, b) => b[1] - a[1])[0]!
    majorities.push(best)
    correct += c
  }
  return { correct, majorities }
}

const fast = { replacement: { K: 4 }, model: { lambdas: defaultLambdas(25) }, seed: 1 }

describe('merge rule and species counts', () => {
  it('merges a species into an earlier one with the same code and force laws, or whose model explains its cells as well; never B into C', () => {
    // X_{B,C}, N = 30 at the paper's density, through the paper's pipeline (no merge, no leftovers).
    const sim = cells({ n: 30, steps: 150, species: { B: 1, C: 1 }, box: 2 * Math.sqrt(30 / 1000), seed: 3 })
    const data = prepareWsindy(sim.panel, { rFar: Math.sqrt(30 / 1000) })
    const res = identifySpecies(data, { ...fast, mergeTolerance: 0, mergeErrorRatio: 0, assignLeftovers: false })
    const { majorities } = accuracy(res.species, sim.truth.species)
    const C = res.species[majorities.indexOf('C')]!, B = res.species[majorities.indexOf('B')]!
    expect(C && B).toBeTruthy()
    expect(res.mergeChecks).toEqual([])
    const errors = res.validationErrors
    const copy = (s: Species, index: number, w: Float64Array, cellsIn = s.cells): Species => ({ ...s, index, w, code: modeCode(data.lib, w), cells: cellsIn.slice(), trackIds: cellsIn.slice() })
    // (i) the same model scaled by 1.03: same code, force laws 3% apart → merged without any simulation.
    let validations = 0
    const counting = (w: Float64Array, i: number, stopAbove: number) => {
      validations++
      return validationError(data, w, i, { stopAbove }).error
    }
    const scaled = copy(C, 1, C.w.map((x) => 1.03 * x), B.cells)
    const a = mergeSpecies(data, [copy(C, 0, C.w), scaled], errors, {}, counting)
    expect(a.species).toHaveLength(1)
    expect(a.species[0]!.cells).toHaveLength(C.cells.length + B.cells.length)
    expect(a.species[0]!.mergedFrom).toEqual([1])
    expect(a.checks[0]!.forceDistance).toBeCloseTo(0.03 / 1.03, 6)
    expect(validations).toBe(0)
    // …but not at a tolerance below that distance (and with the ΔV test off).
    expect(mergeSpecies(data, [copy(C, 0, C.w), scaled], errors, { mergeTolerance: 0.02, mergeErrorRatio: 0 }, counting).species).toHaveLength(2)
    // (ii) a different code that changes nothing measurable: C's model plus a 1e-9 attraction–repulsion
    // term, on C's own cells → ΔV ratio ≈ 1 → merged.
    const tweaked = C.w.slice()
    tweaked[layout(data.lib).ar] = 1e-9
    const other = copy(C, 1, tweaked)
    expect(other.code).not.toBe(C.code)
    const b = mergeSpecies(data, [copy(C, 0, C.w), other], errors, {}, counting)
    expect(b.species).toHaveLength(1)
    expect(b.checks[0]!.forceDistance).toBe(Infinity)
    expect(b.checks[0]!.errorRatio).toBeGreaterThan(0.9)
    expect(b.checks[0]!.errorRatio).toBeLessThan(1.1)
    // B after C (the real species): codes differ and each model explains the other's cells far worse → kept apart.
    const c = mergeSpecies(data, [copy(C, 0, C.w), copy(B, 1, B.w)], errors, {}, counting)
    expect(c.species).toHaveLength(2)
    expect(c.checks[0]!.errorRatio).toBeGreaterThan(2)
    expect(c.checks[0]!.reverseErrorRatio).toBeGreaterThan(2)
    expect(codeForces(B.code).align).toBe(false)
    // (iii) an earlier species with a worse model (C's drag 1.5×) and a later one with C's model, each on half
    // of C's cells: C's model explains the earlier cells better than their own → merged, C's model kept.
    const worse = C.w.slice()
    for (let j = layout(data.lib).drag; j < worse.length; j++) worse[j] = 1.5 * worse[j]!
    const half = Math.floor(C.cells.length / 2)
    const errs = Float64Array.from(errors)
    for (const i of C.cells.slice(0, half)) errs[i] = validationError(data, worse, i).error
    const d = mergeSpecies(data, [copy(C, 0, worse, C.cells.slice(0, half)), copy(C, 1, C.w, C.cells.slice(half))], errs, {}, counting)
    expect(d.checks[0]!.forceDistance).toBeGreaterThan(0.1)
    expect(d.checks[0]!.errorRatio).toBeGreaterThan(1.1)
    expect(d.checks[0]!.reverseErrorRatio).toBeLessThan(1)
    expect(d.species).toHaveLength(1)
    expect([...d.species[0]!.w]).toEqual([...C.w])
    for (const i of C.cells.slice(0, half)) expect(errs[i]).toBe(errors[i])
  })

  it('a homogeneous population (X_A, N = 40) is one species', () => {
    const sim = cells({ n: 40, steps: 200, species: { A: 1 }, box: 2 * Math.sqrt(40 / 1000), seed: 1 })
    const data = prepareWsindy(sim.panel, { rFar: Math.sqrt(40 / 1000) })
    const res = identifySpecies(data, fast)
    expect(res.species).toHaveLength(1)
    // Measured: 40/40 in it, code 11101010 (f_ar with a spurious cos θ mode), mean ΔV 0.02.
    expect(res.species[0]!.cells.length).toBeGreaterThanOrEqual(38)
    const f = codeForces(res.species[0]!.code)
    expect(f.ar && f.align && f.drag).toBe(true)
  })

  it('an A + B mixture (N = 40) gives two species with ≥ 90% of the cells in their own', () => {
    const sim = cells({ n: 40, steps: 200, species: { A: 1, B: 1 }, box: 2 * Math.sqrt(40 / 1000), seed: 2 })
    const data = prepareWsindy(sim.panel, { rFar: Math.sqrt(40 / 1000) })
    const res = identifySpecies(data, fast)
    const { correct, majorities } = accuracy(res.species, sim.truth.species)
    // Measured: A 17/20 alone (code 11101010); B 20/20 with 3 A cells (code 11100010): 37/40.
    expect(res.species).toHaveLength(2)
    expect(new Set(majorities)).toEqual(new Set(['A', 'B']))
    expect(correct / 40).toBeGreaterThanOrEqual(0.9)
    const b = res.species[majorities.indexOf('B')]!
    expect(codeForces(b.code).align).toBe(false)
    // The merge rule looked at the pair and kept it apart on the ΔV test.
    expect(res.mergeChecks.some((c) => !c.merged && c.errorRatio > 1.1)).toBe(true)
  })
})
