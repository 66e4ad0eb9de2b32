/**
 * Log-domain Sinkhorn with ε-scaling on TensorFlow.js tensors (internal driver).
 *
 * Problem (balanced entropic OT, geomloss/OTT dual form): for α = Σ a_i δ_{x_i}, β = Σ b_j δ_{y_j},
 *   OT_ε(α, β) = max_{f, g} ⟨a, f⟩ + ⟨b, g⟩ − ε ⟨a ⊗ b, exp((f ⊕ g − C)/ε) − 1⟩,
 * solved by the alternating soft-min updates
 *   g_j ← −ε log Σ_i a_i exp((f_i − c(x_i, y_j))/ε),   f_i ← −ε log Σ_j b_j exp((g_j − c(x_i, y_j))/ε),
 * and, for the debiasing terms OT_ε(α, α), OT_ε(β, β), the symmetric averaged update
 *   f ← ½ (f + softmin_α(f))          (Feydy et al. 2019, §3.1).
 * ε-scaling: one iteration at each ε of `epsilonSchedule` (diameter^p down to the target), then
 * iterations at the target ε until the marginal error ≤ tol (stopping rule below), through the
 * shared driver `runFixedPoint`.
 *
 * Stopping rule: after each f-update the row marginal of π = diag(a) e^{(f⊕g−C)/ε} diag(b) is
 * exact; the column marginal is b_j exp((g_j − ĝ_j)/ε) with ĝ the next g-update, so the error is
 * Σ_j b_j |exp((g_j − ĝ_j)/ε) − 1| / Σ b (and a_i |exp((f_i − T f_i)/ε) − 1| summed for the
 * symmetric problems). ĝ is kept and reused by the next iteration, so checking every iteration
 * costs no extra kernel pass.
 *
 * Every tensor allocated here is owned and disposed explicitly (the caller owns the returned
 * potentials), so the solver runs inside or outside tf.tidy / tf.customGrad.
 *
 * References: J. Feydy et al., "Interpolating between Optimal Transport and MMD using Sinkhorn
 * Divergences", AISTATS 2019; J. Feydy, PhD thesis (2020) ch. 3 (ε-scaling); geomloss
 * `sinkhorn_divergence.py`; M. Cuturi et al., OTT-JAX `solvers/linear/sinkhorn.py`.
 */
import * as tf from '@tensorflow/tfjs'
import { checkAborted, runFixedPoint, type EngineContext, type IterationReport } from '../../common/context'
import { invalidInput } from '@shared/errors'
import { epsilonSchedule, type ResolvedOptions } from './config'
import { makeGeometry, type CostExponent, type Geometry } from './geometry'
import { chooseSolverPath, solveBatchCpu, type SinkhornPath, type SinkhornSolver } from './cpu-path'

/** How the kernel is evaluated. */
export type KernelMode = 'auto' | 'dense' | 'online'

export interface CoreOptions extends ResolvedOptions {
  mode: KernelMode
  /** 'auto' | 'cpu' | 'tensor' (cpu-path.ts). */
  solver: SinkhornSolver
  /** Max entries of one [B, rows, cols] kernel temporary; 'auto' is dense iff B·n·m ≤ budget. */
  budget: number
}

/** A validated, centred batch problem. All tensors float32 and owned by the problem. */
export interface BatchProblem {
  /** [B, n, d], centred per batch item by the midpoint of the two means (p = 2 precision). */
  x: tf.Tensor3D
  y: tf.Tensor3D
  a: tf.Tensor2D
  b: tf.Tensor2D
  loga: tf.Tensor2D
  logb: tf.Tensor2D
}

export function disposeProblem(pb: BatchProblem): void {
  for (const t of [pb.x, pb.y, pb.a, pb.b, pb.loga, pb.logb]) t.dispose()
}

function describeShape(t: tf.Tensor): string {
  return `[${t.shape.join(', ')}]`
}

function allFinite(t: tf.Tensor): boolean {
  const flag = tf.tidy(() => tf.all(tf.isFinite(t)))
  const ok = flag.dataSync()[0] === 1
  flag.dispose()
  return ok
}

/**
 * Weights: undefined → uniform 1/n; a tensor [n] (shared by the batch) or [B, n].
 * Non-negative, finite, positive total; the two total masses must agree (balanced OT).
 */
