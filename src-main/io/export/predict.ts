/**
 * Loading a model file back (model.ts) and predicting with it on a snapshot dataset
 * (`popdyn predict`, issue 9).
 *
 * Two modes:
 * - 'rollout' (default): `steps` snapshots ahead from the observed snapshot `from` (default the
 *   last), one step per `dt` (default: the dataset's last observed interval). iJKOnet / JKOnet:
 *   the learned JKO step, one per interval (iJKOnet's time input continues from `from`); WLM: the
 *   learned mechanics from the positions of snapshot `from` with initial velocities as the run's
 *   `initialVelocity` rule gives them there — 'zero'; 'data' the dataset's velocity columns; 'ot'
 *   the OT estimate towards the next snapshot (as training does for the first), or for the last
 *   snapshot the backward estimate −(T(x) − x)/Δt with T the OT map to the previous one;
 *   ensembles: the particles of snapshot `from` labelled by the plans (below), each moved by its
 *   ensemble's x ← A_k x (+ b_k).
 * - 'replay': what the run itself computed, recomputed from the file — one-step-ahead clouds from
 *   every observed snapshot but the last (iJKOnet, JKOnet), the roll-out from the first snapshot
 *   through the observed times (WLM), the ensemble labels (ensembles). On the run's own dataset
 *   they equal the run's stored predictions (labels) up to float32 round-off.
 *
 * Ensemble assignment, the method's rule (engines/ensembles): the plans of the joint transport
 * problem for the file's fixed A_k (one plan solve), each particle labelled by the ensemble that
 * carries most of its mass (confidence = that mass fraction).
 *
 * Species models are descriptions of force laws and are not simulated (refused with a message).
 */
import { renameSync, writeFileSync } from 'node:fs'
import { invalidInput } from '@shared/errors'
import { EnsembleParams } from '@shared/methods'
import { initBackend } from '../../compute/backend'
import { separateEnsembles } from '../../engines/ensembles/index'
import { IjkonetModel, JkonetModel, type IjkonetConfig, type JkonetConfig } from '../../engines/jko/index'
import { WlmModel, otVelocity, type WlmModelSpec } from '../../engines/wlm/index'
import type { PointCloud } from '../../engines/ot/index'
import type { ProjectStore } from '../../store/project'
import { decodeArray, EnsemblesPart, featureNames, IjkonetPart, JkonetPart, readModelFile, WlmPart, type ModelFile } from './model'

export interface PredictOptions {
  /** 'rollout': `steps` ahead from snapshot `from`; 'replay': the run's own predictions (module comment). @default 'rollout' */
  mode?: 'rollout' | 'replay'
  /** Snapshots to predict ahead (rollout). @default 1 */
  steps?: number
  /** Observed snapshot to start from: index 0..T−1, negative counts from the end. @default -1 (the last) */
  from?: number
  /** Time between predicted snapshots (rollout). @default the dataset's last observed interval */
  dt?: number
}

/** A snapshot dataset as the methods see it: rows grouped by time (ascending), stored order inside a time. */
export interface SnapshotData {
  times: number[]
  /** Positions per time, n_t × d row-major. */
  snapshots: PointCloud[]
  /** Stored row index of each point, per time. */
  rows: Int32Array[]
  /** Per-point velocities per time, when the dataset has them. */
  velocities?: PointCloud[] | null
}

export interface Prediction {
  method: string
  mode: 'rollout' | 'replay'
  /** Snapshot index the roll-out started from (null for replay). */
  from: number | null
  /** Predicted times and clouds (rollout: the rows of snapshot `from`, in order). */
  times: number[]
  clouds: PointCloud[]
  /** Ensembles: label (E1..EK) and confidence of every stored row of the dataset. */
  rowLabels?: { label: string[]; confidence: number[] }
  /** Ensembles: label of every predicted point, per predicted cloud. */
  predictedLabels?: string[][]
}

