/** Worker specs for running from source (CLI, host, tests) — the Electron build passes its bundled entry. */
import type { WorkerSpec } from '../jobs/runner'

export function sourceWorkerSpec(): WorkerSpec {
  return {
    entry: new URL('./job-worker.ts', import.meta.url),
    bootstrap: new URL('./bootstrap.mjs', import.meta.url),
  }
}
