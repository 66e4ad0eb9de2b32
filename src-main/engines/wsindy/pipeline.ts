/**
 * The population pipeline of WSINDy species identification (SPEC §4.2 (a)–(f); paper §3):
 * (a) one model per focal cell, then model replacement between cells with similar neighbourhood
 * statistics; (b) clustering of the models by their 8-bit force-mode code; (c) the mean of the
 * largest cluster's coefficients is the aggregate model; (d) it is validated on every remaining cell
 * by a data-driven simulation (ΔV); (e) a two-component Gaussian mixture on log10 ΔV, accepted only if
 * its BIC beats one Gaussian, splits off the low-error component as a new species; (f) repeat on the
 * rest until ≤ `minCells` remain, ≥ 1 − haltFraction of them have ΔV < acceptError, or maxSpecies.
 * Not in the paper (on by default): (g) over-split species are merged (`mergeSpecies`); (h) cells left
 * unclassified join the species whose model validates them with ΔV < acceptError.
 * Tracks shorter than the test-function support (WsindyData.tooShort) are not modelled and stay −1.
 *
 * Per-cell work is exposed as independent tasks (`learnCellModel(data, i)`,
 * `validationError(data, w, i)`); here they run sequentially with progress and cancellation, and
 * precomputed models (e.g. from a worker pool) can be passed in.
 */
import { invalidInput } from '@shared/errors'
import { checkAborted, type EngineContext } from '../common/context'
import { compareGmmBic, fitGmm, type GmmResult } from '../stats'
import { codeForces, codeString, forceDistance, formulas, layout, modeCode } from './library'
import { prepareWsindy, type CellModelOptions, type PrepareOptions } from './model'
import { inThreadExecutor, runModelTask, runValidationTask, type CellExecutor, type CellTaskOptions, type ValidationTask } from './executor'
import { validationError, type ValidationOptions } from './simulate'
import type { CellModel, TrackPanel, WsindyData } from './types'

export interface ReplacementOptions {
  /** @default true */
  enabled?: boolean
  /** Validation cells per model (most similar neighbourhood statistics). @default 20 */
  K?: number
  /** Largest admissible score. @default 0.25 */
  tol?: number
  /** Histogram bins of the neighbourhood statistics. @default 50 */
  bins?: number
  /** Candidates considered: this many nearest cells at the first time. @default 200 */
  candidates?: number
}

export interface SpeciesConfig {
  prepare?: PrepareOptions
  model?: CellModelOptions
  validation?: ValidationOptions
  replacement?: ReplacementOptions
  /** ΔV below which a cell is explained by a model. @default 0.05 */
  acceptError?: number
  /** Stop when at most this fraction of the remaining cells has ΔV ≥ acceptError. @default 0.01 */
  haltFraction?: number
  /** @default 10 */
  maxSpecies?: number
  /** Stop when at most this many cells remain. @default 2 */
  minCells?: number
  /** Restarts of the two-component mixture. @default 20 */
  gmmRestarts?: number
  /**
   * true: `gmmRestarts` independent fits, accepted when their mean BIC beats one Gaussian, a cell in the new
   * species when most fits put it in the low-error component (reference code); false: the best of the
   * restarts decides (BIC and labels). @default true
   */
  gmmVote?: boolean
  /** Coefficients with log10|w| < max log10|w| − this are zeroed in the aggregate. @default 4 */
  aggregateDigits?: number
  /**
   * Merge rule (after the loop): a species is merged into an earlier one with the same 8-bit mode code
   * when each of its active force laws differs from the earlier one's by less than this relative L2
   * distance (forceDistance over r ∈ [0, min(2, r_max)] × θ ∈ {0, π/4, …, π}; drag over [0, s_max]).
   * 0 disables this test.
   * @default 0.1
   */
  mergeTolerance?: number
  /**
   * Merge rule, second test: a species is also merged into an earlier one when the earlier species' model
   * gives its cells a median ΔV at most this factor times their median ΔV under their own model (measured
   * on up to `mergeSample` of its cells) and below `acceptError`, or the other way round (then the merged
   * species keeps the later model). 0 disables this test; both 0 = the paper's pipeline.
   * @default 1.1
   */
  mergeErrorRatio?: number
  /** Cells per species used by the ΔV test of the merge rule. @default 40 */
  mergeSample?: number
  /**
   * After merging, give every modelled cell left unclassified to the species whose model validates it
   * best, when that ΔV is below `acceptError` (not in the paper, where such cells stay unclassified).
   * @default true
   */
  assignLeftovers?: boolean
  /**
   * Smallest separation D = √2·|μ₁ − μ₂|/√(σ₁² + σ₂²) (Ashman's D) of the two mixture components on
   * log10 ΔV for a split to be accepted in addition to the BIC test; 0 = BIC alone (paper).
   * @default 0
   */
  minSeparation?: number
  /** @default 0 */
  seed?: number
}

