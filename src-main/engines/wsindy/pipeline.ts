/**
 * The population pipeline of WSINDy species identification (SPEC §4.2 (a)–(f); paper §3):
 * (a) one model per focal cell, then model replacement between cells with similar neighbourhood
 * statistics; (b) clustering of the models by their 8-bit force-mode code; (c) the mean of the
 * largest cluster's coefficients is the aggregate model; (d) it is validated on every remaining cell
 * by a data-driven simulation (ΔV); (e) a two-component Gaussian mixture on log10 ΔV, accepted only if
 * its BIC beats one Gaussian, splits off the low-error component as a new species; (f) repeat on the
 * rest until ≤ `minCells` remain, ≥ 1 − haltFraction of them have ΔV < acceptError, or maxSpecies.
 *
 * Per-cell work is exposed as independent tasks (`learnCellModel(data, i)`,
 * `validationError(data, w, i)`); here they run sequentially with progress and cancellation, and
 * precomputed models (e.g. from a worker pool) can be passed in.
 */
import { invalidInput } from '@shared/errors'
import { checkAborted, type EngineContext } from '../common/context'
import { compareGmmBic } from '../stats'
import { codeString, formulas, modeCode } from './library'
import { learnCellModel, prepareWsindy, type CellModelOptions, type PrepareOptions } from './model'
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
  /** Coefficients with log10|w| < max log10|w| − this are zeroed in the aggregate. @default 4 */
  aggregateDigits?: number
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
  /** Species index of each cell, −1 = unclassified. */
  labels: Int32Array
  /** ΔV of each cell under the aggregate model of the round in which it was labelled (or the last round). */
  validationErrors: Float64Array
  /** Why the loop stopped. */
  stop: 'few-cells' | 'all-explained' | 'max-species' | 'no-admissible-class'
  /** Wall seconds: single-cell models; model replacement excluding its validation simulations; all validation simulations (and their count). */
  timings: { modelsSeconds: number; replacementSeconds: number; validationSeconds: number; validations: number }
}

const now = () => (globalThis.performance ? performance.now() : Date.now())

