/**
 * A trained (or training) WLM model: the potential network's weights (and their EMA), the
 * friction, and the integrator; simulation for forecasts, interpolations and new populations.
 *
 * Weights are tf.Variables owned by the model (call `dispose()`); `getState()` / `setState()`
 * move every number (weights, EMA, friction, optimiser moments) as plain Float32Arrays, so a
 * checkpoint is `{ spec, state }`, both serialisable.
 */
import * as tf from '@tensorflow/tfjs'
import { invalidInput } from '@shared/errors'
import { checkAborted, type EngineContext } from '../common/context'
import type { PointCloud } from '../ot/types'
import { createRng } from '../stats/random'
import { initialState, leapfrog, stepsFor, type IntegratorScheme, type PhaseState } from './integrator'
import { initialParameters, parameterShapes, particleEnergies, potentialForce, resolveArchitecture, type Params, type WlmArchitecture } from './network'

/** Everything needed to rebuild a model (JSON-serialisable). */
export interface WlmModelSpec {
  architecture: WlmArchitecture
  /** Initial (or fixed) friction γ ≥ 0. */
  friction: number
  /** γ = e^ρ is learned (ρ initialised at log max(γ₀, 0.01), as the reference). */
  learnFriction: boolean
  scheme: IntegratorScheme
  /** Default maximal integrator step at inference (the user may override per call). */
  evalStep: number
  /** Seed of the initial weights. */
  seed: number
}

/** All numbers of a model as Float32Arrays: `param/<name>`, `ema/<name>`, `friction` (γ), `rho` (log γ, when learnable), `adam/...` (written by training). */
export type WlmState = Record<string, Float32Array>

export interface SimulateOptions {
  /** Maximal integrator step. @default spec.evalStep */
  step?: number
  /** Use the EMA weights when present. @default true */
  useEma?: boolean
  /**
   * Simulate the population in independent random groups of at most this many particles (the
   * attention is O(N²) in time and memory per group; training used groups of `batchSize`).
   * @default all particles in one group
   */
  groupSize?: number
  /** Seed of the grouping. @default 0 */
  seed?: number
}

export interface Trajectory {
  times: number[]
  /** Positions at each requested time (rows = the initial rows). */
  positions: PointCloud[]
  velocities: PointCloud[]
}

/** A variable from a fresh tensor, which is then released (tf.variable keeps its own reference to the data). */
export function ownedVariable(t: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(t, trainable)
  t.dispose()
  return v
}

/** v ← values (the temporary tensor is released). */
export function assignValues(v: tf.Variable, values: Float32Array | number[]): void {
  const t = tf.tensor(values, v.shape, 'float32')
  v.assign(t)
  t.dispose()
}

export class WlmModel {
  readonly spec: WlmModelSpec
  readonly params = new Map<string, tf.Variable>()
  ema: Map<string, tf.Variable> | null = null
  /** ρ with γ = e^ρ when learnable, else null. */
  readonly rho: tf.Variable | null
  private disposed = false

  constructor(spec: WlmModelSpec) {
    this.spec = { ...spec, architecture: resolveArchitecture(spec.architecture.dim, spec.architecture) }
    if (!(spec.friction >= 0 && Number.isFinite(spec.friction))) throw invalidInput(`wlm: expected friction >= 0, got ${spec.friction}`)
    if (!(spec.evalStep > 0)) throw invalidInput(`wlm: expected evalStep > 0, got ${spec.evalStep}`)
    const init = initialParameters(this.spec.architecture, createRng(spec.seed))
    for (const [name, { shape, values }] of init) this.params.set(name, ownedVariable(tf.tensor(values, shape, 'float32'), true))
    this.rho = spec.learnFriction ? ownedVariable(tf.scalar(Math.log(spec.friction > 0 ? spec.friction : 0.01)), true) : null
  }

  get architecture(): WlmArchitecture {
    return this.spec.architecture
  }

  /** Current friction γ. */
  friction(): number {
    return this.rho ? Math.exp(this.rho.dataSync()[0]!) : this.spec.friction
  }

  /** γ as used inside a differentiated roll-out: a tensor (learnable) or a number. */
  frictionTensor(): number | tf.Scalar {
    return this.rho ? (tf.exp(this.rho) as tf.Scalar) : this.spec.friction
  }

