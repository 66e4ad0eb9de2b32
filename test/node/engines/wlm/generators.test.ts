/** Data generators of the WLM benchmarks: Boids (peers.md §2.5) and gradient-flow SDEs. */
import { describe, expect, it } from 'vitest'
import { boids } from '../../../../src-main/engines/synth/boids'
import { gradientFlowSde, probabilityFlowVelocity, WLM_SDE_POTENTIALS, wlmSdePotentials } from '../../../../src-main/engines/synth/sde'
import { createRng } from '../../../../src-main/engines/stats/random'

describe('boids', () => {
  it('unit speed, x_k − x_{k−1} = dt·v_k, zero mean initial velocity, deterministic per seed', () => {
    const a = boids({ n: 60, steps: 8, dt: 0.5, seed: 3 })
    const b = boids({ n: 60, steps: 8, dt: 0.5, seed: 3 })
    expect(a.times).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4])
    expect(a.positions).toHaveLength(9)
    expect(Array.from(b.positions[8]!.data)).toEqual(Array.from(a.positions[8]!.data))
    for (let k = 0; k <= 8; k++) {
      const v = a.velocities[k]!.data
      for (let i = 0; i < 60; i++) expect(Math.hypot(v[2 * i]!, v[2 * i + 1]!)).toBeCloseTo(1, 12)
      if (k > 0) for (let j = 0; j < 120; j++) expect(a.positions[k]!.data[j]! - a.positions[k - 1]!.data[j]!).toBeCloseTo(0.5 * v[j]!, 12)
    }
    // v_0 was mean-subtracted before normalisation: its mean is small relative to unit speed
    const v0 = a.velocities[0]!.data
    let mx = 0, my = 0
    for (let i = 0; i < 60; i++) { mx += v0[2 * i]!; my += v0[2 * i + 1]! }
    expect(Math.hypot(mx, my) / 60).toBeLessThan(0.3)
  })

  it('one step on two agents reproduces the rules by hand (cohesion, separation, alignment)', () => {
    // agents 0.2 apart along x (inside both radii), both heading +y: alignment 0,
    // dv_0 = 0.005·(Δ/2) + 0.1·(−Δ) with Δ = (0.2, 0) → (−0.0195, 0); dv_1 = −dv_0
    const r = boids({ n: 2, steps: 1, dt: 0.5, initial: { positions: Float64Array.of(0, 0, 0.2, 0), velocities: Float64Array.of(0, 1, 0, 1) } })
    const raw = [0.5 * -0.0195, 1]
    const s = Math.hypot(raw[0]!, raw[1]!)
    const v = r.velocities[1]!.data
    expect(v[0]).toBeCloseTo(raw[0]! / s, 12)
    expect(v[1]).toBeCloseTo(raw[1]! / s, 12)
    expect(v[2]).toBeCloseTo(-raw[0]! / s, 12)
    expect(r.positions[1]!.data[0]).toBeCloseTo(0.5 * v[0]!, 12)
  })

  it('the boundary turns an agent leaving the box back in (unless it hits it head-on: the push is then absorbed by the unit-speed normalisation)', () => {
    const head = boids({ n: 1, steps: 10, dt: 0.5, initial: { positions: Float64Array.of(4.8, 0), velocities: Float64Array.of(1, 0) } })
    expect(head.positions[10]!.data[0]).toBeCloseTo(9.8, 12)
    const r = boids({ n: 1, steps: 40, dt: 0.5, initial: { positions: Float64Array.of(4.8, 0), velocities: Float64Array.of(0.8, 0.6) } })
    const xs = r.positions.map((p) => p.data[0]!)
    expect(Math.max(...xs)).toBeGreaterThan(5)
    expect(Math.max(...xs)).toBeLessThan(8)
    expect(xs[40]!).toBeLessThan(5)
  })
})

describe('gradient-flow SDE', () => {
  it('analytic gradients match central differences for every potential', () => {
    const rng = createRng(2)
    for (const name of WLM_SDE_POTENTIALS) {
      const p = wlmSdePotentials[name]
      const d = name === 'bohachevsky' ? 2 : 3
      const x = Array.from({ length: d }, () => rng.normal())
      const g = p.grad(x, new Float64Array(d))
      for (let c = 0; c < d; c++) {
        const h = 1e-6, xp = [...x], xm = [...x]
        xp[c] += h
        xm[c] -= h
        expect(g[c]!).toBeCloseTo((p.value(xp) - p.value(xm)) / (2 * h), 5)
      }
    }
  })

  it('σ = 0, poly: paired rows follow x_0 (1 − h)^{steps} exactly; unpaired rows are fresh draws of x_0 pushed forward', () => {
    const paired = gradientFlowSde({ potential: 'poly', n: 50, steps: 3, sigma: 0, seed: 1 })
    const f = (k: number) => Math.pow(1 - 0.001, 10 * k)
    for (let j = 0; j < 100; j++) expect(paired.snapshots[3]!.data[j]!).toBeCloseTo(paired.snapshots[0]!.data[j]! * f(3), 12)
    const un = gradientFlowSde({ potential: 'poly', n: 50, steps: 3, sigma: 0, seed: 1, independent: true })
    expect(un.paired).toBe(false)
    const x0 = un.snapshots[0]!.data
    for (let i = 0; i < 50; i++) {
      const a = un.snapshots[2]!.data[2 * i]! / f(2)
      let found = false
      for (let r = 0; r < 50 && !found; r++) found = Math.abs(x0[2 * r]! - a) < 1e-9
      expect(found).toBe(true)
    }
  })

  it('poly (Ornstein–Uhlenbeck): variance at t = 0.2 matches v₀e^{−2t} + σ²(1 − e^{−2t})/2, paired and unpaired', () => {
    const want = 0.2 * Math.exp(-0.4) + 0.5 * (1 - Math.exp(-0.4))
    for (const independent of [false, true]) {
      const N = 2000
      const r = gradientFlowSde({ potential: 'poly', n: N, steps: 20, seed: 5, independent })
      const x = r.snapshots[20]!.data
      for (let c = 0; c < 2; c++) {
        let m = 0, s = 0
        for (let i = 0; i < N; i++) m += x[2 * i + c]! / N
        for (let i = 0; i < N; i++) s += (x[2 * i + c]! - m) ** 2 / (N - 1)
        expect(Math.abs(m)).toBeLessThan(4 * Math.sqrt(want / N))
        expect(Math.abs(s - want)).toBeLessThan(4 * want * Math.sqrt(2 / N)) // 4 standard errors
      }
    }
  })

  it('probability-flow velocity of a cloud narrower than equilibrium points outwards (sign of the Fokker–Planck score term)', () => {
    // poly, σ = 1: equilibrium N(0, ½ I); a N(0, 0.05 I) cloud must spread: mean of v·x > 0
    const rng = createRng(8)
    const n = 300
    const data = rng.normals(n * 2, 0, Math.sqrt(0.05))
    const v = probabilityFlowVelocity({ data, n, d: 2 }, wlmSdePotentials.poly, 1)
    let dot = 0
    for (let i = 0; i < n * 2; i++) dot += v.data[i]! * data[i]!
    expect(dot / n).toBeGreaterThan(0)
  })
})