function histograms(data: WsindyData, bins: number): { rr: Float64Array; vv: Float64Array; v: Float64Array } {
  const { n: N, L, positions: X, velocities: V } = data
  let maxR = 0, maxDV = 0, maxV = 0
  const dr = (i: number, j: number, k: number) => Math.hypot(X[(i * L + k) * 2]! - X[(j * L + k) * 2]!, X[(i * L + k) * 2 + 1]! - X[(j * L + k) * 2 + 1]!)
  const dv = (i: number, j: number, k: number) => Math.hypot(V[(i * L + k) * 2]! - V[(j * L + k) * 2]!, V[(i * L + k) * 2 + 1]! - V[(j * L + k) * 2 + 1]!)
  for (let k = 0; k < L; k++) for (let i = 0; i < N; i++) {
    maxV = Math.max(maxV, Math.hypot(V[(i * L + k) * 2]!, V[(i * L + k) * 2 + 1]!))
    for (let j = i + 1; j < N; j++) {
      maxR = Math.max(maxR, dr(i, j, k))
      maxDV = Math.max(maxDV, dv(i, j, k))
    }
  }
  const rr = new Float64Array(N * bins), vv = new Float64Array(N * bins), v = new Float64Array(N * bins)
  const bin = (x: number, mx: number) => Math.min(bins - 1, Math.floor((x / (mx || 1)) * bins))
  for (let k = 0; k < L; k++) for (let i = 0; i < N; i++) {
    v[i * bins + bin(Math.hypot(V[(i * L + k) * 2]!, V[(i * L + k) * 2 + 1]!), maxV)]!++
    for (let j = i + 1; j < N; j++) {
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
 * Runs the whole pipeline on complete tracks (or on prepared data). `models` may hold precomputed
 * single-cell models (one per cell, index = cell), e.g. from a worker pool.
 */
export function identifySpecies(input: TrackPanel | WsindyData, config: SpeciesConfig = {}, ctx?: EngineContext, models?: CellModel[]): SpeciesResult {
  const data: WsindyData = 'velocities' in input ? input : prepareWsindy(input, config.prepare)
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
  const validate = (w: ArrayLike<number>, i: number) => {
    const t = now()
    validations++
    const e = validationError(data, w, i, config.validation).error
    tVal += now() - t
    return e
  }

  // (a) single-cell models.
  let t = now()
  const learned: CellModel[] = models ? models.slice() : []
  if (!models) {
    for (let i = 0; i < N; i++) {
      report((0.4 * i) / N, 'single-cell models', `cell ${i + 1}/${N}`)
      learned.push(learnCellModel(data, i, config.model))
    }
  }
  const modelsSeconds = (now() - t) / 1000

  // Model replacement.
  t = now()
  const selfErr = new Float64Array(N)
  for (let i = 0; i < N; i++) {
    if (i % 8 === 0) report(0.4 + (0.05 * i) / N, 'self-validation')
    selfErr[i] = validate(learned[i]!.w, i)
  }
  const own = Float64Array.from({ length: N }, (_, i) => 0.5 * selfErr[i]! + 0.5 * learned[i]!.residual)
  const replacedBy = Int32Array.from({ length: N }, (_, i) => i)
  const pScore = Float64Array.from(own)
  if (rep.enabled ?? true) {
    const bins = rep.bins ?? 50
    const K = Math.min(rep.K ?? 20, N - 1)
    const nCand = Math.min(rep.candidates ?? 200, N - 1)
    const H = histograms(data, bins)
    const { L, positions: X } = data
    const choice = Int32Array.from({ length: N }, (_, i) => i)
    for (let i = 0; i < N; i++) {
      report(0.45 + (0.2 * i) / N, 'model replacement', `cell ${i + 1}/${N}`)
      const d0 = Array.from({ length: N }, (_, j) => [Math.hypot(X[i * L * 2]! - X[j * L * 2]!, X[i * L * 2 + 1]! - X[j * L * 2 + 1]!), j] as const)
        .filter(([, j]) => j !== i)
        .sort((a, b) => a[0] - b[0])
        .slice(0, nCand)
        .map(([, j]) => j)
      const ranked = d0
        .map((j) => [kl(H.rr, i, j, bins) ** 2 + kl(H.vv, i, j, bins) ** 2 + kl(H.v, i, j, bins) ** 2, j] as const)
        .sort((a, b) => a[0] - b[0])
        .slice(0, K)
      let best = -1, bestNorm = Infinity, bestScore = own[i]!
      for (const [, j] of ranked) {
        const sji = 0.5 * validate(learned[j]!.w, i) + 0.5 * learned[j]!.residual
        const sjj = own[j]!
        if ((2 / 3) * own[i]! > sji && Math.max(sji, sjj) < tol) {
          const nrm = Math.hypot(sji, sjj)
          if (nrm < bestNorm) {
            bestNorm = nrm
            best = j
            bestScore = sji
          }
        }
      }
      if (best >= 0) {
        choice[i] = best
        pScore[i] = bestScore
      }
    }
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
  let remaining = Array.from({ length: N }, (_, i) => i)
  let stop: SpeciesResult['stop'] = 'few-cells'
  const digits = config.aggregateDigits ?? 4
  let round = 0
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
    const err = remaining.map((i, q) => {
      if (q % 8 === 0) report(Math.min(0.99, 0.65 + 0.05 * round + (0.05 * q) / remaining.length), `validation, round ${round + 1}`)
      return validate(w, i)
    })
    remaining.forEach((i, q) => (vErr[i] = err[q]!))
    const bad = err.filter((e) => !(e < accept)).length / err.length
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
      const inS = new Set(cellsIn)
      remaining = remaining.filter((i) => !inS.has(i))
    }
    if (bad > haltFrac) {
      // (e) one Gaussian vs two on log10 ΔV.
      const logE = err.map((e) => Math.log10(Math.max(e, 1e-12)))
      const cmp = compareGmmBic(logE, config.gmmRestarts ?? 20, { seed: (config.seed ?? 0) + round })
      let chosen: number[]
      let rule: Species['rule']
      if (cmp.prefersTwo) {
        const lower = cmp.two.means[0]! <= cmp.two.means[1]! ? 0 : 1
        chosen = remaining.filter((_, q) => cmp.two.labels[q] === lower)
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
  report(1, 'done')
  return {
    data,
    models: finalModels,
    replacedBy,
    pScore,
    species,
    labels,
    validationErrors: vErr,
    stop,
    timings: { modelsSeconds, replacementSeconds, validationSeconds: tVal / 1000, validations },
  }
}
