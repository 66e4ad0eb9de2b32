import { describe, expect, it } from 'vitest'
import { cells } from '../../../../src-main/engines/synth/cells'
import { defaultLambdas, identifySpecies, prepareWsindy, relativeForceError, TRUE_FORCES, learnCellModel, validationError, layout } from '../../../../src-main/engines/wsindy'

describe('population pipeline: species separation', () => {
  // X_{B,C} at small size: N = 40 (20 + 20) in a box of side 0.4 (the paper's density), L = 200, r_ff = 0.2
  // (scaled with the box as r_ff = 1 is half of side 2), K = 4 validation cells for model replacement and a
  // 25-point λ grid (instead of 50) to keep the test fast.
  const sim = cells({ n: 40, steps: 200, species: { B: 1, C: 1 }, box: 0.4, seed: 3 })
  const data = prepareWsindy(sim.panel, { rFar: 0.2 })

  it('separates X_{B,C} into its two species with the right force laws', () => {
    const progress: number[] = []
    const res = identifySpecies(data, { replacement: { K: 4 }, model: { lambdas: defaultLambdas(25) }, seed: 1 }, { onProgress: (p) => progress.push(p.fraction) })
    expect(progress.length).toBeGreaterThan(10)
    expect(progress[progress.length - 1]).toBe(1)
    // Accuracy: each found species is labelled by its majority true species; count the cells labelled correctly.
    let correct = 0
    const majority: string[] = []
    for (const s of res.species) {
      const cnt: Record<string, number> = {}
      for (const i of s.cells) cnt[sim.truth.species[i]!] = (cnt[sim.truth.species[i]!] ?? 0) + 1
      const [best, c] = Object.entries(cnt).sort((a, b) => b[1] - a[1])[0]!
      majority.push(best)
      correct += c
    }
    // Measured: 40/40 correct (species C first, then B). Bound: ≥ 95% (at most 2 cells of 40 wrong or unclassified).
    expect(correct / 40).toBeGreaterThanOrEqual(0.95)
    expect(new Set(majority).size).toBe(2)
    // The C species' aggregate model has the true alignment and drag and no attraction–repulsion.
    const c = res.species[majority.indexOf('C')]!
    expect(c.codeString.slice(0, 3)).toBe('000')
    expect(relativeForceError(data.lib, c.w, 'align', TRUE_FORCES.align)).toBeLessThan(0.05)
    expect(relativeForceError(data.lib, c.w, 'drag', (s) => TRUE_FORCES.drag(s), { sMax: data.sMax })).toBeLessThan(0.05)
    expect(c.meanValidationError).toBeLessThan(0.05)
    expect(c.formulas.align).toMatch(/exp\(−8\.000 r\)/)
    // The B species' model has attraction–repulsion and drag but no alignment.
    const b = res.species[majority.indexOf('B')]!
    expect(b.codeString.slice(3, 6)).toBe('000')
    expect(b.codeString.slice(0, 3)).not.toBe('000')
    // Bookkeeping: labels agree with the species lists; timings reported.
    for (const s of res.species) for (const i of s.cells) expect(res.labels[i]).toBe(s.index)
    expect(res.timings.validations).toBeGreaterThan(40)
  })

  it('per-cell tasks are independent, structured-clone-safe functions of (data, cell)', () => {
    const i = 5
    const a = learnCellModel(data, i)
    const b = learnCellModel(structuredClone(data), i)
    expect([...b.w]).toEqual([...a.w])
    const dv = validationError(data, a.w, i).error
    expect(validationError(structuredClone(data), a.w, i).error).toBe(dv)
    // With w = 0 the simulated cell keeps v(t0); the learned model must do better than that.
    const zero = new Float64Array(layout(data.lib).size)
    expect(validationError(data, zero, i).error).toBeGreaterThan(dv)
  })

  it('checks its inputs', () => {
    expect(() => identifySpecies(data, { acceptError: 0 })).toThrow(/acceptError/)
    expect(() => identifySpecies(data, {}, undefined, [])).toThrow(/one model per cell/)
    const ac = new AbortController()
    ac.abort()
    expect(() => identifySpecies(data, {}, { signal: ac.signal })).toThrow()
  })
})
