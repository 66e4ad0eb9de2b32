/**
 * The job runner: long work runs in worker threads, one worker per job.
 *
 * start() returns a job id at once; progress arrives as JobEvents throttled to ~10 Hz with an
 * ETA; cancel() aborts the worker's signal and terminates it if it does not stop within a grace
 * period; results and checkpoints are written to the store by this (the only) writer; a worker
 * that dies mid-job leaves its run marked interrupted and the runner usable.
 * An identical request (same kind, params, dataset) joins the running job (STYLE P11).
 */
import { randomUUID } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import type { JobEvent, JobProgress, JobSnapshot } from '@shared/contract'
import { CancelledError, serializeError, type SerializedError } from '@shared/errors'
import type { ProjectStore } from '../store/project'
import type { JobInput, JobOutput, MainToWorker, WorkerToMain } from './protocol'

/** How to start the worker: a bundled .js entry, or a .ts entry through the tsx bootstrap. */
export interface WorkerSpec {
  entry: URL
  bootstrap?: URL
}

export interface StartRequest {
  kind: string
  title?: string
  params: Record<string, unknown>
  seed?: number | null
  datasetId?: number | null
  /** Record a run in the project (default true when a project is open). */
  record?: boolean
  /** Module exporting extra `handlers` (tests). */
  handlersUrl?: string
}

export interface RunnerOptions {
  worker: WorkerSpec
  /** The current project's store, or null when none is open. */
  store: () => ProjectStore | null
  backend: () => string
  onEvent?: (e: JobEvent) => void
  /** @default 100 (ms) — ~10 Hz */
  progressIntervalMs?: number
  /** @default 3000 (ms) */
  cancelGraceMs?: number
}

interface Job {
  snapshot: JobSnapshot
  worker: Worker
  key: string
  started: number
  pending: JobProgress | null
  timer: NodeJS.Timeout | null
  lastEmit: number
  lastStoreWrite: number
  settled: boolean
  store: ProjectStore | null
  done: Promise<JobSnapshot>
  resolve: (s: JobSnapshot) => void
  killTimer: NodeJS.Timeout | null
}

export class JobRunner {
  private jobs = new Map<string, Job>()
  private readonly opts: Required<Omit<RunnerOptions, 'onEvent'>> & Pick<RunnerOptions, 'onEvent'>
  private listeners = new Set<(e: JobEvent) => void>()

  constructor(opts: RunnerOptions) {
    this.opts = { progressIntervalMs: 100, cancelGraceMs: 3000, ...opts }
    if (opts.onEvent) this.listeners.add(opts.onEvent)
  }

