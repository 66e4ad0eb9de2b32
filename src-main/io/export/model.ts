/**
 * Model files (SPEC §2, issue 9): a finished run's learned model as one self-contained JSON
 * document that `predictFromModel` (predict.ts) loads back.
 *
 * Format `popdyn-model`, version 2 (version 1 kept the run's artifacts as plain number lists and
 * had no description of the networks; it is refused with a message to re-export):
 *
 *   { format: 'popdyn-model', version: 2, method, run, softwareVersion, seed, params, metrics,
 *     dataset: { id, name, dim, features, times, counts },   // what the model was fitted on
 *     model: <per method, below>,
 *     arrays: { <every other artifact of the run>: EncodedArray } }   // predictions, loss history, …
 *
 * EncodedArray = { dtype, shape, base64 } (little-endian bytes of the typed array, row-major).
 * Per method (`model`):
 * - ensembles: { K, d, affine, theta: EncodedArray float64 [K, d, d (+1 when affine)] } (A_k | b_k)
 * - ijkonet:   { d, horizon, config: IjkonetConfig (hidden widths included), weights: { name: EncodedArray float32 } }
 * - jkonet:    { d, config: JkonetConfig (hidden / icnnHidden of the stored network), innerSolves, weights } — innerSolves = JKO inner solves
 *              done during training: each solve re-seeds the inner ICNN from (seed, solve count),
 *              so the count is what makes reloaded predictions equal to the run's
 * - wlm:       { spec: WlmModelSpec, initialVelocity: 'zero' | 'ot' | 'data', weights }
 * - species:   { species: [{ label, code, formulas, cells, meanValidationError }] } (description only)
 * Weights are the engines' `getState()` entries (float32) with the networks' shapes.
 */
import { renameSync, readFileSync, writeFileSync } from 'node:fs'
import { z } from 'zod'
import { invalidInput } from '@shared/errors'
import { EnsembleParams, IjkonetParams, JkonetParams, WlmParams, type MethodName } from '@shared/methods'
import { parameterShapes, resolveArchitecture, type WlmModelSpec } from '../../engines/wlm/index'
import type { IjkonetConfig, JkonetConfig } from '../../engines/jko/index'
import type { DType, NdArray, TypedArray } from '../../store/arrays'
import type { ProjectStore } from '../../store/project'

export const MODEL_FORMAT = 'popdyn-model'
export const MODEL_VERSION = 2
/** Methods whose model file can predict (species files only describe the force laws). */
export const PREDICTING_METHODS = ['ensembles', 'ijkonet', 'jkonet', 'wlm'] as const

export interface EncodedArray {
  dtype: DType
  shape: number[]
  base64: string
}

const CTORS = { float64: Float64Array, float32: Float32Array, int32: Int32Array, uint32: Uint32Array, uint8: Uint8Array } as const

function dtypeOf(a: TypedArray): DType {
  return a instanceof Float64Array ? 'float64' : a instanceof Float32Array ? 'float32' : a instanceof Int32Array ? 'int32' : a instanceof Uint32Array ? 'uint32' : 'uint8'
}

/** A typed array as base64 of its little-endian bytes (the platforms we ship on are little-endian). */
export function encodeArray(data: TypedArray, shape: number[] = [data.length]): EncodedArray {
  return { dtype: dtypeOf(data), shape, base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') }
}

/** Inverse of encodeArray; checks the byte count against dtype and shape. */
export function decodeArray(e: EncodedArray, where: string): TypedArray {
  const C = CTORS[e.dtype]
  if (!C) throw invalidInput(`Model file: ${where} has dtype "${String(e.dtype)}", expected one of ${Object.keys(CTORS).join(', ')}.`)
  const bytes = Buffer.from(e.base64, 'base64')
  const n = e.shape.reduce((p, s) => p * s, 1)
  if (bytes.byteLength !== n * C.BYTES_PER_ELEMENT) throw invalidInput(`Model file: ${where} should hold ${n} ${e.dtype} values for shape [${e.shape.join(', ')}], got ${bytes.byteLength} bytes.`)
  const out = new C(n)
  new Uint8Array(out.buffer).set(bytes)
  return out
}

const Encoded = z.object({ dtype: z.enum(['float64', 'float32', 'int32', 'uint32', 'uint8']), shape: z.array(z.number().int().min(0)), base64: z.string() })
const Weights = z.record(z.string(), Encoded)

export const ModelFile = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.literal(MODEL_VERSION),
  method: z.enum(['ensembles', 'species', 'ijkonet', 'jkonet', 'wlm']),
  run: z.number().int(),
  softwareVersion: z.string().nullable().optional(),
  seed: z.number().int().nullable(),
  params: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()).nullable().optional(),
  dataset: z.object({ id: z.number().int(), name: z.string(), dim: z.number().int().min(1), features: z.array(z.string()), times: z.array(z.number()), counts: z.array(z.number().int()) }),
  model: z.record(z.string(), z.unknown()),
  arrays: z.record(z.string(), Encoded),
})
export type ModelFile = z.infer<typeof ModelFile>

