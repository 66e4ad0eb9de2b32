/**
 * Job handlers for the dynamics methods (iJKOnet, JKOnet, WLM) on a snapshot dataset: train,
 * then evaluate one-step-ahead W1 (exact EMD) per interval next to the "no motion" baseline
 * (predict μ_{t+1} = μ_t). Weights go to the run as artifacts (weights/<name>), so the model
 * exports and reloads.
 */
import { IjkonetParams, JkonetParams, WlmParams } from '@shared/methods'
import { invalidInput } from '@shared/errors'
import { initBackend } from '../../compute/backend'
import { emd, type PointCloud } from '../../engines/ot/index'
import { trainIjkonet, trainJkonet } from '../../engines/jko/index'
import { interpolateHeldOut, trainWlm } from '../../engines/wlm/index'
import { nd, type NdArray } from '../../store/arrays'
import type { Handler, JobContext } from '../handlers'
import type { JobInput } from '../../jobs/protocol'
import { requireDataset, snapshotGroups } from './dataset'

function clouds(input: JobInput): { times: number[]; snaps: PointCloud[] } {
  const g = snapshotGroups(input)
  return { times: g.times, snaps: g.x.map((x, t) => ({ data: x, n: g.rows[t]!.length, d: g.d })) }
}

/** Exact W1 on at most 1000 points per side (uniform subsample), so evaluation stays seconds. */
function w1(a: PointCloud, b: PointCloud): number {
  const cap = (c: PointCloud) => {
    if (c.n <= 1000) return c
    const step = c.n / 1000
    const data = new Float64Array(1000 * c.d)
    for (let k = 0; k < 1000; k++) data.set(c.data.subarray(Math.floor(k * step) * c.d, (Math.floor(k * step) + 1) * c.d), k * c.d)
    return { data, n: 1000, d: c.d }
  }
  return emd(cap(a), cap(b))
}

function evaluate(snaps: PointCloud[], predicted: PointCloud[]) {
  const oneStep = predicted.map((p, t) => w1(p, snaps[t + 1]!))
  const noMotion = predicted.map((_, t) => w1(snaps[t]!, snaps[t + 1]!))
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / Math.max(1, x.length)
  return { oneStepEmd: oneStep, noMotionEmd: noMotion, meanOneStepEmd: mean(oneStep), meanNoMotionEmd: mean(noMotion) }
}

/** Predicted clouds with their times, flattened for the store (exported as the predictions CSV). */
function predictions(clouds: PointCloud[], times: number[]): Record<string, NdArray> {
  const d = clouds[0]?.d ?? 0
  const total = clouds.reduce((s, c) => s + c.n, 0)
  const pos = new Float64Array(total * d)
  const time = new Float64Array(total)
  let row = 0
  clouds.forEach((c, k) => {
    pos.set(c.data.subarray(0, c.n * d), row * d)
    time.fill(times[k]!, row, row + c.n)
    row += c.n
  })
  return { 'predictions/pos': nd(pos, [total, d]), 'predictions/time': nd(time) }
}

function weights(state: Record<string, Float32Array>): Record<string, NdArray> {
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [`weights/${k}`, nd(Float32Array.from(v))]))
}

const progress = (ctx: JobContext) => (p: { epoch: number; epochs: number; loss: number; validationEmd?: number }) =>
  ctx.progress(p.epoch / p.epochs, 'training', `epoch ${p.epoch}/${p.epochs}${p.validationEmd !== undefined ? `, validation EMD ${p.validationEmd.toPrecision(4)}` : ''}`, p.loss)

export const ijkonetHandler: Handler = async (input, ctx) => {
  const p = IjkonetParams.parse(input.params)
  await initBackend()
  const { times, snaps } = clouds(input)
  const r = trainIjkonet({ snapshots: snaps, times }, { variant: p.variant, epochs: p.epochs, tau: p.tau, lrEnergy: p.lrEnergy, lrMap: p.lrMap, valFraction: p.valFraction, energyScales: p.noiseGuard ? undefined : [], seed: input.seed ?? 0 }, { signal: ctx.signal, onProgress: progress(ctx) })
  try {
    ctx.progress(0.99, 'evaluating', 'one-step predictions')
    const pred = r.model.predictOneStep(snaps)
    const ev = evaluate(snaps, pred)
    return {
      metrics: { status: r.status, epochs: r.iterations, bestEpoch: r.bestEpoch, bestValidationEmd: r.bestValidationEmd, validationStillEmd: Number.isNaN(r.validationStillEmd) ? null : r.validationStillEmd, energyScale: r.energyScale, finalLoss: r.lossHistory.at(-1) ?? null, beta: r.model.beta(), ...ev, seconds: r.seconds },
      arrays: { ...weights(r.model.getState()), ...predictions(pred, times.slice(1)), lossHistory: nd(Float64Array.from(r.lossHistory)) },
    }
  } finally {
    r.model.dispose()
  }
}

