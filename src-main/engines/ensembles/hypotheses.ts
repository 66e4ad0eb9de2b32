/**
 * Data-driven starting points for the block coordinate descent (linear case). Not part of the
 * paper, which restarts from random θ: the paper's problem is then solved unchanged from these
 * starts, and the lowest objective wins as before.
 *
 * 1. Hypotheses, RANSAC-style (Fischler & Bolles 1981). Under x_{t+1} = A x_t, d + 1
 *    consecutive points of one particle determine A: A [x_0 … x_{d−1}] = [x_1 … x_d]. For each
 *    particle i of snapshot 0, every chain (i, j, l, …) with one point in each of snapshots 1..d
 *    gives an A; the chain is extended to every later snapshot by the nearest neighbour of A x,
 *    and the extension distances, relative to the size of the predicted moves, rank it (a true
 *    chain follows its particle; a chance fit drifts). The `perParticle` best chains are refitted
 *    by least squares over their whole trajectory. Needs T + 1 ≥ d + 2 time points;
 *    O(N_0 · N_1 ⋯ N_d · T · N), sampled beyond `chainsPerParticle` chains per particle.
 * 2. Score. Each hypothesis is scored by least trimmed squares over mutual nearest-neighbour
 *    pairs (A x_t(i), x_{t+1}(j)) of all transitions (each point in at most one pair), with
 *    C-step refits (FAST-LTS, Rousseeuw & Van Driessen 2006); the `pool` best distinct ones are kept.
 * 3. Sets. Every K-subset of the `shortlist` best is scored by the relaxed objective
 *    (relaxedObjective: per transition one exact OT with cost min_k C_k^t — a lower bound of the
 *    plan LP that ignores only the mass-consistency rows, and a sharp criterion: the true θ scores
 *    at noise level, wrong sets far above). The best sets are the starts; relaxedBcd (cheap
 *    descent on the relaxation) and swapSearch (swap one matrix for one of the pool) refine them.
 * 4. Forward sets (forwardSets). The trimmed score of step 2 favours the largest ensemble, so at
 *    moderate noise the small ensembles' good hypotheses fall outside the shortlist; a forward
 *    selection by the number of particles explained (per outlier level) recovers them.
 * 5. Peeling (peel): each ensemble re-seeded from the points the other ensembles leave unexplained.
 */
import { exactOt, linearAssignment } from '../ot/index'
import { KdTree } from '../knn/index'
import type { Rng } from '../stats/random'
import { SortedPoints } from './nearest'
import type { Snapshot } from './types'

export interface HypothesisOptions {
  /** Chains examined per particle of snapshot 0 (all of them when N_1 ⋯ N_d is at most this, else sampled). @default 20000 */
  chainsPerParticle?: number
  /** Best chains per particle refitted over their whole trajectory. @default 10 */
  perParticle?: number
  /** Trimmed score of a hypothesis: the h = ⌈trim · Σ_t N_t / K⌉ best mutual pairs. @default 0.5 */
  trim?: number
  /** C-step refits per hypothesis. @default 2 */
  refine?: number
  /** Distinct best-scoring hypotheses from which the K-sets are formed. @default 10 */
  shortlist?: number
  /** Distinct best-scoring hypotheses returned as `shortlist` (the pool of the swap search). @default 40 */
  pool?: number
  /** K-subsets of the shortlist scored at most (in lexicographic order). @default 400 */
  maxSubsets?: number
  /** Starting sets returned at most. @default 10 */
  sets?: number
  /** Called as each step begins ('trajectory chains', 'trimmed refits', 'forward selection', 'K-subsets'), for progress and timing. */
  onStage?: (stage: string) => void
}

export interface HypothesisSeeds {
  /** Starting sets of K matrices (d×d row-major), lowest relaxed objective first. */
  sets: Float64Array[][]
  /** Relaxed plan objective of each set (relaxedObjective). */
  costs: number[]
  /** Sets from forwardSets, one per outlier level (unscored; the relaxed descent screens them). */
  forward: Float64Array[][]
  /** The `pool` distinct best-scoring hypotheses, best first (the first `shortlist` form the sets). */
  shortlist: Float64Array[]
  reconstruction: Reconstruction
}

/** Up to this many points a nearest-neighbour search scans them all; beyond, a kd-tree. */
const BRUTE_FORCE = 256

/**
 * Nearest point of a snapshot: kd-tree for large n; for small n the points sorted along the first
 * coordinate (nearest.ts), which returns what a scan of all points in index order returns.
 */
class Nearest {
  private tree: KdTree | null
  private sorted: SortedPoints | null
  index = -1
  dist2 = Infinity
  constructor(private readonly s: Snapshot) {
    this.tree = s.n > BRUTE_FORCE ? KdTree.build({ data: s.x, n: s.n, d: s.d }) : null
    this.sorted = this.tree ? null : new SortedPoints(s.x, s.n, s.d)
  }
  /**
   * Nearest point to q[o .. o + d). With a finite `bound` (small n only), only points within
   * squared distance ≤ bound are looked at: index −1 when there is none.
   */
  query(q: Float64Array, o = 0, bound = Infinity): number {
    if (this.tree) {
      const r = this.tree.knnPoint(o === 0 && q.length === this.s.d ? q : q.subarray(o, o + this.s.d), 1)
      this.index = r.indices[0]!
      this.dist2 = r.distances[0]! ** 2
      return this.index
    }
    const sp = this.sorted!
    sp.query(q, o, bound)
    this.index = sp.index
    this.dist2 = sp.dist2
    return this.index
  }
}

export function invert(m: Float64Array, d: number): Float64Array | null {
  const inv = new Float64Array(d * d)
  return invertInPlace(Float64Array.from(m), inv, d) ? inv : null
}

/**
 * Gauss–Jordan inverse with partial pivoting of the d×d matrix in `a` (overwritten) into `inv`;
 * false when a pivot is below 1e-12 (singular for our purposes).
 */
function invertInPlace(a: Float64Array, inv: Float64Array, d: number): boolean {
  inv.fill(0)
  for (let i = 0; i < d; i++) inv[i * d + i] = 1
  for (let c = 0; c < d; c++) {
    let p = c
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * d + c]!) > Math.abs(a[p * d + c]!)) p = r
    const piv = a[p * d + c]!
    if (Math.abs(piv) < 1e-12) return false
    if (p !== c)
      for (let k = 0; k < d; k++) {
        const s = a[c * d + k]!
        a[c * d + k] = a[p * d + k]!
        a[p * d + k] = s
        const w = inv[c * d + k]!
        inv[c * d + k] = inv[p * d + k]!
        inv[p * d + k] = w
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
  return true
}

