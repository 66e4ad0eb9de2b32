import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRng, pchip } from '../../../../src-main/engines/stats'

describe('PCHIP (Fritsch–Carlson, as scipy PchipInterpolator / MATLAB pchip)', () => {
  // Fixed two-column example. Expected values were derived by hand from the formulas in
  // pchip.ts (secants, interior harmonic means, three-point end rule with its clamps, then the
  // cubic Hermite form), in exact rational arithmetic (Python fractions), and agree with
  // scipy 1.17 `PchipInterpolator(t, y)(x)` and `.derivative()(x)` to ≤ 1e-15.
  //   t = [0, 1, 2, 4, 5], h = [1, 1, 2, 1]
  //   column 0: y = [0, 1, −4, −3, 2], secants [1, −5, 1/2, 5]
  //     d_0: (3·1 + 5)/2 = 4, sign change of secants and |4| > 3·1 -> clamped to 3
  //     d_1 = d_2 = 0 (secant sign changes); d_3 = (4 + 5)/(4/(1/2) + 5/5) = 1 (w1 = 4, w2 = 5)
  //     d_4: ((2·1 + 2)·5 − 1·(1/2))/3 = 13/2
  //   column 1: y = [0, 1, 6, 8, 9] (monotone), secants [1, 5, 1, 1]
  //     d_0: (3·1 − 5)/2 = −1 has the wrong sign -> 0; d_1 = 6/(3 + 3/5) = 5/3;
  //     d_2 = 9/(5/5 + 4/1) = 9/5; d_3 = 9/(4 + 5) = 1; d_4 = (4·1 − 1)/3 = 1
  const t = [0, 1, 2, 4, 5]
  const y = [0, 0, 1, 1, -4, 6, -3, 8, 2, 9] // row-major 5×2
  const x = [-0.5, 0, 0.25, 0.5, 1, 1.5, 2, 3, 4.5, 5, 5.5]
  const values = [
    [-19 / 8, 3 / 8], [0, 0], [37 / 64, 5 / 64], [7 / 8, 7 / 24], [1, 1], [-3 / 2, 209 / 60],
    [-4, 6], [-15 / 4, 36 / 5], [-19 / 16, 17 / 2], [2, 9], [75 / 16, 19 / 2],
  ]
  const derivs = [
    [27 / 4, -19 / 12], [3, 0], [27 / 16, 29 / 48], [3 / 4, 13 / 12], [0, 5 / 3], [-15 / 2, 199 / 30],
    [0, 9 / 5], [1 / 2, 4 / 5], [45 / 8, 1], [13 / 2, 1], [29 / 8, 1],
  ]

  it('matches the hand-computed (= scipy) slopes, values and derivatives', () => {
    const p = pchip(t, y, 2)
    const slopes = [3, 0, 0, 5 / 3, 0, 9 / 5, 1, 1, 13 / 2, 1]
    slopes.forEach((s, i) => expect(p.slopes[i]).toBeCloseTo(s, 14))
    const v = p.evaluate(x)
    const dv = p.derivative(x)
    x.forEach((_, i) => {
      for (let j = 0; j < 2; j++) {
        expect(v[2 * i + j]).toBeCloseTo(values[i]![j]!, 13)
        expect(dv[2 * i + j]).toBeCloseTo(derivs[i]![j]!, 13)
      }
    })
    // Single-point paths give the same numbers.
    expect(Array.from(p.evaluateAt(3))).toEqual([v[14], v[15]])
    expect(Array.from(p.derivativeAt(3))).toEqual([dv[14], dv[15]])
  })

  it('reproduces the data points and is C¹ at the knots', () => {
    const rng = createRng(1)
    const n = 30
    const tt = new Float64Array(n)
    for (let i = 1; i < n; i++) tt[i] = tt[i - 1]! + 0.1 + rng.uniform()
    const yy = rng.normals(n * 3)
    const p = pchip(tt, yy, 3)
    const at = p.evaluate(tt)
    for (let i = 0; i < n * 3; i++) expect(at[i]).toBeCloseTo(yy[i]!, 13)
    for (let i = 1; i < n - 1; i++) {
      const l = p.derivativeAt(tt[i]! - 1e-9)
      const r = p.derivativeAt(tt[i]! + 1e-9)
      for (let j = 0; j < 3; j++) expect(Math.abs(l[j]! - r[j]!)).toBeLessThan(1e-6 * (1 + Math.abs(l[j]!)))
    }
  })

  it('keeps monotone data monotone, without overshoot', () => {
    const rng = createRng(2)
    const n = 25
    const tt: number[] = [0]
    const yy: number[] = [0]
    for (let i = 1; i < n; i++) {
      tt.push(tt[i - 1]! + 0.05 + rng.uniform())
      yy.push(yy[i - 1]! + (rng.uniform() < 0.3 ? 0 : rng.uniform() ** 3 * 5)) // flat steps and jumps
    }
    const p = pchip(tt, yy)
    let prev = -Infinity
    for (let k = 0; k < n - 1; k++) {
      for (let s = 0; s <= 50; s++) {
        const v = p.evaluateAt(tt[k]! + ((tt[k + 1]! - tt[k]!) * s) / 50)[0]!
        expect(v).toBeGreaterThanOrEqual(prev - 1e-12)
        expect(v).toBeGreaterThanOrEqual(yy[k]! - 1e-12)
        expect(v).toBeLessThanOrEqual(yy[k + 1]! + 1e-12)
        prev = v
      }
    }
  })

  it('property: non-increasing data give a non-increasing interpolant (fast-check, seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0.01, max: 3, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true })), { minLength: 1, maxLength: 12 }),
        (steps) => {
          const tt = [0]
          const yy = [10]
          for (const [dt, dy] of steps) {
            tt.push(tt[tt.length - 1]! + dt)
            yy.push(yy[yy.length - 1]! - (dy < 1 ? 0 : dy)) // some flat steps
          }
          const p = pchip(tt, yy)
          let prev = Infinity
          const end = tt[tt.length - 1]!
          for (let s = 0; s <= 400; s++) {
            const v = p.evaluateAt((end * s) / 400)[0]!
            if (v > prev + 1e-9) return false
            prev = v
          }
          return true
        },
      ),
      { seed: 7, numRuns: 200 },
    )
  })

  it('reproduces linear data exactly, including extrapolation and derivatives', () => {
    const tt = [-1, 0.3, 0.5, 2, 7]
    const yy = tt.flatMap((v) => [3 * v - 2, -0.5 * v])
    const p = pchip(tt, yy, 2)
    const q = [-3, -1, 0, 0.4, 1.7, 6.9, 9]
    const v = p.evaluate(q)
    const dv = p.derivative(q)
    const d2 = p.derivative(q, 2)
    q.forEach((xq, i) => {
      expect(v[2 * i]).toBeCloseTo(3 * xq - 2, 13)
      expect(v[2 * i + 1]).toBeCloseTo(-0.5 * xq, 13)
      expect(dv[2 * i]).toBeCloseTo(3, 13)
      expect(dv[2 * i + 1]).toBeCloseTo(-0.5, 13)
      expect(d2[2 * i]).toBeCloseTo(0, 12)
    })
    // Two knots: the straight line.
    expect(pchip([0, 2], [1, 5]).evaluateAt(0.5)[0]).toBe(2)
  })

  it('derivatives agree with finite differences of the values', () => {
    const p = pchip(t, y, 2)
    for (const xq of [0.3, 1.7, 2.9, 4.2]) {
      const h = 1e-6
      const fp = p.evaluateAt(xq + h)
      const fm = p.evaluateAt(xq - h)
      const d1 = p.derivativeAt(xq)
      const gp = p.derivativeAt(xq + h)
      const gm = p.derivativeAt(xq - h)
      const d2 = p.derivativeAt(xq, 2)
      for (let j = 0; j < 2; j++) {
        expect(d1[j]).toBeCloseTo((fp[j]! - fm[j]!) / (2 * h), 6)
        expect(d2[j]).toBeCloseTo((gp[j]! - gm[j]!) / (2 * h), 5)
      }
    }
  })

  it('returns NaN outside the knots when extrapolation is off; rejects bad knots', () => {
    const p = pchip(t, y, 2, { extrapolate: false })
    expect(Number.isNaN(p.evaluateAt(-0.1)[0]!)).toBe(true)
    expect(Number.isNaN(p.evaluateAt(5.1)[1]!)).toBe(true)
    expect(p.evaluateAt(5)[0]).toBe(2)
    expect(() => pchip([0, 1, 1], [1, 2, 3])).toThrow(/strictly increasing/)
    expect(() => pchip([0, 1], [1, 2, 3])).toThrow(/n·m/)
    expect(() => pchip([0], [1])).toThrow(/at least 2 knots/)
  })
})
