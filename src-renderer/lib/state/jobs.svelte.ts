/**
 * Live jobs: `jobs.list` once, then the JobEvent stream (reduced by ../jobs.ts). While a job
 * runs and no event has arrived for a while, `jobs.list` is asked again, so a dropped event
 * socket (browser mode reconnects with back-off) cannot leave a bar frozen.
 */
import type { JobEvent, JobRequestInput } from '@shared/contract'
import { call, onJobEvent } from '../api'
import {
  applyJobEvent,
  etaSeconds,
  isFinished,
  mergeSnapshots,
  placeholderJob,
  sortJobs,
  withoutFinished,
  type JobsMap,
  type JobView,
} from '../jobs'
import { methodName } from '../format'
import { infoNotice } from '../notices'
import { session } from './session.svelte'
import { toasts } from './toasts.svelte'

/** Ask `jobs.list` when a running job has been silent this long. */
const STALE_MS = 2000

class Jobs {
  map = $state.raw<JobsMap>({})
  /** Job ids whose Cancel was clicked and not yet confirmed by an event. */
  cancelling = $state.raw<ReadonlySet<string>>(new Set())
  /** Wall clock, ticking once a second while something runs (for the ETA estimate). */
  now = $state(Date.now())

  list = $derived(sortJobs(this.map))
  running = $derived(this.list.filter((j) => j.state === 'running'))

  #lastEventAt = 0
  #refreshing: Promise<void> | null = null

  /** Subscribes to events and starts the clock. Returns the cleanup. */
  connect(): () => void {
    const off = onJobEvent((e) => this.#onEvent(e))
    const tick = setInterval(() => {
      if (this.running.length === 0) return
      this.now = Date.now()
      if (Date.now() - this.#lastEventAt > STALE_MS) void this.refresh()
    }, 1000)
    void this.refresh()
    return () => {
      off()
      clearInterval(tick)
    }
  }

  /** Merges `jobs.list` into the map (one request at a time). */
  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const snaps = await call('jobs.list', {})
        const before = this.map
        const merged = mergeSnapshots(this.map, snaps)
        // A job the list reports as finished that we last saw running: lists change too.
        const ended = snaps.some((s) => isFinished(s.state) && before[s.jobId] && !isFinished(before[s.jobId].state))
        this.map = merged
        if (ended) void session.refreshLists()
      } catch (err) {
        toasts.error(err, 'Jobs')
      } finally {
        this.#refreshing = null
      }
    })()
    return this.#refreshing
  }

  async start(request: JobRequestInput, datasetId?: number): Promise<string | null> {
    try {
      const { jobId, runId } = await call('jobs.start', datasetId == null ? { request } : { request, datasetId })
      if (!this.map[jobId]) {
        const p = placeholderJob(jobId, request.kind, runId)
        this.map = { ...this.map, [jobId]: { ...p, title: methodName(request.kind) } }
      }
      this.#lastEventAt = Date.now()
      void this.refresh()
      if (runId != null) void session.refreshLists()
      return jobId
    } catch (err) {
      toasts.error(err, methodName(request.kind))
      return null
    }
  }

  async cancel(jobId: string): Promise<void> {
    this.cancelling = new Set([...this.cancelling, jobId])
    try {
      const { cancelled } = await call('jobs.cancel', { jobId })
      // false: it had already ended; the list tells us how.
      if (!cancelled) void this.refresh()
    } catch (err) {
      toasts.error(err, 'Cancel')
      this.#forgetCancelling(jobId)
    }
  }

  clearFinished(): void {
    this.map = withoutFinished(this.map)
  }

  eta(job: JobView): number | null {
    return etaSeconds(job, this.now)
  }

  #forgetCancelling(jobId: string) {
    if (!this.cancelling.has(jobId)) return
    const s = new Set(this.cancelling)
    s.delete(jobId)
    this.cancelling = s
  }

  #onEvent(e: JobEvent) {
    if (!e || typeof e !== 'object' || typeof e.type !== 'string') return
    this.#lastEventAt = Date.now()
    const r = applyJobEvent(this.map, e)
    if (r.unknown) {
      void this.refresh()
      return
    }
    this.map = r.jobs
    if (e.type === 'started' && e.job.runId != null) void session.refreshLists()
    if (!r.finished) return
    const id = e.type === 'started' ? e.job.jobId : e.jobId
    this.#forgetCancelling(id)
    const job = r.jobs[id]
    if (e.type === 'failed') toasts.error(e.error, job?.title)
    else if (e.type === 'done') toasts.show(infoNotice(`${job?.title ?? 'Job'} finished`, '', 'success'))
    void session.refreshLists()
  }
}

export const jobs = new Jobs()