/** ‖y_j − p‖² for the points y (row-major, dimension d); d = 2 without the inner loop. */
function sqDist(yx: Float64Array, j: number, p: Float64Array, d: number): number {
  if (d === 2) {
    const a = yx[2 * j]! - p[0]!, b = yx[2 * j + 1]! - p[1]!
    return a * a + b * b
  }
  let e = 0
  for (let c = 0; c < d; c++) e += (yx[j * d + c]! - p[c]!) ** 2
  return e
}

function matVec(A: Float64Array, x: Float64Array, xo: number, d: number, out: Float64Array): void {
  for (let r = 0; r < d; r++) {
    let v = 0
    for (let c = 0; c < d; c++) v += A[r * d + c]! * x[xo + c]!
    out[r] = v
  }
}

/** Least squares A = (Σ y xᵀ)(Σ x xᵀ)⁻¹ over pairs (null when singular). */
function lsFit(S: Float64Array, R: Float64Array, d: number): Float64Array | null {
  const Si = invert(S, d)
  if (!Si) return null
  const A = new Float64Array(d * d)
  for (let r = 0; r < d; r++)
    for (let c = 0; c < d; c++) {
      let v = 0
      for (let k = 0; k < d; k++) v += R[r * d + k]! * Si[k * d + c]!
      A[r * d + c] = v
    }
  return A
}


/** Accumulates Σ w x xᵀ and Σ w y xᵀ of the pairs of a trajectory. */
function accumulate(snaps: Snapshot[], traj: Int32Array, w: number, S: Float64Array, R: Float64Array): void {
  const d = snaps[0]!.d
  for (let t = 0; t + 1 < snaps.length; t++) {
    const x = snaps[t]!.x, y = snaps[t + 1]!.x
    const a = traj[t]! * d, b = traj[t + 1]! * d
    for (let r = 0; r < d; r++)
      for (let c = 0; c < d; c++) {
        S[r * d + c] = S[r * d + c]! + w * x[a + r]! * x[a + c]!
        R[r * d + c] = R[r * d + c]! + w * y[b + r]! * x[a + c]!
      }
  }
}

/** Mean squared one-step residual of a trajectory under A. */
function residual(snaps: Snapshot[], traj: Int32Array, A: Float64Array, p: Float64Array): number {
  const d = snaps[0]!.d
  let e = 0
  for (let t = 0; t + 1 < snaps.length; t++) {
    matVec(A, snaps[t]!.x, traj[t]! * d, d, p)
    const y = snaps[t + 1]!.x, b = traj[t + 1]! * d
    for (let r = 0; r < d; r++) e += (y[b + r]! - p[r]!) ** 2
  }
  return e / (snaps.length - 1)
}

export interface Reconstruction {
  /** Per particle of snapshot 0: its reconstructed trajectory (index at every time). */
  trajectories: Int32Array[]
  /** Per particle: least-squares A of its trajectory (d×d row-major) and its mean squared residual. */
  A: Float64Array[]
  residual: Float64Array
  /** Least-squares A of every kept chain (perParticle per particle). */
  candidates: Float64Array[]
}

/**
 * Step 1: for every particle of snapshot 0 (sampled when there are more than `particles`), the
 * chains of one point per snapshot 1..d determine A; each chain is extended to the later snapshots
 * by nearest neighbours of A x, and the extension residual ranks the chains. The `perParticle`
 * best are refitted by least squares over the whole trajectory; the lowest residual wins.
 */
export function reconstructTrajectories(snaps: Snapshot[], rng: Rng, o: { chainsPerParticle?: number; perParticle?: number; particles?: number } = {}): Reconstruction | null {
  const d = snaps[0]!.d
  const T1 = snaps.length
  if (T1 < d + 2) return null
  const chainsPer = o.chainsPerParticle ?? 20_000
  const keepPer = o.perParticle ?? 3
  const near = snaps.map((s) => new Nearest(s))
  const s0 = snaps[0]!
  const firsts = s0.n > (o.particles ?? 2000) ? rng.permutation(s0.n).subarray(0, o.particles ?? 2000) : Int32Array.from({ length: s0.n }, (_, i) => i)
  const combos = snaps.slice(1, d + 1).reduce((p, s) => p * s.n, 1)
  const X = new Float64Array(d * d)
  const Xi = new Float64Array(d * d)
  const Y = new Float64Array(d * d)
  const A = new Float64Array(d * d)
  const p = new Float64Array(d)
  const idx = new Int32Array(T1)
  const out: Reconstruction = { trajectories: [], A: [], residual: new Float64Array(firsts.length), candidates: [] }
  firsts.forEach((i0, f) => {
    const best: { err: number; traj: Int32Array }[] = []
    let worst = Infinity
    idx[0] = i0
    // X = [x_0(i_0) … x_{d−1}(i_{d−1})] depends on all but the last point of a chain: inverted
    // once per choice of those (false when singular: no chain through them).
    const invertX = (): boolean => {
      for (let c = 0; c < d; c++) for (let r = 0; r < d; r++) X[r * d + c] = snaps[c]!.x[idx[c]! * d + r]!
      return invertInPlace(X, Xi, d)
    }
    /** The chain idx[0..d] with X⁻¹ in Xi. */
    const visit = () => {
      for (let c = 0; c < d; c++) for (let r = 0; r < d; r++) Y[r * d + c] = snaps[c + 1]!.x[idx[c + 1]! * d + r]!
      for (let r = 0; r < d; r++)
        for (let c = 0; c < d; c++) {
          let v = 0
          for (let k = 0; k < d; k++) v += Y[r * d + k]! * Xi[k * d + c]!
          A[r * d + c] = v
        }
      // Extension distances relative to the size of the predicted moves (scale-free: a chain
      // through points near a fixed point of A is not cheap just because everything there is small).
      let err = 0
      let e2 = 0
      let m2 = 0
      let c0 = 0
      for (let r = 0; r < d; r++) c0 += Y[r * d + d - 1]! ** 2
      for (let t = d + 1; t < T1 && err < worst; t++) {
        matVec(A, snaps[t - 1]!.x, idx[t - 1]! * d, d, p)
        let m2t = m2
        for (let r = 0; r < d; r++) m2t += p[r]! ** 2
        // Once `keepPer` chains are kept, only a point within squared distance `bound` can keep the
        // chain below `worst` (bound padded by 1e-9 relative, far above rounding): none there, and
        // the chain is dropped, as the full search would drop it.
        const denom = m2t + c0
        const bound = worst < Infinity && denom > 0 && denom < Infinity ? worst * denom * (1 + 1e-9) - e2 : Infinity
        if (near[t]!.query(p, 0, bound) < 0) {
          err = Infinity
          break
        }
        idx[t] = near[t]!.index
        e2 += near[t]!.dist2
        m2 = m2t
        err = e2 / (m2 + c0)
      }
      if (err < worst) {
        best.push({ err, traj: Int32Array.from(idx) })
        if (best.length > keepPer) {
          best.sort((a, b) => a.err - b.err)
          best.length = keepPer
        }
        if (best.length === keepPer) worst = best[keepPer - 1]!.err
      }
    }
    if (combos <= chainsPer) {
      const loop = (level: number) => {
        const n = snaps[level]!.n
        if (level === d) {
          if (!invertX()) {
            idx[d] = n - 1
            return
          }
          for (let i = 0; i < n; i++) {
            idx[d] = i
            visit()
          }
          return
        }
        for (let i = 0; i < n; i++) {
          idx[level] = i
          loop(level + 1)
        }
      }
      loop(1)
    } else
      for (let q = 0; q < chainsPer; q++) {
        for (let level = 1; level <= d; level++) idx[level] = rng.int(snaps[level]!.n)
        if (invertX()) visit()
      }
    let bestA: Float64Array | null = null
    let bestRes = Infinity
    let bestTraj = best[0]?.traj ?? Int32Array.from(idx)
    for (const b of best) {
      const S = new Float64Array(d * d)
      const R = new Float64Array(d * d)
      accumulate(snaps, b.traj, 1, S, R)
      const Af = lsFit(S, R, d)
      if (!Af) continue
      if (Af.every(Number.isFinite)) out.candidates.push(Af)
      let size = 0
      for (let t = 1; t < T1; t++) for (let r = 0; r < d; r++) size += snaps[t]!.x[b.traj[t]! * d + r]! ** 2
      const e = residual(snaps, b.traj, Af, p) / (size / (T1 - 1))
      if (e < bestRes) (bestRes = e), (bestA = Af), (bestTraj = b.traj)
    }
    out.trajectories.push(bestTraj)
    out.A.push(bestA ?? new Float64Array(d * d).fill(NaN))
    out.residual[f] = bestRes
  })
  return out
}