function weightsOf(w: tf.Tensor | undefined, B: number, n: number, name: string): tf.Tensor2D {
  if (w === undefined) return tf.fill([B, n], 1 / n) as tf.Tensor2D
  const okShape = (w.rank === 1 && w.shape[0] === n) || (w.rank === 2 && w.shape[0] === B && w.shape[1] === n)
  if (!okShape) throw invalidInput(`sinkhorn: expected weights ${name} of shape [${n}] or [${B}, ${n}], got ${describeShape(w)}`)
  const v = w.dataSync()
  for (let i = 0; i < v.length; i++) {
    if (!(Number.isFinite(v[i]!) && v[i]! >= 0)) {
      throw invalidInput(`sinkhorn: expected weights ${name} to be finite and >= 0, got ${v[i]} at index ${i}`)
    }
  }
  return tf.tidy(() => tf.broadcastTo(tf.cast(w, 'float32').reshape(w.rank === 1 ? [1, n] : [B, n]), [B, n]) as tf.Tensor2D)
}

/**
 * Validates and prepares a batch problem from [B, n, d] / [B, m, d] clouds (or rank 2, B = 1).
 * Throws invalidInput ("expected …, got …") on bad shapes, NaN/Inf coordinates or weights.
 */
export function makeProblem(x: tf.Tensor, y: tf.Tensor, aIn: tf.Tensor | undefined, bIn: tf.Tensor | undefined, rank: 2 | 3): BatchProblem {
  if (x.rank !== rank) throw invalidInput(`sinkhorn: expected x of rank ${rank}, got shape ${describeShape(x)}`)
  if (y.rank !== rank) throw invalidInput(`sinkhorn: expected y of rank ${rank}, got shape ${describeShape(y)}`)
  const x3 = (rank === 2 ? tf.expandDims(x, 0) : x) as tf.Tensor3D
  const y3 = (rank === 2 ? tf.expandDims(y, 0) : y) as tf.Tensor3D
  const disposeViews = () => {
    if (rank === 2) {
      x3.dispose()
      y3.dispose()
    }
  }
  try {
    const [B, n, d] = x3.shape
    const [By, m, dy] = y3.shape
    if (By !== B) throw invalidInput(`sinkhorn: expected x and y with the same batch size, got ${B} and ${By}`)
    if (d !== dy) throw invalidInput(`sinkhorn: expected x and y with the same dimension, got d = ${d} and ${dy}`)
    if (n < 1 || m < 1 || d < 1 || B < 1) {
      throw invalidInput(`sinkhorn: expected non-empty clouds, got x ${describeShape(x)} and y ${describeShape(y)}`)
    }
    if (!allFinite(x3)) throw invalidInput('sinkhorn: expected finite coordinates in x, got NaN or Inf')
    if (!allFinite(y3)) throw invalidInput('sinkhorn: expected finite coordinates in y, got NaN or Inf')
    const a = weightsOf(aIn, B, n, 'a')
    let b: tf.Tensor2D
    try {
      b = weightsOf(bIn, B, m, 'b')
    } catch (e) {
      a.dispose()
      throw e
    }
    const sums = tf.tidy(() => tf.stack([tf.sum(a, 1), tf.sum(b, 1)]))
    const sv = sums.dataSync()
    sums.dispose()
    const ma = sv.subarray(0, B)
    const mb = sv.subarray(B)
    for (let k = 0; k < B; k++) {
      const sa = ma[k]!, sb = mb[k]!
      if (!(sa > 0 && sb > 0) || Math.abs(sa - sb) > 1e-4 * Math.max(sa, sb)) {
        a.dispose()
        b.dispose()
        throw invalidInput(`sinkhorn: expected weights with equal positive total mass (balanced OT), got Σa = ${sa}, Σb = ${sb} (batch ${k})`)
      }
    }
    return tf.tidy(() => {
      const xf = tf.cast(x3, 'float32') as tf.Tensor3D
      const yf = tf.cast(y3, 'float32') as tf.Tensor3D
      const centre = tf.mul(tf.add(tf.mean(xf, 1, true), tf.mean(yf, 1, true)), 0.5)
      return {
        x: tf.sub(xf, centre) as tf.Tensor3D,
        y: tf.sub(yf, centre) as tf.Tensor3D,
        a,
        b,
        loga: tf.log(a) as tf.Tensor2D,
        logb: tf.log(b) as tf.Tensor2D,
      }
    })
  } finally {
    disposeViews()
  }
}

/** Bounding-box diagonal of both clouds over the whole batch (geomloss `max_diameter`). */
export function diameterOf(x: tf.Tensor3D, y: tf.Tensor3D): number {
  const t = tf.tidy(() => {
    const d = x.shape[2]
    const all = tf.concat([tf.reshape(x, [-1, d]), tf.reshape(y, [-1, d])], 0)
    return tf.sub(tf.max(all, 0), tf.min(all, 0))
  })
  const span = t.dataSync()
  t.dispose()
  // Norm in float64: the float32 square could overflow.
  return Math.sqrt(Array.from(span).reduce((s, v) => s + v * v, 0))
}

