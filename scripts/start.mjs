#!/usr/bin/env node
/**
 * `npm start`: build the app and open it in Electron, on a lab workstation with internet access.
 *
 * 1. Build (electron-vite) when out/ is missing or older than the sources.
 * 2. Build better-sqlite3 for Electron's ABI into .cache/electron-native/ — a separate copy, so
 *    the Node build in node_modules that the CLI and the tests use keeps working (the two ABIs
 *    differ: Node 20 is 115, Electron 45 is 150). The main process loads this copy through
 *    better-sqlite3's `nativeBinding` option (src-main/app/main.ts). Done once per Electron version.
 *    @tensorflow/tfjs-node(-gpu), where installed, use Node-API and need no rebuild.
 * 3. Start Electron (its binary is downloaded on first run by the electron package itself).
 *
 * `node scripts/start.mjs --dry-run` prints the plan without running it.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dry = process.argv.includes('--dry-run')
const nodeRequire = createRequire(import.meta.url)
const electronPkg = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8'))
const nativeDir = join(root, '.cache/electron-native')
const nativeFile = join(nativeDir, 'better_sqlite3.node')
const stampFile = join(nativeDir, 'electron-version.txt')

function newest(dir) {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

function run(cmd, args, opts = {}) {
  console.log(`> ${cmd} ${args.join(' ')}`)
  if (dry) return
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts })
  if (r.status !== 0) {
    console.error(`popdyn start: "${cmd} ${args[0] ?? ''}" failed (exit ${r.status}).`)
    process.exit(r.status ?? 1)
  }
}

/** The plan, as data (tests read it through --dry-run). */
export function plan() {
  const built = existsSync(join(root, 'out/main/index.js')) && existsSync(join(root, 'out/renderer/index.html'))
  const stale = !built || ['src-main', 'src-renderer', 'src-shared'].some((d) => newest(join(root, d)) > statSync(join(root, 'out/main/index.js')).mtimeMs)
  const haveNative = existsSync(nativeFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === electronPkg.version
  return { build: stale, rebuildNative: !haveNative, electronVersion: electronPkg.version, nativeFile }
}

const p = plan()
if (p.build) run(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'])

if (p.rebuildNative) {
  const src = dirname(nodeRequire.resolve('better-sqlite3/package.json'))
  const work = join(nativeDir, 'better-sqlite3')
  console.log(`Building the SQLite module for Electron ${p.electronVersion} (once; needs internet for the Electron headers)...`)
  if (!dry) {
    rmSync(work, { recursive: true, force: true })
    mkdirSync(nativeDir, { recursive: true })
    cpSync(src, work, { recursive: true, filter: (f) => !f.includes(`${join(src, 'build')}`) })
  }
  // npm sets npm_config_node_gyp to its bundled node-gyp; fall back to npx node-gyp.
  const gyp = process.env.npm_config_node_gyp
  const args = ['rebuild', '--release', '--runtime=electron', `--target=${p.electronVersion}`, '--dist-url=https://electronjs.org/headers']
  const env = { ...process.env }
  delete env.npm_config_nodedir // a user npmrc may point node-gyp at Node's own headers; Electron needs its own
  if (gyp) run(process.execPath, [gyp, ...args], { cwd: work, env })
  else run('npx', ['--yes', 'node-gyp', ...args], { cwd: work, env })
  if (!dry) {
    copyFileSync(join(work, 'build/Release/better_sqlite3.node'), nativeFile)
    writeFileSync(stampFile, p.electronVersion)
  }
}

run(process.execPath, [join(root, 'node_modules/electron/cli.js'), '.'])
