/**
 * Kernel building of the stabilised CPU solver (stabilised.ts): the float32 exponential of the
 * dense stages is Math.exp rounded to float32 bit for bit, and divergences whose annealing stages
 * use dense kernels (the symmetric ones built as a mirrored upper triangle, from cached squared
 * distances) agree with the float64 log-domain reference.
 */
import { describe, expect, it } from 'vitest'
import { createRng } from '../../../../src-main/engines/stats/random'
import { cloud } from './sinkhorn-helpers'
import { sinkhornDivergenceCpu, sinkhornDivergenceStabilisedCpu } from '../../../../src-main/engines/ot/sinkhorn'
import { expF32 } from '../../../../src-main/engines/ot/sinkhorn/stabilised'

describe('expF32', () => {
  it('equals Math.fround(Math.exp(z)) on random exponents in (−80, 88]', () => {
    const rng = createRng(11)
    let bad = 0
    for (let k = 0; k < 200000; k++) {
      const z = -80 + 168 * rng.uniform()
      if (expF32(z) !== Math.fround(Math.exp(z))) bad++
    }
    expect(bad).toBe(0)
  })

  it('equals Math.fround(Math.exp(z)) next to float32 rounding midpoints (where the fallback decides)', () => {
    const rng = createRng(12)
    const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer)
    let bad = 0
    for (let k = 0; k < 20000; k++) {
      f32[0] = Math.exp(-79 + 166 * rng.uniform())
      const v = f32[0]!
      u32[0]! += 1
      const mid = (v + f32[0]!) / 2
      const z0 = Math.log(mid)
      for (const z of [z0, z0 + 1e-15 * Math.abs(z0), z0 - 1e-15 * Math.abs(z0), z0 + 2e-16, z0 - 2e-16]) {
        if (expF32(z) !== Math.fround(Math.exp(z))) bad++
      }
    }
    expect(bad).toBe(0)
  })
})

describe('dense annealing stages', () => {
  for (const p of [2, 1] as const) {
    it(`S_ε agrees with the float64 reference (p = ${p}, 37 × 29 points, ε-scaling 0.7)`, () => {
      const x = cloud(21, 37, 2), y = cloud(22, 29, 2, 0.3, 1.1)
      const blur = p === 2 ? 0.37 : 0.2
      const ref = sinkhornDivergenceCpu(x, y, { p, blur, tol: 1e-11, maxIter: 100000 })
      expect(ref.converged).toBe(true)
      const r = sinkhornDivergenceStabilisedCpu(x, y, { p, blur, scaling: 0.7, tol: 1e-9, maxIter: 100000 })
      expect(r.converged).toBe(true)
      expect(r.epsSchedule.length).toBeGreaterThan(4)
      expect(Math.abs(r.value - ref.value)).toBeLessThan(1e-7 * Math.max(1, ref.value))
    })
  }
})
