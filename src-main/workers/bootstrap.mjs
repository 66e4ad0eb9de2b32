// Starts a TypeScript worker entry from source (CLI, headless host, tests): registers the
// tsx loader in this thread, then imports the entry named in workerData.__entry.
// The Electron build does not use this file: it bundles job-worker.ts to JavaScript.
import { workerData } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) })
await import(workerData.__entry)
