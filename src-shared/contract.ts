/**
 * The one contract between the renderer and the main process.
 *
 * Every call is declared here once, with runtime schemas for its arguments and its result.
 * The Electron preload, the IPC handlers, the headless host (browser mode) and the renderer
 * client are all derived from this table, so no interface is written twice by hand.
 * Arguments are validated on arrival (main side); results are validated by the client in tests.
 */
import { z } from 'zod'
import { SerializedError } from './errors'
import { CHANNEL_NAMES, type ChannelName } from './channels'
import { EnsembleParams, IjkonetParams, JkonetParams, SpeciesParams, WlmParams } from './methods'

// ---------------------------------------------------------------- domain types

export const BackendName = z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'])
export type BackendName = z.infer<typeof BackendName>

export const BackendInfo = z.object({
  /** The tfjs backend in use. */
  name: BackendName,
  /** Human-readable description, e.g. "WebAssembly (SIMD, 1 thread)". */
  detail: z.string(),
  /** Why faster backends were not used, one line each (shown to the user, never silent). */
  skipped: z.array(z.object({ name: BackendName, reason: z.string() })),
})
export type BackendInfo = z.infer<typeof BackendInfo>

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  mode: z.enum(['electron', 'browser', 'cli']),
  backend: BackendInfo,
  node: z.string(),
  platform: z.string(),
  schemaVersion: z.number().int(),
  projectPath: z.string().nullable(),
})
export type AppInfo = z.infer<typeof AppInfo>

export const DatasetKind = z.enum(['tracks', 'snapshots'])
export type DatasetKind = z.infer<typeof DatasetKind>

export const Units = z.object({
  /** Unit of positions, e.g. "µm", "px", "a.u.". */
  space: z.string(),
  /** Unit of time, e.g. "frame", "s", "min", "h", "day". */
  time: z.string(),
  /** µm per pixel when space is "px", else null. */
  pixelSize: z.number().positive().nullable().default(null),
  /** Time per frame (in `frameIntervalUnit`) when time is "frame", else null. */
  frameInterval: z.number().positive().nullable().default(null),
  /** Unit of `frameInterval`, e.g. "s", "min". */
  frameIntervalUnit: z.string().nullable().default(null),
})
export type Units = z.infer<typeof Units>

export const DatasetSummary = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: DatasetKind,
  /** Rows as imported (observations for tracks, cells for snapshots). */
  rows: z.number().int(),
  /** Tracks (tracks) or 0 (snapshots). */
  entities: z.number().int(),
  /** Distinct time points. */
  times: z.number().int(),
  dim: z.number().int(),
  units: Units,
  source: z.string(),
  warnings: z.array(z.string()),
  createdAt: z.string(),
})
export type DatasetSummary = z.infer<typeof DatasetSummary>

export const RunStatus = z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'])
export type RunStatus = z.infer<typeof RunStatus>

export const RunSummary = z.object({
  id: z.number().int(),
  datasetId: z.number().int().nullable(),
  method: z.string(),
  status: RunStatus,
  progress: z.number(),
  stage: z.string(),
  seed: z.number().int().nullable(),
  params: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
  softwareVersion: z.string(),
  backend: z.string(),
  error: SerializedError.nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  seconds: z.number().nullable(),
})
export type RunSummary = z.infer<typeof RunSummary>

export const ProjectSummary = z.object({
  path: z.string(),
  name: z.string(),
  schemaVersion: z.number().int(),
  createdAt: z.string(),
  datasets: z.array(DatasetSummary),
  runs: z.array(RunSummary),
})
export type ProjectSummary = z.infer<typeof ProjectSummary>

/** A dataset's points for the 3-D views, subsampled (whole tracks / per time point) to at most maxPoints. */
export const DatasetPoints = z.object({
  id: z.number().int(),
  kind: DatasetKind,
  dim: z.number().int(),
  units: Units,
  /** Number of points in the full dataset, and in this answer. */
  totalPoints: z.number().int(),
  points: z.number().int(),
  /** Row-major [points, dim]. */
  pos: z.array(z.number()),
  time: z.array(z.number()),
  /** Track index per point (tracks), else empty. */
  track: z.array(z.number().int()),
  /** Label index per point (imported labels or ground truth), else empty. */
  label: z.array(z.number().int()),
  labelNames: z.array(z.string()),
  /** One name per feature column (length `dim`), else empty (the views then say PC1..PCd). */
  featureNames: z.array(z.string()).default([]),
  /** The file's own track ids, indexed by `track`; empty for snapshots. */
  trackIds: z.array(z.string()).default([]),
})
export type DatasetPoints = z.infer<typeof DatasetPoints>

export const JobState = z.enum(['running', 'done', 'failed', 'cancelled'])
export type JobState = z.infer<typeof JobState>

