/**
 * Jobs as the renderer sees them: a map from jobId to a view, built from `jobs.list`
 * snapshots and the live JobEvent stream (STYLE P11). Plain TypeScript, no Svelte, so the
 * reduction can be tested on its own (test/renderer/jobs.test.ts).
 *
 * Two sources can disagree in time: a `jobs.list` answer may have been computed before an
 * event that reached us first. The rules that keep the view consistent:
 * - a finished job (done / failed / cancelled) never goes back to running;
 * - while running, progress only moves forward (an older snapshot cannot pull the bar back);
 * - progress, log and finish events for a job we do not know are reported (`unknown`) so
 *   the caller can fetch `jobs.list` again; they do not invent a job.
 */
import type { JobEvent, JobProgress, JobSnapshot, JobState } from '@shared/contract'
import type { SerializedError } from '@shared/errors'

export interface JobView {
  jobId: string
  runId: number | null
  kind: string
  title: string
  state: JobState
  progress: JobProgress
  /** ISO time the job started. */
  startedAt: string
  error: SerializedError | null
  /** The `done` event's result, when it came through the event stream. */
  result?: unknown
  /** The last `log` event. */
  lastLog?: { level: 'info' | 'warn'; message: string }
}

export type JobsMap = Readonly<Record<string, JobView>>

export const isFinished = (s: JobState): boolean => s !== 'running'

export function fromSnapshot(s: JobSnapshot): JobView {
  return { ...s, progress: { ...s.progress } }
}

/** A job we started but have not yet heard about (jobs.start answered before any event). */
export function placeholderJob(jobId: string, kind: string, runId: number | null, now = new Date()): JobView {
  return {
    jobId,
    runId,
    kind,
    title: kind,
    state: 'running',
    progress: { fraction: 0, stage: 'starting', message: '', etaSeconds: null, loss: null },
    startedAt: now.toISOString(),
    error: null,
  }
}

/** Merges one snapshot into an existing view, following the rules above. */
export function mergeSnapshot(current: JobView | undefined, s: JobSnapshot): JobView {
  if (!current) return fromSnapshot(s)
  if (isFinished(current.state) && !isFinished(s.state)) return current
  const next: JobView = { ...current, ...s, result: current.result, lastLog: current.lastLog }
  if (!isFinished(s.state) && s.progress.fraction < current.progress.fraction) next.progress = current.progress
  // A placeholder's title is the bare kind; the host's title is better, keep it.
  return next
}

export function mergeSnapshots(jobs: JobsMap, snapshots: readonly JobSnapshot[]): JobsMap {
  const out: Record<string, JobView> = { ...jobs }
  for (const s of snapshots) out[s.jobId] = mergeSnapshot(out[s.jobId], s)
  return out
}

export interface Reduced {
  jobs: JobsMap
  /** The event was about a job not in the map: fetch `jobs.list` to learn it. */
  unknown: boolean
  /** The event finished a job (done, failed or cancelled) that was running. */
  finished: boolean
}

/** Applies one JobEvent. Returns the same map object when nothing changed. */
export function applyJobEvent(jobs: JobsMap, e: JobEvent): Reduced {
  if (e.type === 'started') {
    return { jobs: { ...jobs, [e.job.jobId]: mergeSnapshot(jobs[e.job.jobId], e.job) }, unknown: false, finished: false }
  }
  const cur = jobs[e.jobId]
  if (!cur) return { jobs, unknown: true, finished: false }
  const same = { jobs, unknown: false, finished: false }
  switch (e.type) {
    case 'progress':
      if (isFinished(cur.state)) return same // a late event after cancel or done
      return { ...same, jobs: { ...jobs, [e.jobId]: { ...cur, progress: { ...e.progress } } } }
    case 'log':
      return { ...same, jobs: { ...jobs, [e.jobId]: { ...cur, lastLog: { level: e.level, message: e.message } } } }
    case 'done': {
      if (isFinished(cur.state)) return same
      const progress = { ...cur.progress, fraction: 1, etaSeconds: null }
      return { jobs: { ...jobs, [e.jobId]: { ...cur, state: 'done', progress, result: e.result } }, unknown: false, finished: true }
    }
    case 'failed': {
      if (isFinished(cur.state)) return same
      // A job whose error is a cancellation ended because the user cancelled it (STYLE P10).
      const state: JobState = e.error.kind === 'cancelled' ? 'cancelled' : 'failed'
      const progress = { ...cur.progress, etaSeconds: null }
      return { jobs: { ...jobs, [e.jobId]: { ...cur, state, progress, error: e.error } }, unknown: false, finished: true }
    }
    case 'cancelled': {
      if (isFinished(cur.state)) return same
      const progress = { ...cur.progress, etaSeconds: null }
      return { jobs: { ...jobs, [e.jobId]: { ...cur, state: 'cancelled', progress } }, unknown: false, finished: true }
    }
  }
}

