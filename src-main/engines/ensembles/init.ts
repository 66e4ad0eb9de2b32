/**
 * Data-driven starting points for the dynamics (linear case).
 *
 * Under x_{t+1} = A x_t, d + 1 consecutive points of one particle determine A:
 * A [x_0 … x_{d−1}] = [x_1 … x_d]. So every chain of d + 1 points, one per snapshot 0..d, is a
 * hypothesis for some A_k, and the snapshot d + 1 tests it: a true chain predicts A x_d close to
 * a point of snapshot d + 1, a random chain does not. The best-scoring hypotheses come from true
 * trajectories; clustering them (k-means on vec A) gives one start per ensemble. Needs at least
 * d + 2 time points; the number of chains examined is capped (`budget`) by sampling the first
 * point. Not part of the paper (which restarts from random θ): it makes restarts start near the
 * right basin, and the block coordinate descent then solves the paper's problem unchanged.
 */
import { KdTree } from '../knn/index'
import type { Rng } from '../stats/random'
import type { Snapshot } from './types'

function invert(m: Float64Array, d: number): Float64Array | null {
  const a = Float64Array.from(m)
  const inv = new Float64Array(d * d)
  for (let i = 0; i < d; i++) inv[i * d + i] = 1
  for (let c = 0; c < d; c++) {
    let p = c
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * d + c]!) > Math.abs(a[p * d + c]!)) p = r
    const piv = a[p * d + c]!
    if (Math.abs(piv) < 1e-12) return null
    if (p !== c)
      for (let k = 0; k < d; k++) {
        ;[a[c * d + k], a[p * d + k]] = [a[p * d + k]!, a[c * d + k]!]
        ;[inv[c * d + k], inv[p * d + k]] = [inv[p * d + k]!, inv[c * d + k]!]
      }
    for (let k = 0; k < d; k++) {
      a[c * d + k] = a[c * d + k]! / piv
      inv[c * d + k] = inv[c * d + k]! / piv
    }
    for (let r = 0; r < d; r++) {
      if (r === c) continue
      const f = a[r * d + c]!
      if (f === 0) continue
      for (let k = 0; k < d; k++) {
        a[r * d + k] = a[r * d + k]! - f * a[c * d + k]!
        inv[r * d + k] = inv[r * d + k]! - f * inv[c * d + k]!
      }
    }
  }
  return inv
}

export function trajectoryHypotheses(snaps: Snapshot[], K: number, rng: Rng, budget = 2_000_000): Float64Array[] | null {
  const d = snaps[0]!.d
  if (snaps.length < d + 2 || d > 3) return null
  const chainSnaps = snaps.slice(0, d + 1)
  const check = snaps[d + 1]!
  const tree = KdTree.build({ data: check.x, n: check.n, d })
  const rest = chainSnaps.slice(1).reduce((p, s) => p * s.n, 1)
  const firsts = Math.max(1, Math.min(snaps[0]!.n, Math.floor(budget / rest)))
  const order = rng.permutation(snaps[0]!.n).subarray(0, firsts)
  const keep = Math.min(2000, Math.max(20 * K, 10 * Math.max(...snaps.map((s) => s.n))))
  // A bounded list of the best (lowest prediction error) hypotheses.
  const best: { err: number; A: Float64Array }[] = []
  let worst = Infinity
  const X = new Float64Array(d * d)
  const Y = new Float64Array(d * d)
  const idx = new Int32Array(d + 1)
  const q = new Float64Array(d)
  const visit = () => {
    // columns: X = [x_0 … x_{d−1}], Y = [x_1 … x_d]
    for (let c = 0; c < d; c++)
      for (let r = 0; r < d; r++) {
        X[r * d + c] = chainSnaps[c]!.x[idx[c]! * d + r]!
        Y[r * d + c] = chainSnaps[c + 1]!.x[idx[c + 1]! * d + r]!
      }
    const Xi = invert(X, d)
    if (!Xi) return
    const A = new Float64Array(d * d)
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) {
      let s = 0
      for (let k = 0; k < d; k++) s += Y[r * d + k]! * Xi[k * d + c]!
      A[r * d + c] = s
    }
    const last = chainSnaps[d]!.x
    let scale = 0
    for (let r = 0; r < d; r++) {
      let s = 0
      for (let c = 0; c < d; c++) s += A[r * d + c]! * last[idx[d]! * d + c]!
      q[r] = s
      scale += s * s
    }
    const dist = tree.knnPoint(q, 1).distances[0]!
    const err = dist / (1 + Math.sqrt(scale))
    if (best.length < keep || err < worst) {
      best.push({ err, A })
      if (best.length > keep) {
        best.sort((a, b) => a.err - b.err)
        best.length = keep
      }
      worst = best.length >= keep ? Math.max(...best.map((b) => b.err)) : Infinity
    }
  }
  const loop = (level: number) => {
    if (level > d) return visit()
    const n = chainSnaps[level]!.n
    for (let i = 0; i < n; i++) {
      idx[level] = i
      loop(level + 1)
    }
  }
  for (const i0 of order) {
    idx[0] = i0
    loop(1)
  }
  if (best.length < K) return null
  const feats = new Float64Array(best.length * d * d)
  best.forEach((b, i) => feats.set(b.A, i * d * d))
  if (best.length < K) return null
  // Stage 2: score each surviving hypothesis by how many particles it carries through two
  // consecutive steps (A x lands within τ of a point y, and A y within τ of a point z), over
  // all times. A true A_k carries its whole ensemble; a chance fit carries almost nothing.
  const trees = snaps.map((s) => KdTree.build({ data: s.x, n: s.n, d }))
  const tau = snaps.map((s, t) => {
    if (s.n < 2) return 0
    const nn = trees[t]!.knnAll(1).distances
    const sorted = Float64Array.from(nn).sort()
    return 0.2 * sorted[Math.floor(sorted.length / 2)]!
  })
  const p = new Float64Array(d)
  const carried = (A: Float64Array): number => {
    let score = 0
    for (let t = 0; t + 2 < snaps.length; t++) {
      const src = snaps[t]!, mid = snaps[t + 1]!
      for (let i = 0; i < src.n; i++) {
        for (let r = 0; r < d; r++) {
          let v = 0
          for (let c = 0; c < d; c++) v += A[r * d + c]! * src.x[i * d + c]!
          p[r] = v
        }
        const h1 = trees[t + 1]!.knnPoint(p, 1)
        if (!(h1.distances[0]! <= tau[t + 1]!)) continue
        const j = h1.indices[0]!
        for (let r = 0; r < d; r++) {
          let v = 0
          for (let c = 0; c < d; c++) v += A[r * d + c]! * mid.x[j * d + c]!
          p[r] = v
        }
        if (trees[t + 2]!.knnPoint(p, 1).distances[0]! <= tau[t + 2]!) score++
      }
    }
    return score
  }
  const scored = best.map((b) => ({ A: b.A, score: carried(b.A) })).sort((a, b) => b.score - a.score)
  const chosen: Float64Array[] = []
  const norm = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0))
  for (const h of scored) {
    if (chosen.length === K || h.score === 0) break
    if (chosen.every((c) => norm(c.map((v, q) => v - h.A[q]!)) > 0.2 * Math.max(norm(c), 1e-12))) chosen.push(h.A)
  }
  return chosen.length === K ? chosen : null
}
