/** Job handler: OT ensemble separation on a snapshot dataset. */
import { EnsembleParams } from '@shared/methods'
import { chooseEnsembleCount, separateEnsembles } from '../../engines/ensembles/index'
import { nd } from '../../store/arrays'
import type { Handler } from '../handlers'
import { snapshotGroups } from './dataset'

export const ensemblesHandler: Handler = async (input, ctx) => {
  const p = EnsembleParams.parse(input.params)
  const g = snapshotGroups(input)
  const t0 = performance.now()
  const snapshots = g.x.map((x, t) => ({ x, n: g.rows[t]!.length, d: g.d }))
  const config = { restarts: p.restarts, affine: p.affine, solver: p.solver, maxIter: p.maxIter, tol: p.tol, epsRelative: p.epsRelative, entropicNeighbours: p.entropicNeighbours, seed: input.seed ?? 0 }
  const engineCtx = { signal: ctx.signal, onProgress: (q: { fraction: number; stage: string; message?: string; loss?: number }) => ctx.progress(q.fraction, q.stage, q.message ?? '', q.loss ?? null) }
  let K = p.K
  let choice: { K: number; objectives: number[]; drops: (number | null)[]; reason: string } | null = null
  let r
  if (p.chooseK) {
    const c = await chooseEnsembleCount({ snapshots }, config, { maxK: Math.min(p.maxK, ...snapshots.map((s) => s.n)) }, engineCtx)
    K = c.K
    r = c.fits[K - 1]!
    choice = { K: c.K, objectives: c.objectives, drops: c.drops.map((x) => (Number.isFinite(x) ? x : null)), reason: c.reason }
    ctx.log(`choice of K: ${c.reason}`)
  } else r = await separateEnsembles({ K, snapshots }, config, engineCtx)
  ctx.log(`plan solver: ${r.solverReason}`)
  const n = g.rows.reduce((s, r) => s + r.length, 0)
  const label: string[] = new Array(n)
  const confidence = new Array<number>(n)
  g.rows.forEach((rows, t) => rows.forEach((row, i) => {
    label[row] = `E${r.labels[t]![i]! + 1}`
    confidence[row] = r.confidence[t]![i]!
  }))
  const cols = p.affine ? g.d + 1 : g.d
  const theta = new Float64Array(K * g.d * cols)
  r.theta.forEach((th, k) => theta.set(th, k * g.d * cols))
  return {
    metrics: {
      K,
      ...(choice ? { chooseK: choice } : {}),
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
    arrays: { theta: nd(theta, [K, g.d, cols]), trace: nd(Float64Array.from(r.trace)) },
    labels: { label, confidence },
    summary: { objective: r.objective, ensembleMass: Array.from(r.ensembleMass) },
  }
}
