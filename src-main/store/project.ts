/**
 * The project file: one SQLite database per project (`*.popdyn`).
 *
 * One writer: a ProjectStore owns the only writable connection to its file in this process;
 * workers send results to the process that owns the store instead of opening their own
 * (see jobs/runner.ts). Every multi-row write runs in a transaction. Opening a file that is
 * not a project, or one written by a newer version, throws a clear error and changes nothing
 * (the checks run on a read-only connection before WAL or migrations touch the file).
 */
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import Database from 'better-sqlite3'
import { invalidInput, ioError, PopdynError, type SerializedError } from '@shared/errors'
import type { DatasetKind, DatasetSummary, RunStatus, RunSummary, Units } from '@shared/contract'
import { APP_VERSION } from '@shared/version'
import { migrations, LATEST_SCHEMA_VERSION } from './migrations/index'
import { fromBlob, toBlob, type NdArray } from './arrays'

/** PRAGMA application_id of every project file ("PDYN"), so we can tell our files from other SQLite files. */
export const POPDYN_APPLICATION_ID = 0x5044594e

const SQLITE_MAGIC = 'SQLite format 3\u0000'

export interface OpenOptions {
  /** Path to a native binding built for another runtime (the Electron main process). */
  nativeBinding?: string
}

const now = () => new Date().toISOString()

function describe(path: string) {
  return `"${basename(path)}"`
}

/** Checks a file before anything writes to it. Returns its schema version. */
function inspect(path: string, opts: OpenOptions): number {
  let size: number
  try {
    size = statSync(path).size
  } catch (err) {
    throw ioError(`Cannot open ${describe(path)}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (err as Error).message}`, err)
  }
  const head = Buffer.alloc(16)
  if (size >= 16) {
    const fd = openSync(path, 'r')
    try {
      readSync(fd, head, 0, 16, 0)
    } finally {
      closeSync(fd)
    }
  }
  if (size < 16 || head.toString('latin1') !== SQLITE_MAGIC) {
    throw invalidInput(`${describe(path)} is not a PopDyn Studio project (not an SQLite database). Projects are *.popdyn files created with "New project".`, 'not-a-project')
  }
  const ro = new Database(path, { readonly: true, fileMustExist: true, nativeBinding: opts.nativeBinding })
  try {
    const appId = ro.pragma('application_id', { simple: true }) as number
    const version = ro.pragma('user_version', { simple: true }) as number
    if (appId !== POPDYN_APPLICATION_ID) {
      throw invalidInput(`${describe(path)} is an SQLite database but not a PopDyn Studio project (application id ${appId}, expected ${POPDYN_APPLICATION_ID}).`, 'not-a-project')
    }
    if (version > LATEST_SCHEMA_VERSION) {
      throw invalidInput(
        `${describe(path)} was written by a newer version of PopDyn Studio (project schema ${version}; this version ${APP_VERSION} reads up to schema ${LATEST_SCHEMA_VERSION}). Update PopDyn Studio to open it; the file was not changed.`,
        'newer-schema',
      )
    }
    return version
  } catch (err) {
    if (err instanceof PopdynError) throw err
    throw ioError(`Cannot read ${describe(path)}: ${(err as Error).message}`, err)
  } finally {
    ro.close()
  }
}

/** Brings a database to the latest schema, one transaction per migration. */
export function migrate(db: Database.Database, target = LATEST_SCHEMA_VERSION): number {
  let version = db.pragma('user_version', { simple: true }) as number
  for (const m of migrations) {
    if (m.version <= version || m.version > target) continue
    if (m.version !== version + 1) throw new Error(`migration ${m.version} (${m.name}) cannot follow schema ${version}`)
    db.transaction(() => {
      m.up(db)
      db.pragma(`user_version = ${m.version}`)
    })()
    version = m.version
  }
  return version
}

function configure(db: Database.Database) {
  // busy_timeout first: switching to WAL needs a lock another process may briefly hold.
  db.pragma('busy_timeout = 5000')
  db.pragma('journal_mode = WAL')
  db.pragma('foreign_keys = ON')
  db.pragma('synchronous = NORMAL')
}

