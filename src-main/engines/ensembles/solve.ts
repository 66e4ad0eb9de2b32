import { invalidInput, numericalError } from '@shared/errors'
import { checkAborted, type EngineContext } from '../common/context'
import { createRng } from '../stats/random'
import { costStack, objective, type Stack } from './costs'
import { updateTheta, updateThetaSparse } from './dynamics'
import { sparseObjective, sparsePlans, type SparseStack } from './sparse'
import { KdTree } from '../knn/index'
import { entropicPlans } from './entropic'
import { restrictedPlans } from './restricted'
import { labelsFromPlans, labelsFromSparsePlans } from './labels'
import { hypothesisSeeds, peel, relaxedBcd, swapSearch } from './hypotheses'
import type { EnsembleConfig, EnsembleProblem, EnsembleRestart, EnsembleResult, Snapshot } from './types'

export const ENSEMBLE_DEFAULTS: Required<Omit<EnsembleConfig, 'init'>> = {
  restarts: 10,
  affine: false,
  solver: 'auto',
  exactMaxVariables: 1_000_000,
  tol: 1e-7,
  maxIter: 100,
  epsRelative: 2e-5,
  marginalTol: 1e-6,
  maxSweeps: 2000,
  entropicNeighbours: 'auto',
  seed: 0,
  initFromTrajectories: true,
  screenStarts: 30,
  polishRatio: 1.5,
  polishStarts: 4,
  swapStarts: 2,
  lpRounds: 3,
  seedPoints: 150,
  anneal: Array.from({ length: 30 }, (_, i) => 3 * Math.pow(1e-3 / 3, i / 29)),
}

