/** Internals shared by the stats solvers (not part of the public face). */
import { invalidInput } from '@shared/errors'
import type { EngineContext } from '../common/context'

/** A context for restart r of R whose progress fraction covers the slice [r/R, (r+1)/R). */
export function restartContext(ctx: EngineContext | undefined, r: number, restarts: number, stage: string): EngineContext | undefined {
  if (!ctx) return undefined
  return {
    signal: ctx.signal,
    onProgress: ctx.onProgress
      ? (p) => ctx.onProgress!({ ...p, fraction: (r + Math.min(1, Math.max(0, p.fraction))) / restarts, stage: `${stage} restart ${r + 1}/${restarts}` })
      : undefined,
  }
}

export function checkPositiveInt(v: number, name: string, min = 1): void {
  if (!Number.isInteger(v) || v < min) throw invalidInput(`${name}: expected an integer >= ${min}, got ${v}`)
}

export function checkPositive(v: number, name: string, allowZero = false): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw invalidInput(`${name}: expected a finite number ${allowZero ? '>= 0' : '> 0'}, got ${v}`)
  }
}

/** Mean over dimensions of the per-dimension (weighted) variance of an n×d cloud. */
export function meanVariance(data: Float64Array, n: number, d: number, w?: Float64Array): number {
  let total = 0
  let wsum = 0
  for (let i = 0; i < n; i++) wsum += w ? w[i]! : 1
  if (!(wsum > 0)) return 0
  for (let j = 0; j < d; j++) {
    let m = 0
    for (let i = 0; i < n; i++) m += (w ? w[i]! : 1) * data[i * d + j]!
    m /= wsum
    let v = 0
    for (let i = 0; i < n; i++) {
      const t = data[i * d + j]! - m
      v += (w ? w[i]! : 1) * t * t
    }
    total += v / wsum
  }
  return total / d
}
