import { invalidInput, numericalError } from '@shared/errors'
import { checkAborted, type EngineContext } from '../common/context'
import { createRng } from '../stats/random'
import { costStack, objective, type Stack } from './costs'
import { updateTheta } from './dynamics'
import { entropicPlans } from './entropic'
import { ExactPlanSolver } from './exact'
import { labelsFromPlans } from './labels'
import { trajectoryHypotheses } from './init'
import type { EnsembleConfig, EnsembleProblem, EnsembleRestart, EnsembleResult, Snapshot } from './types'

export const ENSEMBLE_DEFAULTS: Required<Omit<EnsembleConfig, 'init'>> = {
  restarts: 10,
  affine: false,
  solver: 'auto',
  exactMaxVariables: 40_000,
  tol: 1e-7,
  maxIter: 100,
  epsRelative: 1e-3,
  marginalTol: 1e-6,
  maxSweeps: 2000,
  seed: 0,
  initFromTrajectories: true,
  anneal: Array.from({ length: 30 }, (_, i) => 3 * Math.pow(1e-3 / 3, i / 29)),
}

function validate(p: EnsembleProblem): Float64Array[] {
  const { snapshots: S, K } = p
  if (!Number.isInteger(K) || K < 1) throw invalidInput(`K (number of ensembles) must be an integer ≥ 1, got ${K}`)
  if (S.length < 2) throw invalidInput(`Ensemble separation needs at least 2 time points, got ${S.length}`)
  const d = S[0]!.d
  let total = NaN
  return S.map((s, t) => {
    if (s.d !== d) throw invalidInput(`Snapshot ${t} has dimension ${s.d}, snapshot 0 has ${d}: every time point needs the same features`)
    if (s.n < 1) throw invalidInput(`Snapshot ${t} is empty`)
    if (s.x.length !== s.n * s.d) throw invalidInput(`Snapshot ${t}: expected ${s.n}×${s.d} = ${s.n * s.d} values, got ${s.x.length}`)
    for (let q = 0; q < s.x.length; q++) if (!Number.isFinite(s.x[q]!)) throw invalidInput(`Snapshot ${t}, point ${Math.floor(q / d)}: coordinate ${q % d} is ${s.x[q]}`)
    const a = s.a ?? new Float64Array(s.n).fill(1 / s.n)
    if (a.length !== s.n) throw invalidInput(`Snapshot ${t}: ${a.length} weights for ${s.n} points`)
    let sum = 0
    for (let i = 0; i < a.length; i++) {
      if (!(a[i]! >= 0) || !Number.isFinite(a[i]!)) throw invalidInput(`Snapshot ${t}, point ${i}: weight must be finite and ≥ 0, got ${a[i]}`)
      sum += a[i]!
    }
    if (t === 0) total = sum
    else if (Math.abs(sum - total) > 1e-9 * Math.max(1, total))
      throw invalidInput(`Snapshot ${t} has total weight ${sum}, snapshot 0 has ${total}: the total mass must be the same at every time`)
    return a
  })
}

function randomTheta(rng: ReturnType<typeof createRng>, d: number, affine: boolean): Float64Array {
  return rng.normals(d * (affine ? d + 1 : d))
}

/**
 * Separates K ensembles and identifies each one's linear dynamics from aggregate snapshots
 * (block coordinate descent with restarts; see types.ts for the problem).
 */