/**
 * Mutual nearest-neighbour pairs between the predictions A x_t(i) and the points x_{t+1}(j), over
 * all transitions: each prediction and each point in at most one pair, so an A cannot explain more
 * particles than there are (a contraction that maps everything into a dense region explains few).
 */
function mutualPairs(snaps: Snapshot[], A: Float64Array, w: PairScratch): { t: Int32Array; i: Int32Array; j: Int32Array; e: Float64Array } {
  const d = snaps[0]!.d
  const T = snaps.length - 1
  const { ts, is, js, es, p, P, fwd, fe } = w
  let len = 0
  for (let t = 0; t < T; t++) {
    const x = snaps[t]!, y = snaps[t + 1]!
    for (let i = 0; i < x.n; i++) {
      matVec(A, x.x, i * d, d, p)
      for (let r = 0; r < d; r++) P[i * d + r] = p[r]!
    }
    const toY = w.index[t + 1]
    if (!toY || x.n > BRUTE_FORCE) {
      const toYt = new Nearest(y)
      const toP = new Nearest({ x: P.subarray(0, x.n * d), n: x.n, d })
      for (let i = 0; i < x.n; i++) {
        toYt.query(P, i * d)
        fwd[i] = toYt.index
        fe[i] = toYt.dist2
      }
      for (let j = 0; j < y.n; j++) {
        toP.query(y.x, j * d)
        const i = toP.index
        if (fwd[i] === j) (ts[len] = t), (is[len] = i), (js[len] = j), (es[len++] = fe[i]!)
      }
      continue
    }
    for (let i = 0; i < x.n; i++) {
      toY.query(P, i * d)
      fwd[i] = toY.index
      fe[i] = toY.dist2
    }
    // Point j's nearest prediction is mutual only if it is the nearest (lowest index on ties) of
    // the predictions whose nearest point is j: look that one up, then ask whether any prediction
    // is nearer to j (the squared distances are the same numbers both ways).
    const cand = w.cand.fill(-1, 0, y.n)
    for (let i = 0; i < x.n; i++) {
      const j = fwd[i]!, c = cand[j]!
      if (c < 0 || fe[i]! < fe[c]!) cand[j] = i
    }
    const toP = w.pred.set(P, x.n)
    for (let j = 0; j < y.n; j++) {
      const i = cand[j]!
      if (i < 0) continue
      if (toP.query(y.x, j * d, fe[i]!) === i) (ts[len] = t), (is[len] = i), (js[len] = j), (es[len++] = fe[i]!)
    }
  }
  return { t: ts.subarray(0, len), i: is.subarray(0, len), j: js.subarray(0, len), e: es.subarray(0, len) }
}

/**
 * Buffers of the mutual pairs over one set of snapshots, reused across hypotheses: each small
 * snapshot's sorted points (null where it is large: kd-trees there), the predictions and their
 * sorted copy, and the pair lists.
 */
class PairScratch {
  readonly index: (SortedPoints | null)[]
  readonly pred: SortedPoints
  readonly p: Float64Array
  readonly P: Float64Array
  readonly fwd: Int32Array
  readonly fe: Float64Array
  readonly cand: Int32Array
  readonly ts: Int32Array
  readonly is: Int32Array
  readonly js: Int32Array
  readonly es: Float64Array
  constructor(snaps: Snapshot[]) {
    const d = snaps[0]!.d
    let nMax = 0
    for (const s of snaps) nMax = Math.max(nMax, s.n)
    let cap = 0
    for (let t = 0; t + 1 < snaps.length; t++) cap += Math.min(snaps[t]!.n, snaps[t + 1]!.n)
    this.index = snaps.map((s) => (s.n <= BRUTE_FORCE ? new SortedPoints(s.x, s.n, s.d) : null))
    this.pred = new SortedPoints(new Float64Array(0), 0, d)
    this.p = new Float64Array(d)
    this.P = new Float64Array(nMax * d)
    this.fwd = new Int32Array(nMax)
    this.fe = new Float64Array(nMax)
    this.cand = new Int32Array(nMax)
    this.ts = new Int32Array(cap)
    this.is = new Int32Array(cap)
    this.js = new Int32Array(cap)
    this.es = new Float64Array(cap)
  }
}

