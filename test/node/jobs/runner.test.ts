import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { JobEvent } from '@shared/contract'
import { JobRunner } from '../../../src-main/jobs/runner'
import { ProjectStore } from '../../../src-main/store/project'
import { sourceWorkerSpec } from '../../../src-main/workers/entry'

const dir = mkdtempSync(join(tmpdir(), 'popdyn-jobs-'))
let n = 0
const stores: ProjectStore[] = []
function newStore() {
  const s = ProjectStore.create(join(dir, `p${n++}.popdyn`))
  stores.push(s)
  return s
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close()
})

function runnerFor(store: ProjectStore | null, events: JobEvent[] = []) {
  return new JobRunner({ worker: sourceWorkerSpec(), store: () => store, backend: () => 'test', onEvent: (e) => events.push(e), cancelGraceMs: 2000 })
}

describe('JobRunner', () => {
  it('returns a job id at once, streams throttled progress with an ETA, and stores the result', async () => {
    const store = newStore()
    const events: JobEvent[] = []
    const runner = runnerFor(store, events)
    const t0 = performance.now()
    const { jobId, runId } = runner.start({ kind: 'debug.sleep', params: { steps: 20, ms: 10 } })
    expect(performance.now() - t0).toBeLessThan(200)
    expect(runId).not.toBeNull()
    expect(store.getRun(runId!).status).toBe('running')
    const snap = await runner.wait(jobId)
    expect(snap.state).toBe('done')
    const progress = events.filter((e) => e.type === 'progress')
    expect(progress.length).toBeGreaterThan(1)
    // ~10 Hz: 20 steps of 10 ms (>= 200 ms) must not produce 20 events.
    expect(progress.length).toBeLessThan(20)
    const fractions = progress.map((e) => (e.type === 'progress' ? e.progress.fraction : 0))
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions)
    expect(progress.some((e) => e.type === 'progress' && e.progress.etaSeconds !== null)).toBe(true)
    expect(events.at(-1)?.type).toBe('done')
    const run = store.getRun(runId!)
    expect(run.status).toBe('done')
    expect(run.metrics).toEqual({ steps: 20 })
    expect(run.seconds).toBeGreaterThan(0)
    expect(Array.from(store.getArtifact({ runId: runId! }, 'trace')!.data)).toEqual(Array.from({ length: 20 }, (_, i) => i))
  })

  it('cancels a running job: cancelled event, run marked cancelled, no result written', async () => {
    const store = newStore()
    const events: JobEvent[] = []
    const runner = runnerFor(store, events)
    const { jobId, runId } = runner.start({ kind: 'debug.sleep', params: { steps: 200, ms: 20 } })
    await new Promise((r) => setTimeout(r, 400))
    expect(runner.cancel(jobId)).toBe(true)
    const snap = await runner.wait(jobId)
    expect(snap.state).toBe('cancelled')
    expect(events.at(-1)).toEqual({ type: 'cancelled', jobId })
    expect(store.getRun(runId!).status).toBe('cancelled')
    expect(store.getArtifact({ runId: runId! }, 'trace')).toBeNull()
  })

  it('reports a job that throws with its error kind and stays usable', async () => {
    const store = newStore()
    const runner = runnerFor(store)
    const bad = runner.start({ kind: 'debug.sleep', params: { steps: 2, ms: 1, fail: 'column "x" is missing' } })
    const snap = await runner.wait(bad.jobId)
    expect(snap.state).toBe('failed')
    expect(snap.error).toMatchObject({ kind: 'invalid-input', message: 'column "x" is missing' })
    expect(store.getRun(bad.runId!).status).toBe('failed')
    expect(store.getRun(bad.runId!).error?.kind).toBe('invalid-input')
    const good = runner.start({ kind: 'debug.sleep', params: { steps: 2, ms: 1 } })
    expect((await runner.wait(good.jobId)).state).toBe('done')
  })

  it('marks the run interrupted when its worker dies mid-job, and the project reopens consistent', async () => {
    const store = newStore()
    const runner = runnerFor(store)
    const { jobId, runId } = runner.start({ kind: 'debug.sleep', params: { steps: 4, ms: 5, checkpointEvery: 2, crash: true } })
    const snap = await runner.wait(jobId)
    expect(snap.state).toBe('failed')
    expect(snap.error?.message).toMatch(/stopped unexpectedly \(exit code 3\)/)
    expect(store.getRun(runId!).status).toBe('interrupted')
    // The checkpoint written before the crash is kept.
    expect(Array.from(store.getArtifact({ runId: runId! }, 'checkpoint/step')!.data)).toEqual([4])
    const path = store.path
    store.close()
    const again = ProjectStore.open(path)
    stores.push(again)
    expect(again.getRun(runId!).status).toBe('interrupted')
  })

  it('joins an identical running request instead of starting it twice', async () => {
    const runner = runnerFor(null)
    const a = runner.start({ kind: 'debug.sleep', params: { steps: 5, ms: 20 } })
    const b = runner.start({ kind: 'debug.sleep', params: { steps: 5, ms: 20 } })
    expect(b.jobId).toBe(a.jobId)
    expect(a.runId).toBeNull()
    await runner.wait(a.jobId)
  })

  it('terminates a worker that ignores cancel after the grace period', async () => {
    const runner = new JobRunner({ worker: sourceWorkerSpec(), store: () => null, backend: () => 'test', cancelGraceMs: 300 })
    const { jobId } = runner.start({ kind: 'debug.busy', params: {}, handlersUrl: new URL('./fixtures/busy-handler.ts', import.meta.url).href })
    await new Promise((r) => setTimeout(r, 500))
    runner.cancel(jobId)
    const snap = await runner.wait(jobId)
    expect(snap.state).toBe('cancelled')
  })
})
