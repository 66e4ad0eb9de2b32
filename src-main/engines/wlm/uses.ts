/**
 * The two evaluation protocols of the paper (§4, peers.md §2.7), on a trained model:
 * - forecast: one roll-out from μ_0 (with v_0) through every requested time, W1 (exact EMD) to
 *   each observed snapshot where one is given;
 * - interpolation of a held-out snapshot: roll out from the *previous observed* snapshot (with its
 *   velocities: measured, else OT-estimated towards the next observed snapshot, else zero) to the
 *   held-out time, W1 to it.
 * W1 is the toolkit's exact `emd` (Euclidean ground cost, uniform weights); clouds larger than
 * `maxEvalPoints` are subsampled (seeded) for the metric only.
 */
import { invalidInput } from '@shared/errors'
import type { EngineContext } from '../common/context'
import { emd } from '../ot/index'
import type { PointCloud } from '../ot/types'
import { createRng } from '../stats/random'
import type { SimulateOptions, Trajectory, WlmModel } from './model'
import { otVelocity } from './velocity'

export interface ForecastResult extends Trajectory {
  /** W1(predicted, observed) per time where `observed[k]` was given, else NaN. */
  w1: number[]
}

function subsample(c: PointCloud, max: number, seed: number): PointCloud {
  if (c.n <= max) return c
  const idx = createRng(seed).permutation(c.n).subarray(0, max)
  const out = new Float64Array(max * c.d)
  idx.forEach((r, i) => out.set(c.data.subarray(r * c.d, r * c.d + c.d), i * c.d))
  return { data: out, n: max, d: c.d }
}

export function w1(a: PointCloud, b: PointCloud, maxEvalPoints = 1000, seed = 0): number {
  return emd(subsample(a, maxEvalPoints, seed), subsample(b, maxEvalPoints, seed + 1))
}

/** Roll out from (x0, v0) at t0 through `times`; W1 to `observed[k]` where given. */
export function forecast(
  model: WlmModel,
  x0: PointCloud,
  v0: PointCloud | null,
  t0: number,
  times: number[],
  observed: (PointCloud | null | undefined)[] = [],
  opts: SimulateOptions & { maxEvalPoints?: number } = {},
  ctx?: EngineContext,
): ForecastResult {
  const traj = model.simulate(x0, v0, t0, times, opts, ctx)
  return { ...traj, w1: times.map((_, k) => (observed[k] ? w1(traj.positions[k]!, observed[k]!, opts.maxEvalPoints) : NaN)) }
}

export interface InterpolationResult {
  /** Predicted held-out cloud. */
  predicted: PointCloud
  /** W1 to the true held-out cloud when given, else NaN. */
  w1: number
  /** How the starting velocities were obtained. */
  velocitySource: 'given' | 'ot' | 'zero'
}

/**
 * Predicts the snapshot at `heldOutTime` from the previous observed snapshot `from` (time
 * `fromTime`), with velocities `fromVelocity` if measured, else OT-matched towards `next`
 * (the next observed snapshot, at `nextTime`) if given, else zero.
 */
export function interpolateHeldOut(
  model: WlmModel,
  args: {
    from: PointCloud
    fromTime: number
    heldOutTime: number
    fromVelocity?: PointCloud | null
    next?: { cloud: PointCloud; time: number } | null
    truth?: PointCloud | null
  },
  opts: SimulateOptions & { maxEvalPoints?: number } = {},
  ctx?: EngineContext,
): InterpolationResult {
  if (!(args.heldOutTime > args.fromTime)) throw invalidInput(`wlm interpolate: expected heldOutTime > fromTime, got ${args.heldOutTime} <= ${args.fromTime}`)
  let v: PointCloud | null = null
  let velocitySource: InterpolationResult['velocitySource'] = 'zero'
  if (args.fromVelocity) {
    v = args.fromVelocity
    velocitySource = 'given'
  } else if (args.next) {
    v = otVelocity(args.from, args.next.cloud, args.next.time - args.fromTime, ctx)
    velocitySource = 'ot'
  }
  const traj = model.simulate(args.from, v, args.fromTime, [args.heldOutTime], opts, ctx)
  const predicted = traj.positions[0]!
  return { predicted, w1: args.truth ? w1(predicted, args.truth, opts.maxEvalPoints) : NaN, velocitySource }
}
