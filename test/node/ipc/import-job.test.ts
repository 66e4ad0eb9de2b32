import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { JobEvent } from '@shared/contract'
import { dispatch } from '../../../src-main/ipc/dispatch'
import { Session } from '../../../src-main/services/session'
import { sourceWorkerSpec } from '../../../src-main/workers/entry'
import { tempDir } from '../helpers/tmp'

describe('import through the contract (the wizard path)', () => {
  it('inspects a file, imports it as a job, and refuses a bad file naming its line and column, leaving the project unchanged', async () => {
    const dir = tempDir()
    const s = new Session({ mode: 'browser', backend: { name: 'wasm', detail: 't', skipped: [] }, worker: sourceWorkerSpec(), settingsDir: dir })
    await dispatch(s.handlers, 'project.create', { path: join(dir, 'p.popdyn') })
    const good = join(dir, 'cells.csv')
    writeFileSync(good, 'cell,frame,x,y\n' + Array.from({ length: 40 }, (_, i) => `${1 + (i % 4)},${Math.floor(i / 4)},${i * 0.5},${(i % 7) * 1.5}`).join('\n') + '\n')
    const ins = await dispatch(s.handlers, 'import.inspect', { path: good })
    expect(ins).toMatchObject({ ok: true, value: { format: 'csv', kindGuess: 'tracks', columns: ['cell', 'frame', 'x', 'y'] } })

    const events: JobEvent[] = []
    s.onJobEvent((e) => events.push(e))
    const started = await dispatch(s.handlers, 'jobs.start', { request: { kind: 'import', params: { path: good, name: 'cells', spaceUnit: 'µm', timeUnit: 'frame', frameInterval: 5, frameIntervalUnit: 'min' } } })
    expect(started.ok).toBe(true)
    const jobId = (started as { value: { jobId: string } }).value.jobId
    expect((await s.runner.wait(jobId)).state).toBe('done')
    const list = await dispatch(s.handlers, 'datasets.list', {})
    expect((list as { value: { name: string; entities: number; units: { frameInterval: number } }[] }).value).toMatchObject([{ name: 'cells', entities: 4, units: { frameInterval: 5 } }])
    expect(events.find((e) => e.type === 'done')).toMatchObject({ result: { datasetId: 1 } })
    // The same bytes again are recognised (content hash), whatever the file is called.
    expect(ins).toMatchObject({ value: { existing: null } })
    const copy = join(dir, 'copy-of-cells.csv')
    writeFileSync(copy, readFileSync(good))
    expect(await dispatch(s.handlers, 'import.inspect', { path: copy })).toMatchObject({ ok: true, value: { existing: { id: 1, name: 'cells' } } })

    const bad = join(dir, 'bad.csv')
    writeFileSync(bad, 'cell,frame,x,y\n1,0,1,2\n1,1,abc,2\n')
    const b = (await dispatch(s.handlers, 'jobs.start', { request: { kind: 'import', params: { path: bad, name: 'bad' } } })) as { value: { jobId: string } }
    const snap = await s.runner.wait(b.value.jobId)
    expect(snap.state).toBe('failed')
    expect(snap.error?.kind).toBe('invalid-input')
    expect(snap.error?.message).toMatch(/bad\.csv.*line 3.*"x"/)
    // same name again: refused, nothing added
    const again = (await dispatch(s.handlers, 'jobs.start', { request: { kind: 'import', params: { path: good, name: 'cells' } } })) as { value: { jobId: string } }
    const snap2 = await s.runner.wait(again.value.jobId)
    expect(snap2.state).toBe('failed')
    expect(snap2.error?.message).toMatch(/already exists/)
    expect(s.store!.listDatasets()).toHaveLength(1)
    expect(s.store!.listRuns()).toHaveLength(0)
    await s.close()
  }, 60_000)
})
