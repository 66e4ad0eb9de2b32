/**
 * Damped leapfrog on a known potential: U = ½ Σ|x_i|²/N, so a_i = −N ∇_{x_i} U = −x_i
 * (harmonic oscillator, ω = 1, period 2π).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, tf } from '../../../../src-main/compute/backend'
import { initialState, leapfrog, rollout, stepsFor } from '../../../../src-main/engines/wlm/index'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

const harmonic = (x: tf.Tensor2D) => tf.neg(x) as tf.Tensor2D
const X0 = [[1, 0], [0.5, -0.3], [-0.2, 0.8]]
const V0 = [[0, 1], [0.4, 0.1], [-0.6, 0]]
const energy = (x: tf.Tensor2D, v: tf.Tensor2D) => 0.5 * tf.sum(tf.square(v)).dataSync()[0]! + 0.5 * tf.sum(tf.square(x)).dataSync()[0]!

/** Exact x(t), v(t) of x″ = −x − γx′ (underdamped, γ < 2), per coordinate. */
function exact(x0: number, v0: number, gamma: number, t: number): [number, number] {
  const w = Math.sqrt(1 - (gamma * gamma) / 4), e = Math.exp((-gamma * t) / 2)
  const A = x0, B = (v0 + (gamma * x0) / 2) / w
  const x = e * (A * Math.cos(w * t) + B * Math.sin(w * t))
  const v = -(gamma / 2) * x + e * (-A * w * Math.sin(w * t) + B * w * Math.cos(w * t))
  return [x, v]
}

function maxErrorAt(T: number, h: number, gamma: number, scheme: 'exponential' | 'reference' = 'exponential'): number {
  return tf.tidy(() => {
    const s = leapfrog(harmonic, initialState(harmonic, tf.tensor2d(X0), tf.tensor2d(V0), 0), h, Math.round(T / h), gamma, scheme)
    const x = s.x.arraySync()
    let err = 0
    X0.forEach((r, i) => r.forEach((x0, c) => (err = Math.max(err, Math.abs(x[i]![c]! - exact(x0, V0[i]![c]!, gamma, T)[0])))))
    return err
  })
}

describe('damped leapfrog', () => {
  it('γ = 0: energy is conserved over 10 periods (|ΔE|/E < h²/4, no drift), orbit error O(h²)', () => {
    tf.tidy(() => {
      const h = 0.05
      let s = initialState(harmonic, tf.tensor2d(X0), tf.tensor2d(V0), 0)
      const E0 = energy(s.x, s.v)
      let worst = 0
      const steps = Math.round((20 * Math.PI) / h)
      for (let k = 0; k < steps; k += 50) {
        s = leapfrog(harmonic, s, h, Math.min(50, steps - k), 0)
        worst = Math.max(worst, Math.abs(energy(s.x, s.v) - E0) / E0)
      }
      // velocity Verlet on ω = 1: the energy oscillates with relative amplitude ≤ h²/8 and does not drift
      expect(worst).toBeLessThan((h * h) / 4)
      expect(worst).toBeGreaterThan(0) // it is a numerical scheme, not the exact flow
    })
    const e1 = maxErrorAt(2, 0.1, 0), e2 = maxErrorAt(2, 0.05, 0)
    expect(e1 / e2).toBeGreaterThan(3.5) // second order: halving h divides the error by ~4
    expect(e1 / e2).toBeLessThan(4.5)
  })

  it('γ > 0: energy decays (≈ e^{−γt} on average); the exponential scheme converges to the exact damped solution at order 2', () => {
    tf.tidy(() => {
      const gamma = 0.4, h = 0.05
      let s = initialState(harmonic, tf.tensor2d(X0), tf.tensor2d(V0), 0)
      const E0 = energy(s.x, s.v)
      let prev = E0
      for (let period = 1; period <= 3; period++) {
        s = leapfrog(harmonic, s, h, Math.round((2 * Math.PI) / h), gamma)
        const E = energy(s.x, s.v)
        expect(E).toBeLessThan(prev)
        prev = E
      }
      const ratio = prev / E0, T = 3 * Math.round((2 * Math.PI) / h) * h
      expect(Math.log(ratio) / T).toBeGreaterThan(-gamma * 1.15)
      expect(Math.log(ratio) / T).toBeLessThan(-gamma * 0.85)
    })
    const e1 = maxErrorAt(3, 0.1, 0.4), e2 = maxErrorAt(3, 0.05, 0.4)
    expect(e2).toBeLessThan(2e-3)
    expect(e1 / e2).toBeGreaterThan(3.5)
    expect(e1 / e2).toBeLessThan(4.5)
    // the reference code's kick (c = m h/2 + 1 − m) is a different ODE for γ > 0: it does not converge to it
    expect(maxErrorAt(3, 0.05, 0.4, 'reference')).toBeGreaterThan(50 * e2)
  })

  it('γ = 0 fixed: the two kick schemes are the same velocity Verlet (so the scheme cannot change a γ = 0 run, e.g. Boids)', () => {
    tf.tidy(() => {
      const run = (scheme: 'exponential' | 'reference') => leapfrog(harmonic, initialState(harmonic, tf.tensor2d(X0), tf.tensor2d(V0), 0), 0.1, 30, 0, scheme)
      const a = run('exponential'), b = run('reference')
      expect(Array.from(b.x.dataSync())).toEqual(Array.from(a.x.dataSync()))
      expect(Array.from(b.v.dataSync())).toEqual(Array.from(a.v.dataSync()))
      // … while for γ > 0 they differ
      const c = leapfrog(harmonic, initialState(harmonic, tf.tensor2d(X0), tf.tensor2d(V0), 0), 0.1, 30, 0.4, 'reference')
      expect(Math.abs(c.x.dataSync()[0]! - leapfrog(harmonic, initialState(harmonic, tf.tensor2d(X0), tf.tensor2d(V0), 0), 0.1, 30, 0.4, 'exponential').x.dataSync()[0]!)).toBeGreaterThan(1e-3)
    })
  })

  it('rollout crosses uneven gaps with steps ≤ hMax and returns the state at each time', () => {
    expect(stepsFor(0.3, 0.1)).toEqual({ n: 3, h: 0.3 / 3 })
    expect(stepsFor(0.05, 0.1).n).toBe(1)
    tf.tidy(() => {
      const states = rollout(harmonic, tf.tensor2d(X0), tf.tensor2d(V0), 0, [0.5, 1.5, 1.6], 0.01, 0)
      expect(states.map((s) => s.t)).toEqual([0.5, 1.5, 1.6])
      const x = states[1]!.x.arraySync()
      X0.forEach((r, i) => r.forEach((x0, c) => expect(x[i]![c]!).toBeCloseTo(exact(x0, V0[i]![c]!, 0, 1.5)[0], 3)))
    })
  })
})