/** Trimmed score of A (sum of the h smallest mutual-pair residuals, missing pairs at `pad`) with C-step refits. */
export function refineHypothesis(snaps: Snapshot[], A: Float64Array, h: number, steps: number, scratch?: PairScratch): { A: Float64Array; score: number; pairs: number } {
  const d = snaps[0]!.d
  const w = scratch ?? new PairScratch(snaps)
  let cur = A
  for (let it = 0; ; it++) {
    const mp = mutualPairs(snaps, cur, w)
    const use = argsortNonNegative(mp.e).subarray(0, h)
    let score = 0
    for (let u = 0; u < use.length; u++) score += mp.e[use[u]!]!
    const pad = use.length ? 4 * mp.e[use[use.length - 1]!]! : Infinity
    score += (h - use.length) * pad
    if (it >= steps || use.length < d) return { A: cur, score, pairs: mp.e.length }
    const S = new Float64Array(d * d)
    const R = new Float64Array(d * d)
    for (let u = 0; u < use.length; u++) {
      const q = use[u]!
      const x = snaps[mp.t[q]!]!.x, y = snaps[mp.t[q]! + 1]!.x
      const a = mp.i[q]! * d, b = mp.j[q]! * d
      for (let r = 0; r < d; r++)
        for (let c = 0; c < d; c++) {
          S[r * d + c] = S[r * d + c]! + x[a + r]! * x[a + c]!
          R[r * d + c] = R[r * d + c]! + y[b + r]! * x[a + c]!
        }
    }
    const next = lsFit(S, R, d)
    if (!next || !next.every(Number.isFinite)) return { A: cur, score, pairs: mp.e.length }
    cur = next
  }
}

/**
 * Per transition t → t+1 the relaxed cost matrix min_k ‖x_{t+1}(j) − A_k x_t(i)‖² (row-major,
 * x.n × y.n), into C when given (and the minimising k into arg).
 */
function relaxedCostMatrix(x: Snapshot, y: Snapshot, theta: Float64Array[], p: Float64Array, C = new Float64Array(x.n * y.n), arg?: Int8Array): Float64Array {
  const d = x.d
  const m = y.n, yx = y.x
  if (d === 2) {
    // The same numbers as the general loop below (matVec, then sqDist; the first k wins ties), with
    // the prediction kept in registers.
    const xx = x.x, K = theta.length
    for (let i = 0; i < x.n; i++) {
      const x0 = xx[2 * i]!, x1 = xx[2 * i + 1]!, o = i * m
      for (let k = 0; k < K; k++) {
        const A = theta[k]!
        const p0 = 0 + A[0]! * x0 + A[1]! * x1
        const p1 = 0 + A[2]! * x0 + A[3]! * x1
        if (k === 0)
          for (let j = 0; j < m; j++) {
            const a = yx[2 * j]! - p0, b = yx[2 * j + 1]! - p1
            const e = a * a + b * b
            if (e < Infinity) {
              C[o + j] = e
              if (arg) arg[o + j] = 0
            } else C[o + j] = Infinity
          }
        else
          for (let j = 0; j < m; j++) {
            const a = yx[2 * j]! - p0, b = yx[2 * j + 1]! - p1
            const e = a * a + b * b
            if (e < C[o + j]!) {
              C[o + j] = e
              if (arg) arg[o + j] = k
            }
          }
      }
      if (K === 0) C.fill(Infinity, o, o + m)
    }
    return C
  }
  C.fill(Infinity)
  theta.forEach((A, k) => {
    for (let i = 0; i < x.n; i++) {
      matVec(A, x.x, i * d, d, p)
      const o = i * m
      for (let j = 0; j < m; j++) {
        const e = sqDist(yx, j, p, d)
        if (e < C[o + j]!) {
          C[o + j] = e
          if (arg) arg[o + j] = k
        }
      }
    }
  })
  return C
}

/**
 * A lower bound of one transition's OT cost: every row (column) sends (receives) its mass at its
 * cheapest pair, max(Σ_i a_i min_j C_ij, Σ_j b_j min_i C_ij).
 */
function transportLowerBound(C: Float64Array, a: Float64Array, b: Float64Array): number {
  const n = a.length, m = b.length
  const colMin = new Float64Array(m).fill(Infinity)
  let rows = 0
  for (let i = 0; i < n; i++) {
    let best = Infinity
    const o = i * m
    for (let j = 0; j < m; j++) {
      const c = C[o + j]!
      if (c < best) best = c
      if (c < colMin[j]!) colMin[j] = c
    }
    rows += a[i]! * best
  }
  let cols = 0
  for (let j = 0; j < m; j++) cols += b[j]! * colMin[j]!
  return Math.max(rows, cols)
}

/**
 * Lower bound of the plan LP for fixed θ: per transition, one OT with cost min_k C_k^t (no
 * mass-consistency rows). With a `cutoff`, the OTs stop as soon as the exact costs so far plus
 * the cheap bounds of the transitions left (transportLowerBound) reach it: the value returned is
 * then a number ≥ cutoff, not the objective — callers that only ask "below the cutoff?" (swap
 * search, peeling, the best K-subsets) get the same answers for a fraction of the OTs.
 */
export function relaxedObjective(snaps: Snapshot[], weights: Float64Array[], theta: Float64Array[], cutoff = Infinity): number {
  const d = snaps[0]!.d
  const p = new Float64Array(d)
  const T = snaps.length - 1
  const Cs = Array.from({ length: T }, (_, t) => relaxedCostMatrix(snaps[t]!, snaps[t + 1]!, theta, p))
  let rest = 0
  const lb = new Float64Array(T)
  if (cutoff < Infinity) {
    for (let t = 0; t < T; t++) rest += lb[t] = transportLowerBound(Cs[t]!, weights[t]!, weights[t + 1]!)
    if (rest >= cutoff) return rest
  }
  // Transitions with the largest bounds first: a hopeless θ is refused after fewer OTs.
  const order = Array.from(lb.keys()).sort((a, b) => lb[b]! - lb[a]!)
  const cost = new Float64Array(T)
  let sofar = 0
  for (const t of order) {
    rest -= lb[t]!
    cost[t] = exactOt({ a: weights[t]!, b: weights[t + 1]!, costMatrix: Cs[t]! }).cost
    sofar += cost[t]!
    if (sofar + rest >= cutoff) return sofar + rest
  }
  // Summed in time order: the same value, to the last bit, with or without a cutoff.
  let total = 0
  for (let t = 0; t < T; t++) total += cost[t]!
  return total
}

/** One matrix's costs ‖x_{t+1}(j) − A x_t(i)‖² of every transition, with their row and column minima. */
export interface MatrixCosts {
  C: Float64Array[]
  rowMin: Float64Array[]
  colMin: Float64Array[]
}

export function matrixCosts(snaps: Snapshot[], A: Float64Array): MatrixCosts {
  const p = new Float64Array(snaps[0]!.d)
  const out: MatrixCosts = { C: [], rowMin: [], colMin: [] }
  for (let t = 0; t + 1 < snaps.length; t++) {
    const n = snaps[t]!.n, m = snaps[t + 1]!.n
    const C = relaxedCostMatrix(snaps[t]!, snaps[t + 1]!, [A], p)
    const rowMin = new Float64Array(n).fill(Infinity)
    const colMin = new Float64Array(m).fill(Infinity)
    for (let i = 0; i < n; i++) {
      const o = i * m
      let best = Infinity
      for (let j = 0; j < m; j++) {
        const c = C[o + j]!
        if (c < best) best = c
        if (c < colMin[j]!) colMin[j] = c
      }
      rowMin[i] = best
    }
    out.C.push(C)
    out.rowMin.push(rowMin)
    out.colMin.push(colMin)
  }
  return out
}

