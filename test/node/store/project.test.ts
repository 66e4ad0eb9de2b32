import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { PopdynError } from '@shared/errors'
import { nd } from '../../../src-main/store/arrays'
import { LATEST_SCHEMA_VERSION, POPDYN_APPLICATION_ID, ProjectStore } from '../../../src-main/store/project'
import { tempDir } from '../helpers/tmp'

const units = { space: 'µm', time: 'min', pixelSize: null, frameInterval: null, frameIntervalUnit: null }
const hash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex')

function expectError(f: () => unknown, kind: string, pattern: RegExp) {
  let err: unknown
  try {
    f()
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(PopdynError)
  expect((err as PopdynError).kind).toBe(kind)
  expect((err as PopdynError).message).toMatch(pattern)
}

describe('ProjectStore', () => {
  it('creates a project with WAL, foreign keys, the application id and the latest schema', () => {
    const path = join(tempDir(), 'a.popdyn')
    const s = ProjectStore.create(path, 'My cells')
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(s.db.pragma('application_id', { simple: true })).toBe(POPDYN_APPLICATION_ID)
    expect(s.schemaVersion).toBe(LATEST_SCHEMA_VERSION)
    expect(s.info.name).toBe('My cells')
    s.close()
    expectError(() => ProjectStore.create(path), 'invalid-input', /already exists/)
  })

  it('round-trips a dataset with typed-array artifacts of every dtype and shape', () => {
    const s = ProjectStore.create(join(tempDir(), 'b.popdyn'))
    const pos = nd(Float64Array.from([1.5, -2, 3e-300, 4, Number.MAX_VALUE, 6]), [3, 2])
    const id = s.insertDataset({
      name: 'cells',
      kind: 'tracks',
      rows: 3,
      entities: 2,
      times: 2,
      dim: 2,
      units,
      source: 'cells.csv',
      warnings: ['1 track shorter than 10 frames'],
      arrays: { pos, track: nd(Int32Array.from([1, 1, 2])), f32: nd(Float32Array.from([0.5, 1.25])), u8: nd(Uint8Array.from([255, 0, 7])) },
    })
    const d = s.getDataset(id)
    expect(d).toMatchObject({ name: 'cells', kind: 'tracks', rows: 3, entities: 2, dim: 2, units, warnings: ['1 track shorter than 10 frames'] })
    const back = s.getArtifact({ datasetId: id }, 'pos')!
    expect(back.shape).toEqual([3, 2])
    expect(back.data).toBeInstanceOf(Float64Array)
    expect(Array.from(back.data)).toEqual(Array.from(pos.data))
    expect(Array.from(s.getArtifact({ datasetId: id }, 'track')!.data)).toEqual([1, 1, 2])
    expect(s.getArtifact({ datasetId: id }, 'f32')!.data).toBeInstanceOf(Float32Array)
    expect(Array.from(s.getArtifact({ datasetId: id }, 'u8')!.data)).toEqual([255, 0, 7])
    expect(s.listArtifacts({ datasetId: id }).map((a) => a.name)).toEqual(['f32', 'pos', 'track', 'u8'])
    expect(s.findDataset('cells').id).toBe(id)
    expectError(() => s.findDataset('nope'), 'invalid-input', /No dataset "nope".*Datasets: cells/)
    s.close()
  })

  it('writes a dataset all or nothing: a failing array leaves no dataset behind', () => {
    const s = ProjectStore.create(join(tempDir(), 'c.popdyn'))
    const bad = { dtype: 'float64', shape: [1], data: 'not an array' } as unknown as ReturnType<typeof nd>
    expect(() => s.insertDataset({ name: 'x', kind: 'snapshots', rows: 1, entities: 0, times: 1, dim: 1, units, source: 's', arrays: { ok: nd(new Float64Array(1)), bad } })).toThrow()
    expect(s.listDatasets()).toEqual([])
    expect(s.db.prepare('SELECT count(*) FROM artifacts').pluck().get()).toBe(0)
    s.close()
  })

  it('records runs with params, seed, version, backend, progress, metrics, labels and errors', () => {
    const s = ProjectStore.create(join(tempDir(), 'd.popdyn'))
    const ds = s.insertDataset({ name: 'd', kind: 'snapshots', rows: 2, entities: 0, times: 2, dim: 1, units, source: 's', arrays: {} })
    const r = s.createRun({ datasetId: ds, method: 'ensembles', params: { K: 3 }, seed: 42, backend: 'wasm' })
    expect(s.getRun(r)).toMatchObject({ status: 'queued', seed: 42, params: { K: 3 }, backend: 'wasm', softwareVersion: '0.1.0' })
    s.markRunning(r)
    s.setRunProgress(r, 0.5, 'restart 5/10')
    expect(s.getRun(r)).toMatchObject({ status: 'running', progress: 0.5, stage: 'restart 5/10' })
    s.finishRun(r, { status: 'done', metrics: { objective: 1.25 }, seconds: 3 }, { labels: { label: ['A', 'B'], confidence: [0.9, 0.6] }, arrays: { A: nd(new Float64Array([1, 0, 0, 1]), [2, 2]) } })
    expect(s.getRun(r)).toMatchObject({ status: 'done', progress: 1, metrics: { objective: 1.25 }, seconds: 3 })
    expect(s.getLabels(r)).toEqual({ label: ['A', 'B'], confidence: [0.9, 0.6] })
    const r2 = s.createRun({ datasetId: null, method: 'x', params: {}, seed: null, backend: 'cpu' })
    s.finishRun(r2, { status: 'failed', error: { kind: 'numerical', name: 'E', message: 'NaN at t=3' } })
    expect(s.getRun(r2).error).toEqual({ kind: 'numerical', name: 'E', message: 'NaN at t=3' })
    expect(() => s.createRun({ datasetId: 999, method: 'x', params: {}, seed: null, backend: 'cpu' })).toThrow(/No dataset with id 999/)
    // Deleting a dataset removes its runs, their artifacts and labels (foreign keys).
    s.deleteDataset(ds)
    expect(s.listRuns().map((x) => x.id)).toEqual([r2])
    expect(s.db.prepare('SELECT count(*) FROM labels').pluck().get()).toBe(0)
    s.close()
  })

  it('marks runs left running by a crash as interrupted on open', () => {
    const path = join(tempDir(), 'e.popdyn')
    const s = ProjectStore.create(path)
    const r = s.createRun({ datasetId: null, method: 'wlm', params: {}, seed: 1, backend: 'wasm' })
    s.markRunning(r)
    const done = s.createRun({ datasetId: null, method: 'wlm', params: {}, seed: 1, backend: 'wasm' })
    s.finishRun(done, { status: 'done' })
    s.close()
    const again = ProjectStore.open(path)
    expect(again.recoveredRuns).toEqual([r])
    expect(again.getRun(r).status).toBe('interrupted')
    expect(again.getRun(r).error?.message).toMatch(/interrupted/)
    expect(again.getRun(done).status).toBe('done')
    again.close()
  })

  it('refuses a file that is not a project, and does not change it', () => {
    const dir = tempDir()
    const text = join(dir, 'notes.popdyn')
    writeFileSync(text, 'track,t,x,y\n1,0,1,2\n')
    const before = hash(text)
    expectError(() => ProjectStore.open(text), 'invalid-input', /not a PopDyn Studio project \(not an SQLite database\)/)
    expect(hash(text)).toBe(before)

    const other = join(dir, 'other.db')
    const db = new Database(other)
    db.exec('CREATE TABLE t (x)')
    db.close()
    const h = hash(other)
    expectError(() => ProjectStore.open(other), 'invalid-input', /SQLite database but not a PopDyn Studio project/)
    expect(hash(other)).toBe(h)
    expect(existsSync(other + '-wal')).toBe(false)

    expectError(() => ProjectStore.open(join(dir, 'missing.popdyn')), 'io', /does not exist/)
  })

  it('refuses a project written by a newer version, and does not change it', () => {
    const path = join(tempDir(), 'new.popdyn')
    ProjectStore.create(path).close()
    const db = new Database(path)
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`)
    db.pragma('journal_mode = DELETE')
    db.close()
    const before = hash(path)
    expectError(() => ProjectStore.open(path), 'invalid-input', new RegExp(`newer version.*schema ${LATEST_SCHEMA_VERSION + 1}.*not changed`))
    expect(hash(path)).toBe(before)
  })
})

describe('bundled sample files', () => {
  it('resources/sample/*.csv are exactly what the sample generators write (they cannot drift)', async () => {
    const { sampleTracksCsv, sampleSnapshotsCsv } = await import('../../../src-main/engines/synth/sample-csv')
    const res = join(import.meta.dirname, '../../../resources/sample')
    expect(readFileSync(join(res, 'sample-tracks.csv'), 'utf8')).toBe(sampleTracksCsv())
    expect(readFileSync(join(res, 'sample-snapshots.csv'), 'utf8')).toBe(sampleSnapshotsCsv())
  })
})