interface State {
  fab: tf.Tensor2D
  gab: tf.Tensor2D
  faa?: tf.Tensor2D
  gbb?: tf.Tensor2D
  /** Half-step results computed by the error check, consumed by the next step. */
  cache?: { g: tf.Tensor2D; taa?: tf.Tensor2D; tbb?: tf.Tensor2D }
}

export interface CoreOutput extends IterationReport {
  /** [B, n] and [B, m]; owned by the caller. */
  fab: tf.Tensor2D
  gab: tf.Tensor2D
  /** Symmetric potentials of OT_ε(α, α) and OT_ε(β, β) (divergence only). */
  faa?: tf.Tensor2D
  gbb?: tf.Tensor2D
  eps: number
  epsSchedule: number[]
  /** Whether the kernel was kept dense. */
  dense: boolean
  /** Which solver ran. */
  path: SinkhornPath
  /**
   * Per batch item, ⟨a, fab − faa⟩ + ⟨b, gab − gbb⟩ (faa, gbb taken as 0 without debiasing)
   * computed in float64 by the CPU path; absent on the tensor path.
   */
  value64?: number[]
}

/** Solves on the path `chooseSolverPath` picks (cpu-path.ts). Same contract as solveBatch. */
export function solveAuto(pb: BatchProblem, o: CoreOptions, debias: boolean, ctx?: EngineContext): CoreOutput {
  return chooseSolverPath(o) === 'cpu-stabilised' ? solveBatchCpu(pb, o, debias, ctx) : solveBatch(pb, o, debias, ctx)
}

function stateTensors(s: State): tf.Tensor[] {
  const out: tf.Tensor[] = [s.fab, s.gab]
  if (s.faa) out.push(s.faa)
  if (s.gbb) out.push(s.gbb)
  if (s.cache) {
    out.push(s.cache.g)
    if (s.cache.taa) out.push(s.cache.taa)
    if (s.cache.tbb) out.push(s.cache.tbb)
  }
  return out
}

/**
 * Runs the ε-scaled Sinkhorn loop on a prepared batch problem. With `debias`, also solves the two
 * symmetric problems in the same loop (same schedule); the error is the max over all problems and
 * batch items.
 */
