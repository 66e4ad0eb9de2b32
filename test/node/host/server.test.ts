import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { JobEvent } from '@shared/contract'
import { startHost, type RunningHost } from '../../../src-main/host/server'
import { Session } from '../../../src-main/services/session'
import { createSampleProject } from '../../../src-main/services/sample'
import { sourceWorkerSpec } from '../../../src-main/workers/entry'
import { tempDir } from '../helpers/tmp'

let host: RunningHost
let session: Session
const dir = tempDir()

beforeAll(async () => {
  const renderer = join(dir, 'renderer')
  mkdirSync(renderer)
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>PopDyn Studio</title>')
  writeFileSync(join(dir, 'secret.txt'), 'secret')
  session = new Session({ mode: 'browser', backend: { name: 'wasm', detail: 'test', skipped: [] }, worker: sourceWorkerSpec(), settingsDir: dir })
  await session.adopt(await createSampleProject(join(dir, 'sample.popdyn'), join(import.meta.dirname, '../../../resources')))
  host = await startHost({ session, rendererDir: renderer })
})
afterAll(async () => {
  await host.close()
  await session.close()
})

const base = () => `http://127.0.0.1:${host.port}`
const call = (channel: string, args: unknown, token: string | null = host.token, headers: Record<string, string> = {}) =>
  fetch(`${base()}/api/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { 'x-popdyn-token': token } : {}), ...headers }, body: JSON.stringify(args) })

describe('headless host', () => {
  it('binds to 127.0.0.1 and prints a URL with the session token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`)
    expect(host.token).toMatch(/^[0-9a-f]{64}$/)
  })

  it('serves the contract to a caller with the token: the sample project lists its datasets', async () => {
    const res = await call('datasets.list', {})
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.ok).toBe(true)
    expect(body.value.map((d: { name: string }) => d.name)).toEqual(['sample tracks', 'sample snapshots'])
  })

  it('refuses calls without the token, with a wrong token, from another origin or another host name', async () => {
    expect((await call('datasets.list', {}, null)).status).toBe(401)
    expect((await call('datasets.list', {}, 'f'.repeat(64))).status).toBe(401)
    expect((await call('datasets.list', {}, host.token, { origin: 'http://evil.example' })).status).toBe(403)
    // fetch cannot set Host; a raw request can (what a DNS-rebinding page would send).
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: host.port, path: '/', headers: { host: 'evil.example' } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(403)
  })

  it('returns invalid arguments and bad JSON as invalid-input errors', async () => {
    const body = await (await call('project.open', { path: '' })).json()
    expect(body).toMatchObject({ ok: false, error: { kind: 'invalid-input' } })
    const raw = await fetch(`${base()}/api/app.info`, { method: 'POST', headers: { 'x-popdyn-token': host.token }, body: '{not json' })
    expect(raw.status).toBe(400)
    expect((await raw.json()).error.kind).toBe('invalid-input')
  })

  it('serves the renderer with a CSP and never a file outside it', async () => {
    const res = await fetch(`${base()}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
    expect(await res.text()).toMatch(/PopDyn Studio/)
    expect((await fetch(`${base()}/..%2fsecret.txt`)).status).not.toBe(200)
    expect((await fetch(`${base()}/%2e%2e/secret.txt`)).status).not.toBe(200)
  })

  it('pushes job events over the WebSocket, and refuses a socket without the token', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${host.port}/events`)
    const closedWithoutOpen = await new Promise<boolean>((r) => {
      refused.on('open', () => r(false))
      refused.on('error', () => r(true))
    })
    expect(closedWithoutOpen).toBe(true)

    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/events?token=${host.token}`)
    await new Promise((r) => ws.on('open', r))
    const events: JobEvent[] = []
    const finished = new Promise<void>((resolve) =>
      ws.on('message', (m) => {
        const e = JSON.parse(String(m)) as JobEvent
        events.push(e)
        if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') resolve()
      }),
    )
    const started = await (await call('jobs.start', { request: { kind: 'bench.backend', params: { size: 32, repeats: 30 } } })).json()
    expect(started.ok).toBe(true)
    await finished
    ws.close()
    expect(events[0]).toMatchObject({ type: 'started', job: { jobId: started.value.jobId, title: 'Benchmark compute backend' } })
    expect(events.some((e) => e.type === 'progress')).toBe(true)
    expect(events.at(-1)).toMatchObject({ type: 'done', jobId: started.value.jobId })
    const runs = await (await call('runs.list', {})).json()
    expect(runs.value.at(-1)).toMatchObject({ method: 'bench.backend', status: 'done', metrics: { repeats: 30, size: 32 } })
  })
})