export interface Species {
  /** 0-based species number, in order of identification. */
  index: number
  /** Cell indices (into the panel) of this species. */
  cells: number[]
  /** Track ids of those cells. */
  trackIds: number[]
  /** Aggregate model coefficients. */
  w: Float64Array
  code: number
  codeString: string
  formulas: { ar: string; align: string; drag: string }
  /** Mean ΔV of the aggregate over the species' cells. */
  meanValidationError: number
  /** How it was split off: 'gmm' (BIC accepted), 'all-remaining' (BIC rejected), 'final' (stopping rule). */
  rule: 'gmm' | 'all-remaining' | 'final'
  /** Rounds (0-based) of the species merged into this one by the merge rule (absent if none). */
  mergedFrom?: number[]
}

/** One pair examined by the merge rule: `species` (a round number) against the earlier `into`. */
export interface MergeCheck {
  species: number
  into: number
  /** Largest forceDistance over the active forces (Infinity when the codes differ). */
  forceDistance: number
  /** Median ΔV of a sample of `species`' cells under `into`'s model over their median under their own (NaN if not computed). */
  errorRatio: number
  /** The same with the roles swapped: `into`'s cells under `species`' model (NaN if not computed). */
  reverseErrorRatio: number
  merged: boolean
}

/** What one round of the species loop saw and decided. */
export interface SpeciesRound {
  /** Cells still unlabelled at the start of the round. */
  cells: number[]
  /** Mode code of the class whose mean model was validated, and how many admissible models were averaged. */
  code: number
  averaged: number
  /** ΔV of the aggregate on each of `cells`. */
  errors: Float64Array
  /** The mixture test on log10 ΔV (absent when the stopping rule ended the loop first). */
  gmm?: { deltaBic: number; means: [number, number]; sds: [number, number]; weights: [number, number]; separation: number; accepted: boolean }
  /** Cells given to the new species this round. */
  taken: number
  rule: Species['rule']
}

export interface SpeciesResult {
  data: WsindyData
  /** Per cell: the learned model (after replacement). */
  models: CellModel[]
  /** Per cell: which cell's model it uses after replacement (itself when not replaced). */
  replacedBy: Int32Array
  /** Per cell: p-score = ½ΔV + ½ residual of its model. */
  pScore: Float64Array
  species: Species[]
  /** Cells labelled by the leftover rule (`assignLeftovers`). */
  leftoversAssigned: number
  /** Every pair the merge rule looked at (species by round number), in order. */
  mergeChecks: MergeCheck[]
  /** Species index of each cell, −1 = unclassified (including the `tooShort` cells). */
  labels: Int32Array
  /** Cells whose track is shorter than the test-function support 2m + 1: not modelled, labelled −1. */
  tooShort: number[]
  /** ΔV of each cell under the aggregate model of the round in which it was labelled (or the last round). */
  validationErrors: Float64Array
  /** One entry per round of (b)–(f), for diagnostics and the wizard's histograms. */
  rounds: SpeciesRound[]
  /** Why the loop stopped. */
  stop: 'few-cells' | 'all-explained' | 'max-species' | 'no-admissible-class'
  /** Wall seconds: single-cell models; model replacement excluding its validation simulations; all validation simulations (and their count). */
  timings: { modelsSeconds: number; replacementSeconds: number; validationSeconds: number; validations: number }
}

const now = () => (globalThis.performance ? performance.now() : Date.now())

function histograms(data: WsindyData, bins: number): { rr: Float64Array; vv: Float64Array; v: Float64Array } {
  const { n: N, L, positions: X, velocities: V, start, end } = data
  let maxR = 0, maxDV = 0, maxV = 0
  const dist = (A: Float64Array, i: number, j: number, k: number) => {
    const a = (i * L + k) * 2, b = (j * L + k) * 2
    const x = A[a]! - A[b]!, y = A[a + 1]! - A[b + 1]!
    return Math.sqrt(x * x + y * y)
  }
  const dr = (i: number, j: number, k: number) => dist(X, i, j, k)
  const dv = (i: number, j: number, k: number) => dist(V, i, j, k)
  const at = (i: number, k: number) => k >= start[i]! && k < end[i]!
  for (let k = 0; k < L; k++) for (let i = 0; i < N; i++) {
    if (!at(i, k)) continue
    maxV = Math.max(maxV, Math.hypot(V[(i * L + k) * 2]!, V[(i * L + k) * 2 + 1]!))
    for (let j = i + 1; j < N; j++) {
      if (!at(j, k)) continue
      maxR = Math.max(maxR, dr(i, j, k))
      maxDV = Math.max(maxDV, dv(i, j, k))
    }
  }
  const rr = new Float64Array(N * bins), vv = new Float64Array(N * bins), v = new Float64Array(N * bins)
  const bin = (x: number, mx: number) => Math.min(bins - 1, Math.floor((x / (mx || 1)) * bins))
  for (let k = 0; k < L; k++) for (let i = 0; i < N; i++) {
    if (!at(i, k)) continue
    v[i * bins + bin(Math.hypot(V[(i * L + k) * 2]!, V[(i * L + k) * 2 + 1]!), maxV)]!++
    for (let j = i + 1; j < N; j++) {
      if (!at(j, k)) continue
      const b1 = bin(dr(i, j, k), maxR), b2 = bin(dv(i, j, k), maxDV)
      rr[i * bins + b1]!++
      rr[j * bins + b1]!++
      vv[i * bins + b2]!++
      vv[j * bins + b2]!++
    }
  }
  for (const h of [rr, vv, v]) for (let i = 0; i < N; i++) {
    let s = 0
    for (let b = 0; b < bins; b++) s += h[i * bins + b]!
    for (let b = 0; b < bins; b++) h[i * bins + b]! /= s || 1
  }
  return { rr, vv, v }
}