export async function separateEnsembles(problem: EnsembleProblem, config: EnsembleConfig = {}, ctx?: EngineContext): Promise<EnsembleResult> {
  const cfg = { ...ENSEMBLE_DEFAULTS, ...config }
  const weights = validate(problem)
  const snaps: Snapshot[] = problem.snapshots
  const { K } = problem
  const d = snaps[0]!.d
  const N = snaps.map((s) => s.n)
  const T = N.length - 1
  let vars = 0
  for (let t = 0; t < T; t++) vars += K * N[t]! * N[t + 1]!
  let solver: 'exact' | 'entropic'
  let solverReason: string
  if (cfg.solver === 'auto') {
    solver = vars <= cfg.exactMaxVariables ? 'exact' : 'entropic'
    solverReason = `${solver === 'exact' ? 'exact LP (HiGHS)' : 'entropic (KL projections)'}: ${vars.toLocaleString('en-US')} plan variables ${solver === 'exact' ? '≤' : '>'} ${cfg.exactMaxVariables.toLocaleString('en-US')}`
  } else {
    solver = cfg.solver
    solverReason = `${solver} (chosen by the user)`
  }
  const bytes = vars * 8 * (solver === 'entropic' ? 4 : 3)
  if (bytes > 8 * 2 ** 30)
    throw invalidInput(`This problem has ${vars.toLocaleString('en-US')} plan variables and would need about ${(bytes / 2 ** 30).toFixed(1)} GiB; subsample the snapshots (fewer particles per time point) or reduce K.`)

  const rng = createRng(cfg.seed)
  const exact = solver === 'exact' ? await ExactPlanSolver.create(K, N, weights) : null
  const restarts: EnsembleRestart[] = []
  let hyp: Float64Array[] | false | undefined
  let best: { theta: Float64Array[]; P: Stack; obj: number; trace: number[]; converged: boolean; restart: number } | null = null
  try {
    for (let r = 0; r < cfg.restarts; r++) {
      let theta: Float64Array[]
      let hypotheses = false
      if (r === 0 && cfg.init) theta = cfg.init.map((x) => Float64Array.from(x))
      else if (r % 2 === 0 && cfg.initFromTrajectories && !cfg.affine && (hyp ??= trajectoryHypotheses(snaps, K, rng) ?? false) !== false) {
        // Every other restart starts from trajectory hypotheses, jittered after the first.
        theta = (hyp as Float64Array[]).map((a) => Float64Array.from(a, (v) => (r === 0 ? v : v + 0.1 * rng.normal() * Math.abs(v))))
        hypotheses = true
      } else theta = Array.from({ length: K }, () => randomTheta(rng, d, cfg.affine))
      // Deterministic annealing: a few block-coordinate sweeps with soft (strongly entropic)
      // plans first, ε decreasing, so θ settles in a good basin before hard plans lock the
      // assignment in (the same idea that keeps soft k-means out of poor local minima).
      // Restarts also differ in how hot they start (all of the schedule, the last 3/4, 1/2, 1/4):
      // starting very hot finds the right basin on some problems, a cooler start on others.
      const skip = hypotheses ? cfg.anneal.length : Math.floor(((r % 4) * cfg.anneal.length) / 4)
      for (const er of cfg.anneal.slice(skip)) {
        checkAborted(ctx)
        const C = costStack(snaps, theta, cfg.affine)
        const e = entropicPlans(snaps, weights, C, { epsRelative: Math.max(er, cfg.epsRelative), marginalTol: 1e-4, maxSweeps: 300, ctx })
        theta = updateTheta(snaps, e.P, theta, cfg.affine)
        // Symmetry breaking: at high ε ensembles with equal θ get equal plans and would stay
        // equal for ever; a small random kick lets them split as ε decreases.
        for (const th of theta) {
          let rms = 0
          for (let q = 0; q < th.length; q++) rms += th[q]! * th[q]!
          rms = Math.sqrt(rms / th.length) || 1
          for (let q = 0; q < th.length; q++) th[q] = th[q]! + 0.05 * rms * rng.normal()
        }
      }
      let prev = Infinity
      const trace: number[] = []
      let P: Stack = []
      let converged = false
      let it = 0
      for (; it < cfg.maxIter; it++) {
        checkAborted(ctx)
        const C = costStack(snaps, theta, cfg.affine)
        if (exact) P = (await exact.solve(C, ctx)).P
        else {
          const e = entropicPlans(snaps, weights, C, { epsRelative: cfg.epsRelative, marginalTol: cfg.marginalTol, maxSweeps: cfg.maxSweeps, ctx })
          if (!e.converged && e.marginalError > 1e-2)
            throw numericalError(`The entropic plans did not satisfy the marginals (error ${e.marginalError.toExponential(2)} of the total mass after ${e.sweeps} sweeps). Raise epsRelative (now ${cfg.epsRelative}) or use solver=exact.`)
          P = e.P
        }
        theta = updateTheta(snaps, P, theta, cfg.affine)
        const obj = objective(costStack(snaps, theta, cfg.affine), P)
        trace.push(obj)
        ctx?.onProgress?.({ fraction: (r + Math.min(1, (it + 1) / cfg.maxIter)) / cfg.restarts, stage: `restart ${r + 1}/${cfg.restarts}`, message: `iteration ${it + 1}, objective ${obj.toPrecision(6)}`, loss: obj })
        if (!Number.isFinite(obj)) break
        // Stop when a whole sweep (plans, then θ) no longer lowers the objective.
        if (Number.isFinite(prev) && prev - obj <= cfg.tol * Math.max(Math.abs(prev), 1e-300)) {
          converged = true
          it++
          break
        }
        prev = obj
      }
      const obj = trace.at(-1) ?? Infinity
      restarts.push({ restart: r, objective: obj, iterations: it, converged, trace })
      if (!best || obj < best.obj) best = { theta, P, obj, trace, converged, restart: r }
      ctx?.onProgress?.({ fraction: (r + 1) / cfg.restarts, stage: `restart ${r + 1}/${cfg.restarts}`, message: `best objective ${best.obj.toPrecision(6)}`, loss: best.obj })
    }
  } finally {
    exact?.dispose()
  }
  const b = best!
  const { labels, confidence, ensembleMass } = labelsFromPlans(b.P, N)
  return {
    theta: b.theta,
    objective: b.obj,
    labels,
    confidence,
    ensembleMass,
    solver,
    solverReason,
    restarts,
    best: b.restart,
    trace: b.trace,
    converged: b.converged,
  }
}