/**
 * relaxedObjective(snaps, weights, θ, cutoff) from the costs of each matrix of θ (matrixCosts),
 * for callers that score many sets drawn from a few matrices: the same value to the last bit (the
 * relaxed cost is the same minimum over the matrices, and the bounds of the transitions are the
 * sums of the same row and column minima), but each matrix's costs are computed once, and a set
 * refused by its bounds alone costs O(K·N) instead of O(K·N²).
 */
export function relaxedObjectiveOf(weights: Float64Array[], parts: MatrixCosts[], cutoff = Infinity): number {
  const T = weights.length - 1
  const K = parts.length
  let rest = 0
  const lb = new Float64Array(T)
  if (cutoff < Infinity) {
    for (let t = 0; t < T; t++) {
      // Σ_i w_i · min_k (the k-th matrix's minimum of row / column i): a lower bound of transition t.
      const bound = (w: Float64Array, mins: (k: number) => Float64Array) => {
        let sum = 0
        for (let i = 0; i < w.length; i++) {
          let best = Infinity
          for (let k = 0; k < K; k++) {
            const v = mins(k)[i]!
            if (v < best) best = v
          }
          sum += w[i]! * best
        }
        return sum
      }
      const rows = bound(weights[t]!, (k) => parts[k]!.rowMin[t]!)
      const cols = bound(weights[t + 1]!, (k) => parts[k]!.colMin[t]!)
      rest += lb[t] = Math.max(rows, cols)
    }
    if (rest >= cutoff) return rest
  }
  const order = Array.from(lb.keys()).sort((a, b) => lb[b]! - lb[a]!)
  const cost = new Float64Array(T)
  let sofar = 0
  for (const t of order) {
    rest -= lb[t]!
    const C = Float64Array.from(parts[0]!.C[t]!)
    for (let k = 1; k < K; k++) {
      const Ck = parts[k]!.C[t]!
      for (let q = 0; q < C.length; q++) if (Ck[q]! < C[q]!) C[q] = Ck[q]!
    }
    cost[t] = exactOt({ a: weights[t]!, b: weights[t + 1]!, costMatrix: C }).cost
    sofar += cost[t]!
    if (sofar + rest >= cutoff) return sofar + rest
  }
  let total = 0
  for (let t = 0; t < T; t++) total += cost[t]!
  return total
}

/** Per hypothesis: its `rowPairs` best pairs (t, i, j) of every row, sorted by residual (key = row·maxCols + j over all transitions). */
interface PairList {
  key: Int32Array
  row: Int32Array
  r: Float64Array
}