  subscribe(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(e: JobEvent) {
    for (const l of this.listeners) {
      try {
        l(e)
      } catch {
        /* a broken listener must not break the runner */
      }
    }
  }

  list(): JobSnapshot[] {
    return [...this.jobs.values()].map((j) => structuredClone(j.snapshot))
  }

  get(jobId: string): JobSnapshot | undefined {
    return this.jobs.get(jobId)?.snapshot
  }

  /** Resolves when the job has settled (done, failed or cancelled). */
  wait(jobId: string): Promise<JobSnapshot> {
    const j = this.jobs.get(jobId)
    if (!j) return Promise.reject(new Error(`no job ${jobId}`))
    return j.done
  }

  start(req: StartRequest): { jobId: string; runId: number | null } {
    const key = JSON.stringify([req.kind, req.params, req.datasetId ?? null, req.seed ?? null])
    for (const j of this.jobs.values()) {
      if (j.key === key && j.snapshot.state === 'running') return { jobId: j.snapshot.jobId, runId: j.snapshot.runId }
    }
    const store = this.opts.store()
    const datasetId = req.datasetId ?? null
    let dataset: JobInput['dataset'] = null
    if (datasetId !== null) {
      if (!store) throw new CancelledError('no project open')
      const ds = store.getDataset(datasetId)
      const arrays: Record<string, import('../store/arrays').NdArray> = {}
      // The raw source file (source/*) is for exports, not for methods: do not ship it to workers.
      for (const a of store.listArtifacts({ datasetId })) if (!a.name.startsWith('source/')) arrays[a.name] = store.getArtifact({ datasetId }, a.name)!
      dataset = { id: ds.id, kind: ds.kind, dim: ds.dim, arrays, meta: ds.meta }
    }
    const record = (req.record ?? true) && store !== null
    const runId = record ? store!.createRun({ datasetId, method: req.kind, params: req.params, seed: req.seed ?? null, backend: this.opts.backend() }) : null
    if (runId !== null) store!.markRunning(runId)

    const jobId = randomUUID()
    const input: JobInput = { jobId, kind: req.kind, params: req.params, seed: req.seed ?? null, dataset, checkpoint: null, handlersUrl: req.handlersUrl }
    const { entry, bootstrap } = this.opts.worker
    const transfer = dataset ? [...new Set(Object.values(dataset.arrays).map((a) => a.data.buffer as ArrayBuffer))] : []
    const worker = bootstrap
      ? new Worker(bootstrap, { workerData: { ...input, __entry: entry.href }, transferList: transfer })
      : new Worker(entry, { workerData: input, transferList: transfer })

    let resolve!: (s: JobSnapshot) => void
    const done = new Promise<JobSnapshot>((r) => (resolve = r))
    const job: Job = {
      snapshot: {
        jobId,
        runId,
        kind: req.kind,
        title: req.title ?? req.kind,
        state: 'running',
        progress: { fraction: 0, stage: 'starting', message: '', etaSeconds: null, loss: null },
        startedAt: new Date().toISOString(),
        error: null,
      },
      worker,
      key,
      started: performance.now(),
      pending: null,
      timer: null,
      lastEmit: 0,
      lastStoreWrite: 0,
      settled: false,
      store: record ? store : null,
      done,
      resolve,
      killTimer: null,
    }
    this.jobs.set(jobId, job)
    this.emit({ type: 'started', job: structuredClone(job.snapshot) })

    worker.on('message', (m: WorkerToMain) => this.onMessage(job, m))
    worker.on('error', (err) => this.settle(job, 'failed', { error: serializeError(err) }))
    worker.on('exit', (code) => {
      if (job.settled) return
      if (job.snapshot.state === 'running' && this.cancelRequested.has(jobId)) return this.settle(job, 'cancelled')
      this.settle(job, 'failed', {
        error: { kind: 'bug', name: 'WorkerExit', message: `The worker running this job stopped unexpectedly (exit code ${code}). The run is marked interrupted; the project is unchanged.` },
        interrupted: true,
      })
    })
    return { jobId, runId }
  }

  private cancelRequested = new Set<string>()

  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId)
    if (!job || job.settled) return false
    this.cancelRequested.add(jobId)
    job.worker.postMessage({ type: 'cancel' } satisfies MainToWorker)
    job.killTimer = setTimeout(() => {
      if (!job.settled) void job.worker.terminate()
    }, this.opts.cancelGraceMs)
    return true
  }

  private onMessage(job: Job, m: WorkerToMain) {
    if (job.settled) return
    switch (m.type) {
      case 'progress': {
        const elapsed = (performance.now() - job.started) / 1000
        const f = m.progress.fraction
        const eta = f > 0.01 && f < 1 ? (elapsed * (1 - f)) / f : f >= 1 ? 0 : null
        job.pending = { ...m.progress, message: m.progress.message ?? '', loss: m.progress.loss ?? null, etaSeconds: eta }
        job.snapshot.progress = job.pending
        this.flushProgressSoon(job)
        break
      }
      case 'log':
        this.emit({ type: 'log', jobId: job.snapshot.jobId, level: m.level, message: m.message })
        break
      case 'checkpoint':
        if (job.store && job.snapshot.runId !== null) job.store.putRunArtifacts(job.snapshot.runId, prefixKeys('checkpoint/', m.arrays))
        break
      case 'done':
        if (this.cancelRequested.has(job.snapshot.jobId)) return this.settle(job, 'cancelled')
        this.settle(job, 'done', { output: m.output })
        break
      case 'failed':
        this.settle(job, m.error.kind === 'cancelled' ? 'cancelled' : 'failed', { error: m.error })
        break
    }
  }

  private flushProgressSoon(job: Job) {
    const now = performance.now()
    const wait = this.opts.progressIntervalMs - (now - job.lastEmit)
    if (wait <= 0) return this.flushProgress(job)
    job.timer ??= setTimeout(() => {
      job.timer = null
      this.flushProgress(job)
    }, wait)
  }

  private flushProgress(job: Job) {
    if (!job.pending || job.settled) return
    job.lastEmit = performance.now()
    const p = job.pending
    job.pending = null
    this.emit({ type: 'progress', jobId: job.snapshot.jobId, progress: p })
    if (job.store && job.snapshot.runId !== null && job.lastEmit - job.lastStoreWrite > 1000) {
      job.lastStoreWrite = job.lastEmit
      job.store.setRunProgress(job.snapshot.runId, p.fraction, p.stage)
    }
  }

  private settle(job: Job, state: 'done' | 'failed' | 'cancelled', r: { output?: JobOutput; error?: SerializedError; interrupted?: boolean } = {}) {
    if (job.settled) return
    job.settled = true
    if (job.timer) clearTimeout(job.timer)
    if (job.killTimer) clearTimeout(job.killTimer)
    this.cancelRequested.delete(job.snapshot.jobId)
    const seconds = (performance.now() - job.started) / 1000
    const runId = job.snapshot.runId
    let error = r.error ?? null
    let datasetId: number | null = null
    if (state === 'done' && r.output?.dataset) {
      const store = this.opts.store()
      try {
        if (!store) throw new CancelledError('no project open')
        datasetId = store.insertDataset(r.output.dataset)
      } catch (err) {
        state = 'failed'
        error = serializeError(err)
      }
    }
    if (job.store && runId !== null) {
      try {
        if (state === 'done') {
          const out = r.output!
          job.store.finishRun(runId, { status: 'done', metrics: out.metrics, seconds }, { arrays: out.arrays, labels: out.labels })
        } else {
          job.store.finishRun(runId, { status: r.interrupted ? 'interrupted' : state, error, seconds })
        }
      } catch (err) {
        state = 'failed'
        error = serializeError(err)
      }
    }
    job.snapshot.state = state
    job.snapshot.error = error
    if (state === 'done') job.snapshot.progress = { ...job.snapshot.progress, fraction: 1, etaSeconds: 0 }
    if (state === 'done') this.emit({ type: 'done', jobId: job.snapshot.jobId, result: { metrics: r.output?.metrics ?? {}, summary: r.output?.summary ?? null, runId, datasetId } })
    else if (state === 'cancelled') this.emit({ type: 'cancelled', jobId: job.snapshot.jobId })
    else this.emit({ type: 'failed', jobId: job.snapshot.jobId, error: error! })
    void job.worker.terminate()
    job.resolve(structuredClone(job.snapshot))
  }

  /** Cancels every running job and waits for them to settle (quit, project switch). */
  async shutdown(): Promise<void> {
    const running = [...this.jobs.values()].filter((j) => !j.settled)
    for (const j of running) this.cancel(j.snapshot.jobId)
    await Promise.all(running.map((j) => j.done))
  }
}

function prefixKeys<T>(prefix: string, o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [prefix + k, v]))
}
