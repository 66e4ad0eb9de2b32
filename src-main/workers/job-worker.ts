/**
 * Worker entry: runs one job and reports back over the parent port.
 * It never touches the project store (one writer: the main side persists what it sends).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { serializeError, CancelledError } from '@shared/errors'
import type { JobInput, MainToWorker, WorkerToMain } from '../jobs/protocol'
import type { NdArray } from '../store/arrays'
import { handlers as builtin, type Handler, type JobContext } from './handlers'

const port = parentPort
if (!port) throw new Error('job-worker must run in a worker thread')

const input = workerData as JobInput
const controller = new AbortController()
port.on('message', (m: MainToWorker) => {
  if (m.type === 'cancel') controller.abort()
})

const post = (m: WorkerToMain, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer)
const buffersOf = (arrays: Record<string, NdArray> | undefined) =>
  arrays ? [...new Set(Object.values(arrays).map((a) => a.data.buffer as ArrayBuffer))] : []

// Throttle progress at the source too: the main side throttles again to ~10 Hz for the UI.
let lastProgress = 0
const ctx: JobContext = {
  signal: controller.signal,
  progress(fraction, stage, message = '', loss = null) {
    const t = performance.now()
    if (t - lastProgress < 50 && fraction < 1) return
    lastProgress = t
    post({ type: 'progress', progress: { fraction: Math.min(1, Math.max(0, fraction)), stage, message, loss } })
  },
  log(message, level = 'info') {
    post({ type: 'log', level, message })
  },
  checkpoint(arrays) {
    post({ type: 'checkpoint', arrays }, buffersOf(arrays))
  },
}

async function main() {
  let table: Record<string, Handler> = builtin
  if (input.handlersUrl) table = { ...builtin, ...((await import(input.handlersUrl)) as { handlers: Record<string, Handler> }).handlers }
  const handler = table[input.kind]
  if (!handler) throw new Error(`unknown job kind "${input.kind}"`)
  const output = await handler(input, ctx)
  if (controller.signal.aborted) throw new CancelledError()
  post({ type: 'done', output }, buffersOf(output.arrays))
}

main().catch((err) => {
  const e = controller.signal.aborted ? serializeError(new CancelledError()) : serializeError(err)
  post({ type: 'failed', error: e })
})