  /** Starts an EMA copy of the weights (training does this when `emaDecay` is set). */
  enableEma(): void {
    if (this.ema) return
    this.ema = new Map()
    for (const [k, v] of this.params) this.ema.set(k, ownedVariable(tf.clone(v), false))
  }

  weights(useEma = true): Params {
    return useEma && this.ema ? this.ema : this.params
  }

  /** Every number of the model (copies). Training adds its optimiser state through `extra`. */
  getState(extra: WlmState = {}): WlmState {
    const out: WlmState = {}
    for (const [k, v] of this.params) out[`param/${k}`] = Float32Array.from(v.dataSync() as Float32Array)
    if (this.ema) for (const [k, v] of this.ema) out[`ema/${k}`] = Float32Array.from(v.dataSync() as Float32Array)
    out.friction = Float32Array.of(this.friction())
    if (this.rho) out.rho = Float32Array.from(this.rho.dataSync() as Float32Array) // exact (γ = e^ρ would round)
    return { ...out, ...extra }
  }

  /** Restores `param/*` (required), `ema/*` (if present) and `friction` (if learnable). */
  setState(state: WlmState): void {
    const put = (v: tf.Variable, key: string) => {
      const a = state[key]
      if (!a) throw invalidInput(`wlm checkpoint: expected entry ${key}, got none`)
      if (a.length !== v.size) throw invalidInput(`wlm checkpoint: expected ${v.size} values for ${key}, got ${a.length}`)
      assignValues(v, a)
    }
    for (const [k, v] of this.params) put(v, `param/${k}`)
    if (Object.keys(state).some((k) => k.startsWith('ema/'))) {
      this.enableEma()
      for (const [k, v] of this.ema!) put(v, `ema/${k}`)
    }
    if (this.rho && state.rho) assignValues(this.rho, state.rho)
    else if (this.rho && state.friction) {
      const g = state.friction[0]!
      if (!(g > 0)) throw invalidInput(`wlm checkpoint: expected friction > 0 for a learnable friction, got ${g}`)
      assignValues(this.rho, [Math.log(g)])
    }
  }

  /** Parameter names in checkpoint order. */
  parameterNames(): string[] {
    return parameterShapes(this.spec.architecture).map(([n]) => n)
  }

  /** Population energy U_θ(X) = (1/N) Σ ψ_i and the per-particle ψ_i at time t. */
  energy(x: PointCloud, t = 0, useEma = true): { total: number; perParticle: Float64Array } {
    this.checkCloud(x, 'x')
    const psi = tf.tidy(() => particleEnergies(this.weights(useEma), this.architecture, tf.tensor2d(Float32Array.from(x.data), [x.n, x.d], 'float32'), t))
    const per = Float64Array.from(psi.dataSync())
    psi.dispose()
    return { total: per.reduce((a, b) => a + b, 0) / x.n, perParticle: per }
  }

  /** Conservative accelerations a_i = −N ∇_{x_i} U_θ(X) (without the friction term −γ v_i), [n×d]. */
  accelerations(x: PointCloud, t = 0, useEma = true): PointCloud {
    this.checkCloud(x, 'x')
    const f = tf.tidy(() => potentialForce(this.weights(useEma), this.architecture, tf.tensor2d(Float32Array.from(x.data), [x.n, x.d], 'float32'), t))
    const out = Float64Array.from(f.dataSync())
    f.dispose()
    return { data: out, n: x.n, d: x.d }
  }