export function solveBatch(pb: BatchProblem, o: CoreOptions, debias: boolean, ctx?: EngineContext): CoreOutput {
  const [B, n] = pb.x.shape
  const m = pb.y.shape[1]
  const p = o.p as CostExponent
  const dense = o.mode === 'dense' || (o.mode === 'auto' && B * n * m <= o.budget)
  const geoms: Geometry[] = []
  const live = new Set<State>()
  const disposeState = (s: State) => {
    if (!live.delete(s)) return
    for (const t of stateTensors(s)) t.dispose()
  }
  const track = (s: State) => (live.add(s), s)
  try {
    const gxy = makeGeometry(pb.x, pb.y, p, dense, o.budget)
    geoms.push(gxy)
    let gxx: Geometry | undefined, gyy: Geometry | undefined
    if (debias) {
      gxx = makeGeometry(pb.x, pb.x, p, dense && B * n * n <= Math.max(o.budget, B * n * m), o.budget)
      geoms.push(gxx)
      gyy = makeGeometry(pb.y, pb.y, p, dense && B * m * m <= Math.max(o.budget, B * n * m), o.budget)
      geoms.push(gyy)
    }
    const diameter = o.diameter ?? diameterOf(pb.x, pb.y)
    const schedule = epsilonSchedule(p, diameter, o.blur, o.scaling)
    const epsT = schedule[schedule.length - 1]!

    // Initialisation at the largest ε: soft-min of zero potentials (geomloss).
    const eps0 = schedule[0]!
    const zA = tf.zeros([B, n]) as tf.Tensor2D
    const zB = tf.zeros([B, m]) as tf.Tensor2D
    let state: State
    try {
      state = track({
        fab: gxy.softminOverQ(eps0, zB, pb.logb),
        gab: gxy.softminOverP(eps0, zA, pb.loga),
        faa: gxx?.softminOverQ(eps0, zA, pb.loga),
        gbb: gyy?.softminOverQ(eps0, zB, pb.logb),
      })
    } finally {
      zA.dispose()
      zB.dispose()
    }

    const symStep = (g: Geometry, eps: number, f: tf.Tensor2D, logw: tf.Tensor2D, cached?: tf.Tensor2D): tf.Tensor2D => {
      const t = cached ?? g.softminOverQ(eps, f, logw)
      const out = tf.tidy(() => tf.mul(tf.add(f, t), 0.5) as tf.Tensor2D)
      t.dispose()
      return out
    }
    const step = (s: State, eps: number): State => {
      const c = s.cache
      s.cache = undefined // ownership of the cached half-steps passes to the new state
      const gab = c?.g ?? gxy.softminOverP(eps, s.fab, pb.loga)
      const fab = gxy.softminOverQ(eps, gab, pb.logb)
      const faa = gxx && s.faa ? symStep(gxx, eps, s.faa, pb.loga, c?.taa) : undefined
      const gbb = gyy && s.gbb ? symStep(gyy, eps, s.gbb, pb.logb, c?.tbb) : undefined
      return track({ fab, gab, faa, gbb })
    }
    // Σ w |exp((pot − next)/ε) − 1| / Σ w per batch item; exponent clipped so a wild early
    // iterate gives a large finite error, not Inf (Inf would read as a numerical failure).
    const marginalErr = (w: tf.Tensor2D, pot: tf.Tensor2D, next: tf.Tensor2D, eps: number) =>
      tf.tidy(() => {
        const z = tf.clipByValue(tf.mul(tf.sub(pot, next), 1 / eps), -60, 60)
        return tf.div(tf.sum(tf.mul(w, tf.abs(tf.sub(tf.exp(z), 1))), 1), tf.sum(w, 1))
      })
    const error = (s: State): number => {
      if (!s.cache) {
        const g = gxy.softminOverP(epsT, s.fab, pb.loga)
        const taa = gxx && s.faa ? gxx.softminOverQ(epsT, s.faa, pb.loga) : undefined
        const tbb = gyy && s.gbb ? gyy.softminOverQ(epsT, s.gbb, pb.logb) : undefined
        s.cache = { g, taa, tbb }
      }
      const c = s.cache
      const errT = tf.tidy(() => {
        const parts = [marginalErr(pb.b, s.gab, c.g, epsT)]
        if (c.taa && s.faa) parts.push(marginalErr(pb.a, s.faa, c.taa, epsT))
        if (c.tbb && s.gbb) parts.push(marginalErr(pb.b, s.gbb, c.tbb, epsT))
        // clipByValue may map NaN to a bound, so finiteness of the potentials is checked apart.
        const pots = [s.fab, s.gab, c.g, s.faa, s.gbb].filter((t): t is tf.Tensor2D => t !== undefined)
        const finite = tf.all(tf.stack(pots.map((t) => tf.all(tf.isFinite(t))))).cast('float32')
        return tf.stack([tf.max(tf.stack(parts)), finite])
      })
      const [e, finite] = errT.dataSync()
      errT.dispose()
      return finite === 1 ? e! : NaN
    }

    // ε-scaling: one iteration per annealing temperature.
    let annealIters = 0
    for (let k = 0; k < schedule.length - 1; k++) {
      const next = step(state, schedule[k]!)
      disposeState(state)
      state = next
      annealIters++
      ctx?.onProgress?.({ fraction: 0, stage: 'sinkhorn ε-scaling', message: `ε = ${schedule[k]!.toPrecision(3)}` })
      checkAborted(ctx)
    }

    // Target ε until converged. The driver keeps the last state with a finite error (lastGood);
    // we dispose every other state as soon as it is superseded.
    let checkpoint: State = state
    const run = runFixedPoint<State>({
      init: state,
      step: (s) => {
        const next = step(s, epsT)
        if (s !== checkpoint) disposeState(s)
        return next
      },
      error: (s) => {
        const e = error(s)
        if (Number.isFinite(e)) {
          if (checkpoint !== s) disposeState(checkpoint)
          checkpoint = s
        }
        return e
      },
      tol: o.tol,
      maxIter: o.maxIter,
      every: o.checkEvery,
      ctx,
      stage: 'sinkhorn',
    })
    const final = run.state
    for (const s of [...live]) if (s !== final) disposeState(s)
    if (final.cache) {
      for (const t of [final.cache.g, final.cache.taa, final.cache.tbb]) t?.dispose()
      final.cache = undefined
    }
    live.delete(final)
    return {
      fab: final.fab,
      gab: final.gab,
      faa: final.faa,
      gbb: final.gbb,
      eps: epsT,
      epsSchedule: schedule,
      dense,
      path: 'tensor-log',
      converged: run.converged,
      status: run.status,
      iterations: annealIters + run.iterations,
      errorHistory: run.errorHistory,
    }
  } finally {
    for (const s of [...live]) disposeState(s)
    for (const g of geoms) g.dispose()
  }
}