export interface NewDataset {
  name: string
  kind: DatasetKind
  rows: number
  entities: number
  times: number
  dim: number
  units: Units
  source: string
  meta?: Record<string, unknown>
  warnings?: string[]
  arrays: Record<string, NdArray>
}

export interface NewRun {
  datasetId: number | null
  method: string
  params: Record<string, unknown>
  seed: number | null
  backend: string
}

export interface RunFinish {
  status: Extract<RunStatus, 'done' | 'failed' | 'cancelled' | 'interrupted'>
  metrics?: Record<string, unknown>
  error?: SerializedError | null
  seconds?: number | null
}

interface DatasetRow {
  id: number
  name: string
  kind: DatasetKind
  rows: number
  entities: number
  times: number
  dim: number
  units: string
  source: string
  meta: string
  warnings: string
  created_at: string
}

interface RunRow {
  id: number
  dataset_id: number | null
  method: string
  params: string
  status: RunStatus
  progress: number
  stage: string
  seed: number | null
  software_version: string
  backend: string
  metrics: string
  error: string | null
  created_at: string
  started_at: string | null
  finished_at: string | null
  seconds: number | null
}

export class ProjectStore {
  readonly path: string
  readonly db: Database.Database
  /** Runs that were left running by a crash or a kill and were marked interrupted on open. */
  readonly recoveredRuns: number[]
  private closed = false

  private constructor(path: string, db: Database.Database, recovered: number[]) {
    this.path = path
    this.db = db
    this.recoveredRuns = recovered
  }

  /** Creates a new project file; refuses to overwrite an existing file. */
  static create(path: string, name?: string, opts: OpenOptions = {}): ProjectStore {
    if (existsSync(path)) throw invalidInput(`${describe(path)} already exists; choose another name or open it instead.`, 'exists')
    let db: Database.Database
    try {
      db = new Database(path, { nativeBinding: opts.nativeBinding })
    } catch (err) {
      throw ioError(`Cannot create ${describe(path)}: ${(err as Error).message}`, err)
    }
    configure(db)
    db.transaction(() => {
      db.pragma(`application_id = ${POPDYN_APPLICATION_ID}`)
    })()
    migrate(db)
    db.prepare('INSERT INTO project (id, name, created_at, created_by_version) VALUES (1, ?, ?, ?)').run(
      name ?? basename(path).replace(/\.popdyn$/i, ''),
      now(),
      APP_VERSION,
    )
    return new ProjectStore(path, db, [])
  }

