/**
 * Messages between the job runner (main side) and a job worker (worker_threads).
 * A discriminated union both ways; arrays travel as transferables.
 */
import type { JobProgress } from '@shared/contract'
import type { SerializedError } from '@shared/errors'
import type { NdArray } from '../store/arrays'
import type { NewDataset } from '../store/project'

/** What the worker receives at start (workerData). */
export interface JobInput {
  jobId: string
  kind: string
  params: Record<string, unknown>
  seed: number | null
  /** Dataset arrays and summary, when the job works on a dataset. */
  dataset: { id: number; kind: string; dim: number; arrays: Record<string, NdArray>; meta: Record<string, unknown> } | null
  /** The latest checkpoint of a run being resumed. */
  checkpoint: Record<string, NdArray> | null
  /** Absolute module URL of the job handlers (so tests can inject their own). */
  handlersUrl?: string
}

export interface JobOutput {
  metrics: Record<string, unknown>
  arrays?: Record<string, NdArray>
  labels?: { label: string[]; confidence?: number[] }
  /** A new dataset (imports): written by the main side in one transaction instead of run results. */
  dataset?: NewDataset
  /** Small JSON-able summary returned to the UI in the `done` event. */
  summary?: unknown
}

export type WorkerToMain =
  | { type: 'progress'; progress: Omit<JobProgress, 'etaSeconds'> }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'checkpoint'; arrays: Record<string, NdArray> }
  | { type: 'done'; output: JobOutput }
  | { type: 'failed'; error: SerializedError }

export type MainToWorker = { type: 'cancel' }
