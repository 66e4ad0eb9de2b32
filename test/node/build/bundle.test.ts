/**
 * Checks on the built app (`npm test` builds it first with electron-vite): everything about the
 * Electron path that can run without the Electron binary.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHANNEL_NAMES } from '@shared/channels'
import { tempDir } from '../helpers/tmp'

const root = join(import.meta.dirname, '../../..')
const out = join(root, 'out')

describe('the built app (out/)', () => {
  it('exists: run "npm run build" first', () => {
    for (const f of ['main/index.js', 'main/job-worker.js', 'preload/index.cjs', 'renderer/index.html']) expect(existsSync(join(out, f)), f).toBe(true)
  })

  it('main bundles parse under Node (node --check; catches the duplicate `require` trap)', () => {
    const files = [join(out, 'main/index.js'), join(out, 'main/job-worker.js'), ...readdirSync(join(out, 'main/chunks')).map((f) => join(out, 'main/chunks', f))]
    for (const f of files) execFileSync(process.execPath, ['--check', f])
  })

  it('the preload is CommonJS and requires nothing but electron (a sandboxed preload cannot load npm packages)', () => {
    const src = readFileSync(join(out, 'preload/index.cjs'), 'utf8')
    expect(src).not.toMatch(/^\s*(import|export)\s/m)
    const requires = [...src.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])
    expect(requires).toEqual(['electron'])
    for (const c of CHANNEL_NAMES) expect(src).toContain(`"${c}"`)
  })

  it('the renderer page carries a strict Content-Security-Policy and loads nothing remote', () => {
    const html = readFileSync(join(out, 'renderer/index.html'), 'utf8')
    expect(html).toMatch(/http-equiv="Content-Security-Policy"/)
    expect(html).toMatch(/default-src 'self'/)
    expect(html).not.toMatch(/(src|href)="https?:/)
  })

  it('the main bundle starts under Node with an electron stand-in: secure window, every channel handled, sample project opened', () => {
    const userData = tempDir()
    const stdout = execFileSync(process.execPath, ['--import', join(root, 'test/fixtures/electron-stub/register.mjs'), join(out, 'main/index.js')], {
      env: { ...process.env, POPDYN_STUB_USERDATA: userData, ELECTRON_RENDERER_URL: '' },
      encoding: 'utf8',
      timeout: 60_000,
    })
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!)
    expect(report.windows).toHaveLength(1)
    expect(report.windows[0].webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false })
    expect(report.windows[0].webPreferences.preload).toBe(join(out, 'preload/index.cjs'))
    expect(existsSync(report.windows[0].webPreferences.preload)).toBe(true)
    expect([...report.handlers].sort()).toEqual(CHANNEL_NAMES.map((c) => `popdyn:${c}`).sort())
    expect(report.permissionHandler).toBe(true)
    expect(report.windowOpenHandler).toBe(true)
    expect(report.navigationGuard).toBe(true)
    expect(report.loadFile).toBe(join(out, 'renderer/index.html'))
    expect(existsSync(join(userData, 'sample.popdyn'))).toBe(true)
  })
})
