/**
 * Compute backend selection, once per process (main, each worker, the CLI).
 *
 * Order (SPEC §1): @tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node (both optional
 * dependencies whose install fails without internet: npm then removes them, or leaves them
 * without a binding, so the check is a try/catch around the require — research/stack.md §3),
 * then @tensorflow/tfjs-backend-wasm (always installed; SIMD where the runtime has it;
 * the threaded build does not run in Node with tfjs 4.22 — stack.md §8), then plain cpu.
 * Every skipped backend is reported with its reason: the user is never left guessing why
 * a run is slow.
 */
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs'
import type { BackendInfo, BackendName } from '@shared/contract'

// Named nodeRequire, never `require`: electron-vite's ESM bundle declares its own (pitfall P4).
const nodeRequire = createRequire(import.meta.url)

export interface SelectOptions {
  /** Force a backend (also settable with the POPDYN_BACKEND environment variable). */
  prefer?: BackendName
  /** Loads a native package; injectable so tests can simulate a machine with or without a GPU build. */
  load?: (pkg: string) => void
}

let current: Promise<BackendInfo> | null = null

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  if (/Cannot find module|MODULE_NOT_FOUND/.test(msg)) return 'not installed (optional package; its install needs internet access)'
  if (/tfjs_binding\.node|native addon/i.test(msg)) return 'installed without its native library (libtensorflow download failed at install time)'
  return msg.split('\n')[0]!.slice(0, 200)
}

async function trySetBackend(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name) // resolves false on failure rather than throwing
    if (ok) await tf.ready()
    return ok
  } catch {
    return false
  }
}

function parsePrefer(v: string | undefined): BackendName | undefined {
  if (v === 'tensorflow-gpu' || v === 'tensorflow' || v === 'wasm' || v === 'cpu') return v
  return undefined
}

async function select(opts: SelectOptions): Promise<BackendInfo> {
  const load = opts.load ?? ((pkg: string) => void nodeRequire(pkg))
  const prefer = opts.prefer ?? parsePrefer(process.env.POPDYN_BACKEND)
  const order: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']
  const start = prefer ? order.indexOf(prefer) : 0
  const skipped: BackendInfo['skipped'] = []
  for (const name of order.slice(0, start)) skipped.push({ name, reason: `skipped: POPDYN_BACKEND=${prefer}` })

  for (const name of order.slice(start)) {
    if (name === 'tensorflow-gpu' || name === 'tensorflow') {
      const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node'
      try {
        load(pkg)
      } catch (err) {
        skipped.push({ name, reason: `${pkg}: ${shortReason(err)}` })
        continue
      }
      if (await trySetBackend('tensorflow')) {
        return { name, detail: name === 'tensorflow-gpu' ? 'TensorFlow native (CUDA GPU build)' : 'TensorFlow native (CPU)', skipped }
      }
      skipped.push({ name, reason: `${pkg} loaded but its backend failed to initialise` })
    } else if (name === 'wasm') {
      try {
        await import('@tensorflow/tfjs-backend-wasm')
      } catch (err) {
        skipped.push({ name, reason: `@tensorflow/tfjs-backend-wasm: ${shortReason(err)}` })
        continue
      }
      if (await trySetBackend('wasm')) {
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT').catch(() => false)
        return { name, detail: `WebAssembly (${simd ? 'SIMD' : 'no SIMD'}, 1 thread; parallel work uses worker threads)`, skipped }
      }
      skipped.push({ name, reason: 'WebAssembly backend failed to initialise' })
    } else {
      await trySetBackend('cpu')
      return { name: 'cpu', detail: 'plain JavaScript (slowest)', skipped }
    }
  }
  throw new Error('unreachable: cpu backend always loads')
}

/** Select the backend once per process; later calls return the same answer. */
export function initBackend(opts: SelectOptions = {}): Promise<BackendInfo> {
  current ??= select(opts)
  return current
}

/** For tests: forget the selection so the next initBackend chooses again. */
export function resetBackendForTests(): void {
  current = null
}

export { tf }