/** KL(h_i ‖ h_j) on the bins where both are non-zero (reference `crossKL.m`). */
function kl(h: Float64Array, i: number, j: number, bins: number): number {
  let s = 0
  for (let b = 0; b < bins; b++) {
    const p = h[i * bins + b]!, q = h[j * bins + b]!
    if (p > 0 && q > 0) s -= p * Math.log(q / p)
  }
  return s
}

/**
 * A request from the pipeline's step generator to its driver: one batch of independent per-cell tasks
 * (see executor.ts), with the progress range [from, to] and stage it covers.
 */
type CellRequest =
  | { kind: 'models'; cells: number[]; stage: string; from: number; to: number; message?: string }
  | { kind: 'validate'; tasks: ValidationTask[]; stage: string; from: number; to: number; message?: string }
type Reply = CellModel[] | Float64Array
type Steps<R> = Generator<CellRequest, R, Reply>

function* validateBatch(tasks: ValidationTask[], stage: string, from: number, to: number, message?: string): Steps<Float64Array> {
  if (!tasks.length) return new Float64Array(0)
  return (yield { kind: 'validate', tasks, stage, from, to, message }) as Float64Array
}

/**
 * The merge rule (step (g), not in the paper): the mixture test on log10 ΔV also splits one population
 * whose errors are not log-normal (e.g. a heavy tail of chaotic close encounters), so species are visited
 * in order of identification and a later species joins the first earlier one that satisfies
 *   (i)  same 8-bit mode code and every active force law within `mergeTolerance` (forceDistance over
 *        r ∈ [0, min(2, r_max)] × θ ∈ {0, π/4, …, π}, drag over s ∈ [0, s_max]), or
 *   (ii) the earlier species' model gives (up to `mergeSample` of) its cells a median ΔV at most
 *        `mergeErrorRatio` times their median ΔV under their own model (`errors`) and below `acceptError`
 *        (errorRatio is +∞ otherwise), or
 *   (iii) the same with the roles swapped: the later species' model explains the earlier species' cells
 *        as well; the merged species then takes the later model (its cells re-validated, `errors` updated).
 * Returns the kept species (cells, mean ΔV, model and `mergedFrom` updated; indices not renumbered) and
 * every pair examined. `validate(w, i, stopAbove)` is ΔV of model w on cell i (it may stop above `stopAbove`).
 */
export function mergeSpecies(
  data: WsindyData,
  species: Species[],
  errors: Float64Array,
  o: Pick<SpeciesConfig, 'mergeTolerance' | 'mergeErrorRatio' | 'mergeSample' | 'acceptError'>,
  validate: (w: Float64Array, i: number, stopAbove: number) => number = (w, i, stopAbove) => validationError(data, w, i, { stopAbove }).error,
  onCheck?: (message: string) => void,
): { species: Species[]; checks: MergeCheck[] } {
  const gen = mergeSteps(data, species, errors, o)
  let r = gen.next()
  while (!r.done) {
    const req = r.value
    if (req.kind !== 'validate') throw new Error('mergeSpecies: unexpected request')
    if (req.message) onCheck?.(req.message)
    r = gen.next(Float64Array.from(req.tasks, (t) => validate(t.w, t.cell, t.stopAbove)))
  }
  return r.value
}