  /**
   * Simulates the learned mechanics from positions x0 and velocities v0 (null = at rest) at time
   * t0 through the increasing `times` (all > t0), with the damped leapfrog and steps ≤ `step`.
   * Uses: forecast beyond the last snapshot (x0 = μ_0, times up to the horizon), interpolation of
   * a held-out snapshot (x0 = the previous observed snapshot with its velocities), a new initial
   * population.
   */
  simulate(x0: PointCloud, v0: PointCloud | null, t0: number, times: number[], opts: SimulateOptions = {}, ctx?: EngineContext): Trajectory {
    this.checkCloud(x0, 'x0')
    if (v0) {
      this.checkCloud(v0, 'v0')
      if (v0.n !== x0.n) throw invalidInput(`wlm simulate: expected ${x0.n} initial velocities, got ${v0.n}`)
    }
    let prev = t0
    for (const t of times) {
      if (!(Number.isFinite(t) && t > prev)) throw invalidInput(`wlm simulate: expected times increasing from t0 = ${t0}, got [${times.join(', ')}]`)
      prev = t
    }
    const hMax = opts.step ?? this.spec.evalStep
    if (!(hMax > 0)) throw invalidInput(`wlm simulate: expected step > 0, got ${hMax}`)
    const n = x0.n, d = x0.d
    const groupSize = Math.min(n, opts.groupSize ?? n)
    if (!(Number.isInteger(groupSize) && groupSize >= 1)) throw invalidInput(`wlm simulate: expected groupSize an integer >= 1, got ${opts.groupSize}`)
    const order = groupSize >= n ? Int32Array.from({ length: n }, (_, i) => i) : createRng(opts.seed ?? 0).permutation(n)
    const positions = times.map(() => new Float64Array(n * d))
    const velocities = times.map(() => new Float64Array(n * d))
    const params = this.weights(opts.useEma ?? true)
    const gamma = this.friction()
    const force = (x: tf.Tensor2D, t: number) => potentialForce(params, this.architecture, x, t)
    const totalSteps = times.length * Math.ceil(n / groupSize)
    let done = 0
    for (let g0 = 0; g0 < n; g0 += groupSize) {
      const rows = order.subarray(g0, Math.min(n, g0 + groupSize))
      const xs = new Float32Array(rows.length * d), vs = new Float32Array(rows.length * d)
      rows.forEach((r, i) => {
        for (let c = 0; c < d; c++) {
          xs[i * d + c] = x0.data[r * d + c]!
          vs[i * d + c] = v0 ? v0.data[r * d + c]! : 0
        }
      })
      const first = tf.tidy(() => {
        const st = initialState(force, tf.tensor2d(xs, [rows.length, d]), tf.tensor2d(vs, [rows.length, d]), t0)
        return [st.x, st.v, st.f] as tf.Tensor[]
      })
      let s: PhaseState = { x: first[0] as tf.Tensor2D, v: first[1] as tf.Tensor2D, f: first[2] as tf.Tensor2D, t: t0 }
      for (let k = 0; k < times.length; k++) {
        const { n: steps, h } = stepsFor(times[k]! - s.t, hMax)
        for (let j = 0; j < steps; j++) {
          const old = s
          const next = tf.tidy(() => {
            const r = leapfrog(force, old, h, 1, gamma, this.spec.scheme)
            return [r.x, r.v, r.f] as tf.Tensor[]
          })
          s = { x: next[0] as tf.Tensor2D, v: next[1] as tf.Tensor2D, f: next[2] as tf.Tensor2D, t: old.t + h }
          tf.dispose([old.x, old.v, old.f])
        }
        s.t = times[k]!
        const xv = s.x.dataSync(), vv = s.v.dataSync()
        rows.forEach((r, i) => {
          for (let c = 0; c < d; c++) {
            positions[k]![r * d + c] = xv[i * d + c]!
            velocities[k]![r * d + c] = vv[i * d + c]!
          }
        })
        done++
        ctx?.onProgress?.({ fraction: done / totalSteps, stage: 'simulate' })
        checkAborted(ctx)
      }
      tf.dispose([s.x, s.v, s.f])
    }
    return { times: [...times], positions: positions.map((data) => ({ data, n, d })), velocities: velocities.map((data) => ({ data, n, d })) }
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    for (const v of this.params.values()) v.dispose()
    if (this.ema) for (const v of this.ema.values()) v.dispose()
    this.rho?.dispose()
  }

  private checkCloud(c: PointCloud, what: string): void {
    const D = this.architecture.dim
    if (!(c && c.d === D && Number.isInteger(c.n) && c.n >= 1 && c.data instanceof Float64Array && c.data.length === c.n * c.d)) {
      throw invalidInput(`wlm: expected ${what} to be a cloud {data: Float64Array(n·${D}), n, d: ${D}}, got n = ${c?.n}, d = ${c?.d}, length = ${c?.data?.length}`)
    }
    for (let i = 0; i < c.data.length; i++) {
      if (!Number.isFinite(c.data[i]!)) throw invalidInput(`wlm: expected finite values in ${what}, got ${c.data[i]} at row ${Math.floor(i / c.d)}`)
    }
  }
}