export const JobProgress = z.object({
  /** 0..1 */
  fraction: z.number().min(0).max(1),
  stage: z.string(),
  message: z.string().default(''),
  /** Seconds left, estimated from the elapsed time and the fraction done; null until estimable. */
  etaSeconds: z.number().nullable().default(null),
  /** Current loss where the method has one. */
  loss: z.number().nullable().default(null),
})
export type JobProgress = z.infer<typeof JobProgress>

export const JobSnapshot = z.object({
  jobId: z.string(),
  runId: z.number().int().nullable(),
  kind: z.string(),
  title: z.string(),
  state: JobState,
  progress: JobProgress,
  startedAt: z.string(),
  error: SerializedError.nullable(),
})
export type JobSnapshot = z.infer<typeof JobSnapshot>

/** Events pushed from main to the renderer over one channel, keyed by jobId. */
export const JobEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), job: JobSnapshot }),
  z.object({ type: z.literal('progress'), jobId: z.string(), progress: JobProgress }),
  z.object({ type: z.literal('log'), jobId: z.string(), level: z.enum(['info', 'warn']), message: z.string() }),
  z.object({ type: z.literal('done'), jobId: z.string(), result: z.unknown() }),
  z.object({ type: z.literal('failed'), jobId: z.string(), error: SerializedError }),
  z.object({ type: z.literal('cancelled'), jobId: z.string() }),
])
export type JobEvent = z.infer<typeof JobEvent>

/** Kinds of job the UI can start, with their parameter schemas. Methods add theirs here. */
/** What the import wizard chose (SPEC §2); the importer validates the details and names the file, row and column on error. */
export const ImportRequest = z
  .object({
    path: z.string().min(1),
    kind: DatasetKind.optional(),
    name: z.string().min(1).max(200).optional(),
    mapping: z
      .object({
        track: z.string(),
        time: z.string(),
        x: z.string(),
        y: z.string(),
        z: z.string(),
        label: z.string(),
        id: z.string(),
        features: z.array(z.string()),
        velocity: z.array(z.string()),
      })
      .partial()
      .strict()
      .optional(),
    spaceUnit: z.enum(['um', 'µm', 'px', 'a.u.']).optional(),
    pixelSize: z.number().positive().optional(),
    timeUnit: z.enum(['frame', 's', 'min', 'h', 'day', 'index']).optional(),
    frameInterval: z.number().positive().optional(),
    frameIntervalUnit: z.enum(['s', 'min', 'h', 'day']).optional(),
    gaps: z.enum(['split', 'interpolate', 'keep']).optional(),
    irregular: z.enum(['keep', 'resample']).optional(),
    components: z.number().int().positive().optional(),
  })
  .strict()
export type ImportRequest = z.infer<typeof ImportRequest>

export const InspectResult = z.object({
  format: z.string(),
  kindGuess: DatasetKind,
  columns: z.array(z.string()),
  mappingGuess: z.record(z.string(), z.unknown()),
  preview: z.array(z.array(z.string())),
  rowCountEstimate: z.number(),
  units: z.record(z.string(), z.unknown()),
  problems: z.array(z.string()),
  details: z.record(z.string(), z.unknown()),
  /** A dataset of the current project imported from a file with the same content (sha256), if any. */
  existing: z.object({ id: z.number().int(), name: z.string() }).nullable().default(null),
})
export type InspectResult = z.infer<typeof InspectResult>

export const JobRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('import'), params: ImportRequest }),
  z.object({ kind: z.literal('ensembles'), params: EnsembleParams, seed: z.number().int().min(0).optional() }),
  z.object({ kind: z.literal('species'), params: SpeciesParams, seed: z.number().int().min(0).optional() }),
  z.object({ kind: z.literal('ijkonet'), params: IjkonetParams, seed: z.number().int().min(0).optional() }),
  z.object({ kind: z.literal('jkonet'), params: JkonetParams, seed: z.number().int().min(0).optional() }),
  z.object({ kind: z.literal('wlm'), params: WlmParams, seed: z.number().int().min(0).optional() }),
  z.object({
    kind: z.literal('bench.backend'),
    params: z.object({
      /** Matrix side of the matMul benchmark. @default 256 */
      size: z.number().int().min(16).max(4096).default(256),
      /** Number of matMul repetitions. @default 200 */
      repeats: z.number().int().min(1).max(100_000).default(200),
    }),
  }),
])
export type JobRequest = z.infer<typeof JobRequest>
/** A request as a caller writes it: parameters left out take the method's defaults (src-shared/methods.ts) at the boundary. */
export type JobRequestInput = z.input<typeof JobRequest>
export type JobKind = JobRequest['kind']