function* mergeSteps(
  data: WsindyData,
  species: Species[],
  errors: Float64Array,
  o: Pick<SpeciesConfig, 'mergeTolerance' | 'mergeErrorRatio' | 'mergeSample' | 'acceptError'>,
): Steps<{ species: Species[]; checks: MergeCheck[] }> {
  const mergeTol = o.mergeTolerance ?? 0.1
  const ratioTol = o.mergeErrorRatio ?? 1.1
  const maxCheck = o.mergeSample ?? 40
  const accept = o.acceptError ?? 0.05
  const merged: Species[] = []
  const checks: MergeCheck[] = []
  if (!(mergeTol > 0) && !(ratioTol > 0)) return { species: species.slice(), checks }
  const median = (xs: number[]) => {
    const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
    return v.length ? (v.length % 2 ? v[(v.length - 1) / 2]! : 0.5 * (v[v.length / 2 - 1]! + v[v.length / 2]!)) : NaN
  }
  const grid = { rMax: Math.min(2, data.rMax), sMax: data.sMax }
  // Median ΔV of model `w` on a spread of `cellsIn` over their median ΔV under their own model; +∞ unless
  // that median is also below acceptError (a model that explains neither set well proves nothing).
  function* crossRatio(w: Float64Array, cellsIn: number[], message: string): Steps<number> {
    const step = Math.max(1, Math.floor(cellsIn.length / maxCheck))
    const sample = cellsIn.filter((_, q) => q % step === 0).slice(0, maxCheck)
    const own = median(sample.map((i) => errors[i]!))
    // Simulations may stop early well above the decisive value (only the median matters).
    const stopAbove = Math.min(accept, Math.max(own, 1e-12) * ratioTol) * 4
    const res = yield* validateBatch(sample.map((cell) => ({ w, cell, stopAbove })), 'merge check', 0.99, 0.99, message)
    const cross = median(Array.from(res))
    return cross < accept ? cross / Math.max(own, 1e-300) : Infinity
  }
  for (const sp of species) {
    let into: Species | undefined
    let adopt = false
    for (const t of merged) {
      const forces = codeForces(sp.code)
      const dist = t.code === sp.code ? Math.max(...(['ar', 'align', 'drag'] as const).map((k) => (forces[k] ? forceDistance(data.lib, t.w, sp.w, k, grid) : 0))) : Infinity
      let ratio = NaN, reverse = NaN
      if (!(dist < mergeTol) && ratioTol > 0 && sp.cells.length && t.cells.length) {
        const msg = `species ${sp.index + 1} vs ${t.index + 1}`
        ratio = yield* crossRatio(t.w, sp.cells, msg)
        if (!(ratio <= ratioTol)) reverse = yield* crossRatio(sp.w, t.cells, msg)
      }
      const ok = dist < mergeTol || ratio <= ratioTol || reverse <= ratioTol
      checks.push({ species: sp.index, into: t.index, forceDistance: dist, errorRatio: ratio, reverseErrorRatio: reverse, merged: ok })
      if (ok) {
        into = t
        adopt = !(dist < mergeTol) && !(ratio <= ratioTol)
        break
      }
    }
    if (into) {
      if (adopt) {
        // The later species' model explains the earlier species' cells as well as their own: it becomes
        // the model of the merged species (every earlier cell re-validated with it).
        const res = yield* validateBatch(
          into.cells.map((cell) => ({ w: sp.w, cell, stopAbove: Infinity })),
          'merge check',
          0.99,
          0.99,
          `species ${sp.index + 1} model on ${into.index + 1}`,
        )
        let s = 0
        into.cells.forEach((i, q) => {
          errors[i] = res[q]!
          s += errors[i]!
        })
        into.meanValidationError = into.cells.length ? s / into.cells.length : NaN
        into.w = sp.w
        into.code = sp.code
        into.codeString = sp.codeString
        into.formulas = sp.formulas
      }
      const tot = into.cells.length + sp.cells.length
      into.meanValidationError = tot ? (into.meanValidationError * into.cells.length + (sp.cells.length ? sp.meanValidationError * sp.cells.length : 0)) / tot : NaN
      into.cells = into.cells.concat(sp.cells)
      into.trackIds = into.trackIds.concat(sp.trackIds)
      into.mergedFrom = (into.mergedFrom ?? []).concat(sp.index)
    } else merged.push(sp)
  }
  return { species: merged, checks }
}

/** Options of {@link identifySpeciesAsync}. */
export interface SpeciesRunOptions {
  /**
   * Runs the batches of per-cell tasks (single-cell models, validation simulations), e.g. a worker pool
   * (src-main/workers/pool/wsindy-pool.ts). Results are identical to the in-thread run.
   * @default inThreadExecutor (this thread)
   */
  executor?: CellExecutor
  /** Precomputed single-cell models, one per cell (index = cell). @default computed by the executor */
  models?: CellModel[]
}

/**
 * Runs the whole pipeline on complete tracks (or on prepared data), every task in this thread.
 * `models` may hold precomputed single-cell models (one per cell, index = cell), e.g. from a worker pool.
 * Same result as {@link identifySpeciesAsync} with any executor.
 */