function pairList(snaps: Snapshot[], A: Float64Array, rowPairs: number, rowBase: Int32Array, colBase: Int32Array, near: SortedPoints[]): PairList {
  const d = snaps[0]!.d
  const p = new Float64Array(d)
  let cap = 0
  for (let t = 0; t + 1 < snaps.length; t++) cap += snaps[t]!.n * rowPairs
  const rows = new Int32Array(cap), keys = new Int32Array(cap), rs = new Float64Array(cap)
  let len = 0
  const bestR = new Float64Array(rowPairs)
  const bestJ = new Int32Array(rowPairs)
  for (let t = 0; t + 1 < snaps.length; t++) {
    const x = snaps[t]!
    for (let i = 0; i < x.n; i++) {
      matVec(A, x.x, i * d, d, p)
      near[t + 1]!.nearestK(p, 0, rowPairs, bestR, bestJ)
      for (let q = 0; q < rowPairs && Number.isFinite(bestR[q]!); q++) (rows[len] = rowBase[t]! + i), (keys[len] = colBase[t]! + bestJ[q]!), (rs[len++] = bestR[q]!)
    }
  }
  const order = argsortNonNegative(rs.subarray(0, len))
  const out: PairList = { key: new Int32Array(len), row: new Int32Array(len), r: new Float64Array(len) }
  for (let e = 0; e < len; e++) {
    const q = order[e]!
    out.key[e] = keys[q]!
    out.row[e] = rows[q]!
    out.r[e] = rs[q]!
  }
  return out
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * Stable ascending order of non-negative doubles: an LSD radix sort on their IEEE-754 bits, which
 * order like the values (the same order as a stable comparison sort, ~10× faster on the pair lists).
 */
export function argsortNonNegative(keys: Float64Array): Uint32Array {
  const n = keys.length
  let idx = new Uint32Array(n)
  for (let i = 0; i < n; i++) idx[i] = i
  if (!LITTLE_ENDIAN) return idx.sort((a, b) => keys[a]! - keys[b]! || a - b)
  const words = new Uint32Array(keys.buffer, keys.byteOffset, 2 * n)
  let tmp = new Uint32Array(n)
  const count = new Uint32Array(256)
  for (let pass = 0; pass < 8; pass++) {
    const w = pass >> 2, shift = (pass & 3) * 8
    count.fill(0)
    for (let i = 0; i < n; i++) count[(words[2 * i + w]! >>> shift) & 255]!++
    if (n === 0 || count[(words[w]! >>> shift) & 255] === n) continue
    let sum = 0
    for (let b = 0; b < 256; b++) {
      const c = count[b]!
      count[b] = sum
      sum += c
    }
    for (let q = 0; q < n; q++) {
      const i = idx[q]!
      tmp[count[(words[2 * i + w]! >>> shift) & 255]!++] = i
    }
    const sw = idx
    idx = tmp
    tmp = sw
  }
  return idx
}

/**
 * Forward selection of K hypotheses, one set per outlier level λ. A set Θ is scored by a greedy
 * one-to-one matching, per transition, of the pairs (i, j) with min_k ‖x_{t+1}(j) − A_k x_t(i)‖² < λ
 * (cheapest first), every unmatched row costing λ: a truncated, greedy stand-in for the relaxed
 * objective in which a matrix scores by the particles it explains, not by how well it fits the
 * largest ensemble (the trimmed score of step 2 ranks the small ensembles' matrices low: at σ² =
 * 10⁻² the near-true matrix of the 20-particle ensemble ranks ≈ 1000th of 2000). The first matrix
 * minimises the score alone, each next one the score together with those chosen. λ should be a few
 * times the noise's ‖ε‖², which is unknown, so every level of a grid relative to the median squared
 * nearest-neighbour distance within snapshots is tried; the relaxed descent judges the sets.
 */
export function forwardSets(snaps: Snapshot[], candidates: Float64Array[], K: number, o: { levels?: number[]; rowPairs?: number } = {}): Float64Array[][] {
  const d = snaps[0]!.d
  const T = snaps.length - 1
  if (candidates.length < K) return []
  const rowBase = new Int32Array(T + 1)
  const colBase = new Int32Array(T + 1)
  for (let t = 0; t < T; t++) (rowBase[t + 1] = rowBase[t]! + snaps[t]!.n), (colBase[t + 1] = colBase[t]! + snaps[t + 1]!.n)
  const rowsTotal = rowBase[T]!
  const near = snaps.map((s) => new SortedPoints(s.x, s.n, s.d))
  const lists = candidates.map((A) => pairList(snaps, A, o.rowPairs ?? 4, rowBase, colBase, near))
  // Scale: median squared nearest-neighbour distance within the snapshots.
  const nn: number[] = []
  for (const s of snaps)
    for (let i = 0; i < s.n; i++) {
      let best = Infinity
      for (let j = 0; j < s.n; j++) {
        if (j === i) continue
        let e = 0
        for (let c = 0; c < d; c++) e += (s.x[j * d + c]! - s.x[i * d + c]!) ** 2
        if (e < best) best = e
      }
      if (Number.isFinite(best)) nn.push(best)
    }
  nn.sort((a, b) => a - b)
  const scale = nn.length ? nn[nn.length >> 1]! : 1
  const levels = o.levels ?? [1 / 256, 1 / 64, 1 / 16, 1 / 4, 1, 4, 16, 64]
  const usedRow = new Int32Array(rowsTotal)
  const usedCol = new Int32Array(colBase[T]!)
  let stamp = 0
  /**
   * Greedy matching of the merged (sorted) lists, truncated at λ. Stops as soon as the score is sure
   * to reach `bound` (every row still unmatched costs at least the current residual, since the walk
   * is in increasing residual order), returning that lower bound.
   */
  const pos = new Int32Array(K + 1)
  const score = (a: PairList[], lam: number, bound = Infinity): number => {
    stamp++
    pos.fill(0)
    let total = 0, matched = 0
    for (;;) {
      let best = -1, br = lam
      for (let q = 0; q < a.length; q++) {
        const pq = pos[q]!
        if (pq < a[q]!.r.length && a[q]!.r[pq]! < br) (br = a[q]!.r[pq]!), (best = q)
      }
      if (best < 0) break
      const low = total + br * (rowsTotal - matched)
      if (low >= bound) return low
      const L = a[best]!, pq = pos[best]!++
      const row = L.row[pq]!, key = L.key[pq]!
      if (usedRow[row] === stamp || usedCol[key] === stamp) continue
      usedRow[row] = stamp
      usedCol[key] = stamp
      total += br
      matched++
    }
    return total + lam * (rowsTotal - matched)
  }
  // Per list, summaries that do not depend on λ (the same choices as scoring every set in full,
  // for less work): (a) its own greedy matching — a list alone is walked in the same order at
  // every λ, so its score at λ is its matches below λ (summed in the same order) plus λ per row
  // left; (b) the smallest residual of each row and column, for a lower bound of a set's score:
  // every row pays at least min(λ, its smallest residual in the set's lists), and so does every
  // column (plus λ per row beyond the number of columns).
  const colsTotal = colBase[T]!
  const solo = lists.map((L) => {
    stamp++
    const mr: number[] = [], cum: number[] = [0]
    const rowMin = new Float64Array(rowsTotal).fill(Infinity)
    const colMin = new Float64Array(colsTotal).fill(Infinity)
    let total = 0
    for (let e = 0; e < L.r.length; e++) {
      const row = L.row[e]!, key = L.key[e]!, r = L.r[e]!
      if (r < rowMin[row]!) rowMin[row] = r
      if (r < colMin[key]!) colMin[key] = r
      if (usedRow[row] === stamp || usedCol[key] === stamp) continue
      usedRow[row] = stamp
      usedCol[key] = stamp
      total += r
      mr.push(r)
      cum.push(total)
    }
    return { r: Float64Array.from(mr), cum: Float64Array.from(cum), rowMin, colMin }
  })
  /** score([lists[q]], λ, bound), or a number ≥ bound when that score is ≥ bound. */
  const soloScore = (q: number, lam: number, bound: number): number => {
    const S = solo[q]!
    let lo = 0, hi = S.r.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (S.r[mid]! < lam) lo = mid + 1
      else hi = mid
    }
    const full = S.cum[lo]! + lam * (rowsTotal - lo)
    // Below the bound the walk itself decides (it may stop early on rounding alone).
    return full >= bound ? full : score([lists[q]!], lam, bound)
  }
  const cRow = new Float64Array(rowsTotal), cCol = new Float64Array(colsTotal)
  /** Lower bound of the score of the chosen lists (their minima in cRow, cCol) together with list q. */
  const lowerBound = (q: number, lam: number): number => {
    const qr = solo[q]!.rowMin, qc = solo[q]!.colMin
    let rs = 0
    for (let i = 0; i < rowsTotal; i++) {
      let v = cRow[i]!
      if (qr[i]! < v) v = qr[i]!
      rs += v < lam ? v : lam
    }
    let cs = lam * (rowsTotal - colsTotal)
    for (let j = 0; j < colsTotal; j++) {
      let v = cCol[j]!
      if (qc[j]! < v) v = qc[j]!
      cs += v < lam ? v : lam
    }
    return rs > cs ? rs : cs
  }
  const sets: Float64Array[][] = []
  const seen = new Set<string>()
  for (const level of levels) {
    const lam = level * scale
    const chosen: number[] = []
    for (let k = 0; k < K; k++) {
      let best = -1, bs = Infinity
      if (k > 0) {
        cRow.fill(Infinity)
        cCol.fill(Infinity)
        for (const c of chosen) {
          const S = solo[c]!
          for (let i = 0; i < rowsTotal; i++) if (S.rowMin[i]! < cRow[i]!) cRow[i] = S.rowMin[i]!
          for (let j = 0; j < colsTotal; j++) if (S.colMin[j]! < cCol[j]!) cCol[j] = S.colMin[j]!
        }
      }
      for (let q = 0; q < lists.length; q++) {
        if (chosen.includes(q)) continue
        // A set whose bound (padded by 1e-12 relative, far above the rounding of either sum) reaches
        // the best score so far cannot be picked: its score is at least as high.
        if (k > 0 && lowerBound(q, lam) * (1 - 1e-12) >= bs) continue
        const s = k === 0 ? soloScore(q, lam, bs) : score([...chosen.map((c) => lists[c]!), lists[q]!], lam, bs)
        if (s < bs) (bs = s), (best = q)
      }
      chosen.push(best)
    }
    const key = [...chosen].sort((a, b) => a - b).join(',')
    if (!seen.has(key)) seen.add(key), sets.push(chosen.map((c) => Float64Array.from(candidates[c]!)))
  }
  return sets
}

