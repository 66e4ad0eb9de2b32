/**
 * A worker_threads pool that runs the WSINDy pipeline's per-cell tasks (single-cell models, validation
 * simulations) in parallel: a `CellExecutor` for `identifySpeciesAsync` (engines/wsindy; the engine
 * itself stays pure and single-threaded).
 *
 * - The prepared data (positions, velocities: N × L × 2 doubles each) is copied once into
 *   SharedArrayBuffers and posted once to every worker (shared, not copied per worker or per task).
 * - A batch is cut into chunks handed to whichever worker is free (dynamic scheduling: simulations that
 *   stop early are short); results are put back in task order, so they are bit-identical to the
 *   in-thread executor's (the same task functions on the same numbers).
 * - Workers are `unref`ed while idle (a forgotten pool does not keep the process alive); `close()`
 *   terminates them.
 *
 * Usage:
 *   const pool = createWsindyPool({ threads: 2 })
 *   try { res = await identifySpeciesAsync(data, config, ctx, { executor: pool }) } finally { await pool.close() }
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { CancelledError, deserializeError } from '@shared/errors'
import { identifySpecies, identifySpeciesAsync } from '../../engines/wsindy/index'
import type { CellExecutor, CellModel, CellTaskOptions, SpeciesConfig, SpeciesResult, ValidationTask, WsindyData } from '../../engines/wsindy/index'
import type { EngineContext } from '../../engines/common/context'
import type { PoolToWorker, WorkerToPool } from './protocol'

export interface WsindyPoolOptions {
  /** Worker threads. @default os.availableParallelism() */
  threads?: number
  /**
   * How to start a worker: a bundled .js entry, or a .ts entry through a bootstrap that registers tsx
   * (as the job runner's WorkerSpec). @default this folder's wsindy-worker.ts through ../bootstrap.mjs
   */
  worker?: { entry: URL; bootstrap?: URL }
  /** Target number of chunks per worker and batch (more = better balance, more messages). @default 8 */
  chunksPerWorker?: number
}

export interface WsindyPool extends CellExecutor {
  readonly threads: number
  /** Terminates the workers (pending batches are rejected). */
  close(): Promise<void>
}

interface Chunk {
  msg: Extract<PoolToWorker, { type: 'models' | 'validate' }>
  batch: Batch
  offset: number
  size: number
}

interface Batch {
  kind: 'models' | 'validate'
  total: number
  done: number
  out: (CellModel | number)[]
  pending: number
  onDone?: (done: number) => void
  resolve: (v: (CellModel | number)[]) => void
  reject: (e: unknown) => void
  failed: boolean
}

interface Slot {
  worker: Worker
  busy: Chunk | null
  sent: Set<number>
}

/** Copies a data object's typed arrays into SharedArrayBuffers (once) so posting it shares the memory. */
function shareData(data: WsindyData): WsindyData {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(data)) {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const a = v as Float64Array
      const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => Float64Array
      const s = new Ctor(new SharedArrayBuffer(a.byteLength))
      s.set(a)
      out[k] = s
    } else out[k] = v
  }
  return out as unknown as WsindyData
}

/**
 * From source (CLI, host, tests): wsindy-worker.ts through the tsx bootstrap. In the bundled app this
 * module is inlined into out/main/job-worker.js and the worker is its own bundled entry next to it
 * (electron.vite.config.ts: 'wsindy-worker').
 */
export function defaultWorkerSpec(): { entry: URL; bootstrap?: URL } {
  return import.meta.url.endsWith('.ts')
    ? { entry: new URL('./wsindy-worker.ts', import.meta.url), bootstrap: new URL('../bootstrap.mjs', import.meta.url) }
    : { entry: new URL('./wsindy-worker.js', import.meta.url) }
}