/** Groups a stored snapshot dataset by time (the same grouping as the job handlers, workers/methods/dataset.ts). */
export function loadSnapshotData(store: ProjectStore, datasetId: number): SnapshotData {
  const time = store.getArtifact({ datasetId }, 'time')?.data
  const pos = store.getArtifact({ datasetId }, 'pos')
  if (!time || !pos) throw invalidInput(`Dataset ${datasetId} has no time or position arrays.`)
  const vel = store.getArtifact({ datasetId }, 'velocity')
  const d = pos.shape[1] ?? 1
  const byTime = new Map<number, number[]>()
  for (let i = 0; i < time.length; i++) {
    const l = byTime.get(time[i]!)
    if (l) l.push(i)
    else byTime.set(time[i]!, [i])
  }
  const times = [...byTime.keys()].sort((a, b) => a - b)
  const rows = times.map((t) => Int32Array.from(byTime.get(t)!))
  const gather = (src: ArrayLike<number>) =>
    rows.map((r) => {
      const out = new Float64Array(r.length * d)
      r.forEach((row, k) => {
        for (let c = 0; c < d; c++) out[k * d + c] = src[row * d + c]!
      })
      return { data: out, n: r.length, d }
    })
  return { times, rows, snapshots: gather(pos.data), velocities: vel ? gather(vel.data) : null }
}

function resolveOpts(data: SnapshotData, opts: PredictOptions) {
  const T = data.times.length
  const steps = opts.steps ?? 1
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= 10_000)) throw invalidInput(`expected steps to be an integer 1..10000, got ${opts.steps}`)
  const f = opts.from ?? -1
  if (!(Number.isInteger(f) && f >= -T && f < T)) throw invalidInput(`expected from to be a snapshot index 0..${T - 1} (or −1 for the last), got ${opts.from}`)
  const from = f < 0 ? T + f : f
  const dt = opts.dt ?? (T >= 2 ? data.times[T - 1]! - data.times[T - 2]! : 1)
  if (!(dt > 0 && Number.isFinite(dt))) throw invalidInput(`expected dt > 0, got ${opts.dt ?? dt}`)
  const t0 = data.times[from]!
  return { steps, from, dt, t0, times: Array.from({ length: steps }, (_, s) => t0 + (s + 1) * dt) }
}

function f32(state: Record<string, { dtype: string; shape: number[]; base64: string }>): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(state).map(([k, e]) => [k, Float32Array.from(decodeArray(e as Parameters<typeof decodeArray>[0], `weights ${k}`))]))
}

