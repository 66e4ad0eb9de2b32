import { describe, expect, it } from 'vitest'
import type { JobEvent, JobSnapshot } from '@shared/contract'
import {
  applyJobEvent,
  etaSeconds,
  formatDuration,
  formatEta,
  formatLoss,
  mergeSnapshots,
  percent,
  placeholderJob,
  sortJobs,
  summarizeResult,
  withoutFinished,
  type JobsMap,
} from '../../src-renderer/lib/jobs'

const snap = (over: Partial<JobSnapshot> & { jobId: string }): JobSnapshot => ({
  runId: null,
  kind: 'bench.backend',
  title: 'Benchmark',
  state: 'running',
  progress: { fraction: 0, stage: 'warm-up', message: '', etaSeconds: null, loss: null },
  startedAt: '2026-01-01T00:00:00.000Z',
  error: null,
  ...over,
})

const progress = (jobId: string, fraction: number, extra: Partial<{ loss: number; etaSeconds: number }> = {}): JobEvent => ({
  type: 'progress',
  jobId,
  progress: { fraction, stage: 'matMul', message: `${fraction}`, etaSeconds: extra.etaSeconds ?? null, loss: extra.loss ?? null },
})

/** Applies events in order, returning the final map. */
const run = (events: JobEvent[], start: JobsMap = {}) => events.reduce((m, e) => applyJobEvent(m, e).jobs, start)

describe('applyJobEvent', () => {
  it('follows a job from started through progress to done', () => {
    const m = run([{ type: 'started', job: snap({ jobId: 'a' }) }, progress('a', 0.25, { loss: 0.5 }), progress('a', 0.5)])
    expect(m.a.state).toBe('running')
    expect(m.a.progress.fraction).toBe(0.5)
    const r = applyJobEvent(m, { type: 'done', jobId: 'a', result: { gflops: 3.2 } })
    expect(r.finished).toBe(true)
    expect(r.jobs.a.state).toBe('done')
    expect(r.jobs.a.progress.fraction).toBe(1)
    expect(r.jobs.a.result).toEqual({ gflops: 3.2 })
  })

  it('ignores progress that arrives after a job was cancelled, and a second finish', () => {
    const m = run([{ type: 'started', job: snap({ jobId: 'a' }) }, progress('a', 0.3), { type: 'cancelled', jobId: 'a' }])
    expect(m.a.state).toBe('cancelled')
    const late = applyJobEvent(m, progress('a', 0.9))
    expect(late.jobs).toBe(m)
    expect(late.jobs.a.progress.fraction).toBe(0.3)
    const again = applyJobEvent(m, { type: 'done', jobId: 'a', result: null })
    expect(again.finished).toBe(false)
    expect(again.jobs.a.state).toBe('cancelled')
  })

  it('treats a failure of kind cancelled as cancelled, other kinds as failed with the error kept', () => {
    const base = run([{ type: 'started', job: snap({ jobId: 'a' }) }, { type: 'started', job: snap({ jobId: 'b' }) }])
    const m = run(
      [
        { type: 'failed', jobId: 'a', error: { kind: 'cancelled', name: 'CancelledError', message: 'Cancelled' } },
        { type: 'failed', jobId: 'b', error: { kind: 'numerical', name: 'PopdynError', message: 'loss became NaN' } },
      ],
      base,
    )
    expect(m.a.state).toBe('cancelled')
    expect(m.b.state).toBe('failed')
    expect(m.b.error?.message).toBe('loss became NaN')
  })

  it('reports events for unknown jobs without inventing them', () => {
    const r = applyJobEvent({}, progress('zz', 0.5))
    expect(r.unknown).toBe(true)
    expect(r.jobs).toEqual({})
  })

  it('keeps the last log line', () => {
    const m = run([{ type: 'started', job: snap({ jobId: 'a' }) }, { type: 'log', jobId: 'a', level: 'warn', message: 'slow backend' }])
    expect(m.a.lastLog).toEqual({ level: 'warn', message: 'slow backend' })
  })
})

