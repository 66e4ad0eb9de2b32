/**
 * Choice of the number of ensembles K by the objective elbow (issue 5, "help me choose K").
 *
 * The optimal objective J(K) of paper eq. 7 never increases with K (an extra ensemble can stay
 * empty). With the right K it falls to the noise level; beyond, extra ensembles only split noise
 * and J decreases slowly. The elbow is the K whose drop J(K−1)/J(K) is the largest, among
 * K = 2..maxK (K = 1 when no drop exceeds `minDrop`). The evidence (J for every K, the drops and
 * the fits) is returned so the user can see it.
 */
import { invalidInput } from '@shared/errors'
import type { EngineContext } from '../common/context'
import { separateEnsembles } from './solve'
import type { EnsembleConfig, EnsembleProblem, EnsembleResult } from './types'

export interface ChooseKOptions {
  /** Largest K tried (at most the smallest snapshot size). @default 5 */
  maxK?: number
  /** Smallest drop J(K−1)/J(K) that counts as an elbow; below it K = 1 is chosen. @default 2 */
  minDrop?: number
}

export interface ChooseKResult {
  K: number
  /** Per K = 1..maxK: the objective J(K) of the best restart. */
  objectives: number[]
  /** drops[K − 1] = J(K − 1)/J(K) for K ≥ 2 (NaN for K = 1). */
  drops: number[]
  fits: EnsembleResult[]
  reason: string
}

export async function chooseEnsembleCount(
  problem: Omit<EnsembleProblem, 'K'>,
  config: EnsembleConfig = {},
  options: ChooseKOptions = {},
  ctx?: EngineContext,
): Promise<ChooseKResult> {
  const minN = Math.min(...problem.snapshots.map((s) => s.n))
  const maxK = Math.min(options.maxK ?? 5, minN)
  if (!Number.isInteger(maxK) || maxK < 2) throw invalidInput(`maxK must be an integer ≥ 2 (and at most the smallest snapshot size, ${minN}), got ${options.maxK ?? 5}`)
  const minDrop = options.minDrop ?? 2
  const fits: EnsembleResult[] = []
  for (let K = 1; K <= maxK; K++) {
    fits.push(
      await separateEnsembles({ ...problem, K }, config, {
        signal: ctx?.signal,
        onProgress: (p) => ctx?.onProgress?.({ ...p, fraction: (K - 1 + p.fraction) / maxK, stage: `K = ${K}: ${p.stage}` }),
      }),
    )
  }
  const objectives = fits.map((f) => f.objective)
  // Objectives at round-off level (noiseless data) are not compared by their ratio.
  const floor = Math.max(1e-300, 1e-12 * objectives[0]!)
  const drops = objectives.map((j, q) => (q === 0 ? NaN : Math.max(objectives[q - 1]!, floor) / Math.max(j, floor)))
  let K = 1
  let best = minDrop
  for (let q = 1; q < maxK; q++)
    if (drops[q]! > best) {
      best = drops[q]!
      K = q + 1
    }
  const reason =
    K === 1
      ? `no K in 2..${maxK} lowers the objective by a factor ≥ ${minDrop}`
      : `largest drop of the objective at K = ${K}: J(${K - 1})/J(${K}) = ${best.toPrecision(3)}`
  return { K, objectives, drops, fits, reason }
}
