/** Shared fixtures of the Sinkhorn tests. */
import { createRng } from '../../../../src-main/engines/stats/random'
import type { PointCloud } from '../../../../src-main/engines/ot/types'

/** n seeded Gaussian points in d dimensions, N(shift, sd²) per coordinate. */
export function cloud(seed: number, n: number, d: number, shift = 0, sd = 1): PointCloud {
  const rng = createRng(seed)
  const data = rng.normals(n * d, 0, sd)
  for (let i = 0; i < data.length; i++) data[i]! += shift
  return { data, n, d }
}

/**
 * Runs `solve` with a context whose signal is aborted at the third progress report; returns the
 * number of reports seen and what was thrown (the caller asserts CancelledError and 3).
 */
export function abortAtThirdReport(solve: (ctx: { signal: AbortSignal; onProgress: () => void }) => unknown): { calls: number; error: unknown } {
  const ac = new AbortController()
  let calls = 0
  try {
    solve({ signal: ac.signal, onProgress: () => { if (++calls === 3) ac.abort() } })
  } catch (error) {
    return { calls, error }
  }
  return { calls, error: null }
}