describe('mergeSnapshots', () => {
  it('never moves a finished job back to running, nor a running bar backwards', () => {
    const m = run([
      { type: 'started', job: snap({ jobId: 'a' }) },
      { type: 'started', job: snap({ jobId: 'b' }) },
      progress('a', 0.6),
      { type: 'done', jobId: 'b', result: { ok: 1 } },
    ])
    // A list computed before those events.
    const stale = [snap({ jobId: 'a', progress: { fraction: 0.2, stage: 's', message: '', etaSeconds: null, loss: null } }), snap({ jobId: 'b' })]
    const merged = mergeSnapshots(m, stale)
    expect(merged.a.progress.fraction).toBe(0.6)
    expect(merged.b.state).toBe('done')
    expect(merged.b.result).toEqual({ ok: 1 })
  })

  it('takes newer facts from the list: a new job, a finish we missed, the host title over a placeholder', () => {
    const m: JobsMap = { p: placeholderJob('p', 'bench.backend', null, new Date('2026-01-01T00:00:01Z')) }
    const merged = mergeSnapshots(m, [
      snap({ jobId: 'p', title: 'Benchmark compute backend', progress: { fraction: 0.1, stage: 'run', message: '', etaSeconds: 3, loss: null } }),
      snap({ jobId: 'q', state: 'failed', error: { kind: 'io', name: 'E', message: 'disk full' } }),
    ])
    expect(merged.p.title).toBe('Benchmark compute backend')
    expect(merged.p.progress.fraction).toBe(0.1)
    expect(merged.q.state).toBe('failed')
    expect(merged.q.error?.message).toBe('disk full')
  })
})

describe('sortJobs / withoutFinished', () => {
  it('lists running jobs first, then newest first, and clears only finished ones', () => {
    const m: JobsMap = run([
      { type: 'started', job: snap({ jobId: 'old', startedAt: '2026-01-01T00:00:00Z' }) },
      { type: 'started', job: snap({ jobId: 'new', startedAt: '2026-01-01T00:05:00Z' }) },
      { type: 'started', job: snap({ jobId: 'mid', startedAt: '2026-01-01T00:02:00Z' }) },
      { type: 'done', jobId: 'new', result: null },
    ])
    expect(sortJobs(m).map((j) => j.jobId)).toEqual(['mid', 'old', 'new'])
    expect(Object.keys(withoutFinished(m)).sort()).toEqual(['mid', 'old'])
  })
})

describe('progress numbers', () => {
  it('percent clamps and rounds to whole numbers', () => {
    expect(percent(0)).toBe(0)
    expect(percent(0.004)).toBe(0)
    expect(percent(0.426)).toBe(43)
    expect(percent(1.2)).toBe(100)
    expect(percent(-1)).toBe(0)
    expect(percent(Number.NaN)).toBe(0)
  })

  it('etaSeconds prefers the host estimate, else extrapolates elapsed time once 2 % is done', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z')
    const job = (fraction: number, eta: number | null = null) => ({
      state: 'running' as const,
      startedAt: '2026-01-01T00:00:00Z',
      progress: { fraction, stage: '', message: '', etaSeconds: eta, loss: null },
    })
    expect(etaSeconds(job(0.5, 7), t0 + 10_000)).toBe(7)
    expect(etaSeconds(job(0.25), t0 + 10_000)).toBeCloseTo(30, 10) // 10 s for a quarter: 30 s left
    expect(etaSeconds(job(0.01), t0 + 10_000)).toBeNull()
    expect(etaSeconds({ ...job(0.5, 7), state: 'done' }, t0)).toBeNull()
  })

  it('formats ETAs and durations for people', () => {
    expect(formatEta(null)).toBe('')
    expect(formatEta(0.4)).toBe('less than a second left')
    expect(formatEta(12.4)).toBe('about 12 s left')
    expect(formatEta(185)).toBe('about 3 min 05 s left')
    expect(formatEta(3725)).toBe('about 1 h 02 min left')
    expect(formatDuration(0.421)).toBe('0.42 s')
    expect(formatDuration(4.5)).toBe('4.50 s')
    expect(formatDuration(12.34)).toBe('12.3 s')
    expect(formatDuration(-1)).toBe('—')
  })

  it('formats losses with 4 significant digits, scientific when tiny or huge', () => {
    expect(formatLoss(null)).toBe('')
    expect(formatLoss(0.123456)).toBe('0.1235')
    expect(formatLoss(0)).toBe('0')
    expect(formatLoss(1.5e-6)).toBe('1.500e-6')
    expect(formatLoss(2.5e7)).toBe('2.500e+7')
    expect(formatLoss(Number.NaN)).toBe('NaN')
  })

  it('summarizes only scalar result fields, at most max of them', () => {
    expect(summarizeResult({ gflops: 3.14159, backend: 'wasm', ok: true, matrix: [1, 2], n: 4 }, 3)).toEqual([
      { key: 'gflops', value: '3.142' },
      { key: 'backend', value: 'wasm' },
      { key: 'ok', value: 'yes' },
    ])
    expect(summarizeResult({ metrics: { backend: 'wasm', gflops: 2.5, size: 256 }, summary: { gflops: 2.5 }, runId: 3 })).toEqual([
      { key: 'gflops', value: '2.5' },
      { key: 'backend', value: 'wasm' },
      { key: 'size', value: '256' },
    ])
    expect(summarizeResult([1, 2])).toEqual([])
    expect(summarizeResult(null)).toEqual([])
  })
})
