import { describe, expect, it } from 'vitest'
import { cells } from '../../../../src-main/engines/synth/cells'
import {
  chooseTestFunction,
  finiteDifferenceVelocities,
  layout,
  meanChangePoint,
  prepareWsindy,
  testFunction,
  testFunctionPower,
  weakSystem,
  constraintMatrix,
  relativeForceError,
  TRUE_FORCES,
  laguerreFunctions,
  modeCode,
  codeString,
  makeLibrary,
  evaluateForce,
} from '../../../../src-main/engines/wsindy'
import { constrainedLstsq } from '../../../../src-main/engines/linalg'

describe('weak-form pieces', () => {
  it('finite differences are exact on quadratics (second order, ends included)', () => {
    const L = 9, dt = 0.3
    const pos = new Float64Array(L * 2)
    for (let k = 0; k < L; k++) {
      const t = k * dt
      pos[2 * k] = 1 + 2 * t - 0.5 * t * t
      pos[2 * k + 1] = -t * t
    }
    const v = finiteDifferenceVelocities(pos, 1, L, dt)
    for (let k = 0; k < L; k++) {
      expect(v[2 * k]).toBeCloseTo(2 - k * dt, 12)
      expect(v[2 * k + 1]).toBeCloseTo(-2 * k * dt, 12)
    }
  })

  it('4th- and 6th-order stencils (one-sided near the ends) are exact on polynomials of degree 4 and 6', () => {
    const L = 12, dt = 0.2
    for (const [order, deg] of [[4, 4], [6, 6]] as const) {
      const pos = new Float64Array(L * 2)
      for (let k = 0; k < L; k++) {
        const t = k * dt
        pos[2 * k] = t ** deg - 2 * t ** 3
        pos[2 * k + 1] = 0.5 * t ** 2
      }
      const v = finiteDifferenceVelocities(pos, 1, L, dt, order)
      for (let k = 0; k < L; k++) {
        const t = k * dt
        expect(v[2 * k]).toBeCloseTo(deg * t ** (deg - 1) - 6 * t * t, 9)
        expect(v[2 * k + 1]).toBeCloseTo(t, 10)
      }
      // …and not of degree deg + 1 (the order is what it claims).
      for (let k = 0; k < L; k++) pos[2 * k] = (k * dt) ** (deg + 1)
      const w = finiteDifferenceVelocities(pos, 1, L, dt, order)
      expect(Math.abs(w[2 * 6]! - (deg + 1) * (6 * dt) ** deg)).toBeGreaterThan(1e-8)
    }
  })

  it('test functions: unit norm, and ⟨φ̈, x⟩ = ⟨φ, ẍ⟩ (integration by parts) for a smooth x', () => {
    const m = 30, p = 9, dt = 0.05
    const { phi, phiDD } = testFunction(m, p, dt)
    expect(phi.length).toBe(2 * m + 1)
    expect(dt * phi.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 12)
    expect(phi[0]).toBe(0)
    let lhs = 0, rhs = 0
    for (let k = 0; k <= 2 * m; k++) {
      const t = k * dt
      lhs += dt * phiDD[k]! * Math.sin(2 * t)
      rhs += dt * phi[k]! * -4 * Math.sin(2 * t)
    }
    expect(Math.abs(lhs - rhs) / Math.abs(rhs)).toBeLessThan(1e-6)
  })

  it('change-point rule: power p reproduces the paper (m = 38 → 8, m = 31 → 9) and the split point of a step', () => {
    expect(testFunctionPower(38)).toBe(8)
    expect(testFunctionPower(31)).toBe(9)
    expect(testFunctionPower(35)).toBe(9)
    expect(meanChangePoint([5, 5.1, 4.9, 5, 1, 1.1, 0.9, 1])).toBe(4)
    // A smooth signal sampled finely: the corner sits at low wavenumbers and m lies inside the admissible range.
    const L = 200, pos = new Float64Array(L * 2)
    for (let k = 0; k < L; k++) {
      pos[2 * k] = Math.sin((2 * Math.PI * 3 * k) / L) + 1e-6 * Math.sin(k * 1.7)
      pos[2 * k + 1] = Math.cos((2 * Math.PI * 3 * k) / L) + 1e-6 * Math.cos(k * 2.3)
    }
    const c = chooseTestFunction(pos, 1, L)
    expect(c.corner).toBeGreaterThanOrEqual(3)
    expect(c.corner).toBeLessThan(10)
    expect(c.m).toBeGreaterThan(5)
    expect(c.m).toBeLessThanOrEqual(99)
    expect(c.p).toBe(testFunctionPower(c.m))
  })

  it('library: Laguerre functions match closed forms; mode code and evaluation agree with planted coefficients', () => {
    const R = laguerreFunctions(1.5, new Float64Array(4))
    const e = Math.exp(-0.75)
    expect(R[0]).toBeCloseTo(e, 14)
    expect(R[1]).toBeCloseTo((1 - 1.5) * e, 14)
    expect(R[2]).toBeCloseTo((1 - 2 * 1.5 + 1.5 ** 2 / 2) * e, 14)
    expect(R[3]).toBeCloseTo((1 - 3 * 1.5 + 1.5 * 1.5 * 1.5 - 1.5 ** 3 / 6) * e, 14)
    const lib = makeLibrary()
    const lay = layout(lib)
    expect(lay.size).toBe(54 + 24 + 10)
    const w = new Float64Array(lay.size)
    w[lay.align + 8 + 5] = -8 // (1 + cos θ) e^{−8r}
    w[lay.drag + 1] = -2.5 // 2·|v|
    expect(codeString(modeCode(lib, w))).toBe('00001010')
    expect(evaluateForce(lib, w, 'align', 0.3, 1)).toBeCloseTo(TRUE_FORCES.align(0.3, 1), 12)
    expect(evaluateForce(lib, w, 'drag', 0.07, 2)).toBeCloseTo(TRUE_FORCES.drag(0.07), 12)
    expect(relativeForceError(lib, w, 'align', TRUE_FORCES.align)).toBeLessThan(1e-14)
  })
})

