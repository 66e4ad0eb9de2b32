/** Messages between the WSINDy cell pool (wsindy-pool.ts) and its workers (wsindy-worker.ts). */
import type { SerializedError } from '@shared/errors'
import type { CellModel, CellTaskOptions, ValidationTask, WsindyData } from '../../engines/wsindy/index'

export type PoolToWorker =
  /** Prepared data, sent once per worker; its large arrays are views on SharedArrayBuffers (not copied). */
  | { type: 'data'; id: number; data: WsindyData }
  | { type: 'drop'; id: number }
  | { type: 'models'; chunk: number; dataId: number; cells: number[]; options: CellTaskOptions }
  | { type: 'validate'; chunk: number; dataId: number; tasks: ValidationTask[]; options: CellTaskOptions }

export type WorkerToPool =
  | { type: 'models'; chunk: number; models: CellModel[] }
  | { type: 'validate'; chunk: number; errors: Float64Array }
  | { type: 'error'; chunk: number; error: SerializedError }
