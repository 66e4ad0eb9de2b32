// Starts a TypeScript worker entry from source (CLI, headless host, tests): registers the
// tsx loader in this thread, then imports the entry named in workerData.__entry.
// The Electron build does not use this file: it bundles job-worker.ts to JavaScript.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.__entry)