describe('weak-form system on simulated cells', () => {
  // Species C has forces that lie exactly in the library: (1 + cos θ) e^{−8r} with −8 and 2|v| with −2.5.
  const sim = cells({ n: 30, steps: 200, species: { B: 1, C: 1 }, box: 0.45, seed: 4 })
  const data = prepareWsindy(sim.panel)
  const lay = layout(data.lib)
  const cCells = sim.truth.species.flatMap((s, i) => (s === 'C' ? [i] : []))

  it('the true coefficients solve G w ≈ b to the quadrature/finite-difference level', () => {
    for (const i of cCells.slice(0, 3)) {
      const { G, b, rows, cols } = weakSystem(data, i)
      const w = new Float64Array(cols)
      w[lay.align + 8 + 5] = -8
      w[lay.drag + 1] = -2.5
      let r2 = 0, b2 = 0
      for (let q = 0; q < rows; q++) {
        let s = b[q]!
        for (let j = 0; j < cols; j++) s -= G[q * cols + j]! * w[j]!
        r2 += s * s
        b2 += b[q]! ** 2
      }
      // FD velocities (O(Δt²)) across fast encounters leave a residual of 0.4–1.6% here (0.1–0.8% with exact velocities).
      expect(Math.sqrt(r2 / b2)).toBeLessThan(2.5e-2)
      // A wrong model does not: no alignment.
      w[lay.align + 8 + 5] = 0
      let r2b = 0
      for (let q = 0; q < rows; q++) {
        let s = b[q]!
        for (let j = 0; j < cols; j++) s -= G[q * cols + j]! * w[j]!
        r2b += s * s
      }
      expect(Math.sqrt(r2b / b2)).toBeGreaterThan(0.05)
    }
  })

  it('constrained least squares on the true support recovers the coefficients within 2%', () => {
    const C = constraintMatrix(data)
    expect(C.rows).toBeGreaterThanOrEqual(25 + 24 + 10)
    for (const i of cCells.slice(0, 3)) {
      const { G, b, rows, cols } = weakSystem(data, i)
      const S = [lay.align + 8 + 5, lay.drag + 1]
      const Gs = new Float64Array(rows * 2)
      for (let q = 0; q < rows; q++) S.forEach((j, a) => (Gs[q * 2 + a] = G[q * cols + j]!))
      const Cs = new Float64Array(C.rows * 2)
      for (let q = 0; q < C.rows; q++) S.forEach((j, a) => (Cs[q * 2 + a] = C.data[q * cols + j]!))
      const res = constrainedLstsq({ data: Gs, rows, cols: 2 }, b, { data: Cs, rows: C.rows, cols: 2 }, new Float64Array(C.rows))
      expect(res.status).toBe('optimal')
      expect(Math.abs(res.x[0]! / -8 - 1)).toBeLessThan(0.02)
      expect(Math.abs(res.x[1]! / -2.5 - 1)).toBeLessThan(0.02)
    }
  })
})