export function identifySpecies(input: TrackPanel | WsindyData, config: SpeciesConfig = {}, ctx?: EngineContext, models?: CellModel[]): SpeciesResult {
  const data: WsindyData = 'velocities' in input ? input : prepareWsindy(input, config.prepare)
  const opts: CellTaskOptions = { model: config.model, validation: config.validation }
  const gen = speciesSteps(data, config, ctx, models)
  let r = gen.next()
  while (!r.done) {
    const req = r.value
    const total = req.kind === 'models' ? req.cells.length : req.tasks.length
    const tick = (done: number) => {
      if (done % 8 === 0) ctx?.onProgress?.({ fraction: req.from + ((req.to - req.from) * done) / total, stage: req.stage, message: req.message ?? `${done}/${total}` })
      checkAborted(ctx)
    }
    let reply: Reply
    if (req.kind === 'models') {
      reply = req.cells.map((i, q) => {
        tick(q)
        return runModelTask(data, i, opts)
      })
    } else {
      reply = Float64Array.from(req.tasks, (t, q) => {
        tick(q)
        return runValidationTask(data, t, opts)
      })
    }
    r = gen.next(reply)
  }
  return r.value
}

/**
 * The pipeline with its per-cell tasks run by an executor (e.g. a worker pool): the same steps, batches
 * and decisions as {@link identifySpecies}, so the same result (labels, models, errors) for any executor;
 * only `timings` differ. Progress is reported as batches advance; `ctx.signal` is passed to the executor
 * and checked between batches.
 */
export async function identifySpeciesAsync(input: TrackPanel | WsindyData, config: SpeciesConfig = {}, ctx?: EngineContext, run: SpeciesRunOptions = {}): Promise<SpeciesResult> {
  const data: WsindyData = 'velocities' in input ? input : prepareWsindy(input, config.prepare)
  const opts: CellTaskOptions = { model: config.model, validation: config.validation }
  const exec = run.executor ?? inThreadExecutor
  const gen = speciesSteps(data, config, ctx, run.models)
  let r = gen.next()
  while (!r.done) {
    const req = r.value
    const total = req.kind === 'models' ? req.cells.length : req.tasks.length
    ctx?.onProgress?.({ fraction: req.from, stage: req.stage, message: req.message ?? `0/${total}` })
    const onDone = (done: number) => ctx?.onProgress?.({ fraction: req.from + ((req.to - req.from) * done) / total, stage: req.stage, message: req.message ?? `${done}/${total}` })
    const reply: Reply = req.kind === 'models' ? await exec.models(data, req.cells, opts, onDone, ctx?.signal) : await exec.validate(data, req.tasks, opts, onDone, ctx?.signal)
    if (reply.length !== total) throw new Error(`executor: expected ${total} results, got ${reply.length}`)
    checkAborted(ctx)
    r = gen.next(reply)
  }
  return r.value
}

/**
 * The pipeline as a generator of task batches. A batch only holds tasks whose inputs are known before
 * it starts (their results never influence each other), so any executor reproduces the sequential
 * decisions exactly.
 */