function* subsets(M: number, K: number, from = 0, acc: number[] = []): Generator<number[]> {
  if (acc.length === K) {
    yield acc.slice()
    return
  }
  for (let c = from; c <= M - (K - acc.length); c++) {
    acc.push(c)
    yield* subsets(M, K, c + 1, acc)
    acc.pop()
  }
}

/**
 * Starting sets of K matrices for the linear case; null when the data cannot support chains
 * (fewer than d + 2 time points) or fewer than K distinct hypotheses were found.
 */
export function hypothesisSeeds(snaps: Snapshot[], weights: Float64Array[], K: number, rng: Rng, o: HypothesisOptions = {}): HypothesisSeeds | null {
  const d = snaps[0]!.d
  o.onStage?.('trajectory chains')
  const rec = reconstructTrajectories(snaps, rng, { chainsPerParticle: o.chainsPerParticle, perParticle: o.perParticle ?? 10 })
  if (!rec) return null
  const trim = o.trim ?? 0.5
  const M = Math.max(K, o.shortlist ?? 10)
  const maxSets = o.sets ?? 10
  let transitions = 0
  for (let t = 0; t + 1 < snaps.length; t++) transitions += snaps[t]!.n
  const h = Math.max(d + 1, Math.ceil((trim * transitions) / K))
  o.onStage?.('trimmed refits')
  const scratch = new PairScratch(snaps)
  const refined = rec.candidates.map((A) => refineHypothesis(snaps, A, h, o.refine ?? 2, scratch)).sort((a, b) => a.score - b.score)
  const norm = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0))
  /** norm(a − b), summed as norm sums (no temporary array: this runs for every pair of ~1000 hypotheses). */
  const dist = (a: Float64Array, b: Float64Array) => {
    let s = 0
    for (let q = 0; q < a.length; q++) {
      const v = a[q]! - b[q]!
      s += v * v
    }
    return Math.sqrt(s)
  }
  const pool: typeof refined = []
  for (const r of refined) {
    if (pool.every((c) => dist(c.A, r.A) > 0.1 * Math.max(norm(c.A), 1e-12))) pool.push(r)
    if (pool.length >= Math.max(M, o.pool ?? 40)) break
  }
  // Forward selection over all refined hypotheses (near-duplicates within 2% dropped).
  const distinct: Float64Array[] = []
  const distinctNorm: number[] = []
  for (const r of refined)
    if (distinct.every((c, q) => dist(c, r.A) > 0.02 * Math.max(distinctNorm[q]!, 1e-12))) {
      distinct.push(r.A)
      distinctNorm.push(norm(r.A))
    }
  o.onStage?.('forward selection')
  const forward = forwardSets(snaps, distinct, K)
  const short = pool.slice(0, M)
  if (short.length < K) return null
  o.onStage?.('K-subsets')
  // Only the maxSets best sets are kept: a set is refused as soon as its bound passes the
  // maxSets-th best cost so far (the same sets and costs as scoring every one in full).
  const scored: { S: number[]; cost: number }[] = []
  const best: number[] = []
  const shortCosts: MatrixCosts[] = []
  let count = 0
  for (const S of subsets(short.length, K)) {
    if (++count > (o.maxSubsets ?? 400)) break
    const cutoff = best.length < maxSets ? Infinity : best[maxSets - 1]!
    const cost = relaxedObjectiveOf(weights, S.map((c) => (shortCosts[c] ??= matrixCosts(snaps, short[c]!.A))), cutoff)
    if (cost >= cutoff) continue
    scored.push({ S, cost })
    best.push(cost)
    best.sort((a, b) => a - b)
    best.length = Math.min(best.length, maxSets)
  }
  scored.sort((a, b) => a.cost - b.cost)
  const chosen = scored.slice(0, maxSets)
  return { sets: chosen.map((s) => s.S.map((c) => Float64Array.from(short[c]!.A))), costs: chosen.map((s) => s.cost), forward, shortlist: pool.map((s) => s.A), reconstruction: rec }
}

const uniform = (w: Float64Array): boolean => {
  for (let i = 1; i < w.length; i++) if (w[i] !== w[0]) return false
  return true
}

/**
 * One transition's optimal plan for cost C: the assignment solver (warm-started from `warm`, the
 * column duals of a nearby problem) when both sides have the same number of equally weighted
 * points — the usual snapshot — else the network simplex. Cost summed as exactOt sums it.
 */
function transitionPlan(C: Float64Array, a: Float64Array, b: Float64Array, warm?: Float64Array): { cost: number; plan: { rows: Int32Array; cols: Int32Array; values: Float64Array }; v: Float64Array } {
  const n = a.length
  if (n === b.length && uniform(a) && uniform(b) && a[0]! > 0) {
    const r = linearAssignment(C, n, warm)
    const rows = new Int32Array(n)
    for (let i = 0; i < n; i++) rows[i] = i
    const values = new Float64Array(n).fill(a[0]!)
    let cost = 0
    for (let i = 0; i < n; i++) cost += values[i]! * C[i * n + r.colOf[i]!]!
    return { cost, plan: { rows, cols: r.colOf, values }, v: r.v }
  }
  const ot = exactOt({ a, b, costMatrix: C })
  return { cost: ot.cost, plan: ot.plan, v: ot.v }
}

/**
 * Cheap block coordinate descent on the relaxation (relaxedObjective): per transition one exact OT
 * with cost min_k C_k^t, every transported pair credited to its cheapest ensemble, then each A_k by
 * weighted least squares on its pairs. Monotone (the relaxed cost never increases); used to screen
 * many starts before the exact joint LP polishes the best.
 */
export function relaxedBcd(snaps: Snapshot[], weights: Float64Array[], theta0: Float64Array[], maxIter = 30): { theta: Float64Array[]; cost: number; iterations: number } {
  const d = snaps[0]!.d
  const K = theta0.length
  let theta: Float64Array[] = theta0.map((a) => Float64Array.from(a))
  let prev = Infinity
  const p = new Float64Array(d)
  // Column duals of the previous iteration's plans: the next costs differ a little, so they warm-start the assignment.
  const warm: (Float64Array | undefined)[] = []
  // Cost and ensemble-of-the-minimum matrices, reused across transitions and iterations.
  let size = 0
  for (let t = 0; t + 1 < snaps.length; t++) size = Math.max(size, snaps[t]!.n * snaps[t + 1]!.n)
  const Cbuf = new Float64Array(size)
  const argBuf = new Int8Array(size)
  let it = 0
  for (; it < maxIter; it++) {
    const S = Array.from({ length: K }, () => new Float64Array(d * d))
    const R = Array.from({ length: K }, () => new Float64Array(d * d))
    let cost = 0
    for (let t = 0; t + 1 < snaps.length; t++) {
      const x = snaps[t]!, y = snaps[t + 1]!
      const arg = argBuf.subarray(0, x.n * y.n).fill(0)
      const C = relaxedCostMatrix(x, y, theta, p, Cbuf.subarray(0, x.n * y.n), arg)
      const ot = transitionPlan(C, weights[t]!, weights[t + 1]!, warm[t])
      warm[t] = ot.v
      cost += ot.cost
      const { rows, cols, values } = ot.plan
      for (let q = 0; q < values.length; q++) {
        const i = rows[q]!, j = cols[q]!, v = values[q]!
        const k = arg[i * y.n + j]!
        for (let r = 0; r < d; r++)
          for (let c = 0; c < d; c++) {
            S[k]![r * d + c] = S[k]![r * d + c]! + v * x.x[i * d + r]! * x.x[i * d + c]!
            R[k]![r * d + c] = R[k]![r * d + c]! + v * y.x[j * d + r]! * x.x[i * d + c]!
          }
      }
    }
    if (cost >= prev * (1 - 1e-9)) {
      prev = Math.min(prev, cost)
      break
    }
    prev = cost
    theta = theta.map((A, k): Float64Array => {
      const n = lsFit(S[k]!, R[k]!, d)
      return n && n.every(Number.isFinite) ? n : A
    })
  }
  return { theta, cost: prev, iterations: it }
}

