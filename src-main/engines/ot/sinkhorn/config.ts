/**
 * Solver options for entropic OT and the Sinkhorn divergence, and the ε-scaling schedule.
 *
 * Conventions (geomloss, Feydy et al. 2019):
 * - ground cost c(x, y) = ‖x − y‖² / 2 for `p = 2` (note the ½), c(x, y) = ‖x − y‖ for `p = 1`;
 * - temperature: give either `eps` (ε, in cost units: length² for p = 2, length for p = 1) or
 *   `blur` (a length), with ε = blur^p. Exactly one of them; if neither, blur = 0.05.
 *
 * Pure TypeScript: no tensors here, so the float64 reference solver shares the schedule.
 */
import { invalidInput } from '@shared/errors'

/** Options shared by the tensor solvers (`sinkhorn`, `sinkhornDivergence…`) and the float64 reference. */
export interface SinkhornOptions {
  /** Cost exponent: 2 → c = ‖x−y‖²/2, 1 → c = ‖x−y‖. @default 2 */
  p?: 1 | 2
  /** Target temperature ε (cost units). Mutually exclusive with `blur`. @default blur^p */
  eps?: number
  /** Target blur (length units), ε = blur^p. Mutually exclusive with `eps`. @default 0.05 */
  blur?: number
  /**
   * ε-scaling: the blur is multiplied by `scaling` per annealing step (so ε by scaling^p), from
   * the data diameter down to the target. Close to 1 = more steps, more accurate warm start.
   * @default 0.5
   */
  scaling?: number
  /**
   * Starting length of the schedule (ε₀ = diameter^p). @default the diagonal of the bounding box
   * of both clouds (over the whole batch)
   */
  diameter?: number
  /**
   * Stopping tolerance on the L1 marginal error Σ_j |π^T 1 − b|_j / Σ b (the row marginal is exact
   * after each f-update); for the divergence, the maximum of the three problems' errors and over
   * the batch. Small ε needs many iterations for a tight tol (Sinkhorn converges slowly at small
   * ε/diameter^p), and float32 floors the error near 1e-7·diameter^p/ε (geometry.ts); the dual
   * value and the gradient are accurate well before the marginals, so training loops usually cap
   * `maxIter`. @default 1e-3
   */
  tol?: number
  /** Iterations allowed at the target ε, after the annealing steps. @default 1000 */
  maxIter?: number
  /** Check the error (and cancellation, and report progress) every this many iterations. @default 1 */
  checkEvery?: number
}

export interface ResolvedOptions {
  p: 1 | 2
  eps: number
  blur: number
  scaling: number
  diameter?: number
  tol: number
  maxIter: number
  checkEvery: number
}

const isPosFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0

/** Validates options and fills defaults. Throws invalidInput with "expected …, got …". */
export function resolveOptions(o: SinkhornOptions = {}): ResolvedOptions {
  const p = o.p ?? 2
  if (p !== 1 && p !== 2) throw invalidInput(`sinkhorn: expected p to be 1 or 2, got ${String(p)}`)
  if (o.eps !== undefined && o.blur !== undefined) {
    throw invalidInput(`sinkhorn: expected either eps or blur, got both (eps = ${o.eps}, blur = ${o.blur})`)
  }
  if (o.eps !== undefined && !isPosFinite(o.eps)) throw invalidInput(`sinkhorn: expected eps > 0 and finite, got ${o.eps}`)
  if (o.blur !== undefined && !isPosFinite(o.blur)) throw invalidInput(`sinkhorn: expected blur > 0 and finite, got ${o.blur}`)
  const blur = o.eps !== undefined ? Math.pow(o.eps, 1 / p) : (o.blur ?? 0.05)
  const eps = o.eps ?? Math.pow(blur, p)
  const scaling = o.scaling ?? 0.5
  if (!(typeof scaling === 'number' && scaling > 0 && scaling < 1)) {
    throw invalidInput(`sinkhorn: expected scaling in (0, 1), got ${scaling}`)
  }
  if (o.diameter !== undefined && !isPosFinite(o.diameter)) {
    throw invalidInput(`sinkhorn: expected diameter > 0 and finite, got ${o.diameter}`)
  }
  const tol = o.tol ?? 1e-3
  if (!isPosFinite(tol)) throw invalidInput(`sinkhorn: expected tol > 0, got ${tol}`)
  const maxIter = o.maxIter ?? 1000
  if (!(Number.isInteger(maxIter) && maxIter >= 0)) throw invalidInput(`sinkhorn: expected maxIter to be an integer >= 0, got ${maxIter}`)
  const checkEvery = o.checkEvery ?? 1
  if (!(Number.isInteger(checkEvery) && checkEvery >= 1)) {
    throw invalidInput(`sinkhorn: expected checkEvery to be an integer >= 1, got ${checkEvery}`)
  }
  return { p, eps, blur, scaling, diameter: o.diameter, tol, maxIter, checkEvery }
}

/**
 * The ε-scaling schedule (geomloss `epsilon_schedule`): ε₀ = diameter^p, then
 * exp(k·p·log(scaling)) · diameter^p for k = 0, 1, … while above blur^p, then ε = blur^p.
 * The last entry is always the target ε. If the target is not smaller than diameter^p the
 * schedule is just [ε].
 */
export function epsilonSchedule(p: number, diameter: number, blur: number, scaling: number): number[] {
  const target = Math.pow(blur, p)
  const start = Math.pow(diameter, p)
  if (!(diameter > 0) || !Number.isFinite(start) || !(start > target)) return [target]
  const out = [start]
  const lo = p * Math.log(blur)
  const step = p * Math.log(scaling) // < 0
  for (let e = p * Math.log(diameter); e > lo; e += step) out.push(Math.exp(e))
  out.push(target)
  return out
}
