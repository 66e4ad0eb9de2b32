/**
 * Job handlers: thin adapters from a job's params to engine calls. Each runs inside a
 * worker thread with an AbortSignal and a progress reporter. Methods add theirs here.
 */
import { initBackend, tf } from '../compute/backend'
import { invalidInput } from '@shared/errors'
import type { JobInput, JobOutput } from '../jobs/protocol'
import type { NdArray } from '../store/arrays'
import { ensemblesHandler } from './methods/ensembles'
import { speciesHandler } from './methods/species'
import { ijkonetHandler, jkonetHandler, wlmHandler } from './methods/dynamics'

export interface JobContext {
  signal: AbortSignal
  progress(fraction: number, stage: string, message?: string, loss?: number | null): void
  log(message: string, level?: 'info' | 'warn'): void
  checkpoint(arrays: Record<string, NdArray>): void
}

export type Handler = (input: JobInput, ctx: JobContext) => Promise<JobOutput>

/** Times repeated matMuls on the selected backend: a real measurement and a job a user can watch and cancel. */
const benchBackend: Handler = async (input, ctx) => {
  const size = Number(input.params.size ?? 256)
  const repeats = Number(input.params.repeats ?? 200)
  if (!Number.isInteger(size) || size < 1) throw invalidInput(`size must be a positive integer, got ${input.params.size}`)
  const backend = await initBackend()
  ctx.log(`backend: ${backend.name} (${backend.detail})`)
  const a = tf.randomNormal([size, size], 0, 1, 'float32', input.seed ?? 1)
  const b = tf.randomNormal([size, size], 0, 1, 'float32', (input.seed ?? 1) + 1)
  const t0 = performance.now()
  let done = 0
  try {
    for (let i = 0; i < repeats; i++) {
      if (ctx.signal.aborted) break
      const c = tf.matMul(a, b)
      await c.data()
      c.dispose()
      done++
      ctx.progress(done / repeats, 'matMul', `${done}/${repeats} products of ${size}×${size}`)
      // Yield so the cancel message can be delivered between products.
      await new Promise((r) => setImmediate(r))
    }
  } finally {
    a.dispose()
    b.dispose()
  }
  const seconds = (performance.now() - t0) / 1000
  const gflops = (2 * size ** 3 * done) / seconds / 1e9
  return { metrics: { backend: backend.name, size, repeats: done, seconds, gflops }, summary: { gflops } }
}

/** Sleeps in small steps (tests and diagnostics). */
const sleepJob: Handler = async (input, ctx) => {
  const steps = Number(input.params.steps ?? 10)
  const ms = Number(input.params.ms ?? 50)
  for (let i = 0; i < steps; i++) {
    if (ctx.signal.aborted) break
    await new Promise((r) => setTimeout(r, ms))
    ctx.progress((i + 1) / steps, 'sleep', `${i + 1}/${steps}`, 1 / (i + 1))
    if (input.params.checkpointEvery && (i + 1) % Number(input.params.checkpointEvery) === 0)
      ctx.checkpoint({ step: { dtype: 'int32', shape: [1], data: new Int32Array([i + 1]) } })
  }
  if (input.params.fail) throw invalidInput(String(input.params.fail))
  if (input.params.crash) process.exit(3)
  return { metrics: { steps }, arrays: { trace: { dtype: 'float64', shape: [steps], data: Float64Array.from({ length: steps }, (_, i) => i) } } }
}

/** Imports a file (io/import): parses and validates in the worker; the main side writes it in one transaction. */
const importJob: Handler = async (input, ctx) => {
  const { path, ...options } = input.params as { path: string } & Record<string, unknown>
  const { importFile } = await import('../io/import/index')
  const r = await importFile(path, { ...(options as object), signal: ctx.signal, onProgress: (f: number) => ctx.progress(f, 'reading', path) })
  for (const w of r.summary.warnings ?? []) ctx.log(w, 'warn')
  return { metrics: { ...r.summary }, dataset: r.dataset, summary: r.summary }
}

export const handlers: Record<string, Handler> = {
  import: importJob,
  'bench.backend': benchBackend,
  ensembles: ensemblesHandler,
  species: speciesHandler,
  ijkonet: ijkonetHandler,
  jkonet: jkonetHandler,
  wlm: wlmHandler,
  'debug.sleep': sleepJob,
}
