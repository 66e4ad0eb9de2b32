import { afterAll, describe, expect, it } from 'vitest'
import { cells } from '../../../../src-main/engines/synth/cells'
import {
  defaultLambdas,
  identifySpecies,
  identifySpeciesAsync,
  prepareWsindy,
  runModelTask,
  runValidationTask,
  type SpeciesResult,
  type ValidationTask,
} from '../../../../src-main/engines/wsindy'
import { createWsindyPool } from '../../../../src-main/workers/pool/wsindy-pool'
import { CancelledError } from '../../../../src-shared/errors'

// Everything the pipeline decides, as plain data (timings excluded: they are the only thing allowed to differ).
const decisions = (r: SpeciesResult) =>
  JSON.stringify(
    { ...r, data: undefined, timings: { validations: r.timings.validations } },
    (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
  )

describe('WSINDy per-cell work in a worker pool', () => {
  // X_{B,C}, N = 40 (20 + 20) in a box of side 0.4 (the paper's density), L = 200, r_ff = 0.2; K = 4 and a
  // 25-point λ grid keep it fast (the same instance as pipeline.test.ts: two species, a merge check).
  const sim = cells({ n: 40, steps: 200, species: { B: 1, C: 1 }, box: 0.4, seed: 3 })
  const data = prepareWsindy(sim.panel, { rFar: 0.2 })
  const config = { replacement: { K: 4 }, model: { lambdas: defaultLambdas(25) }, seed: 1 }
  const pool = createWsindyPool({ threads: 2 })
  afterAll(() => pool.close())

  it('runs model and validation tasks bit-identically to this thread, in task order', async () => {
    const opts = { model: config.model }
    const cellsIn = [7, 0, 33, 21, 12]
    const models = await pool.models(data, cellsIn, opts)
    expect(models.map((m) => m.cell)).toEqual(cellsIn)
    models.forEach((m, q) => {
      const ref = runModelTask(data, cellsIn[q]!, opts)
      expect(Array.from(m.w)).toEqual(Array.from(ref.w))
      expect([m.code, m.lambda, m.residual, m.nnz]).toEqual([ref.code, ref.lambda, ref.residual, ref.nnz])
    })
    // Every model on every one of 8 cells, half of them with an early-stopping bound: 40 tasks in many chunks.
    const tasks: ValidationTask[] = []
    for (const m of models) for (let i = 0; i < 8; i++) tasks.push({ w: m.w, cell: 5 * i, stopAbove: i % 2 ? 0.05 : Infinity })
    const seen: number[] = []
    const errs = await pool.validate(data, tasks, {}, (d) => seen.push(d))
    expect(Array.from(errs)).toEqual(tasks.map((t) => runValidationTask(data, t, {})))
    expect(seen[seen.length - 1]).toBe(tasks.length)
    // The early stop really happened for some task (the bound matters): its result differs from the full run.
    expect(tasks.some((t, q) => t.stopAbove < Infinity && errs[q] !== runValidationTask(data, { ...t, stopAbove: Infinity }, {}))).toBe(true)
  })

  it('gives the same species, labels, models and errors as the in-thread pipeline', async () => {
    const ref = identifySpecies(data, config)
    const fractions: number[] = []
    const par = await identifySpeciesAsync(data, config, { onProgress: (p) => fractions.push(p.fraction) }, { executor: pool })
    expect(decisions(par)).toBe(decisions(ref))
    // Sanity of what was compared: two species found, the replacement and merge stages ran.
    expect(ref.species.length).toBe(2)
    expect(ref.mergeChecks.length).toBeGreaterThan(0)
    expect(ref.timings.validations).toBeGreaterThan(100)
    expect(fractions[fractions.length - 1]).toBe(1)
    for (let q = 1; q < fractions.length; q++) expect(fractions[q]!).toBeGreaterThanOrEqual(fractions[q - 1]! - 1e-12)
  }, 60_000)

  it('stops on cancel with CancelledError and refuses work after close', async () => {
    const ac = new AbortController()
    const run = identifySpeciesAsync(data, config, { signal: ac.signal, onProgress: (p) => p.stage === 'single-cell models' && p.fraction > 0.05 && ac.abort() }, { executor: pool })
    await expect(run).rejects.toBeInstanceOf(CancelledError)
    const other = createWsindyPool({ threads: 1 })
    const pending = expect(other.validate(data, [{ w: new Float64Array(88), cell: 0, stopAbove: Infinity }], {})).rejects.toThrow(/closed/)
    await other.close()
    await pending
    await expect(other.models(data, [0], {})).rejects.toThrow(/closed/)
  }, 30_000)
})
