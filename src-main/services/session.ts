/**
 * One user session: the current project, the job runner and the settings. Implements every
 * call of the contract; the Electron IPC layer and the headless host both dispatch to it.
 */
import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import process from 'node:process'
import type { AppInfo, BackendInfo, JobEvent, JobRequest, ParsedArgs, ProjectSummary, Ret, Channel } from '@shared/contract'
import { METHODS, type MethodName } from '@shared/methods'
import { invalidInput } from '@shared/errors'
import { APP_NAME, APP_VERSION } from '@shared/version'
import { JobRunner, type WorkerSpec } from '../jobs/runner'
import { LATEST_SCHEMA_VERSION, ProjectStore, type OpenOptions } from '../store/project'
import { RecentProjects } from './recent'
import { datasetPoints } from './points'

export interface SessionOptions {
  mode: AppInfo['mode']
  backend: BackendInfo
  worker: WorkerSpec
  settingsDir: string
  store?: OpenOptions
  /** Prints report PDFs (the Electron app can pass webContents.printToPDF); @default headless Chromium */
  pdfPrinter?: import('../io/report/index').PdfPrinter
}

export type Handlers = { [C in Channel]: (args: ParsedArgs<C>) => Promise<Ret<C>> | Ret<C> }

export class Session {
  private project: ProjectStore | null = null
  readonly runner: JobRunner
  readonly recent: RecentProjects

  constructor(private readonly opts: SessionOptions) {
    this.recent = new RecentProjects(opts.settingsDir)
    this.runner = new JobRunner({ worker: opts.worker, store: () => this.project, backend: () => opts.backend.name })
  }

  get store(): ProjectStore | null {
    return this.project
  }

  onJobEvent(listener: (e: JobEvent) => void): () => void {
    return this.runner.subscribe(listener)
  }

  /** Makes `store` the current project (closing the previous one after its jobs stop). */
  async adopt(store: ProjectStore): Promise<ProjectSummary> {
    if (this.project && this.project !== store) {
      await this.runner.shutdown()
      this.project.close()
    }
    this.project = store
    this.recent.add(store.path, store.info.name)
    return this.summary()
  }

  summary(): ProjectSummary {
    const p = this.requireProject()
    return {
      path: p.path,
      name: p.info.name,
      schemaVersion: p.schemaVersion,
      createdAt: p.info.createdAt,
      datasets: p.listDatasets(),
      runs: p.listRuns(),
    }
  }

  requireProject(): ProjectStore {
    if (!this.project) throw invalidInput('No project is open: create or open a project first.', 'no-project')
    return this.project
  }

  info(): AppInfo {
    return {
      name: APP_NAME,
      version: APP_VERSION,
      mode: this.opts.mode,
      backend: this.opts.backend,
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      schemaVersion: LATEST_SCHEMA_VERSION,
      projectPath: this.project?.path ?? null,
    }
  }

  /** Starts a job after checking that a method gets the kind of dataset it needs. */
  startJob(request: JobRequest, datasetId: number | null): { jobId: string; runId: number | null } {
    const method = METHODS[request.kind as MethodName]
    if (method) {
      if (datasetId === null) throw invalidInput(`${method.title} needs a dataset: choose one of the project's ${method.needs} datasets.`)
      const ds = this.requireProject().getDataset(datasetId)
      if (ds.kind !== method.needs) throw invalidInput(`${method.title} needs ${method.needs}; dataset "${ds.name}" holds ${ds.kind}.`)
    }
    const titles: Record<string, string> = { 'bench.backend': 'Benchmark compute backend', import: `Import ${request.kind === 'import' ? basename(request.params.path) : ''}` }
    const seed = 'seed' in request && request.seed !== undefined ? request.seed : method ? Math.floor(Math.random() * 2 ** 31) : null
    if (request.kind === 'import') {
      this.requireProject()
      return this.runner.start({ kind: 'import', title: titles.import, params: request.params, record: false })
    }
    return this.runner.start({ kind: request.kind, title: method?.title ?? titles[request.kind], params: request.params, datasetId, seed })
  }

