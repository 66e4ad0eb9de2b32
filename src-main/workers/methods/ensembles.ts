/** Job handler: OT ensemble separation on a snapshot dataset. */
import { EnsembleParams } from '@shared/methods'
import { separateEnsembles } from '../../engines/ensembles/index'
import { nd } from '../../store/arrays'
import type { Handler } from '../handlers'
import { snapshotGroups } from './dataset'

export const ensemblesHandler: Handler = async (input, ctx) => {
  const p = EnsembleParams.parse(input.params)
  const g = snapshotGroups(input)
  const t0 = performance.now()
  const r = await separateEnsembles(
    { K: p.K, snapshots: g.x.map((x, t) => ({ x, n: g.rows[t]!.length, d: g.d })) },
    { restarts: p.restarts, affine: p.affine, solver: p.solver, maxIter: p.maxIter, tol: p.tol, epsRelative: p.epsRelative, seed: input.seed ?? 0 },
    { signal: ctx.signal, onProgress: (q) => ctx.progress(q.fraction, q.stage, q.message, q.loss ?? null) },
  )
  ctx.log(`plan solver: ${r.solverReason}`)
  const n = g.rows.reduce((s, r) => s + r.length, 0)
  const label: string[] = new Array(n)
  const confidence = new Array<number>(n)
  g.rows.forEach((rows, t) => rows.forEach((row, i) => {
    label[row] = `E${r.labels[t]![i]! + 1}`
    confidence[row] = r.confidence[t]![i]!
  }))
  const cols = p.affine ? g.d + 1 : g.d
  const theta = new Float64Array(p.K * g.d * cols)
  r.theta.forEach((th, k) => theta.set(th, k * g.d * cols))
  return {
    metrics: {
      objective: r.objective,
      converged: r.converged,
      solver: r.solver,
      solverReason: r.solverReason,
      ensembleMass: Array.from(r.ensembleMass),
      restartObjectives: r.restarts.map((x) => x.objective),
      bestRestart: r.best,
      iterations: r.restarts[r.best]!.iterations,
      timePoints: g.times.length,
      seconds: (performance.now() - t0) / 1000,
    },
    arrays: { theta: nd(theta, [p.K, g.d, cols]), trace: nd(Float64Array.from(r.trace)) },
    labels: { label, confidence },
    summary: { objective: r.objective, ensembleMass: Array.from(r.ensembleMass) },
  }
}
