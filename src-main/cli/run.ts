/**
 * `popdyn run PROJECT METHOD --dataset NAME [--set key=value ...] [--seed N] [--json]`:
 * runs a method as a job in a worker thread (as the app does), shows progress on stderr,
 * records the run in the project, and prints the result.
 */
import { z } from 'zod'
import { JobRequest } from '@shared/contract'
import { invalidInput } from '@shared/errors'
import { METHODS, METHOD_NAMES, type MethodName } from '@shared/methods'
import { initBackend } from '../compute/backend'
import { Session } from '../services/session'
import { settingsDir } from '../services/paths'
import { ProjectStore } from '../store/project'
import { sourceWorkerSpec } from '../workers/entry'

/** Parses `key=value` pairs; values are JSON where they parse (numbers, booleans, arrays), else strings. */
export function parseSets(sets: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const s of sets) {
    const eq = s.indexOf('=')
    if (eq <= 0) throw invalidInput(`--set expects key=value, got "${s}"`)
    const key = s.slice(0, eq).trim()
    const raw = s.slice(eq + 1).trim()
    let v: unknown = raw
    try {
      v = JSON.parse(raw)
    } catch {
      /* a plain string */
    }
    out[key] = v
  }
  return out
}

export function describeParams(method: MethodName, compact = false): string {
  const shape = METHODS[method].params.shape as Record<string, z.ZodType>
  return Object.entries(shape)
    .map(([k, s]) => {
      const def = (s as unknown as { def?: { defaultValue?: unknown } }).def?.defaultValue
      const d = JSON.stringify(typeof def === 'function' ? (def as () => unknown)() : def)
      return compact ? `${k}=${d}` : `  ${k} = ${d}  ${s.description ?? ''}`
    })
    .join(compact ? ', ' : '\n')
}

export async function runCommand(
  projectPath: string,
  method: string,
  opts: { dataset?: string; sets: string[]; seed?: number; json: boolean },
  err: (s: string) => void,
): Promise<{ output: unknown; ok: boolean }> {
  if (!METHOD_NAMES.includes(method as MethodName)) throw invalidInput(`Unknown method "${method}". Methods: ${METHOD_NAMES.join(', ')}.`)
  const m = method as MethodName
  if (!opts.dataset) throw invalidInput(`run needs --dataset NAME (the ${METHODS[m].needs} dataset to analyse)`)
  const params = parseSets(opts.sets)
  const req = JobRequest.safeParse({ kind: m, params, seed: opts.seed })
  if (!req.success) {
    const msg = req.error.issues.map((i) => `${i.path.filter((p) => p !== 'params').join('.') || 'parameters'}: ${i.message}`).join('; ')
    throw invalidInput(`Invalid parameters for ${m}: ${msg}. Parameters (defaults): ${describeParams(m, true)}`)
  }
  const backend = await initBackend()
  const session = new Session({ mode: 'cli', backend, worker: sourceWorkerSpec(), settingsDir: settingsDir() })
  const store = ProjectStore.open(projectPath)
  await session.adopt(store)
  try {
    const ds = store.findDataset(opts.dataset)
    const t0 = performance.now()
    let last = 0
    const off = session.onJobEvent((e) => {
      if (e.type === 'progress' && !opts.json && performance.now() - last > 1000) {
        last = performance.now()
        const p = e.progress
        err(`${(p.fraction * 100).toFixed(0).padStart(3)}%  ${p.stage}  ${p.message}${p.etaSeconds != null ? `  (about ${Math.ceil(p.etaSeconds)} s left)` : ''}`)
      } else if (e.type === 'log' && !opts.json) err(e.message)
    })
    const { jobId, runId } = session.startJob(req.data, ds.id)
    const snap = await session.runner.wait(jobId)
    off()
    const run = store.getRun(runId!)
    const output = { run: run.id, method: m, dataset: ds.name, status: run.status, seed: run.seed, metrics: run.metrics, seconds: (performance.now() - t0) / 1000, error: snap.error }
    return { output, ok: snap.state === 'done' }
  } finally {
    await session.close()
  }
}