  /** The dataset imported from a file with the same bytes (sha256 recorded at import), if any. */
  private async findByContent(path: string): Promise<{ id: number; name: string } | null> {
    const store = this.project
    if (!store) return null
    const hash = createHash('sha256')
    try {
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
    } catch {
      return null // inspectFile has already reported an unreadable file
    }
    const digest = hash.digest('hex')
    for (const d of store.listDatasets()) {
      const meta = store.getDataset(d.id).meta as { source?: { sha256?: string } }
      if (meta.source?.sha256 === digest) return { id: d.id, name: d.name }
    }
    return null
  }

  async close(): Promise<void> {
    await this.runner.shutdown()
    this.project?.close()
    this.project = null
  }

  readonly handlers: Handlers = {
    'app.info': () => this.info(),
    'project.create': async ({ path, name }) => this.adopt(ProjectStore.create(withExtension(path), name, this.opts.store)),
    'project.open': async ({ path }) => this.adopt(ProjectStore.open(resolve(path), this.opts.store)),
    'project.current': () => (this.project ? this.summary() : null),
    'project.recent': () => this.recent.list(),
    'datasets.list': () => this.requireProject().listDatasets(),
    'import.inspect': async ({ path, kind }) => {
      const { inspectFile } = await import('../io/import/index')
      const info = (await inspectFile(resolve(path), { kind })) as unknown as Ret<'import.inspect'>
      return { ...info, existing: await this.findByContent(resolve(path)) }
    },
    'datasets.points': ({ id, maxPoints }) => datasetPoints(this.requireProject(), id, maxPoints),
    'runs.list': () => this.requireProject().listRuns(),
    'runs.export': async ({ runId, kind, path, overwrite }) => {
      const file = freePath(path, overwrite)
      const { exportLabelsCsv, exportSummaryCsv, exportPredictionsCsv, exportModelJson, writeH5adLabels } = await import('../io/export/index')
      const store = this.requireProject()
      if (kind === 'h5ad') return { file: (await writeH5adLabels(store, runId, file)).file, kind }
      const write = { labels: exportLabelsCsv, summary: exportSummaryCsv, predictions: exportPredictionsCsv, model: exportModelJson }[kind]
      return { file: write(store, runId, file).file, kind }
    },
    'runs.report': async ({ runId, format, path, overwrite }) => {
      const { writeReport } = await import('../io/report/index')
      const r = await writeReport(this.requireProject(), runId, { out: freePath(path, overwrite), format, overwrite, printer: this.opts.pdfPrinter })
      return { file: r.file, format: r.format, bytes: r.bytes, figures: r.figures, pages: r.pages ?? null, notes: r.notes }
    },
    'runs.figures': async ({ runId }) => {
      const { buildReport } = await import('../io/report/index')
      const { plainFigure } = await import('@shared/figures/index')
      return (await buildReport(this.requireProject(), runId)).figureList.map((f) => plainFigure(f)) as unknown as Ret<'runs.figures'>
    },
    'jobs.start': ({ request, datasetId }) => this.startJob(request, datasetId ?? null),
    'jobs.cancel': ({ jobId }) => ({ cancelled: this.runner.cancel(jobId) }),
    'jobs.list': () => this.runner.list(),
  }
}

/** An output path from the UI, made absolute; refused when the file exists and overwriting was not asked for. */
function freePath(path: string, overwrite: boolean): string {
  const p = resolve(path)
  if (!overwrite && existsSync(p)) throw invalidInput(`${p} already exists; choose another file name or tick "Replace an existing file".`, 'exists')
  return p
}

function withExtension(path: string): string {
  const p = resolve(path)
  return /\.popdyn$/i.test(p) ? p : `${p}.popdyn`
}
