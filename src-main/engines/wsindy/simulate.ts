/**
 * Data-driven validation simulation (SPEC §4.2 (d); paper §3.1; reference `simnu_split.m`): only the
 * focal cell i is simulated with a model; every other cell follows the data, interpolated by PCHIP
 * (positions and finite-difference velocities, per coordinate). Forward Euler on (x_i, v_i) with
 * Δt' = Δt/substeps from the observed x_i(t_0), v_i(t_0) over the first L' = ⌊horizon·L⌋ observation
 * times; ΔV_i = ‖V̂_i − V_i‖_F / ‖V_i‖_F over those times (relative velocity error). A run that
 * leaves the finite numbers returns ΔV = `maxError`.
 */
import { Pchip } from '../stats'
import { layout, laguerreFunctions } from './library'
import type { WsindyData } from './types'

export interface ValidationOptions {
  /** Euler sub-steps per observation interval. @default 32 */
  substeps?: number
  /** Fraction of the L observation times simulated. @default 0.25 */
  horizon?: number
  /** Cap on ΔV (also returned for a diverging run). @default 1000 */
  maxError?: number
}

const interpCache = new WeakMap<WsindyData, Pchip>()

/** PCHIP of every cell's (x, y, v_x, v_y) over the observation times (cached per data object). */
export function neighbourInterpolant(data: WsindyData): Pchip {
  let p = interpCache.get(data)
  if (!p) {
    const { n, L, t0, dt, positions: X, velocities: V } = data
    const y = new Float64Array(L * 4 * n)
    for (let k = 0; k < L; k++) {
      for (let j = 0; j < n; j++) {
        const o = (j * L + k) * 2, q = (k * n + j) * 4
        y[q] = X[o]!
        y[q + 1] = X[o + 1]!
        y[q + 2] = V[o]!
        y[q + 3] = V[o + 1]!
      }
    }
    p = Pchip.build(Float64Array.from({ length: L }, (_, k) => t0 + k * dt), y, 4 * n)
    interpCache.set(data, p)
  }
  return p
}

/** A model's acceleration of cell i at (x, v) among neighbours nb (n × 4: x, y, v_x, v_y). */
export function makeForce(data: WsindyData, w: ArrayLike<number>): (i: number, x: number, y: number, vx: number, vy: number, nb: Float64Array, out: Float64Array) => void {
  const { lib, n: N } = data
  const lay = layout(lib)
  const nR = lib.arRadial, ne = lib.alignExponents.length
  let maxL = -1
  const arActive: number[] = []
  for (let j = lay.ar; j < lay.align; j++) if (w[j] !== 0) {
    arActive.push(j)
    maxL = Math.max(maxL, j % nR)
  }
  const alActive: number[] = []
  for (let j = lay.align; j < lay.drag; j++) if (w[j] !== 0) alActive.push(j)
  const drActive: number[] = []
  for (let j = lay.drag; j < lay.size; j++) if (w[j] !== 0) drActive.push(j)
  const R = new Float64Array(Math.max(1, maxL + 1))
  const rates = lib.alignExponents.map((l) => Math.pow(2, l))
  const unit = lib.kernel === 'unit'
  return (i, xi, yi, vxi, vyi, nb, out) => {
    const sp = Math.hypot(vxi, vyi)
    let ax = 0, ay = 0, cm0 = 0, cm1 = 0
    for (let j = 0; j < N; j++) {
      if (j === i) continue
      const dx = xi - nb[4 * j]!, dy = yi - nb[4 * j + 1]!
      const r = Math.hypot(dx, dy)
      const c1 = sp > 0 && r > 0 ? -(vxi * dx + vyi * dy) / (sp * r) : 0
      const c2 = 2 * c1 * c1 - 1
      if (arActive.length) {
        laguerreFunctions(lib.alpha * r, R)
        let f = 0
        for (const col of arActive) {
          const n = Math.floor(col / nR)
          f += w[col]! * (n === 0 ? 1 : n === 1 ? c1 : c2) * R[col % nR]!
        }
        if (unit) f = r > 0 ? f / r : 0
        ax += f * dx
        ay += f * dy
      }
      if (alActive.length) {
        let g = 0
        for (const col of alActive) {
          const k = col - lay.align, n = Math.floor(k / ne)
          g += w[col]! * (n === 0 ? 2 : n === 1 ? 1 + c1 : 1 + c2) * Math.exp(-rates[k % ne]! * r)
        }
        ax += g * (vxi - nb[4 * j + 2]!)
        ay += g * (vyi - nb[4 * j + 3]!)
      }
      cm0 += 2
      cm1 += 1 + c1
    }
    ax /= N
    ay /= N
    if (drActive.length) {
      let d = 0
      for (const col of drActive) {
        const k = col - lay.drag, n = Math.floor(k / lib.dragPowers)
        d += (w[col]! * (n === 0 ? cm0 : cm1) * Math.pow(sp, k % lib.dragPowers)) / (N - 1)
      }
      ax += d * vxi
      ay += d * vyi
    }
    out[0] = ax
    out[1] = ay
  }
}

/** ΔV of model w on cell i (one independent task). Also returns the simulated velocities (L' × 2). */
export function validationError(data: WsindyData, w: ArrayLike<number>, i: number, o: ValidationOptions = {}): { error: number; velocities: Float64Array } {
  const sub = o.substeps ?? 32
  const Lp = Math.max(2, Math.floor((o.horizon ?? 0.25) * data.L))
  const cap = o.maxError ?? 1000
  const { L, dt, t0, velocities: V, positions: X } = data
  const pc = neighbourInterpolant(data)
  const force = makeForce(data, w)
  const nb = new Float64Array(4 * data.n)
  const acc = new Float64Array(2)
  let x = X[i * L * 2]!, y = X[i * L * 2 + 1]!, vx = V[i * L * 2]!, vy = V[i * L * 2 + 1]!
  const vs = new Float64Array(Lp * 2)
  vs[0] = vx
  vs[1] = vy
  const h = dt / sub
  let ok = true
  for (let k = 1; k < Lp && ok; k++) {
    for (let s = 0; s < sub; s++) {
      pc.evaluateAt(t0 + (k - 1) * dt + s * h, nb)
      force(i, x, y, vx, vy, nb, acc)
      x += h * vx
      y += h * vy
      vx += h * acc[0]!
      vy += h * acc[1]!
    }
    if (!Number.isFinite(vx + vy + x + y) || Math.abs(vx) + Math.abs(vy) > 1e6) ok = false
    vs[2 * k] = vx
    vs[2 * k + 1] = vy
  }
  if (!ok) return { error: cap, velocities: vs }
  let num = 0, den = 0
  for (let k = 0; k < Lp; k++) {
    for (let c = 0; c < 2; c++) {
      const d = V[(i * L + k) * 2 + c]!
      num += (vs[2 * k + c]! - d) ** 2
      den += d * d
    }
  }
  const e = den > 0 ? Math.sqrt(num / den) : Math.sqrt(num)
  return { error: Math.min(cap, e), velocities: vs }
}