/** Running jobs first, then newest first. */
export function sortJobs(jobs: JobsMap): JobView[] {
  return Object.values(jobs).sort((a, b) => {
    const ra = a.state === 'running' ? 0 : 1
    const rb = b.state === 'running' ? 0 : 1
    if (ra !== rb) return ra - rb
    return b.startedAt.localeCompare(a.startedAt) || b.jobId.localeCompare(a.jobId)
  })
}

/** Removes finished jobs (the "Clear finished" button). */
export function withoutFinished(jobs: JobsMap): JobsMap {
  return Object.fromEntries(Object.entries(jobs).filter(([, j]) => !isFinished(j.state)))
}

/** Whole percent 0..100 for a progress bar's aria-valuenow. */
export function percent(fraction: number): number {
  if (!Number.isFinite(fraction)) return 0
  return Math.round(Math.min(1, Math.max(0, fraction)) * 100)
}

/**
 * Seconds left: the host's estimate when it has one, else elapsed × (1 − f) / f once at
 * least 2 % is done (earlier estimates jump around too much to be useful).
 */
export function etaSeconds(job: Pick<JobView, 'state' | 'progress' | 'startedAt'>, nowMs: number): number | null {
  if (job.state !== 'running') return null
  if (job.progress.etaSeconds != null && Number.isFinite(job.progress.etaSeconds)) return Math.max(0, job.progress.etaSeconds)
  const f = job.progress.fraction
  const t0 = Date.parse(job.startedAt)
  if (!(f >= 0.02) || f >= 1 || !Number.isFinite(t0)) return null
  const elapsed = Math.max(0, (nowMs - t0) / 1000)
  return (elapsed * (1 - f)) / f
}

/** "about 5 s left", "about 3 min 05 s left", "about 1 h 02 min left"; "" when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return ''
  if (seconds < 1) return 'less than a second left'
  return `about ${formatDuration(seconds, false)} left`
}

/**
 * A duration for people: "0.42 s", "12.3 s", "3 min 05 s", "1 h 02 min".
 * With `fractional` false, seconds are whole ("12 s").
 */
export function formatDuration(seconds: number, fractional = true): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—'
  if (seconds < 60) {
    if (!fractional) return `${Math.max(1, Math.round(seconds))} s`
    if (seconds < 1) return `${seconds.toFixed(2)} s`
    return `${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)} s`
  }
  const total = Math.round(seconds)
  if (total < 3600) {
    const m = Math.floor(total / 60)
    const s = total % 60
    return `${m} min ${String(s).padStart(2, '0')} s`
  }
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  return `${h} h ${String(m).padStart(2, '0')} min`
}

/** A loss value in 4 significant digits, scientific notation when very small or large. */
export function formatLoss(loss: number | null | undefined): string {
  if (loss == null) return ''
  if (!Number.isFinite(loss)) return String(loss)
  const a = Math.abs(loss)
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return loss.toExponential(3)
  return String(Number(loss.toPrecision(4)))
}

/**
 * A short summary of a job's result for the jobs panel: up to `max` scalar fields, as
 * "key: value". Job results are `{ metrics, summary, runId }` (jobs/runner.ts): fields of
 * `summary` come first, then `metrics`; a result without those is read as a flat object.
 */
export function summarizeResult(result: unknown, max = 4): { key: string; value: string }[] {
  const obj = (x: unknown): Record<string, unknown> | null =>
    x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : null
  const r = obj(result)
  if (!r) return []
  const sources = 'summary' in r || 'metrics' in r ? [obj(r.summary), obj(r.metrics)] : [r]
  const out: { key: string; value: string }[] = []
  const seen = new Set<string>()
  for (const src of sources) {
    for (const [key, v] of Object.entries(src ?? {})) {
      if (out.length >= max) return out
      if (seen.has(key)) continue
      let value: string | null = null
      if (typeof v === 'number') value = Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)))
      else if (typeof v === 'string' && v.length <= 60) value = v
      else if (typeof v === 'boolean') value = v ? 'yes' : 'no'
      if (value === null) continue
      seen.add(key)
      out.push({ key, value })
    }
  }
  return out
}
