/**
 * `popdyn predict PROJECT --model FILE.json --dataset NAME [--steps N] [--from I] [--dt DT]
 * [--replay] [--out FILE.csv] [--json]`: loads a model file written by `popdyn export --model`
 * and predicts on a snapshot dataset of the project (io/export/predict.ts).
 */
import { invalidInput } from '@shared/errors'
import { predictFromModel, type PredictFromModelResult } from '../io/export/index'
import { ProjectStore } from '../store/project'

export const PREDICT_USAGE = `  predict PROJECT --model FILE.json --dataset NAME [--steps N] [--from I] [--dt DT] [--replay] [--out FILE.csv]
                              load a model file (export --model) and predict N snapshots ahead from snapshot I
                              (default the last) of a dataset; --replay recomputes the run's own predictions`

export const PREDICT_ARGS = {
  model: { type: 'string' },
  dataset: { type: 'string' },
  steps: { type: 'string' },
  from: { type: 'string' },
  dt: { type: 'string' },
  replay: { type: 'boolean' },
  out: { type: 'string' },
} as const

function num(v: unknown, what: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined
  const x = Number(v)
  if (!Number.isFinite(x) || (integer && !Number.isInteger(x))) throw invalidInput(`--${what} must be ${integer ? 'an integer' : 'a number'}, got "${String(v)}"`)
  return x
}

export interface PredictCommandResult {
  method: string
  mode: string
  dataset: string
  from: number | null
  times: number[]
  points: number[]
  file: string | null
  rows: number | null
  labels: Record<string, number> | null
}

/** Runs the command; `values` are the parsed options (PREDICT_ARGS). */
export async function predictCommand(projectPath: string, values: Record<string, unknown>): Promise<PredictCommandResult> {
  if (!values.model) throw invalidInput('predict needs --model FILE.json (written by popdyn export PROJECT RUN --model FILE.json)')
  if (!values.dataset) throw invalidInput('predict needs --dataset NAME (a snapshot dataset of the project; popdyn datasets lists them)')
  const store = ProjectStore.open(projectPath)
  let r: PredictFromModelResult
  try {
    r = await predictFromModel(store, String(values.model), String(values.dataset), {
      mode: values.replay ? 'replay' : 'rollout',
      steps: num(values.steps, 'steps', true),
      from: num(values.from, 'from', true),
      dt: num(values.dt, 'dt', false),
      out: values.out === undefined ? undefined : String(values.out),
    })
  } finally {
    store.close()
  }
  let labels: Record<string, number> | null = null
  if (r.rowLabels) {
    labels = {}
    for (const l of r.rowLabels.label) labels[l] = (labels[l] ?? 0) + 1
  }
  return { method: r.method, mode: r.mode, dataset: r.dataset, from: r.from, times: r.times, points: r.clouds.map((c) => c.n), file: r.file ?? null, rows: r.rows ?? null, labels }
}

export function formatPredict(r: PredictCommandResult): string {
  const lines: string[] = []
  const g = (v: number) => String(Number(v.toPrecision(6)))
  if (r.times.length)
    lines.push(
      r.mode === 'replay'
        ? `Recomputed the ${r.method} run's predictions on "${r.dataset}": ${r.times.length} snapshot(s) at t = ${r.times.map(g).join(', ')}`
        : `Predicted ${r.times.length} snapshot(s) of ${r.points[0]} points with the ${r.method} model from snapshot ${r.from} of "${r.dataset}": t = ${r.times.map(g).join(', ')}`,
    )
  if (r.labels) lines.push(`Ensemble labels of "${r.dataset}": ${Object.entries(r.labels).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([l, n]) => `${l} ${n}`).join(', ')}`)
  if (r.file) lines.push(`Wrote ${r.file} (${r.rows} rows)`)
  return lines.join('\n')
}