/**
 * Swap search on the relaxed objective: replace one matrix of θ by one of the pool whenever that
 * lowers relaxedObjective the most, re-run the relaxed descent, repeat until no swap helps (or
 * `passes` times). Finds an ensemble that the K-subsets of the shortlist missed.
 */
export function swapSearch(snaps: Snapshot[], weights: Float64Array[], start: { theta: Float64Array[]; cost: number }, pool: Float64Array[], passes = 6): { theta: Float64Array[]; cost: number } {
  let cur = start
  const poolCosts: MatrixCosts[] = []
  for (let pass = 0; pass < passes; pass++) {
    let best: Float64Array[] | null = null
    let bestCost = cur.cost
    const curCosts = cur.theta.map((a) => matrixCosts(snaps, a))
    for (let k = 0; k < cur.theta.length; k++)
      for (let c = 0; c < pool.length; c++) {
        const trial = cur.theta.map((a, q) => (q === k ? pool[c]! : a))
        const parts = curCosts.map((a, q) => (q === k ? (poolCosts[c] ??= matrixCosts(snaps, pool[c]!)) : a))
        const v = relaxedObjectiveOf(weights, parts, bestCost * (1 - 1e-9))
        if (v < bestCost * (1 - 1e-9)) (bestCost = v), (best = trial)
      }
    if (!best) break
    const b = relaxedBcd(snaps, weights, best)
    if (!(b.cost < cur.cost * (1 - 1e-9))) break
    cur = { theta: b.theta, cost: b.cost }
  }
  return cur
}

/**
 * Peeling: re-seed one ensemble at a time from the points the others do not explain. For each k,
 * the points of every snapshot that another ensemble's matrix explains (a pair with squared
 * residual below λ = 4 × the median residual of the relaxed plan of θ, i.e. a few times the noise)
 * are removed; trajectory hypotheses are formed again on what is left, where chance chains are
 * rarer, refined there, and each replaces A_k when that lowers the relaxed objective (then the
 * relaxed descent runs). Recovers an ensemble whose particles sit in a dense region of the others.
 */
export function peel(snaps: Snapshot[], weights: Float64Array[], start: { theta: Float64Array[]; cost: number }, rng: Rng, o: { perParticle?: number; tries?: number } = {}): { theta: Float64Array[]; cost: number } {
  const d = snaps[0]!.d
  const K = start.theta.length
  if (K < 2 || snaps.length < d + 2) return start
  const p = new Float64Array(d)
  // Noise level: median of the per-row best residuals under θ.
  const res: number[] = []
  // Nearest point searches of every snapshot (the same answers as scanning all points).
  const near = snaps.map((s) => new SortedPoints(s.x, s.n, s.d))
  const rowBest = (A: Float64Array, x: Snapshot, i: number, t1: number): number => {
    matVec(A, x.x, i * d, d, p)
    near[t1]!.query(p)
    return near[t1]!.dist2
  }
  for (let t = 0; t + 1 < snaps.length; t++) for (let i = 0; i < snaps[t]!.n; i++) res.push(Math.min(...start.theta.map((A) => rowBest(A, snaps[t]!, i, t + 1))))
  res.sort((a, b) => a - b)
  const lam = 4 * res[res.length >> 1]!
  let cur = start
  for (let k = 0; k < K; k++) {
    const others = cur.theta.filter((_, q) => q !== k)
    // Explained: row i of t with a close successor under another matrix; point j of t+1 that is
    // such a successor.
    const keep = snaps.map((s) => new Uint8Array(s.n).fill(1))
    for (let t = 0; t + 1 < snaps.length; t++) {
      const x = snaps[t]!
      for (const A of others)
        for (let i = 0; i < x.n; i++) {
          matVec(A, x.x, i * d, d, p)
          const bj = near[t + 1]!.query(p)
          if (near[t + 1]!.dist2 < lam) (keep[t]![i] = 0), (keep[t + 1]![bj] = 0)
        }
    }
    const sub: Snapshot[] = snaps.map((s, t) => {
      const idx = [...keep[t]!.keys()].filter((i) => keep[t]![i])
      const x = new Float64Array(idx.length * d)
      idx.forEach((i, q) => x.set(s.x.subarray(i * d, (i + 1) * d), q * d))
      return { x, n: idx.length, d }
    })
    if (sub.some((s) => s.n < d + 1)) continue
    const rec = reconstructTrajectories(sub, rng, { perParticle: o.perParticle ?? 5 })
    if (!rec) continue
    let transitions = 0
    for (let t = 0; t + 1 < sub.length; t++) transitions += sub[t]!.n
    const h = Math.max(d + 1, Math.ceil(0.5 * transitions))
    const scratch = new PairScratch(sub)
    const cands = rec.candidates.map((A) => refineHypothesis(sub, A, h, 2, scratch)).sort((a, b) => a.score - b.score).slice(0, o.tries ?? 20)
    let best: Float64Array[] | null = null
    let bestCost = cur.cost
    const curCosts = cur.theta.map((a, q) => (q === k ? null : matrixCosts(snaps, a)))
    for (const c of cands) {
      const trial = cur.theta.map((a, q) => (q === k ? c.A : a))
      const v = relaxedObjectiveOf(weights, curCosts.map((a) => a ?? matrixCosts(snaps, c.A)), bestCost * (1 - 1e-9))
      if (v < bestCost * (1 - 1e-9)) (bestCost = v), (best = trial)
    }
    if (!best) continue
    const b = relaxedBcd(snaps, weights, best)
    if (b.cost < cur.cost * (1 - 1e-9)) cur = { theta: b.theta, cost: b.cost }
  }
  return cur
}