function* speciesSteps(data: WsindyData, config: SpeciesConfig, ctx: EngineContext | undefined, models: CellModel[] | undefined): Steps<SpeciesResult> {
  const N = data.n
  const accept = config.acceptError ?? 0.05
  const haltFrac = config.haltFraction ?? 0.01
  const maxSpecies = config.maxSpecies ?? 10
  const minCells = config.minCells ?? 2
  const rep = config.replacement ?? {}
  const tol = rep.tol ?? 0.25
  if (!(accept > 0)) throw invalidInput(`acceptError: expected > 0, got ${accept}`)
  if (models && models.length !== N) throw invalidInput(`models: expected one model per cell (${N}), got ${models.length}`)
  const report = (fraction: number, stage: string, message?: string) => {
    ctx?.onProgress?.({ fraction, stage, message })
    checkAborted(ctx)
  }
  let validations = 0
  let tVal = 0
  // Every validation simulation goes through here: one batch, timed and counted.
  function* validate(tasks: ValidationTask[], stage: string, from: number, to: number, message?: string): Steps<Float64Array> {
    const t = now()
    validations += tasks.length
    const res = yield* validateBatch(tasks, stage, from, to, message)
    tVal += now() - t
    return res
  }
  const short = new Set(Array.from(data.tooShort))
  const modelled = Array.from({ length: N }, (_, i) => i).filter((i) => !short.has(i))
  if (!modelled.length) throw invalidInput(`tracks: expected at least one track of at least 2m + 1 = ${2 * data.m + 1} time points (the test-function support), got none (longest ${Math.max(...Array.from(data.end, (e, i) => e - data.start[i]!))})`)

  // (a) single-cell models.
  let t = now()
  let learned: CellModel[]
  if (models) learned = models.slice()
  else {
    const J = layout(data.lib).size
    report(0, 'single-cell models', `0/${modelled.length}`)
    const got = (yield { kind: 'models', cells: modelled, stage: 'single-cell models', from: 0, to: 0.4 }) as CellModel[]
    learned = Array.from({ length: N }, (_, i): CellModel => ({ cell: i, w: new Float64Array(J), code: 0, lambda: NaN, residual: Infinity, nnz: 0 }))
    modelled.forEach((i, q) => (learned[i] = got[q]!))
  }
  const modelsSeconds = (now() - t) / 1000

  // Model replacement.
  t = now()
  const selfErr = new Float64Array(N).fill(Infinity)
  const selfRes = yield* validate(modelled.map((i) => ({ w: learned[i]!.w, cell: i, stopAbove: Infinity })), 'self-validation', 0.4, 0.45)
  modelled.forEach((i, q) => (selfErr[i] = selfRes[q]!))
  const own = Float64Array.from({ length: N }, (_, i) => 0.5 * selfErr[i]! + 0.5 * learned[i]!.residual)
  const replacedBy = Int32Array.from({ length: N }, (_, i) => i)
  const pScore = Float64Array.from(own)
  if (rep.enabled ?? true) {
    const bins = rep.bins ?? 50
    const K = Math.min(rep.K ?? 20, modelled.length - 1)
    const nCand = Math.min(rep.candidates ?? 200, modelled.length - 1)
    report(0.45, 'model replacement', 'neighbourhood statistics')
    const H = histograms(data, bins)
    const { L, positions: X } = data
    const choice = Int32Array.from({ length: N }, (_, i) => i)
    // For every cell i its K most similar candidates j, those that can be admissible (s_jj < tol and a
    // positive stopping bound, below).
    const pairs: { i: number; js: number[] }[] = []
    modelled.forEach((i, qi) => {
      if (qi % 16 === 0) report(0.45, 'model replacement', `candidates ${qi + 1}/${modelled.length}`)
      // Candidates: the modelled cells nearest to i at i's first time (among those present then).
      const k0 = data.start[i]!
      const d0 = modelled
        .filter((j) => j !== i && k0 >= data.start[j]! && k0 < data.end[j]!)
        .map((j) => [Math.hypot(X[(i * L + k0) * 2]! - X[(j * L + k0) * 2]!, X[(i * L + k0) * 2 + 1]! - X[(j * L + k0) * 2 + 1]!), j] as const)
        .sort((a, b) => a[0] - b[0])
        .slice(0, nCand)
        .map(([, j]) => j)
      const ranked = d0
        .map((j) => [kl(H.rr, i, j, bins) ** 2 + kl(H.vv, i, j, bins) ** 2 + kl(H.v, i, j, bins) ** 2, j] as const)
        .sort((a, b) => a[0] - b[0])
        .slice(0, K)
      const js: number[] = []
      for (const [, j] of ranked) {
        // Admissible only if s_ji < min(⅔ s_ii, tol) and s_jj < tol; s_ji = ½ΔV_ji + ½ resid_j, so the
        // simulation can stop once ΔV_ji ≥ 2·min(⅔ s_ii, tol) − resid_j (same decision, less work).
        if (!(own[j]! < tol)) continue
        if (!(2 * Math.min((2 / 3) * own[i]!, tol) - learned[j]!.residual > 0)) continue
        js.push(j)
      }
      pairs.push({ i, js })
    })
    // i takes the admissible candidate of smallest ‖(s_ji, s_jj)‖ (the first in rank order on a tie). The
    // candidates are simulated in rounds, one per cell and round (one batch: the runs of a round depend only
    // on earlier rounds), in order of increasing s_jj: once i has a best norm b, candidate j can only win
    // with s_ji² ≤ b² − s_jj², so its simulation stops above that (with a 1e−9 relative margin on b², far
    // above rounding) or is skipped. The winners and their s_ji are those of simulating every candidate.
    const best = pairs.map(() => ({ j: -1, rank: -1, norm: Infinity, score: NaN }))
    const order = pairs.map(({ js }) => js.map((j, rank) => ({ j, rank })).sort((a, b) => own[a.j]! - own[b.j]! || a.rank - b.rank))
    const nRounds = order.reduce((m, o) => Math.max(m, o.length), 0)
    for (let q = 0; q < nRounds; q++) {
      const tasks: ValidationTask[] = []
      const who: { p: number; j: number; rank: number }[] = []
      pairs.forEach(({ i }, p) => {
        const c = order[p]![q]
        if (!c) return
        const resid = learned[c.j]!.residual
        let bound = 2 * Math.min((2 / 3) * own[i]!, tol) - resid
        const b = best[p]!
        if (b.j >= 0) {
          const room = b.norm * b.norm * (1 + 1e-9) - own[c.j]! ** 2
          const tight = 2 * Math.sqrt(Math.max(0, room)) - resid
          if (!(room > 0 && tight > 0)) return
          bound = Math.min(bound, tight)
        }
        tasks.push({ w: learned[c.j]!.w, cell: i, stopAbove: bound })
        who.push({ p, j: c.j, rank: c.rank })
      })
      const cross = yield* validate(tasks, 'model replacement', 0.45 + (0.2 * q) / nRounds, 0.45 + (0.2 * (q + 1)) / nRounds)
      who.forEach(({ p, j, rank }, t) => {
        const i = pairs[p]!.i, b = best[p]!
        const sjj = own[j]!
        const sji = 0.5 * cross[t]! + 0.5 * learned[j]!.residual
        if ((2 / 3) * own[i]! > sji && Math.max(sji, sjj) < tol) {
          const nrm = Math.hypot(sji, sjj)
          if (nrm < b.norm || (nrm === b.norm && rank < b.rank)) Object.assign(b, { j, rank, norm: nrm, score: sji })
        }
      })
    }
    pairs.forEach(({ i }, p) => {
      const b = best[p]!
      if (b.j >= 0) {
        choice[i] = b.j
        pScore[i] = b.score
      }
    })
    // Propagate chains i → j → k (stop at a fixed point or a cycle).
    for (let i = 0; i < N; i++) {
      let j = i
      const seen = new Set<number>([i])
      while (choice[j] !== j && !seen.has(choice[j]!)) {
        j = choice[j]!
        seen.add(j)
      }
      replacedBy[i] = j
    }
  }
  const finalModels = learned.map((m, i) => (replacedBy[i] === i ? m : { ...learned[replacedBy[i]!]!, cell: i }))
  const replacementSeconds = (now() - t) / 1000 - tVal / 1000

  // (b)–(f) species loop.
  const labels = new Int32Array(N).fill(-1)
  const vErr = new Float64Array(N).fill(NaN)
  const species: Species[] = []
  let remaining = modelled.slice()
  let stop: SpeciesResult['stop'] = 'few-cells'
  const digits = config.aggregateDigits ?? 4
  let round = 0
  const rounds: SpeciesRound[] = []
  const minSeparation = config.minSeparation ?? 0
  for (;;) {
    if (remaining.length <= minCells) {
      stop = 'few-cells'
      break
    }
    if (species.length >= maxSpecies) {
      stop = 'max-species'
      break
    }
    // (b) classes by mode code among remaining cells; admissible if some member has p-score < tol.
    const classes = new Map<number, number[]>()
    for (const i of remaining) {
      const c = finalModels[i]!.code
      if (!classes.has(c)) classes.set(c, [])
      classes.get(c)!.push(i)
    }
    const admissible = [...classes.entries()].filter(([code, members]) => code !== 0 && members.some((i) => pScore[i]! < tol)).sort((a, b) => b[1].length - a[1].length || a[0] - b[0])
    if (!admissible.length) {
      stop = 'no-admissible-class'
      break
    }
    // (c) aggregate = mean of the largest class's admissible models.
    const [, members] = admissible[0]!
    const good = members.filter((i) => pScore[i]! < tol)
    const J = finalModels[0]!.w.length
    const w = new Float64Array(J)
    for (const i of good) for (let j = 0; j < J; j++) w[j]! += finalModels[i]!.w[j]! / good.length
    let mx = 0
    for (const x of w) mx = Math.max(mx, Math.abs(x))
    for (let j = 0; j < J; j++) if (w[j] !== 0 && Math.log10(Math.abs(w[j]!)) < Math.log10(mx) - digits) w[j] = 0
    // (d) validate on every remaining cell.
    const from = Math.min(0.99, 0.65 + 0.05 * round)
    const err = Array.from(yield* validate(remaining.map((cell) => ({ w, cell, stopAbove: Infinity })), `validation, round ${round + 1}`, from, Math.min(0.99, from + 0.05)))
    remaining.forEach((i, q) => (vErr[i] = err[q]!))
    const bad = err.filter((e) => !(e < accept)).length / err.length
    const roundInfo: SpeciesRound = { cells: remaining.slice(), code: modeCode(data.lib, w), averaged: good.length, errors: Float64Array.from(err), taken: 0, rule: 'final' }
    rounds.push(roundInfo)
    const add = (cellsIn: number[], rule: Species['rule']) => {
      const idx = species.length
      let s = 0
      for (const i of cellsIn) {
        labels[i] = idx
        s += vErr[i]!
      }
      const code = modeCode(data.lib, w)
      species.push({
        index: idx,
        cells: cellsIn,
        trackIds: cellsIn.map((i) => data.ids[i]!),
        w,
        code,
        codeString: codeString(code),
        formulas: formulas(data.lib, w),
        meanValidationError: cellsIn.length ? s / cellsIn.length : NaN,
        rule,
      })
      roundInfo.taken = cellsIn.length
      roundInfo.rule = rule
      const inS = new Set(cellsIn)
      remaining = remaining.filter((i) => !inS.has(i))
    }
    if (bad > haltFrac) {
      // (e) one Gaussian vs two on log10 ΔV.
      const logE = err.map((e) => Math.log10(Math.max(e, 1e-12)))
      const restarts = config.gmmRestarts ?? 20
      const seed = (config.seed ?? 0) + 1000 * round
      let inLower: (q: number) => boolean
      let deltaBic: number
      let best: GmmResult
      if (config.gmmVote ?? true) {
        // Reference `classify_models.m`: `restarts` independent two-component fits; accept if their mean BIC
        // beats one Gaussian; a cell goes to the low-error component when more than half of the fits put it there.
        const pts = { data: Float64Array.from(logE), n: logE.length, d: 1 }
        const one = fitGmm(pts, { components: 1, restarts: 1 })
        const votes = new Int32Array(logE.length)
        let meanBic = 0
        best = fitGmm(pts, { components: 2, restarts: 1, seed })
        for (let r = 0; r < restarts; r++) {
          const two = r === 0 ? best : fitGmm(pts, { components: 2, restarts: 1, seed: seed + r })
          if (two.logLikelihood > best.logLikelihood) best = two
          meanBic += two.bic / restarts
          const lo = two.means[0]! <= two.means[1]! ? 0 : 1
          for (let q = 0; q < logE.length; q++) if (two.labels[q] === lo) votes[q]!++
        }
        deltaBic = one.bic - meanBic
        inLower = (q) => 2 * votes[q]! > restarts
      } else {
        const cmp = compareGmmBic(logE, restarts, { seed })
        best = cmp.two
        deltaBic = cmp.deltaBic
        const lo = best.means[0]! <= best.means[1]! ? 0 : 1
        inLower = (q) => cmp.two.labels[q] === lo
      }
      const lower = best.means[0]! <= best.means[1]! ? 0 : 1
      const m2 = [best.means[lower]!, best.means[1 - lower]!] as [number, number]
      const sd2 = [Math.sqrt(best.covariances[lower]!), Math.sqrt(best.covariances[1 - lower]!)] as [number, number]
      const separation = (Math.SQRT2 * Math.abs(m2[1] - m2[0])) / Math.sqrt(sd2[0] ** 2 + sd2[1] ** 2 || 1e-300)
      const accepted = deltaBic > 0 && separation >= minSeparation
      roundInfo.gmm = { deltaBic, means: m2, sds: sd2, weights: [best.weights[lower]!, best.weights[1 - lower]!], separation, accepted }
      let chosen: number[]
      let rule: Species['rule']
      if (accepted) {
        chosen = remaining.filter((_, q) => inLower(q))
        rule = 'gmm'
        if (!chosen.length || chosen.length === remaining.length) {
          chosen = remaining.slice()
          rule = 'all-remaining'
        }
      } else {
        chosen = remaining.slice()
        rule = 'all-remaining'
      }
      add(chosen, rule)
    } else {
      add(remaining.filter((_, q) => err[q]! < accept), 'final')
      stop = 'all-explained'
      break
    }
    round++
  }
  // (g) merge over-split species (see mergeSpecies); its simulations are counted and timed here.
  const mergeGen = mergeSteps(data, species, vErr, config)
  let mr = mergeGen.next()
  while (!mr.done) {
    const req = mr.value as Extract<CellRequest, { kind: 'validate' }>
    mr = mergeGen.next(yield* validate(req.tasks, req.stage, req.from, req.to, req.message))
  }
  const { species: merged, checks: mergeChecks } = mr.value
  merged.forEach((sp, idx) => {
    sp.index = idx
    for (const i of sp.cells) labels[i] = idx
  })
  // (h) leftovers: a modelled cell still unclassified joins the species whose model gives it the smallest
  // ΔV, if that ΔV is below acceptError (the paper's criterion for a cell explained by a model). Species are
  // tried in order, each cell's simulation stopping above its best ΔV so far: one batch per species.
  let assigned = 0
  if ((config.assignLeftovers ?? true) && merged.length) {
    const left = modelled.filter((i) => labels[i] === -1)
    const bestE = new Float64Array(left.length).fill(accept)
    const bestS = new Int32Array(left.length).fill(-1)
    for (const sp of merged) {
      const res = yield* validate(left.map((cell, q) => ({ w: sp.w, cell, stopAbove: bestE[q]! })), 'leftovers', 0.99, 0.99, `species ${sp.index + 1}`)
      left.forEach((_, q) => {
        if (res[q]! < bestE[q]!) {
          bestE[q] = res[q]!
          bestS[q] = sp.index
        }
      })
    }
    left.forEach((i, q) => {
      const best = bestS[q]!
      if (best < 0) return
      const sp = merged[best]!
      sp.meanValidationError = (sp.meanValidationError * sp.cells.length + bestE[q]!) / (sp.cells.length + 1)
      sp.cells.push(i)
      sp.trackIds.push(data.ids[i]!)
      labels[i] = best
      vErr[i] = bestE[q]!
      assigned++
    })
  }
  report(1, 'done')
  return {
    data,
    models: finalModels,
    replacedBy,
    pScore,
    species: merged,
    mergeChecks,
    leftoversAssigned: assigned,
    labels,
    tooShort: Array.from(data.tooShort),
    validationErrors: vErr,
    rounds,
    stop,
    timings: { modelsSeconds, replacementSeconds, validationSeconds: tVal / 1000, validations },
  }
}