function validate(p: EnsembleProblem): Float64Array[] {
  const { snapshots: S, K } = p
  if (!Number.isInteger(K) || K < 1) throw invalidInput(`K (number of ensembles) must be an integer ≥ 1, got ${K}`)
  if (S.length < 2) throw invalidInput(`Ensemble separation needs at least 2 time points, got ${S.length}`)
  const d = S[0]!.d
  let total = NaN
  const weights = S.map((s, t) => {
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
  const minN = Math.min(...S.map((s) => s.n))
  if (K > minN) throw invalidInput(`K = ${K} ensembles cannot be separated with ${minN} particles at the smallest time point: expected K ≤ ${minN}`)
  return weights
}

function entropicFailure(e: { marginalError: number; sweeps: number }, epsRelative: number, remedy: string): Error {
  return numericalError(`The entropic plans did not satisfy the marginals (error ${e.marginalError.toExponential(2)} of the total mass after ${e.sweeps} sweeps). Raise epsRelative (now ${epsRelative}) ${remedy}.`)
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
    solverReason = `${solver === 'exact' ? 'exact LP (HiGHS, column generation)' : 'entropic (KL projections)'}: ${vars.toLocaleString('en-US')} plan variables ${solver === 'exact' ? '≤' : '>'} ${cfg.exactMaxVariables.toLocaleString('en-US')}`
  } else {
    solver = cfg.solver
    solverReason = `${solver} (chosen by the user)`
  }
  // Entropic mode on nearest-neighbour supports (sparse.ts) when the dense plans would be large.
  let neighbours = 0
  if (solver === 'entropic') {
    const maxPairs = Math.max(...N.slice(0, -1).map((n, t) => n * N[t + 1]!))
    const L = cfg.entropicNeighbours
    if (L !== 'auto' && !(Number.isInteger(L) && L >= 0)) throw invalidInput(`entropicNeighbours: expected 'auto' or an integer ≥ 0, got ${String(L)}`)
    neighbours = L === 'auto' ? (maxPairs <= 250_000 ? 0 : 16) : L
    if (neighbours > 0) solverReason += `; each plan kept on each particle's ${neighbours} nearest predicted targets and each target's ${neighbours} nearest predictions`
  }
  let entries = vars
  if (neighbours > 0) {
    entries = 0
    for (let t = 0; t < T; t++) entries += K * Math.min(N[t]! * N[t + 1]!, neighbours * (N[t]! + N[t + 1]!))
  }
  // Per entry: cost, kernel and plan values, and a column index (entropic); cost, plan, LP data (exact).
  const bytes = entries * (solver === 'entropic' ? 8 * 3 + 4 + (neighbours > 0 ? 0 : 8) : 8 * 3)
  if (bytes > 8 * 2 ** 30)
    throw invalidInput(
      `This problem has ${entries.toLocaleString('en-US')} plan ${neighbours > 0 ? 'entries' : 'variables'} and would need about ${(bytes / 2 ** 30).toFixed(1)} GiB; ${solver === 'entropic' && neighbours === 0 ? 'use entropicNeighbours (e.g. 16), ' : ''}subsample the snapshots (fewer particles per time point) or reduce K.`,
    )
  const trees = neighbours > 0 ? snaps.map((s) => KdTree.build({ data: s.x, n: s.n, d: s.d })) : []
  const sparseOptions = { neighbours, affine: cfg.affine, ctx }

  const rng = createRng(cfg.seed)
  const restarts: EnsembleRestart[] = []
  let best: { theta: Float64Array[]; P: Stack; Psp: SparseStack; obj: number; trace: number[]; converged: boolean; restart: number } | null = null
  // Data-driven starts (hypotheses.ts), screened by the cheap relaxed descent; computed on at most
  // seedPoints points per time point so their cost does not grow with the data.
  const screened = cfg.initFromTrajectories && !cfg.affine && cfg.restarts > (cfg.init ? 1 : 0) ? seededStarts(snaps, weights, K, cfg, rng, ctx) : []
  // Only starts whose relaxed objective is within polishRatio of the best one get the exact
  // descent; with data-driven starts there are no random restarts after them.
  // A start whose relaxed objective (a lower bound of the plan LP at its θ, on the seeding sample) is above the
  // best exact objective found is skipped: polishing it would start where the best one ended.
  const polish = screened.filter((s) => s.cost <= cfg.polishRatio * screened[0]!.cost).slice(0, Math.max(1, cfg.polishStarts))
  const starts = polish.map((s) => s.theta)
  const bounds = polish.map((s) => s.cost)
  const seededRun = starts.length > 0
  for (let r = 0; r < cfg.restarts; r++) {
    let theta: Float64Array[]
    let seeded = false
    if (r === 0 && cfg.init) theta = cfg.init.map((x) => Float64Array.from(x))
    else if (starts.length) {
      theta = starts.shift()!
      const bound = bounds.shift()!
      seeded = true
      if (best && bound >= best.obj) continue
    } else if (seededRun) break
    else theta = Array.from({ length: K }, () => randomTheta(rng, d, cfg.affine))
    // Deterministic annealing: a few block-coordinate sweeps with soft (strongly entropic)
    // plans first, ε decreasing, so θ settles in a good basin before hard plans lock the
    // assignment in (the same idea that keeps soft k-means out of poor local minima).
    // Restarts also differ in how hot they start (all of the schedule, the last 3/4, 1/2, 1/4):
    // starting very hot finds the right basin on some problems, a cooler start on others.
    const skip = seeded || (r === 0 && cfg.init) ? cfg.anneal.length : Math.floor(((r % 4) * cfg.anneal.length) / 4)
    for (const er of cfg.anneal.slice(skip)) {
      checkAborted(ctx)
      if (neighbours > 0) {
        const e = sparsePlans(snaps, weights, theta, trees, { ...sparseOptions, epsRelative: Math.max(er, cfg.epsRelative), marginalTol: 1e-4, maxSweeps: 300 })
        theta = updateThetaSparse(snaps, e.P, theta, cfg.affine)
      } else {
        const C = costStack(snaps, theta, cfg.affine)
        const e = entropicPlans(snaps, weights, C, { epsRelative: Math.max(er, cfg.epsRelative), marginalTol: 1e-4, maxSweeps: 300, ctx })
        theta = updateTheta(snaps, e.P, theta, cfg.affine)
      }
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
    let Psp: SparseStack = []
    let columnSet: Uint8Array | undefined
    // Costs at the current θ, computed for the objective and used again by the next plan step.
    let Cnext: Stack | null = null
    let converged = false
    // Exact mode: while θ moves, each plan step runs at most lpRounds pricing rounds (still a
    // descent step: the previous plan's columns are always in the restricted LP); once the
    // objective stalls, the plan step runs to the proven optimum before convergence is declared.
    let certify = false
    let planOptimal = true
    let it = 0
    for (; it < cfg.maxIter; it++) {
      checkAborted(ctx)
      let obj: number
      if (neighbours > 0) {
        const onSweeps = (message: string) => ctx?.onProgress?.({ fraction: (r + Math.min(1, it / cfg.maxIter)) / cfg.restarts, stage: `restart ${r + 1}/${cfg.restarts}`, message: `iteration ${it + 1}, ${message}` })
        const e = sparsePlans(snaps, weights, theta, trees, { ...sparseOptions, epsRelative: cfg.epsRelative, marginalTol: cfg.marginalTol, maxSweeps: cfg.maxSweeps, onSweeps })
        if (!e.converged && e.marginalError > 1e-2) throw entropicFailure(e, cfg.epsRelative, `or entropicNeighbours (now ${neighbours})`)
        Psp = e.P
        theta = updateThetaSparse(snaps, Psp, theta, cfg.affine)
        obj = sparseObjective(snaps, theta, Psp, cfg.affine)
      } else {
        const C = Cnext ?? costStack(snaps, theta, cfg.affine)
        if (solver === 'exact') {
          const rp = await restrictedPlans(C, N, weights, P.length ? P : null, { columnSet, maxRounds: certify ? 50 : cfg.lpRounds }, ctx)
          P = rp.P
          columnSet = rp.columnSet
          planOptimal = rp.optimal
        } else {
          const e = entropicPlans(snaps, weights, C, { epsRelative: cfg.epsRelative, marginalTol: cfg.marginalTol, maxSweeps: cfg.maxSweeps, ctx })
          if (!e.converged && e.marginalError > 1e-2) throw entropicFailure(e, cfg.epsRelative, 'or use solver=exact')
          P = e.P
        }
        theta = updateTheta(snaps, P, theta, cfg.affine)
        Cnext = costStack(snaps, theta, cfg.affine)
        obj = objective(Cnext, P)
      }
      trace.push(obj)
      ctx?.onProgress?.({ fraction: (r + Math.min(1, (it + 1) / cfg.maxIter)) / cfg.restarts, stage: `restart ${r + 1}/${cfg.restarts}`, message: `iteration ${it + 1}, objective ${obj.toPrecision(6)}`, loss: obj })
      if (!Number.isFinite(obj)) break
      // Stop when a whole sweep (plans, then θ) no longer lowers the objective.
      if (Number.isFinite(prev) && prev - obj <= cfg.tol * Math.max(Math.abs(prev), 1e-300)) {
        if (!planOptimal && !certify) {
          certify = true
          prev = Math.min(prev, obj)
          continue
        }
        converged = true
        it++
        break
      }
      certify = false
      prev = obj
    }
    const obj = trace.at(-1) ?? Infinity
    restarts.push({ restart: r, objective: obj, iterations: it, converged, trace })
    if (!best || obj < best.obj) best = { theta, P, Psp, obj, trace, converged, restart: r }
    ctx?.onProgress?.({ fraction: (r + 1) / cfg.restarts, stage: `restart ${r + 1}/${cfg.restarts}`, message: `best objective ${best.obj.toPrecision(6)}`, loss: best.obj })
  }
  const b = best!
  const { labels, confidence, ensembleMass } = neighbours > 0 ? labelsFromSparsePlans(b.Psp, N) : labelsFromPlans(b.P, N)
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

/**
 * Starting θ sets from trajectory hypotheses (hypotheses.ts), each run through the relaxed block
 * coordinate descent, together with variants that replace one matrix of the best sets by a random
 * one (an ensemble the hypotheses missed) and plain random starts; up to `screenStarts` in all,
 * returned lowest relaxed objective first, near-duplicates dropped. Empty when no hypotheses exist.
 */
export function seededStarts(snaps: Snapshot[], weights: Float64Array[], K: number, cfg: Required<Omit<EnsembleConfig, 'init'>>, rng: ReturnType<typeof createRng>, ctx?: EngineContext): { theta: Float64Array[]; cost: number }[] {
  const d = snaps[0]!.d
  // Subsample for seeding (uniform weights on the subsample).
  const sub: Snapshot[] = snaps.map((s) => {
    if (s.n <= cfg.seedPoints) return s
    const pick = rng.permutation(s.n).subarray(0, cfg.seedPoints)
    const x = new Float64Array(pick.length * d)
    pick.forEach((i, q) => x.set(s.x.subarray(i * d, (i + 1) * d), q * d))
    return { x, n: pick.length, d }
  })
  const w = sub.map((s, t) => (s === snaps[t] ? weights[t]! : new Float64Array(s.n).fill(1 / s.n)))
  const h = hypothesisSeeds(sub, w, K, rng, { onStage: (message) => ctx?.onProgress?.({ fraction: 0, stage: 'hypotheses', message }) })
  if (!h) return []
  const cands: Float64Array[][] = [...h.forward, ...h.sets].map((s) => s.map((a) => Float64Array.from(a)))
  for (const base of h.sets.slice(0, 3))
    for (let k = 0; k < K; k++) cands.push(base.map((a, q) => (q === k ? rng.normals(d * d) : Float64Array.from(a))))
  while (cands.length < cfg.screenStarts) cands.push(Array.from({ length: K }, () => rng.normals(d * d)))
  const screened: { theta: Float64Array[]; cost: number }[] = []
  ctx?.onProgress?.({ fraction: 0, stage: 'screening starts', message: `${Math.min(cands.length, Math.max(cfg.screenStarts, 1))} starts` })
  cands.slice(0, Math.max(cfg.screenStarts, 1)).forEach((c, q) => {
    checkAborted(ctx)
    screened.push(relaxedBcd(sub, w, c))
    ctx?.onProgress?.({ fraction: 0, stage: 'screening starts', message: `start ${q + 1}, relaxed objective ${screened.at(-1)!.cost.toPrecision(4)}` })
  })
  screened.sort((a, b) => a.cost - b.cost)
  // Swap search from the best screened starts (pool: the hypotheses' shortlist).
  ctx?.onProgress?.({ fraction: 0, stage: 'swap search', message: `${Math.min(cfg.swapStarts, screened.length)} starts` })
  for (let q = 0; q < Math.min(cfg.swapStarts, screened.length); q++) {
    checkAborted(ctx)
    screened.push(swapSearch(sub, w, screened[q]!, h.shortlist))
    ctx?.onProgress?.({ fraction: 0, stage: 'swap search', message: `start ${q + 1}, relaxed objective ${screened.at(-1)!.cost.toPrecision(4)}` })
  }
  screened.sort((a, b) => a.cost - b.cost)
  // Peeling from the best screened starts: re-seed each ensemble from the points the others leave.
  ctx?.onProgress?.({ fraction: 0, stage: 'peeling', message: `${Math.min(cfg.swapStarts, screened.length)} starts` })
  for (let q = 0; q < Math.min(cfg.swapStarts, screened.length); q++) {
    checkAborted(ctx)
    screened.push(peel(sub, w, screened[q]!, rng))
    ctx?.onProgress?.({ fraction: 0, stage: 'peeling', message: `start ${q + 1}, relaxed objective ${screened.at(-1)!.cost.toPrecision(4)}` })
  }
  screened.sort((a, b) => a.cost - b.cost)
  const out: { theta: Float64Array[]; cost: number }[] = []
  const n2 = (a: Float64Array) => a.reduce((s, v) => s + v * v, 0)
  for (const s of screened) {
    const dup = out.some((o) => s.theta.every((a) => o.theta.some((b) => n2(a.map((v, q) => v - b[q]!)) <= 1e-4 * Math.max(n2(b), 1e-12))))
    if (!dup) out.push(s)
  }
  return out
}
