import { describe, expect, it } from 'vitest'
import { cells } from '../../../../src-main/engines/synth/cells'
import { constraintMatrix, defaultLambdas, learnCellModel, mstls, prepareWsindy, type TrackPanel } from '../../../../src-main/engines/wsindy'
import { cellFeatures, cellFeaturesDirect, testFunction, weakSystem } from '../../../../src-main/engines/wsindy/weakform'
import { layout } from '../../../../src-main/engines/wsindy/library'
import { cut } from './panel-fixtures'

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')

describe('single-cell models: the fast paths against the straightforward code', () => {
  // X_{A,C}, N = 70 (more than one chunk of 64 neighbours) in a box of side 0.5, L = 60.
  const sim = cells({ n: 70, steps: 60, species: { A: 1, C: 1 }, box: 0.5, seed: 3, substeps: 20 })
  const opts = { m: 8, p: 6, rFar: 0.25 }

  it('feature trajectories are bit-identical (complete and partial tracks, both mean fields, both kernels, other exponents)', () => {
    // Cell 5 sits on top of cell 4 from frame 20 on (r = 0: no direction), cell 6 stops at frame 40 and
    // cell 9 is still from frame 30 on (speed 0); cell 12 and 40 leave or enter.
    const p = sim.panel
    const positions = Float64Array.from(p.positions)
    for (let k = 20; k < p.L; k++) for (let c = 0; c < 2; c++) positions[(5 * p.L + k) * 2 + c] = positions[(4 * p.L + k) * 2 + c]!
    for (let k = 30; k < p.L; k++) for (let c = 0; c < 2; c++) positions[(9 * p.L + k) * 2 + c] = positions[(9 * p.L + 30) * 2 + c]!
    const edited: TrackPanel = { ...p, positions }
    const partial = cut(edited, { 6: [0, 40], 12: [10, 60], 40: [25, 55] })
    const cases = [
      prepareWsindy(edited, opts),
      prepareWsindy(partial, opts),
      prepareWsindy(partial, { ...opts, meanField: 'present' }),
      prepareWsindy(partial, { ...opts, kernel: 'displacement' }),
      prepareWsindy(edited, { ...opts, alignExponents: [-1, 0, 2, 3], arRadial: 7, dragPowers: 3 }),
      prepareWsindy(edited, { ...opts, arRadial: 1 }),
    ]
    let compared = 0
    for (const data of cases) {
      for (const i of [0, 4, 5, 6, 9, 12, 40, 69]) {
        if (data.end[i]! - data.start[i]! < 1) continue
        const fast = cellFeatures(data, i), direct = cellFeaturesDirect(data, i)
        expect(fast.length).toBe(direct.length)
        expect(bits(fast)).toBe(bits(direct))
        compared++
      }
    }
    expect(compared).toBe(cases.length * 8)
    // Not vacuous: the coincident pair and the resting cell produce finite features.
    expect(cellFeatures(cases[0]!, 5).every(Number.isFinite)).toBe(true)
  })

  it('the weak-form system is bit-identical to its definition summed row by row', () => {
    const data = prepareWsindy(cut(sim.panel, { 6: [5, 50] }), opts)
    const J = layout(data.lib).size
    const { phi, phiDD } = testFunction(data.m, data.p, data.dt)
    for (const i of [0, 6, 33]) {
      const F = cellFeatures(data, i)
      const sys = weakSystem(data, i, F)
      const a0 = data.start[i]!, Q = data.end[i]! - a0 - 2 * data.m
      expect(sys.rows).toBe(2 * Q)
      const G = new Float64Array(sys.rows * J), b = new Float64Array(sys.rows)
      for (let q = 0; q < Q; q++) {
        for (let c = 0; c < 2; c++) {
          const row = 2 * q + c
          let s = 0
          for (let k = 0; k <= 2 * data.m; k++) s += phiDD[k]! * data.positions[(i * data.L + a0 + q + k) * 2 + c]!
          b[row] = data.dt * s
          for (let k = 0; k <= 2 * data.m; k++) {
            const w = data.dt * phi[k]!
            if (w === 0) continue
            for (let j = 0; j < J; j++) G[row * J + j]! += w * F[(q + k) * J * 2 + 2 * j + c]!
          }
        }
      }
      expect(bits(sys.G)).toBe(bits(G))
      expect(bits(sys.b)).toBe(bits(b))
    }
  })

  it('single-cell models equal the ones regressed on the straightforward features (coefficients, λ̂, residual)', () => {
    const data = prepareWsindy(sim.panel, opts)
    const lambdas = defaultLambdas(12)
    for (const i of [0, 35, 69]) {
      const model = learnCellModel(data, i, { lambdas })
      const sys = weakSystem(data, i, cellFeaturesDirect(data, i))
      const ref = mstls({ data: sys.G, rows: sys.rows, cols: sys.cols }, sys.b, constraintMatrix(data), { lambdas })
      expect(model.nnz).toBeGreaterThan(0)
      expect(bits(model.w)).toBe(bits(ref.w))
      expect(model.lambda).toBe(ref.lambda)
      expect(model.residual).toBe(ref.residual)
    }
  })
})