export function createWsindyPool(o: WsindyPoolOptions = {}): WsindyPool {
  const threads = Math.max(1, Math.floor(o.threads ?? availableParallelism()))
  const spec = o.worker ?? defaultWorkerSpec()
  const perWorker = o.chunksPerWorker ?? 8
  const ids = new WeakMap<WsindyData, { id: number; shared: WsindyData }>()
  let nextId = 1
  let nextChunk = 1
  let closed = false
  const queue: Chunk[] = []
  const running = new Map<number, Chunk>()
  const dataOf = new WeakMap<Batch, WsindyData>()

  const failBatch = (b: Batch, err: unknown) => {
    if (b.failed) return
    b.failed = true
    for (let q = queue.length - 1; q >= 0; q--) if (queue[q]!.batch === b) queue.splice(q, 1)
    b.reject(err)
  }

  const slots: Slot[] = Array.from({ length: threads }, () => {
    const worker = spec.bootstrap ? new Worker(spec.bootstrap, { workerData: { __entry: spec.entry.href } }) : new Worker(spec.entry)
    const slot: Slot = { worker, busy: null, sent: new Set() }
    worker.unref()
    worker.on('message', (m: WorkerToPool) => {
      const c = running.get(m.chunk)
      running.delete(m.chunk)
      slot.busy = null
      if (c && !c.batch.failed) {
        const b = c.batch
        if (m.type === 'error') failBatch(b, deserializeError(m.error))
        else {
          const res: ArrayLike<CellModel | number> = m.type === 'models' ? m.models : m.errors
          for (let q = 0; q < c.size; q++) b.out[c.offset + q] = res[q]!
          b.done += c.size
          b.pending--
          if (b.pending === 0) b.resolve(b.out)
          try {
            b.onDone?.(b.done)
          } catch (err) {
            // A throwing progress callback fails its batch (not the pool); a resolved batch keeps its result.
            failBatch(b, err)
          }
        }
      }
      pump()
    })
    // A crashed or exited worker: fail what it was running and every queued batch (the pool is unusable).
    const crash = (err: unknown) => {
      if (closed && !slot.busy) return
      closed = true
      if (slot.busy) failBatch(slot.busy.batch, err)
      for (const c of [...queue, ...running.values()]) failBatch(c.batch, err)
    }
    worker.on('error', crash)
    worker.on('exit', (code) => crash(new Error(`wsindy pool: a worker exited (code ${code})`)))
    return slot
  })

  function pump() {
    for (const s of slots) {
      if (s.busy || !queue.length) continue
      const c = queue.shift()!
      const entry = ids.get(dataOf.get(c.batch)!)!
      if (!s.sent.has(entry.id)) {
        s.worker.postMessage({ type: 'data', id: entry.id, data: entry.shared } satisfies PoolToWorker)
        s.sent.add(entry.id)
      }
      s.busy = c
      running.set(c.msg.chunk, c)
      s.worker.postMessage(c.msg)
    }
    // Keep the process alive only while some worker has work.
    for (const s of slots) (s.busy ? s.worker.ref() : s.worker.unref())
  }

  function submit<T>(kind: 'models' | 'validate', data: WsindyData, items: (number | ValidationTask)[], options: CellTaskOptions, onDone?: (done: number) => void, signal?: AbortSignal): Promise<T[]> {
    if (closed) return Promise.reject(new Error('wsindy pool: closed'))
    if (signal?.aborted) return Promise.reject(new CancelledError())
    if (!items.length) return Promise.resolve([])
    let entry = ids.get(data)
    if (!entry) {
      entry = { id: nextId++, shared: shareData(data) }
      ids.set(data, entry)
    }
    const dataId = entry.id
    return new Promise<T[]>((resolve, reject) => {
      const size = Math.max(1, Math.min(kind === 'models' ? 8 : 64, Math.ceil(items.length / (threads * perWorker))))
      const b: Batch = { kind, total: items.length, done: 0, out: new Array(items.length), pending: 0, onDone, resolve: resolve as never, reject, failed: false }
      dataOf.set(b, data)
      for (let off = 0; off < items.length; off += size) {
        const part = items.slice(off, off + size)
        const chunk = nextChunk++
        const msg: Chunk['msg'] =
          kind === 'models'
            ? { type: 'models', chunk, dataId, cells: part as number[], options }
            : { type: 'validate', chunk, dataId, tasks: part as ValidationTask[], options }
        queue.push({ msg, batch: b, offset: off, size: part.length })
        b.pending++
      }
      signal?.addEventListener('abort', () => failBatch(b, new CancelledError()), { once: true })
      pump()
    })
  }

  return {
    threads,
    async models(data, cells, options, onDone, signal) {
      return submit<CellModel>('models', data, cells, options, onDone, signal)
    },
    async validate(data, tasks, options, onDone, signal) {
      return Float64Array.from(await submit<number>('validate', data, tasks, options, onDone, signal))
    },
    async close() {
      closed = true
      const err = new Error('wsindy pool: closed')
      for (const c of [...queue, ...running.values()]) failBatch(c.batch, err)
      await Promise.all(slots.map((s) => s.worker.terminate()))
    },
  }
}

/**
 * The species pipeline with its per-cell work on `threads` worker threads (a pool started and closed
 * for this run), or in this thread when threads ≤ 1; the result is the same either way.
 */
export async function identifySpeciesThreaded(threads: number, input: Parameters<typeof identifySpecies>[0], config?: SpeciesConfig, ctx?: EngineContext): Promise<SpeciesResult> {
  if (threads <= 1) return identifySpecies(input, config, ctx)
  const pool = createWsindyPool({ threads })
  try {
    return await identifySpeciesAsync(input, config, ctx, { executor: pool })
  } finally {
    await pool.close()
  }
}
