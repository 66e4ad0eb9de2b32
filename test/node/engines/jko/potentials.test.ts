import { describe, expect, it } from 'vitest'
import {
  JKONET_STAR_POTENTIALS,
  jkonetStarData,
  jkonetStarPotentials as P,
  jkonetTaskData,
  numericalGradient,
} from '../../../../src-main/engines/synth/potentials'

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length

describe('JKOnet* benchmark potentials (as coded in jkonet-star utils/functions.py)', () => {
  it('has the 15 potentials in paper order (31)–(45)', () => {
    expect(JKONET_STAR_POTENTIALS.length).toBe(15)
    expect(JKONET_STAR_POTENTIALS[0]).toBe('styblinski_tang')
    expect(JKONET_STAR_POTENTIALS[14]).toBe('flat')
  })
  it('matches hand-evaluated values of the code formulas', () => {
    expect(P.styblinski_tang([1, 2])).toBeCloseTo(0.5 * (1 - 16 + 5 + 16 - 64 + 10), 12)
    expect(P.sphere([1, 2])).toBeCloseTo(-50, 12)
    expect(P.flat([3, 4])).toBe(0)
    expect(P.relu([1, -2])).toBeCloseTo(-50, 12)
    expect(P.oakley_ohagan([0, 0])).toBeCloseTo(10, 12) // 5·(cos 0 + cos 0)
    expect(P.watershed([1, 2])).toBeCloseTo((1 + 1 * 6) / 10, 12)
    expect(P.wavy_plateau([0, 0])).toBeCloseTo(4, 12) // 2·(cos 0 + 1)
    expect(P.zigzag_ridge([1, 2])).toBeCloseTo(1 + Math.cos(1) * 3 + 2, 12)
    expect(P.double_exp([3, 3])).toBeCloseTo(200 * (1 + Math.exp(-72 / 20)), 10)
    expect(P.bohachevsky([0, 0])).toBeCloseTo(10 * (-0.3 - 0.4), 12)
    // holder_table: a = v1, b = v2 in 2-D, factor 10 and no sign (code, not docstring)
    const v = [1, 0.5]
    expect(P.holder_table(v)).toBeCloseTo(10 * Math.abs(Math.sin(1) * Math.cos(0.5) * Math.exp(Math.abs(1 - Math.hypot(1, 0.5) / Math.PI))), 12)
    // rotational = 10·relu(θ + π) with relu the (−50) potential
    expect(P.rotational([0, 0])).toBeCloseTo(-500 * (Math.PI / 4 + Math.PI), 10)
    // reduces d > 2 by halves: a = mean(v[0:2]), b = mean(v[2:4])
    expect(P.ishigami([1, 3, 0, 2])).toBeCloseTo(P.ishigami([2, 1]), 12)
  })
  it('numerical gradients agree with analytic ones', () => {
    const g = numericalGradient(P.styblinski_tang, [0.7, -1.3])
    expect(g[0]).toBeCloseTo(0.5 * (4 * 0.7 ** 3 - 32 * 0.7 + 5), 6)
    expect(g[1]).toBeCloseTo(0.5 * (4 * (-1.3) ** 3 + 32 * 1.3 + 5), 6)
  })
})

describe('data generation', () => {
  it('JKOnet* protocol: x0 ~ U[-4,4]^d, one Euler step per snapshot, unpaired and seeded', () => {
    const a = jkonetStarData({ potential: 'sphere', n: 400, steps: 3, seed: 3 })
    const b = jkonetStarData({ potential: 'sphere', n: 400, steps: 3, seed: 3 })
    expect(a.snapshots.length).toBe(4)
    expect(a.times).toEqual([0, 0.01, 0.02, 0.03].map((t) => expect.closeTo(t, 12)))
    expect(Array.from(a.snapshots[2]!.data)).toEqual(Array.from(b.snapshots[2]!.data))
    const x0 = a.snapshots[0]!.data
    expect(Math.min(...x0)).toBeGreaterThanOrEqual(-4)
    expect(Math.max(...x0)).toBeLessThanOrEqual(4)
    // sphere V = −10‖x‖²: x ← x(1 + 20 dt) = 1.2x per step, so E x² grows by 1.44 per step (in law).
    const m2 = a.snapshots.map((s) => mean(s.data.map((v) => v * v)))
    expect(m2[3]! / m2[0]!).toBeCloseTo(1.44 ** 3, 0)
    // unpaired: snapshot 1 is not 1.2 × snapshot 0 row by row
    const paired = Array.from(a.snapshots[1]!.data).every((v, i) => Math.abs(v - 1.2 * x0[i]!) < 1e-9)
    expect(paired).toBe(false)
    // paired option (reference behaviour): row i is the same particle, x_1 = 1.2 x_0 exactly
    const p = jkonetStarData({ potential: 'sphere', n: 50, steps: 2, seed: 3, paired: true })
    p.snapshots[1]!.data.forEach((v, i) => expect(v).toBeCloseTo(1.2 * p.snapshots[0]!.data[i]!, 6))
  })
  it('interaction: W = sphere (−10‖z‖²) expands about the mean by 1 + 20·dt per step; β adds √(2β dt) noise', () => {
    const p = jkonetStarData({ potential: 'flat', interaction: 'sphere', n: 30, steps: 1, seed: 4, paired: true })
    const [x0, x1] = [p.snapshots[0]!.data, p.snapshots[1]!.data]
    const m = [0, 1].map((c) => mean(x0.filter((_, i) => i % 2 === c)))
    x1.forEach((v, i) => expect(v - m[i % 2]!).toBeCloseTo(1.2 * (x0[i]! - m[i % 2]!), 5))
    const q = jkonetStarData({ potential: 'flat', n: 4000, steps: 1, seed: 4, paired: true, beta: 2, dt: 0.01 })
    const diff = q.snapshots[1]!.data.map((v, i) => v - q.snapshots[0]!.data[i]!)
    expect(mean(diff.map((v) => v * v))).toBeCloseTo(2 * 2 * 0.01, 2)
  })
  it("JKOnet quadratic task: x ← x/2 + 0.1ξ per step, 4 snapshots", () => {
    const q = jkonetTaskData('quadratic', { n: 2000, seed: 1 })
    expect(q.snapshots.length).toBe(4)
    expect(q.dt).toBe(0.25)
    // Var after k steps: 50/4^k + 0.01·Σ 4^{-j}
    q.snapshots.forEach((s, i) => {
      const k = i + 1
      let noise = 0
      for (let j = 0; j < k; j++) noise += 0.01 / 4 ** j
      const v = 50 / 4 ** k + noise
      expect(mean(s.data.map((x) => x * x)) / v).toBeGreaterThan(0.9)
      expect(mean(s.data.map((x) => x * x)) / v).toBeLessThan(1.1)
    })
    const st = jkonetTaskData('styblinski', { n: 10 })
    expect(st.snapshots.length).toBe(6)
    expect(st.gradPotential([1, 0])[0]).toBeCloseTo((3 - 32 + 5) / 2, 12)
  })
  it('rejects bad input with expected/got', () => {
    expect(() => jkonetStarData({ potential: 'nope' as never })).toThrow(/expected potential/)
    expect(() => jkonetStarData({ potential: 'flat', n: 0 })).toThrow(/expected n/)
  })
})