export const jkonetHandler: Handler = async (input, ctx) => {
  const p = JkonetParams.parse(input.params)
  await initBackend()
  const { times, snaps } = clouds(input)
  const r = trainJkonet({ snapshots: snaps, times }, { method: p.method, epochs: p.epochs, tau: p.tau, teacherForcing: p.teacherForcing, seed: input.seed ?? 0 }, { signal: ctx.signal, onProgress: progress(ctx) })
  try {
    ctx.progress(0.99, 'evaluating', 'one-step predictions')
    const pred = r.model.predictOneStep(snaps)
    const ev = evaluate(snaps, pred)
    return {
      metrics: { status: r.status, epochs: r.iterations, finalLoss: r.lossHistory.at(-1) ?? null, ...ev, seconds: r.seconds },
      arrays: { ...weights(r.model.getState()), ...predictions(pred, times.slice(1)), lossHistory: nd(Float64Array.from(r.lossHistory)) },
    }
  } finally {
    r.model.dispose()
  }
}

export const wlmHandler: Handler = async (input, ctx) => {
  const p = WlmParams.parse(input.params)
  await initBackend()
  const all = clouds(input)
  // Held-out snapshot (interpolation): trained on the others, predicted from the one before it.
  const h = p.holdout === undefined ? -1 : all.times.findIndex((t) => Math.abs(t - p.holdout!) <= 1e-9 * Math.max(1, Math.abs(t)))
  if (p.holdout !== undefined) {
    if (h < 0) throw invalidInput(`holdout = ${p.holdout}: no snapshot at that time; the dataset's times are ${all.times.join(', ')}`)
    if (h === 0) throw invalidInput(`holdout = ${p.holdout} is the first snapshot: a held-out snapshot is predicted from the one before it, so expected a later time (${all.times.slice(1).join(', ')})`)
    if (all.times.length < 4) throw invalidInput(`holdout needs at least 4 snapshots (3 to train on, one left out), got ${all.times.length}`)
  }
  const keep = all.times.map((_, k) => k).filter((k) => k !== h)
  const times = keep.map((k) => all.times[k]!)
  const snaps = keep.map((k) => all.snaps[k]!)
  let velocities: (PointCloud | null)[] | undefined
  let allVelocities: PointCloud[] | undefined
  if (p.initialVelocity === 'data') {
    const v = requireDataset(input).arrays.velocity
    if (!v) throw invalidInput('initialVelocity = data needs velocity columns in the dataset (import them with the velocity mapping).')
    const g = snapshotGroups(input)
    allVelocities = g.rows.map((rows) => {
      const out = new Float64Array(rows.length * g.d)
      rows.forEach((row, k) => out.set(v.data.subarray(row * g.d, (row + 1) * g.d) as Float64Array, k * g.d))
      return { data: out, n: rows.length, d: g.d }
    })
    velocities = keep.map((k) => allVelocities![k]!)
  }
  const r = await trainWlm(
    { snapshots: snaps, times, velocities },
    { epochs: p.epochs, lr: p.lr, friction: p.friction, learnFriction: p.learnFriction, initialVelocity: p.initialVelocity === 'data' ? 'given' : p.initialVelocity, emaWarmup: p.emaWarmup, seed: input.seed ?? 0 },
    { signal: ctx.signal, onProgress: (q) => ctx.progress(q.epoch / q.epochs, 'training', `epoch ${q.epoch}/${q.epochs}, friction ${q.friction.toPrecision(3)}`, q.loss) },
  )
  try {
    ctx.progress(0.99, 'evaluating', 'roll-out from the first snapshot')
    // Roll-out from the first snapshot over every snapshot time (the held-out one included).
    const traj = r.model.simulate(all.snaps[0]!, r.initialVelocity, all.times[0]!, all.times.slice(1))
    const rolled = traj.positions.map((pc, k) => w1(pc, all.snaps[k + 1]!))
    const still = all.snaps.slice(1).map((s) => w1(all.snaps[0]!, s))
    let holdout: { time: number; w1: number; noMotionW1: number; rolloutW1: number; velocitySource: string } | null = null
    if (h > 0) {
      ctx.progress(0.995, 'evaluating', `held-out snapshot at t = ${all.times[h]}`)
      const it = interpolateHeldOut(r.model, {
        from: all.snaps[h - 1]!,
        fromTime: all.times[h - 1]!,
        heldOutTime: all.times[h]!,
        fromVelocity: p.initialVelocity === 'data' ? allVelocities![h - 1]! : null,
        next: p.initialVelocity === 'ot' && h + 1 < all.snaps.length ? { cloud: all.snaps[h + 1]!, time: all.times[h + 1]! } : null,
        truth: all.snaps[h]!,
      })
      holdout = { time: all.times[h]!, w1: it.w1, noMotionW1: w1(all.snaps[h - 1]!, all.snaps[h]!), rolloutW1: rolled[h - 1]!, velocitySource: it.velocitySource }
    }
    return {
      metrics: { status: r.status, epochs: r.iterations, finalLoss: r.lossHistory.at(-1) ?? null, friction: r.friction, spec: r.model.spec, rolloutEmd: rolled, noMotionFromFirstEmd: still, holdout, seconds: r.seconds },
      arrays: { ...weights(r.model.getState() as Record<string, Float32Array>), ...predictions(traj.positions, all.times.slice(1)), lossHistory: nd(Float64Array.from(r.lossHistory)) },
    }
  } finally {
    r.model.dispose()
  }
}