/** Applies a loaded model file to snapshot data (see the module comment). */
export async function predictSnapshots(file: ModelFile, data: SnapshotData, opts: PredictOptions = {}): Promise<Prediction> {
  const mode = opts.mode ?? 'rollout'
  if (mode !== 'rollout' && mode !== 'replay') throw invalidInput(`expected mode 'rollout' or 'replay', got ${String(mode)}`)
  if (file.method === 'species') throw invalidInput('A species model describes each species\' force laws (its formulas); predicting tracks with it is not supported. Use an ensembles, ijkonet, jkonet or wlm model.')
  const T = data.times.length
  if (T < 1 || !data.snapshots[0]) throw invalidInput('The dataset has no snapshots.')
  const d = data.snapshots[0].d
  if (d !== file.dataset.dim) throw invalidInput(`The model was fitted on ${file.dataset.dim}-D data (dataset "${file.dataset.name}"), this dataset has ${d} dimensions.`)
  if (mode === 'replay' && file.method !== 'ensembles' && T < 2) throw invalidInput('Replay needs at least 2 snapshots.')
  const o = resolveOpts(data, opts)
  const base = { method: file.method, mode, from: mode === 'rollout' ? o.from : null }

  if (file.method === 'ensembles') {
    const m = EnsemblesPart.parse(file.model)
    if (T < 2) throw invalidInput('Labelling by the ensemble plans needs at least 2 snapshots.')
    const p = EnsembleParams.parse(file.params)
    const cols = m.affine ? m.d + 1 : m.d
    const theta = decodeArray(m.theta, 'model.theta')
    if (theta.length !== m.K * m.d * cols) throw invalidInput(`Model file: theta has ${theta.length} values, expected K·d·(d${m.affine ? ' + 1' : ''}) = ${m.K * m.d * cols}.`)
    const init = Array.from({ length: m.K }, (_, k) => Float64Array.from(theta.subarray(k * m.d * cols, (k + 1) * m.d * cols)))
    const r = await separateEnsembles(
      { K: m.K, snapshots: data.snapshots.map((s) => ({ x: s.data, n: s.n, d: s.d })) },
      { restarts: 1, affine: m.affine, solver: p.solver, maxIter: 1, anneal: [], initFromTrajectories: false, init, epsRelative: p.epsRelative, seed: file.seed ?? 0 },
    )
    const n = data.rows.reduce((s, r) => s + r.length, 0)
    const label: string[] = new Array(n)
    const confidence: number[] = new Array(n)
    data.rows.forEach((rows, t) => rows.forEach((row, i) => {
      label[row] = `E${r.labels[t]![i]! + 1}`
      confidence[row] = r.confidence[t]![i]!
    }))
    if (mode === 'replay') return { ...base, times: [], clouds: [], rowLabels: { label, confidence } }
    const lab = r.labels[o.from]!
    const clouds: PointCloud[] = []
    let x = data.snapshots[o.from]!
    for (let s = 0; s < o.steps; s++) {
      const y = new Float64Array(x.n * d)
      for (let i = 0; i < x.n; i++) {
        const A = init[lab[i]!]!
        for (let a = 0; a < d; a++) {
          let v = m.affine ? A[a * cols + d]! : 0
          for (let b = 0; b < d; b++) v += A[a * cols + b]! * x.data[i * d + b]!
          y[i * d + a] = v
        }
      }
      clouds.push((x = { data: y, n: x.n, d }))
    }
    const pl = Array.from(lab, (k) => `E${k + 1}`)
    return { ...base, times: o.times, clouds, rowLabels: { label, confidence }, predictedLabels: clouds.map(() => pl) }
  }

  await initBackend()
  if (file.method === 'ijkonet') {
    const m = IjkonetPart.parse(file.model)
    const model = new IjkonetModel(m.d, m.horizon, m.config as IjkonetConfig)
    try {
      model.setState(f32(m.weights))
      if (mode === 'replay') return { ...base, times: data.times.slice(1), clouds: model.predictOneStep(data.snapshots) }
      return { ...base, times: o.times, clouds: model.rollout(data.snapshots[o.from]!, o.steps, { t0: o.from }) }
    } finally {
      model.dispose()
    }
  }
  if (file.method === 'jkonet') {
    const m = JkonetPart.parse(file.model)
    const model = new JkonetModel(m.d, m.config as JkonetConfig)
    try {
      model.setState(f32(m.weights))
      // Continue the inner-solve seeding where training left it (model.ts: innerSolves).
      ;(model as unknown as { stepCounter: number }).stepCounter = m.innerSolves
      if (mode === 'replay') return { ...base, times: data.times.slice(1), clouds: model.predictOneStep(data.snapshots) }
      return { ...base, times: o.times, clouds: model.rollout(data.snapshots[o.from]!, o.steps) }
    } finally {
      model.dispose()
    }
  }
  // WLM
  const m = WlmPart.parse(file.model)
  const model = new WlmModel(m.spec as unknown as WlmModelSpec)
  try {
    model.setState(f32(m.weights))
    const velocityAt = (t: number): PointCloud => {
      const x = data.snapshots[t]!
      if (m.initialVelocity === 'zero') return { data: new Float64Array(x.n * d), n: x.n, d }
      if (m.initialVelocity === 'data') {
        const v = data.velocities?.[t]
        if (!v) throw invalidInput('This WLM model starts from measured velocities (initialVelocity = data), but the dataset has no velocity columns.')
        return v
      }
      if (T < 2) throw invalidInput('WLM with OT initial velocities needs at least 2 snapshots to estimate them.')
      if (t + 1 < T) return otVelocity(x, data.snapshots[t + 1]!, data.times[t + 1]! - data.times[t]!)
      const back = otVelocity(x, data.snapshots[t - 1]!, data.times[t]! - data.times[t - 1]!)
      return { data: back.data.map((v) => -v), n: back.n, d }
    }
    if (mode === 'replay') {
      const traj = model.simulate(data.snapshots[0]!, velocityAt(0), data.times[0]!, data.times.slice(1))
      return { ...base, times: data.times.slice(1), clouds: traj.positions }
    }
    const traj = model.simulate(data.snapshots[o.from]!, velocityAt(o.from), o.t0, o.times)
    return { ...base, times: o.times, clouds: traj.positions }
  } finally {
    model.dispose()
  }
}