export const EnsemblesPart = z.object({ K: z.number().int().min(1), d: z.number().int().min(1), affine: z.boolean(), theta: Encoded })
export const IjkonetPart = z.object({ d: z.number().int().min(1), horizon: z.number().int().min(2), config: z.record(z.string(), z.unknown()), weights: Weights })
export const JkonetPart = z.object({ d: z.number().int().min(1), config: z.record(z.string(), z.unknown()), innerSolves: z.number().int().min(0), weights: Weights })
export const WlmPart = z.object({ spec: z.record(z.string(), z.unknown()), initialVelocity: z.enum(['zero', 'ot', 'data']), weights: Weights })

/** Sorted distinct times of a dataset and the number of rows at each. */
export function datasetTimes(store: ProjectStore, datasetId: number): { times: number[]; counts: number[] } {
  const time = store.getArtifact({ datasetId }, 'time')
  if (!time) throw invalidInput(`Dataset ${datasetId} has no time array.`)
  const m = new Map<number, number>()
  for (const t of time.data) m.set(t, (m.get(t) ?? 0) + 1)
  const times = [...m.keys()].sort((a, b) => a - b)
  return { times, counts: times.map((t) => m.get(t)!) }
}

/** Feature names of a dataset (`x1..xd` when the importer recorded none per component). */
export function featureNames(meta: Record<string, unknown>, d: number): string[] {
  const f = ((meta as { columns?: { features?: string[] } }).columns?.features ?? []).slice(0, d)
  return f.length === d ? f : Array.from({ length: d }, (_, c) => `x${c + 1}`)
}

/**
 * Shapes of engine weights from their names (engines/jko/nn.ts: Mlp `P.w<l>` [in, out], `P.b<l>`
 * [out]; Icnn `P.wx<l>` [d, out], `P.wz<l>` [out_{l−1}, out], `P.q` []; iJKOnet `beta` []; WLM
 * from its architecture). The sizes are checked; an unknown name keeps the flat shape.
 */
export function weightShapes(state: Record<string, Float32Array>, wlmArch?: WlmModelSpec['architecture']): Record<string, number[]> {
  const wlm = new Map((wlmArch ? parameterShapes(wlmArch) : []).map(([n, s]) => [n, s]))
  const size = (k: string) => state[k]?.length
  const out: Record<string, number[]> = {}
  for (const [k, v] of Object.entries(state)) {
    let shape: number[] | undefined
    const w = k.match(/^(?:param|ema)\/(.+)$/)
    let m: RegExpMatchArray | null
    if (w && wlm.has(w[1]!)) shape = wlm.get(w[1]!)
    else if (k === 'beta' || /\.q$/.test(k)) shape = []
    else if ((m = k.match(/^(.*)\.(w|wx)(\d+)$/))) {
      const b = size(`${m[1]}.b${m[3]}`)
      if (b) shape = [v.length / b, b]
    } else if ((m = k.match(/^(.*)\.wz(\d+)$/))) {
      const b = size(`${m[1]}.b${m[2]}`), prev = size(`${m[1]}.b${Number(m[2]) - 1}`)
      if (b && prev) shape = [prev, b]
    } else if (/\.b\d+$/.test(k)) shape = [v.length]
    out[k] = shape && shape.reduce((p, s) => p * s, 1) === v.length ? shape : [v.length]
  }
  return out
}