  /** Opens an existing project, migrating it to the latest schema. */
  static open(path: string, opts: OpenOptions = {}): ProjectStore {
    inspect(path, opts)
    const db = new Database(path, { fileMustExist: true, nativeBinding: opts.nativeBinding })
    try {
      configure(db)
      migrate(db)
      const recovered = db.transaction(() => {
        const ids = db.prepare(`SELECT id FROM runs WHERE status IN ('running', 'queued') ORDER BY id`).pluck().all() as number[]
        if (ids.length)
          db.prepare(
            `UPDATE runs SET status = 'interrupted', finished_at = ?, error = ? WHERE status IN ('running', 'queued')`,
          ).run(now(), JSON.stringify({ kind: 'io', name: 'Interrupted', message: 'The run was interrupted (the app or the worker stopped before it finished).' }))
        return ids
      })()
      return new ProjectStore(path, db, recovered)
    } catch (err) {
      db.close()
      throw err
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number
  }

  get info(): { name: string; createdAt: string; createdByVersion: string } {
    const row = this.db.prepare('SELECT name, created_at, created_by_version FROM project WHERE id = 1').get() as
      | { name: string; created_at: string; created_by_version: string }
      | undefined
    return { name: row?.name ?? basename(this.path), createdAt: row?.created_at ?? '', createdByVersion: row?.created_by_version ?? '' }
  }

  // ------------------------------------------------------------ datasets

  /** Writes a dataset and all its arrays in one transaction: all or nothing. */
  insertDataset(d: NewDataset): number {
    const tx = this.db.transaction(() => {
      const exists = this.db.prepare('SELECT 1 FROM datasets WHERE name = ?').get(d.name)
      if (exists) throw invalidInput(`A dataset named "${d.name}" already exists in this project; choose another name.`, 'exists')
      const created = now()
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO datasets (name, kind, rows, entities, times, dim, units, source, meta, warnings, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(d.name, d.kind, d.rows, d.entities, d.times, d.dim, JSON.stringify(d.units), d.source, JSON.stringify(d.meta ?? {}), JSON.stringify(d.warnings ?? []), created).lastInsertRowid,
      )
      const put = this.db.prepare('INSERT INTO artifacts (dataset_id, name, dtype, shape, data, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      for (const [name, a] of Object.entries(d.arrays)) put.run(id, name, a.dtype, JSON.stringify(a.shape), toBlob(a), created)
      return id
    })
    return tx()
  }

  listDatasets(): DatasetSummary[] {
    const rows = this.db.prepare('SELECT * FROM datasets ORDER BY id').all() as DatasetRow[]
    return rows.map(toDatasetSummary)
  }

  getDataset(id: number): DatasetSummary & { meta: Record<string, unknown> } {
    const row = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined
    if (!row) throw invalidInput(`No dataset with id ${id} in this project.`, 'not-found')
    return { ...toDatasetSummary(row), meta: JSON.parse(row.meta) }
  }

  findDataset(nameOrId: string): DatasetSummary {
    const row = (/^\d+$/.test(nameOrId)
      ? this.db.prepare('SELECT * FROM datasets WHERE id = ? OR name = ?').get(Number(nameOrId), nameOrId)
      : this.db.prepare('SELECT * FROM datasets WHERE name = ?').get(nameOrId)) as DatasetRow | undefined
    if (!row) {
      const names = this.listDatasets().map((d) => d.name)
      throw invalidInput(`No dataset "${nameOrId}" in this project. Datasets: ${names.length ? names.join(', ') : '(none)'}.`, 'not-found')
    }
    return toDatasetSummary(row)
  }

  deleteDataset(id: number): void {
    this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id)
  }

  // ------------------------------------------------------------ artifacts

  getArtifact(owner: { datasetId: number } | { runId: number }, name: string): NdArray | null {
    const row = ('datasetId' in owner
      ? this.db.prepare('SELECT dtype, shape, data FROM artifacts WHERE dataset_id = ? AND name = ?').get(owner.datasetId, name)
      : this.db.prepare('SELECT dtype, shape, data FROM artifacts WHERE run_id = ? AND name = ?').get(owner.runId, name)) as
      | { dtype: NdArray['dtype']; shape: string; data: Buffer }
      | undefined
    return row ? fromBlob(row.dtype, JSON.parse(row.shape), row.data) : null
  }

  listArtifacts(owner: { datasetId: number } | { runId: number }): { name: string; dtype: string; shape: number[]; bytes: number }[] {
    const rows = ('datasetId' in owner
      ? this.db.prepare('SELECT name, dtype, shape, length(data) AS bytes FROM artifacts WHERE dataset_id = ? ORDER BY name').all(owner.datasetId)
      : this.db.prepare('SELECT name, dtype, shape, length(data) AS bytes FROM artifacts WHERE run_id = ? ORDER BY name').all(owner.runId)) as {
      name: string
      dtype: string
      shape: string
      bytes: number
    }[]
    return rows.map((r) => ({ ...r, shape: JSON.parse(r.shape) }))
  }

  /** Writes (or replaces) several run artifacts in one transaction, e.g. a checkpoint. */
  putRunArtifacts(runId: number, arrays: Record<string, NdArray>): void {
    const put = this.db.prepare(
      `INSERT INTO artifacts (run_id, name, dtype, shape, data, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, name) WHERE run_id IS NOT NULL DO UPDATE SET dtype = excluded.dtype, shape = excluded.shape, data = excluded.data, created_at = excluded.created_at`,
    )
    this.db.transaction(() => {
      const t = now()
      for (const [name, a] of Object.entries(arrays)) put.run(runId, name, a.dtype, JSON.stringify(a.shape), toBlob(a), t)
    })()
  }

  // ------------------------------------------------------------ runs

  createRun(r: NewRun): number {
    if (r.datasetId !== null) this.getDataset(r.datasetId)
    return Number(
      this.db
        .prepare(
          `INSERT INTO runs (dataset_id, method, params, status, seed, software_version, backend, created_at)
           VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)`,
        )
        .run(r.datasetId, r.method, JSON.stringify(r.params), r.seed, APP_VERSION, r.backend, now()).lastInsertRowid,
    )
  }

  markRunning(runId: number): void {
    this.db.prepare(`UPDATE runs SET status = 'running', started_at = ? WHERE id = ?`).run(now(), runId)
  }

  setRunProgress(runId: number, progress: number, stage: string): void {
    this.db.prepare('UPDATE runs SET progress = ?, stage = ? WHERE id = ?').run(progress, stage, runId)
  }

  /** Final state of a run, with its results (artifacts and labels) in the same transaction. */
  finishRun(
    runId: number,
    f: RunFinish,
    results?: { arrays?: Record<string, NdArray>; labels?: { label: string[]; confidence?: Float64Array | number[] } },
  ): void {
    this.db.transaction(() => {
      if (results?.arrays) this.putRunArtifacts(runId, results.arrays)
      if (results?.labels) this.putLabels(runId, results.labels.label, results.labels.confidence)
      this.db
        .prepare(
          `UPDATE runs SET status = ?, metrics = ?, error = ?, seconds = ?, finished_at = ?, progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END WHERE id = ?`,
        )
        .run(f.status, JSON.stringify(f.metrics ?? {}), f.error ? JSON.stringify(f.error) : null, f.seconds ?? null, now(), f.status, runId)
    })()
  }

  getRun(runId: number): RunSummary {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined
    if (!row) throw invalidInput(`No run with id ${runId} in this project.`, 'not-found')
    return toRunSummary(row)
  }

  listRuns(): RunSummary[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY id').all() as RunRow[]).map(toRunSummary)
  }

  // ------------------------------------------------------------ labels

  putLabels(runId: number, label: string[], confidence?: Float64Array | number[]): void {
    if (confidence && confidence.length !== label.length) throw new Error(`labels (${label.length}) and confidence (${confidence.length}) differ in length`)
    const ins = this.db.prepare('INSERT OR REPLACE INTO labels (run_id, row_index, label, confidence) VALUES (?, ?, ?, ?)')
    this.db.transaction(() => {
      for (let i = 0; i < label.length; i++) ins.run(runId, i, label[i], confidence ? confidence[i] : null)
    })()
  }

  getLabels(runId: number): { label: string[]; confidence: (number | null)[] } {
    const rows = this.db.prepare('SELECT label, confidence FROM labels WHERE run_id = ? ORDER BY row_index').all(runId) as { label: string; confidence: number | null }[]
    return { label: rows.map((r) => r.label), confidence: rows.map((r) => r.confidence) }
  }
}

function toDatasetSummary(r: DatasetRow): DatasetSummary {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    rows: r.rows,
    entities: r.entities,
    times: r.times,
    dim: r.dim,
    units: JSON.parse(r.units),
    source: r.source,
    warnings: JSON.parse(r.warnings),
    createdAt: r.created_at,
  }
}

function toRunSummary(r: RunRow): RunSummary {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    method: r.method,
    status: r.status,
    progress: r.progress,
    stage: r.stage,
    seed: r.seed,
    params: JSON.parse(r.params),
    metrics: JSON.parse(r.metrics),
    softwareVersion: r.software_version,
    backend: r.backend,
    error: r.error ? JSON.parse(r.error) : null,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    seconds: r.seconds,
  }
}

export { LATEST_SCHEMA_VERSION }
