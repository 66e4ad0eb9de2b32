/**
 * Damped leapfrog (velocity Verlet with friction) for dx/dt = v, dv/dt = F(x, t) − γ v
 * (SPEC §4.5; reference guanton/WLM `mechanics.py` `leapfrog_auto`, peers.md §2.2).
 *
 * With step h and m = e^{−γh/2}, each step (the force is reused from the previous step):
 *   v½ = m v + c F(x, t);   x ← x + h v½;   t ← t + h;   F ← F(x, t);   v ← m v½ + c F
 * and the kick coefficient c is, by `scheme`:
 * - 'exponential' (default of these functions): c = (1 − m)/γ = (h/2)·(1 − e^{−z})/z with z = γh/2, the exact kick
 *   of dv/dt = F − γv over h/2 with F frozen, so the scheme is consistent with the ODE above for
 *   every γ (c → h/2 as γ → 0: plain velocity Verlet, symplectic, energy error O(h²)).
 * - 'reference': c = m·h/2 + (1 − m), the reference code's interpolation between the inertial
 *   kick h/2 and "unit mobility" 1 (overdamped limit x ← x + h F). For γ > 0 it is *not* the ODE
 *   above: for small h it is dv/dt = (1 + γ)F − γv, and for γh ≫ 1 it is x ← x + hF, the
 *   gradient flow with unit mobility, whatever γ. The default of training (train.ts), because
 *   with it a learned or large γ can make the dynamics first order without forces ∝ γ.
 * With γ = 0 both are velocity Verlet. Friction may be a tensor (learnable), then m and c are
 * differentiated.
 */
import * as tf from '@tensorflow/tfjs'
import { exp2 } from './ops'

export type IntegratorScheme = 'exponential' | 'reference'

/** Force field F(x, t) → [N, D] (for WLM: −∇_{x_i} Σ_j ψ_j). */
export type ForceFn = (x: tf.Tensor2D, t: number) => tf.Tensor2D

export interface PhaseState {
  x: tf.Tensor2D
  v: tf.Tensor2D
  /** Force at (x, t), reused by the next step. */
  f: tf.Tensor2D
  t: number
}

function coefficients(gamma: number | tf.Scalar, h: number, scheme: IntegratorScheme): { m: number | tf.Scalar; c: number | tf.Scalar } {
  if (typeof gamma === 'number') {
    if (gamma < 1e-12) return { m: 1, c: h / 2 }
    const z = (gamma * h) / 2
    const m = Math.exp(-z)
    return { m, c: scheme === 'reference' ? (m * h) / 2 + (1 - m) : (-Math.expm1(-z) / z) * (h / 2) }
  }
  const z = tf.mul(gamma, h / 2) as tf.Scalar
  const m = exp2(tf.neg(z)) as tf.Scalar
  if (scheme === 'reference') return { m, c: tf.add(tf.mul(m, h / 2), tf.sub(1, m)) as tf.Scalar }
  // (1 − e^{−z})/z: expm1 keeps precision for small z in float32; a learnable γ = e^ρ is > 0.
  return { m, c: tf.mul(tf.div(tf.neg(tf.expm1(tf.neg(z))), z), h / 2) as tf.Scalar }
}

/** Starts a trajectory: evaluates the force at (x, t). */
export function initialState(force: ForceFn, x: tf.Tensor2D, v: tf.Tensor2D, t: number): PhaseState {
  return { x, v, f: force(x, t), t }
}

/** `steps` damped-leapfrog steps of size h. Tensors are not disposed (call inside tf.tidy). */
export function leapfrog(force: ForceFn, s: PhaseState, h: number, steps: number, gamma: number | tf.Scalar, scheme: IntegratorScheme = 'exponential'): PhaseState {
  const { m, c } = coefficients(gamma, h, scheme)
  let { x, v, f, t } = s
  for (let k = 0; k < steps; k++) {
    const vHalf = tf.add(tf.mul(v, m), tf.mul(f, c)) as tf.Tensor2D
    x = tf.add(x, tf.mul(vHalf, h)) as tf.Tensor2D
    t += h
    f = force(x, t)
    v = tf.add(tf.mul(vHalf, m), tf.mul(f, c)) as tf.Tensor2D
  }
  return { x, v, f, t }
}

/** Number of steps and step size to cross an interval Δ with steps no longer than hMax: n = max(1, round(Δ/hMax)), h = Δ/n. */
export function stepsFor(delta: number, hMax: number): { n: number; h: number } {
  const n = Math.max(1, Math.round(delta / hMax - 1e-9))
  return { n, h: delta / n }
}

/**
 * Rolls out from (x0, v0) at t0 through increasing `times` (> t0), steps ≤ hMax within each
 * interval; returns the state at each time (positions and velocities as tensors).
 */
export function rollout(
  force: ForceFn,
  x0: tf.Tensor2D,
  v0: tf.Tensor2D,
  t0: number,
  times: number[],
  hMax: number,
  gamma: number | tf.Scalar,
  scheme: IntegratorScheme = 'exponential',
  onStep?: (k: number) => void,
): PhaseState[] {
  let s = initialState(force, x0, v0, t0)
  const out: PhaseState[] = []
  times.forEach((t, k) => {
    const { n, h } = stepsFor(t - s.t, hMax)
    s = leapfrog(force, s, h, n, gamma, scheme)
    s.t = t // no drift of the clock by rounding
    out.push(s)
    onStep?.(k)
  })
  return out
}