/**
 * JKOnet inner solves during training (engines/jko/jkonet.ts): K − 1 per epoch, and K − 1 per
 * validation evaluation (every `evalEvery` = 10 epochs and the last; validation on by default);
 * an epoch whose loss is not finite stops before its evaluation. The forward method has none.
 */
export function jkonetInnerSolves(method: string, K: number, epochsRun: number, epochsSet: number, status: string, evalEvery = 10): number {
  if (method !== 'jkonet') return 0
  let evals = 0
  const lastEvaluated = status === 'numerical-error' ? epochsRun - 1 : epochsRun
  for (let e = 1; e <= lastEvaluated; e++) if (e % evalEvery === 0 || e === epochsSet) evals++
  return (epochsRun + evals) * (K - 1)
}

/** Hidden widths of an Mlp / Icnn from its stored biases `P.b0, P.b1, …` (the last one is the output layer). */
function hiddenOf(state: Record<string, Float32Array>, prefix: string): number[] | undefined {
  const sizes: number[] = []
  for (let l = 0; state[`${prefix}.b${l}`]; l++) sizes.push(state[`${prefix}.b${l}`]!.length)
  return sizes.length >= 2 ? sizes.slice(0, -1) : undefined
}

function runWeights(store: ProjectStore, runId: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {}
  for (const a of store.listArtifacts({ runId })) {
    if (!a.name.startsWith('weights/')) continue
    out[a.name.slice('weights/'.length)] = Float32Array.from(store.getArtifact({ runId }, a.name)!.data)
  }
  return out
}

function encodeWeights(state: Record<string, Float32Array>, shapes: Record<string, number[]>): Record<string, EncodedArray> {
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, encodeArray(v, shapes[k])]))
}

/** Builds the model document of a finished run (see the module comment). */
export function buildModelFile(store: ProjectStore, runId: number): ModelFile {
  const run = store.getRun(runId)
  if (run.status !== 'done') throw invalidInput(`Run ${runId} is ${run.status}; only a finished run has a model.`)
  const method = run.method as MethodName
  if (!['ensembles', 'species', 'ijkonet', 'jkonet', 'wlm'].includes(method)) throw invalidInput(`Run ${runId} (${run.method}) is not a method run; models come from ensembles, species, ijkonet, jkonet and wlm runs.`)
  if (run.datasetId === null) throw invalidInput(`Run ${runId} has no dataset.`)
  const ds = store.getDataset(run.datasetId)
  const d = ds.dim
  const { times, counts } = datasetTimes(store, ds.id)
  const seed = run.seed ?? 0
  const metrics = (run.metrics ?? {}) as Record<string, unknown>
  let model: Record<string, unknown>
  if (method === 'ensembles') {
    const p = EnsembleParams.parse(run.params)
    const theta = store.getArtifact({ runId }, 'theta')
    if (!theta) throw invalidInput(`Run ${runId} has no theta artifact (A_k); re-run it.`)
    model = { K: theta.shape[0] ?? p.K, d, affine: p.affine, theta: encodeArray(Float64Array.from(theta.data), theta.shape) }
  } else if (method === 'species') {
    model = { species: metrics.species ?? [] }
  } else {
    const state = runWeights(store, runId)
    if (!Object.keys(state).length) throw invalidInput(`Run ${runId} (${method}) stored no weights; re-run it to get a loadable model.`)
    if (method === 'ijkonet') {
      const p = IjkonetParams.parse(run.params)
      const config: IjkonetConfig = { variant: p.variant, epochs: p.epochs, tau: p.tau, lrEnergy: p.lrEnergy, lrMap: p.lrMap, seed, hidden: hiddenOf(state, 'V') }
      model = { d, horizon: Math.max(2, times.length), config, weights: encodeWeights(state, weightShapes(state)) }
    } else if (method === 'jkonet') {
      const p = JkonetParams.parse(run.params)
      const config: JkonetConfig = { method: p.method, epochs: p.epochs, tau: p.tau, teacherForcing: p.teacherForcing, seed, ...(p.method === 'jkonet' ? { hidden: hiddenOf(state, 'E') } : { icnnHidden: hiddenOf(state, 'F') }) }
      const innerSolves = jkonetInnerSolves(p.method, times.length, Number(metrics.epochs ?? p.epochs), p.epochs, String(metrics.status ?? ''))
      model = { d, config, innerSolves, weights: encodeWeights(state, weightShapes(state)) }
    } else {
      const p = WlmParams.parse(run.params)
      const minGap = Math.min(...times.slice(1).map((t, i) => t - times[i]!))
      // Runs record the spec they trained with (metrics.spec); runs from before that used the default
      // architecture, the 'exponential' scheme and 5 evaluation substeps per gap.
      const recorded = metrics.spec as WlmModelSpec | undefined
      const spec: WlmModelSpec = recorded ?? { architecture: resolveArchitecture(d), friction: p.friction, learnFriction: p.learnFriction, scheme: 'exponential', evalStep: minGap / 5, seed }
      model = { spec, initialVelocity: p.initialVelocity, weights: encodeWeights(state, weightShapes(state, spec.architecture)) }
    }
  }
  const arrays: Record<string, EncodedArray> = {}
  for (const a of store.listArtifacts({ runId })) {
    if (a.name.startsWith('checkpoint/') || a.name.startsWith('weights/') || a.name === 'theta') continue
    const arr: NdArray = store.getArtifact({ runId }, a.name)!
    arrays[a.name] = encodeArray(arr.data, arr.shape)
  }
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    method,
    run: run.id,
    softwareVersion: run.softwareVersion,
    seed: run.seed,
    params: run.params,
    metrics,
    dataset: { id: ds.id, name: ds.name, dim: d, features: featureNames(ds.meta, d), times, counts },
    model,
    arrays,
  }
}

