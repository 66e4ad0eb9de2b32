import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { contract, channels, JobEvent } from '@shared/contract'
import { CHANNEL_NAMES } from '@shared/channels'
import { serializeError, invalidInput, CancelledError } from '@shared/errors'
import { APP_VERSION } from '@shared/version'
import { dispatch } from '../../../src-main/ipc/dispatch'
import { Session } from '../../../src-main/services/session'
import { sourceWorkerSpec } from '../../../src-main/workers/entry'
import { tempDir } from '../helpers/tmp'

const backend = { name: 'wasm' as const, detail: 'test', skipped: [] }
const newSession = () => new Session({ mode: 'cli', backend, worker: sourceWorkerSpec(), settingsDir: tempDir() })

describe('the contract', () => {
  it('declares every channel once, and the preload list matches it', () => {
    expect([...CHANNEL_NAMES].sort()).toEqual(Object.keys(contract).sort())
    expect(new Set(channels).size).toBe(channels.length)
  })

  it('APP_VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8'))
    expect(APP_VERSION).toBe(pkg.version)
  })

  it('fills documented defaults and refuses out-of-range job parameters', () => {
    const ok = contract['jobs.start'].args.parse({ request: { kind: 'bench.backend', params: {} } })
    expect(ok.request.params).toEqual({ size: 256, repeats: 200 })
    expect(contract['jobs.start'].args.safeParse({ request: { kind: 'bench.backend', params: { size: 5 } } }).success).toBe(false)
    expect(contract['jobs.start'].args.safeParse({ request: { kind: 'rm -rf', params: {} } }).success).toBe(false)
  })

  it('validates job events as a discriminated union', () => {
    expect(JobEvent.safeParse({ type: 'cancelled', jobId: 'x' }).success).toBe(true)
    expect(JobEvent.safeParse({ type: 'progress', jobId: 'x', progress: { fraction: 2, stage: 's' } }).success).toBe(false)
  })

  it('serialises errors with their kind', () => {
    expect(serializeError(invalidInput('row 3, column "x": expected a number, got "abc"'))).toMatchObject({ kind: 'invalid-input', message: 'row 3, column "x": expected a number, got "abc"' })
    expect(serializeError(new CancelledError()).kind).toBe('cancelled')
    expect(serializeError(new TypeError('boom'))).toMatchObject({ kind: 'bug', name: 'TypeError', message: 'boom' })
    expect(serializeError('weird')).toMatchObject({ kind: 'bug', message: 'weird' })
  })
})

describe('dispatch (the boundary)', () => {
  it('refuses unknown channels and invalid arguments as invalid-input data, without calling the handler', async () => {
    const s = newSession()
    expect(await dispatch(s.handlers, 'fs.readFile', {})).toMatchObject({ ok: false, error: { kind: 'invalid-input', message: 'Unknown call "fs.readFile".' } })
    expect(await dispatch(s.handlers, '__proto__', {})).toMatchObject({ ok: false, error: { kind: 'invalid-input' } })
    const bad = await dispatch(s.handlers, 'project.open', { path: 42 })
    expect(bad).toMatchObject({ ok: false, error: { kind: 'invalid-input' } })
    expect(!bad.ok && bad.error.message).toMatch(/Invalid arguments for project.open: path:/)
    expect(await dispatch(s.handlers, 'app.info', { extra: 1 })).toMatchObject({ ok: false, error: { kind: 'invalid-input' } })
  })

  it('returns handler errors as data with their kind, and values in the envelope', async () => {
    const s = newSession()
    expect(await dispatch(s.handlers, 'datasets.list', {})).toMatchObject({ ok: false, error: { kind: 'invalid-input', message: expect.stringMatching(/No project is open/) } })
    const created = await dispatch(s.handlers, 'project.create', { path: join(tempDir(), 'x') })
    expect(created).toMatchObject({ ok: true, value: { name: 'x', datasets: [], runs: [] } })
    expect(created.ok && (created.value as { path: string }).path).toMatch(/x\.popdyn$/)
    const info = await dispatch(s.handlers, 'app.info', {})
    expect(info.ok && contract['app.info'].result.safeParse(info.value).success).toBe(true)
    const recent = await dispatch(s.handlers, 'project.recent', {})
    expect(recent.ok && (recent.value as unknown[]).length).toBe(1)
    await s.close()
  })
})

describe('datasets.points', () => {
  it('returns the points of the sample tracks with their track and truth labels, subsampling whole tracks', async () => {
    const { createSampleProject } = await import('../../../src-main/services/sample')
    const s = newSession()
    await s.adopt(await createSampleProject(join(tempDir(), 'sample.popdyn'), join(import.meta.dirname, '../../../resources')))
    const [tracks, snaps] = (await s.handlers['datasets.list']({})) as { id: number }[]
    const all = await dispatch(s.handlers, 'datasets.points', { id: tracks!.id })
    expect(all.ok).toBe(true)
    const v = (all as { value: import('@shared/contract').DatasetPoints }).value
    expect(v).toMatchObject({ kind: 'tracks', dim: 2, totalPoints: 1800, points: 1800 })
    expect(v.pos).toHaveLength(3600)
    expect(new Set(v.track).size).toBe(30)
    expect(new Set(v.label)).toEqual(new Set([0, 1]))
    const sub = (await s.handlers['datasets.points']({ id: tracks!.id, maxPoints: 600 })) as import('@shared/contract').DatasetPoints
    expect(sub.points).toBeLessThanOrEqual(600)
    // whole tracks: every kept track keeps all of its 60 frames
    const perTrack = new Map<number, number>()
    for (const t of sub.track) perTrack.set(t, (perTrack.get(t) ?? 0) + 1)
    expect([...perTrack.values()].every((c) => c === 60)).toBe(true)
    const snap = (await s.handlers['datasets.points']({ id: snaps!.id, maxPoints: 100 })) as import('@shared/contract').DatasetPoints
    expect(snap.points).toBe(100)
    expect(new Set(snap.time)).toEqual(new Set([0, 1, 2, 3]))
    await s.close()
  })
})
