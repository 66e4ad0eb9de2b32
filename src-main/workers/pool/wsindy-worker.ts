/**
 * Worker entry of the WSINDy cell pool: holds the prepared data sent once by the pool (shared memory)
 * and runs chunks of per-cell tasks with the engine's own task functions (runModelTask,
 * runValidationTask), so results are bit-identical to the in-thread run.
 */
import { parentPort } from 'node:worker_threads'
import { serializeError } from '@shared/errors'
import { runModelTask, runValidationTask, type WsindyData } from '../../engines/wsindy/index'
import type { PoolToWorker, WorkerToPool } from './protocol'

const port = parentPort
if (!port) throw new Error('wsindy-worker must run in a worker thread')
const datasets = new Map<number, WsindyData>()
const post = (m: WorkerToPool, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer)

port.on('message', (m: PoolToWorker) => {
  if (m.type === 'data') {
    datasets.set(m.id, m.data)
    return
  }
  if (m.type === 'drop') {
    datasets.delete(m.id)
    return
  }
  try {
    const data = datasets.get(m.dataId)
    if (!data) throw new Error(`wsindy-worker: no data ${m.dataId}`)
    if (m.type === 'models') {
      const models = m.cells.map((i) => runModelTask(data, i, m.options))
      post({ type: 'models', chunk: m.chunk, models })
    } else {
      const errors = Float64Array.from(m.tasks, (t) => runValidationTask(data, t, m.options))
      post({ type: 'validate', chunk: m.chunk, errors }, [errors.buffer as ArrayBuffer])
    }
  } catch (err) {
    post({ type: 'error', chunk: m.chunk, error: serializeError(err) })
  }
})