/** Writes the run's model file (atomically: temp file, then rename). */
export function exportModelJson(store: ProjectStore, runId: number, file: string): { file: string; method: string; version: number } {
  const m = buildModelFile(store, runId)
  writeFileSync(file + '.tmp', JSON.stringify(m, null, 1))
  renameSync(file + '.tmp', file)
  return { file, method: m.method, version: m.version }
}

/**
 * Reads and checks a model file (a path, or the parsed document). Refuses, with the reason: a file
 * that is not JSON or not a PopDyn model, another version, an unknown method, a malformed part.
 */
export function readModelFile(source: string | unknown, label = 'model file'): ModelFile {
  let doc: unknown = source
  if (typeof source === 'string') {
    let text: string
    try {
      text = readFileSync(source, 'utf8')
    } catch (err) {
      throw invalidInput(`Cannot read the ${label} ${source}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (err as Error).message}`)
    }
    try {
      doc = JSON.parse(text)
    } catch {
      throw invalidInput(`${source} is not a PopDyn model file (not JSON); model files come from popdyn export PROJECT RUN --model FILE.json.`)
    }
    label = source
  }
  const o = doc as Record<string, unknown> | null
  if (!o || typeof o !== 'object' || o.format !== MODEL_FORMAT) throw invalidInput(`${label} is not a PopDyn model file (expected format "${MODEL_FORMAT}", got ${JSON.stringify(o && typeof o === 'object' ? o.format : typeof o)}).`)
  if (o.version !== MODEL_VERSION)
    throw invalidInput(
      `${label} is a model file of version ${JSON.stringify(o.version)}; this PopDyn Studio reads version ${MODEL_VERSION}${typeof o.version === 'number' && o.version < MODEL_VERSION ? ' — export the run again (popdyn export PROJECT RUN --model FILE.json) to get one' : ' — it was written by a newer PopDyn Studio'}.`,
    )
  if (typeof o.method !== 'string' || !['ensembles', 'species', 'ijkonet', 'jkonet', 'wlm'].includes(o.method))
    throw invalidInput(`${label}: unknown method ${JSON.stringify(o.method)}; expected one of ensembles, species, ijkonet, jkonet, wlm.`)
  const r = ModelFile.safeParse(o)
  if (!r.success) throw invalidInput(`${label} is not a valid ${o.method} model file: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}.`)
  const part = { ensembles: EnsemblesPart, ijkonet: IjkonetPart, jkonet: JkonetPart, wlm: WlmPart, species: null }[r.data.method]
  if (part) {
    const q = part.safeParse(r.data.model)
    if (!q.success) throw invalidInput(`${label} is not a valid ${r.data.method} model file: model.${q.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`)
  }
  return r.data
}