/** What `runs.export` writes (io/export). */
export const RunExportKind = z.enum(['labels', 'summary', 'predictions', 'model', 'h5ad'])
export type RunExportKind = z.infer<typeof RunExportKind>

export const RunExportRequest = z
  .object({
    runId: z.number().int().positive(),
    kind: RunExportKind,
    /** Output file on the machine that runs the engine (the host in browser mode). */
    path: z.string().min(1),
    /** Replace an existing file. @default false */
    overwrite: z.boolean().default(false),
  })
  .strict()

export const RunReportRequest = z
  .object({
    runId: z.number().int().positive(),
    format: z.enum(['html', 'pdf']),
    path: z.string().min(1),
    /** Replace an existing file. @default false */
    overwrite: z.boolean().default(false),
  })
  .strict()

export const RunReportResult = z.object({
  file: z.string(),
  format: z.enum(['html', 'pdf']),
  bytes: z.number().int(),
  figures: z.number().int(),
  pages: z.number().int().nullable(),
  /** What the report says it could not show. */
  notes: z.array(z.string()),
})
export type RunReportResult = z.infer<typeof RunReportResult>

/** One figure of a run: its spec (src-shared/figures FigureSpec, plain arrays) and caption. */
export const RunFigure = z.object({
  id: z.string(),
  caption: z.string(),
  figure: z.object({ kind: z.enum(['line', 'histogram', 'scatter', 'heatmap']) }).passthrough(),
})
export type RunFigure = z.infer<typeof RunFigure>

// ---------------------------------------------------------------- the calls

const def = <A extends z.ZodType, R extends z.ZodType>(args: A, result: R) => ({ args, result })
const none = z.object({}).strict()

export const contract = {
  'app.info': def(none, AppInfo),
  /** Create a new project file and make it the current project. */
  'project.create': def(z.object({ path: z.string().min(1), name: z.string().min(1).optional() }).strict(), ProjectSummary),
  /** Open an existing project file and make it the current project. */
  'project.open': def(z.object({ path: z.string().min(1) }).strict(), ProjectSummary),
  /** The current project, or null when none is open. */
  'project.current': def(none, ProjectSummary.nullable()),
  /** Recently opened projects, newest first. */
  'project.recent': def(none, z.array(z.object({ path: z.string(), name: z.string(), openedAt: z.string() }))),
  'datasets.list': def(none, z.array(DatasetSummary)),
  /** Reads a file's format, columns, a preview and the problems found, without importing it. */
  'import.inspect': def(z.object({ path: z.string().min(1), kind: DatasetKind.optional() }).strict(), InspectResult),
  /** Points of one dataset for the 3-D views. @default maxPoints 200000 */
  'datasets.points': def(z.object({ id: z.number().int(), maxPoints: z.number().int().min(100).max(2_000_000).default(200_000) }).strict(), DatasetPoints),
  'runs.list': def(none, z.array(RunSummary)),
  /** Write a finished run's labels / summary / predictions CSV, model JSON or labelled .h5ad copy to `path` on the machine running the engine. */
  'runs.export': def(RunExportRequest, z.object({ file: z.string(), kind: RunExportKind })),
  /** Write a finished run's report (self-contained HTML, or PDF by headless Chromium / Electron). */
  'runs.report': def(RunReportRequest, RunReportResult),
  /** A finished run's figures as specs (src-shared/figures), for the run details panel. */
  'runs.figures': def(z.object({ runId: z.number().int().positive() }).strict(), z.array(RunFigure)),
  /** Start a job; returns at once with its id. */
  'jobs.start': def(z.object({ request: JobRequest, datasetId: z.number().int().optional() }).strict(), z.object({ jobId: z.string(), runId: z.number().int().nullable() })),
  'jobs.cancel': def(z.object({ jobId: z.string() }).strict(), z.object({ cancelled: z.boolean() })),
  'jobs.list': def(none, z.array(JobSnapshot)),
} as const satisfies Record<ChannelName, { args: z.ZodType; result: z.ZodType }>

export type Contract = typeof contract
export type Channel = keyof Contract
export type Args<C extends Channel> = z.input<Contract[C]['args']>
export type ParsedArgs<C extends Channel> = z.output<Contract[C]['args']>
export type Ret<C extends Channel> = z.output<Contract[C]['result']>
// `satisfies` above: every name has a schema; this assignment: every name is a channel.
export const channels: readonly Channel[] = CHANNEL_NAMES

export function isChannel(x: unknown): x is Channel {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(contract, x)
}

/** The API the renderer sees, derived from the contract: one async function per channel. */
export type PopdynApi = {
  [C in Channel]: (args: Args<C>) => Promise<import('./errors').Result<Ret<C>>>
}

export { EVENT_CHANNEL, CHANNEL_PREFIX } from './channels'