/**
 * Predictions CSV in snapshot format (as `export --predictions`): `source,time,<features>` with
 * the observed snapshots (source = observed) then the predicted clouds (source = predicted, time
 * = the predicted time); ensembles add an `ensemble` column (observed rows: their assignment;
 * predicted points: the ensemble that moved them).
 */
export function writePredictionCsv(file: string, data: SnapshotData, p: Prediction, features: string[]): { file: string; rows: number } {
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  const fmt = (v: number) => String(Number(v.toPrecision(8)))
  const ens = Boolean(p.rowLabels)
  const lines = [['source', 'time', ...features, ...(ens ? ['ensemble'] : [])].map(esc).join(',')]
  data.snapshots.forEach((s, t) => {
    for (let i = 0; i < s.n; i++)
      lines.push(['observed', fmt(data.times[t]!), ...Array.from(s.data.subarray(i * s.d, (i + 1) * s.d), fmt), ...(ens ? [p.rowLabels!.label[data.rows[t]![i]!]!] : [])].join(','))
  })
  p.clouds.forEach((c, k) => {
    for (let i = 0; i < c.n; i++)
      lines.push(['predicted', fmt(p.times[k]!), ...Array.from(c.data.subarray(i * c.d, (i + 1) * c.d), fmt), ...(ens ? [p.predictedLabels?.[k]?.[i] ?? ''] : [])].join(','))
  })
  writeFileSync(file + '.tmp', lines.join('\n') + '\n')
  renameSync(file + '.tmp', file)
  return { file, rows: lines.length - 1 }
}

export interface PredictFromModelResult extends Prediction {
  dataset: string
  /** The CSV written, when `out` was given. */
  file?: string
  rows?: number
}

/**
 * Loads a model file (path or parsed document) and predicts on a snapshot dataset of the
 * project (name or id); with `out`, also writes the predictions CSV. Refuses a wrong model file
 * (readModelFile), a tracks dataset, a dimension mismatch.
 */
export async function predictFromModel(store: ProjectStore, model: string | ModelFile, dataset: string | number, opts: PredictOptions & { out?: string } = {}): Promise<PredictFromModelResult> {
  const file = typeof model === 'string' ? readModelFile(model) : readModelFile(model, 'the model')
  const ds = store.findDataset(String(dataset))
  if (ds.kind !== 'snapshots') throw invalidInput(`Dataset "${ds.name}" holds tracks; ${file.method} models predict snapshot datasets.`)
  const data = loadSnapshotData(store, ds.id)
  const p = await predictSnapshots(file, data, opts)
  if (!opts.out) return { ...p, dataset: ds.name }
  const full = store.getDataset(ds.id)
  const w = writePredictionCsv(opts.out, data, p, featureNames(full.meta, data.snapshots[0]!.d))
  return { ...p, dataset: ds.name, file: w.file, rows: w.rows }
}
