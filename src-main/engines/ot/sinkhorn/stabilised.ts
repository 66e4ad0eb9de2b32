/**
 * Fast CPU Sinkhorn in plain TypeScript (float64 typed arrays): stabilised kernel scaling with a
 * truncated sparse kernel, ε-scaling and adaptive over-relaxation (internal driver; public faces
 * in cpu.ts and, chosen automatically on the wasm / cpu backends, sinkhorn.ts / divergence.ts).
 *
 * Problem: the same balanced entropic OT as solve.ts, OT_ε(α, β) = ⟨a, f⟩ + ⟨b, g⟩ at the dual
 * optimum, cost c(x, y) = ‖x − y‖²/2 (p = 2) or ‖x − y‖ (p = 1), and for the debiasing terms
 * OT_ε(α, α), OT_ε(β, β) the symmetric averaged update f ← ½(f + softmin_α(f)).
 *
 * Algorithm (Schmitzer, "Stabilized sparse scaling algorithms for entropy regularized transport
 * problems", SIAM J. Sci. Comput. 41(3), 2019, Alg. 2–3): the potentials are split as
 * f = F + ε log u, g = G + ε log v with F, G "absorbed" log-potentials and u, v scalings near 1.
 * The stabilised kernel K_ij = exp((F_i + G_j − c_ij)/ε) is formed once per absorption and
 * truncated to the entries with exponent > −θ (θ = 40), so one Sinkhorn iteration is two sparse
 * mat-vecs
 *   v ← 1 / Kᵀ(a∘u),   u ← 1 / K(b∘v)        (symmetric problems: u ← √(u / K(a∘u)))
 * instead of 2·n·m exponentials. When u or v leaves [e^−τ, e^τ] (τ = 10), or ε changes, they
 * are absorbed into F, G and K is re-formed:
 * - from a candidate list (pairs with exponent > −(θ+μ) at the last full scan or compaction, with
 *   their costs; μ = 80), valid while the potentials have not risen enough for a left-out pair
 *   to exceed e^−θ (`slack`); pairs that were active get K u_i v_j (at a new ε = ε_old/r with r
 *   an integer: (K u_i v_j)^r) — products, no exponential; only entering pairs are exponentiated;
 * - otherwise by a full n·m scan (partial sums of ‖x − y‖² cut most pairs early).
 * While the kernel is dense (ε-scaling stages with ≥ 25% of the pairs active) it is kept as a
 * row-major float32 n×m matrix (4 bytes per pair, products at ε changes; built from squared
 * distances computed once per solve, a symmetric problem's as a mirrored upper triangle); the
 * target ε always uses the exact float64 CSR kernel. If the candidate list would exceed `maxEntries` (and the
 * dense matrix 5·maxEntries), a stage runs in plain log domain (n·m exponentials per half-step,
 * no storage) and retries the kernel every few steps. Since ε only decreases, the support
 * shrinks along the schedule: at small ε an iteration costs O(nnz) ≪ O(n·m).
 *
 * At the target ε the OT_ε(α, β) updates are over-relaxed (class Relaxation): same fixed point,
 * fewer iterations; the error then also includes the row marginal, which is no longer exact.
 *
 * ε-scaling and the stopping rule are those of solve.ts: one iteration per ε of
 * `epsilonSchedule`, then iterations at the target ε until the L1 marginal error
 * Σ_j b_j |v_j (Kᵀ(a∘u))_j − 1| / Σ b  (= Σ_j b_j |exp((g_j − ĝ_j)/ε) − 1| / Σ b, with ĝ the next
 * g-update; a_i |u_i (K(a∘u))_i − 1| for the symmetric problems; max over the problems) is ≤ tol.
 * A symmetric problem whose error is below tol/10 is no longer iterated (its error is still
 * checked). Truncation changes the plan by at most e^{−θ+2τ} = e^−20 relative per pair.
 */
import { checkAborted, runFixedPoint, type EngineContext, type IterationReport } from '../../common/context'
import { epsilonSchedule, type ResolvedOptions } from './config'

/** Entries of the active kernel keep exponents > −THETA. */
const THETA = 40
/** The candidate list keeps exponents > −(THETA + MARGIN) at a full scan. */
const MARGIN = 80
/** Absorb when a scaling leaves [e^−TAU, e^TAU]. */
const TAU = 10
const U_HI = Math.exp(TAU)
const U_LO = Math.exp(-TAU)
/** In log mode, retry building the kernel every this many half-steps. */
const RETRY_EVERY = 4
/** Dense (float32, all pairs) storage while at least this fraction of the pairs is active. */
const DENSE_MIN = 0.25
/** Most pairs whose squared distances are kept for the dense stages (8 bytes each: 32 MiB). */
const SQ_CACHE_MAX = 2 ** 22
/** Largest exponent whose exponential fits float32, and that value. */
const F32_LOG_MAX = 88
const F32_MAX = 3.4e38
/** Dense float32 values below e^−80 are stored as 0 (no subnormals; e^−80 ≪ e^−θ). */
const DENSE_LOG_FLOOR = -80
const DENSE_FLOOR = Math.exp(DENSE_LOG_FLOOR)

/** A cloud as the solver sees it: centred float64 coordinates, row-major [n·d]. */
export interface StabCloud {
  data: Float64Array
  n: number
  d: number
}

export interface StabilisedProblem {
  x: StabCloud
  y: StabCloud
  a: Float64Array
  b: Float64Array
}

export interface StabilisedOptions extends ResolvedOptions {
  /** Adaptive over-relaxation of the OT_ε(α, β) updates at the target ε (class Relaxation). */
  overRelaxation: boolean
  /** Largest candidate list per problem (entries; 20 bytes each); the dense matrix may hold 5× as many pairs (4 bytes each). */
  maxEntries: number
}

export interface StabilisedOutput extends IterationReport {
  /** Potentials of OT_ε(α, β): f [n], g [m] (cost units). */
  f: Float64Array
  g: Float64Array
  /** Symmetric potentials of OT_ε(α, α) [n] and OT_ε(β, β) [m] (divergence only). */
  faa?: Float64Array
  gbb?: Float64Array
  eps: number
  epsSchedule: number[]
  /** Kernel bookkeeping: full n·m scans, candidate-only rebuilds, log-domain half-steps, final nnz. */
  stats: { fullScans: number; refilters: number; absorptions: number; logSteps: number; nnz: number }
}

interface Stats {
  fullScans: number
  refilters: number
  absorptions: number
  logSteps: number
}

/**
 * One entropic OT problem between P (rows) and Q (columns), or a symmetric one (Q = P, one
 * potential). Holds the absorbed potentials, the scalings and the truncated kernel.
 *
 * Kernel storage (CSR over the rows of P): candidates (column index and cost c_ij, 12 bytes) and
 * the active kernel (column and K_ij = exp((F_i + G_j − c_ij)/ε), the candidates above e^−θ;
 * 12 bytes). Pairs left out of the candidates satisfy F°_i + G°_j − c_ij < −bound at the
 * potentials F°, G° of the last scan or compaction; with the current potentials they are below
 * −bound + max(F − F°) + max(G − G°) =: −slack, and the kernel is valid while slack ≥ θ·ε
 * (every left-out entry < e^−θ). Or, in dense mode, a float32 n×m matrix.
 */
class Problem {
  readonly n: number
  readonly m: number
  readonly d: number
  readonly sym: boolean
  readonly logwP: Float64Array
  readonly logwQ: Float64Array
  /** Absorbed potentials (cost units); G === F for the symmetric problem. Never mutated in place. */
  F: Float64Array
  G: Float64Array
  /** Scalings (mutated in place); v === u for the symmetric problem. */
  readonly u: Float64Array
  readonly v: Float64Array
  eps = 1
  /** 'kernel': stabilised sparse scaling; 'log': u = v = 1, plain log-domain half-steps. */
  mode: 'dense' | 'kernel' | 'log' = 'log'
  /**
   * Dense mode (ε-scaling stages only): K_ij = exp((F_i + G_j − c_ij)/ε) for all pairs,
   * row-major float32 (0 below e^−80). The target ε always uses the float64 CSR kernel.
   */
  private dK: Float32Array | null = null
  /** Once a sparse kernel was used, ε only decreases: no return to dense. */
  private sparseSeen = false
  /** Candidate pairs (CSR over rows of P): column and cost. */
  private readonly row: Int32Array
  private col: Int32Array = new Int32Array(0)
  private cst: Float64Array = new Float64Array(0)
  /** Active kernel (a subset of the candidates): column and value K_ij. */
  private readonly arow: Int32Array
  private acol: Int32Array = new Int32Array(0)
  private val: Float64Array = new Float64Array(0)
  /** Potentials and bound of the last filtering pass (see the class comment). */
  private F0: Float64Array | null = null
  private G0: Float64Array | null = null
  private bound = 0
  /** Cached Kᵀ(a∘u) [m] (xy) or K(a∘u) [n] (sym); in log mode the next soft-min. Valid until u, F, G or ε change. */
  private cache: Float64Array | null = null
  private sinceRetry = 0
  /** Expected candidate count of the next scan (from the last dense kernel), 0 if unknown. */
  private capacityHint = 0
  /** All squared distances while dense kernels may be built (n·m ≤ SQ_CACHE_MAX), else null. */
  private sqCache: Float64Array | null = null
  private readonly wq: Float64Array
  private readonly wp: Float64Array
  private readonly tbuf: Float64Array
  private readonly denseMax: number
  /**
   * Over-relaxation of the xy updates, u ← u^{1−ω} (1/K(b∘v))^ω (f ← (1−ω) f + ω·softmin):
   * 1 is plain Sinkhorn. Same fixed point; ω ∈ (1, 2) converges faster near it.
   */
  omega = 1
  /** Row-marginal error Σ a_i |u_i (K(b∘v))_i − 1| / Σ a after the last f-update (0 when ω = 1). */
  rowErr = 0
  /** The last value of error(). */
  lastError = Infinity
  /** Skip steps (a symmetric problem already far below tol); its error is still checked. */
  frozen = false
  private readonly buf: Float64Array

  constructor(
    readonly P: StabCloud,
    readonly Q: StabCloud,
    readonly a: Float64Array,
    readonly b: Float64Array,
    readonly p: 1 | 2,
    readonly maxEntries: number,
    readonly stats: Stats,
  ) {
    /** Dense storage costs 4 bytes per pair, the sparse one 20. */
    this.denseMax = 5 * maxEntries
    this.sym = P === Q && a === b
    this.n = P.n
    this.m = Q.n
    this.d = P.d
    this.logwP = a.map(Math.log)
    this.logwQ = this.sym ? this.logwP : b.map(Math.log)
    this.F = new Float64Array(this.n)
    this.G = this.sym ? this.F : new Float64Array(this.m)
    this.u = new Float64Array(this.n).fill(1)
    this.v = this.sym ? this.u : new Float64Array(this.m).fill(1)
    this.row = new Int32Array(this.n + 1)
    this.arow = new Int32Array(this.n + 1)
    this.wq = new Float64Array(this.m)
    this.wp = new Float64Array(this.n)
    this.tbuf = new Float64Array(this.n)
    this.buf = new Float64Array(Math.max(this.n, this.m))
  }

  get nnz(): number {
    if (this.mode === 'dense') return this.n * this.m
    return this.mode === 'kernel' ? this.arow[this.n]! : 0
  }

  /** Cost between row i of R and row j of C (exact differences: c(x, x) = 0). */
  private cost(R: Float64Array, i: number, C: Float64Array, j: number): number {
    const d = this.d
    let s = 0
    const ri = i * d, cj = j * d
    for (let k = 0; k < d; k++) {
      const t = R[ri + k]! - C[cj + k]!
      s += t * t
    }
    return this.p === 2 ? 0.5 * s : Math.sqrt(s)
  }

  /**
   * Full log-domain soft-min: out_r = −ε log Σ_c exp(logw_c + (pot_c − c(R_r, C_c))/ε) for
   * every row r of R against all points of C. n·m exponentials.
   */
  private softminFull(R: StabCloud, C: StabCloud, pot: Float64Array, logw: Float64Array, eps: number, out: Float64Array): void {
    this.stats.logSteps++
    const z = this.buf
    const nc = C.n
    const inv = 1 / eps
    for (let r = 0; r < R.n; r++) {
      let mx = -Infinity
      for (let c = 0; c < nc; c++) {
        const v = logw[c]! + (pot[c]! - this.cost(R.data, r, C.data, c)) * inv
        z[c] = v
        if (v > mx) mx = v
      }
      let s = 0
      for (let c = 0; c < nc; c++) s += Math.exp(z[c]! - mx)
      out[r] = -eps * (mx + Math.log(s))
    }
  }

  /** slack = bound − max(F − F°) − max(G − G°); −∞ without a kernel. */
  private slack(): number {
    const F0 = this.F0, G0 = this.G0
    if (!F0 || !G0) return -Infinity
    let dF = -Infinity, dG = -Infinity
    for (let i = 0; i < this.n; i++) dF = Math.max(dF, this.F[i]! - F0[i]!)
    if (this.sym) dG = dF
    else for (let j = 0; j < this.m; j++) dG = Math.max(dG, this.G[j]! - G0[j]!)
    return this.bound - dF - dG
  }

  /** Moves ε log u, ε log v into F, G (new arrays); u = v = 1. Kernel values are not touched. */
  private absorbPotentials(): void {
    const { u, v, eps } = this
    const F = new Float64Array(this.F)
    for (let i = 0; i < this.n; i++) F[i]! += eps * Math.log(u[i]!)
    this.F = F
    if (this.sym) this.G = F
    else {
      const G = new Float64Array(this.G)
      for (let j = 0; j < this.m; j++) G[j]! += eps * Math.log(v[j]!)
      this.G = G
      v.fill(1)
    }
    u.fill(1)
    this.cache = null
  }

  /**
   * Absorption at fixed ε: potentials F += ε log u, G += ε log v, u = v = 1; the active kernel
   * is re-formed from the candidates (K_ij u_i v_j on the pairs that were active, an exponential
   * only for pairs entering). If the potentials rose so much that a left-out pair may now exceed
   * e^−θ, rescan.
   */
  private absorb(): void {
    this.stats.absorptions++
    if (this.mode === 'dense') {
      this.scaleDense()
      this.absorbPotentials()
      return
    }
    const oldVal = this.scaleActive()
    this.absorbPotentials()
    const slack = this.slack()
    if (slack < THETA * this.eps) this.scan()
    else this.refilter(this.eps, slack, oldVal, 1, false)
  }

  /** K_ij ← K_ij u_i v_j on the active entries: then K = exp((F + G − c)/ε) at the absorbed F, G. */
  private scaleActive(): Float64Array {
    const { u, v, arow, acol, val } = this
    for (let i = 0; i < this.n; i++) {
      const ui = u[i]!
      for (let k = arow[i]!; k < arow[i + 1]!; k++) val[k]! *= ui * v[acol[k]!]!
    }
    return val
  }

  /** Active kernel from the candidates: pairs with exponent > −θ at the current F, G, ε. */
  private activate(): void {
    const { F, G, row, col, cst } = this
    const inv = 1 / this.eps
    const arow = this.arow
    let cap = Math.max(this.acol.length, 16, Math.min(row[this.n]!, this.capacityHint))
    let acol = this.acol.length >= cap ? this.acol : new Int32Array(cap)
    let val = this.val.length >= cap ? this.val : new Float64Array(cap)
    // Symmetric problem: z_ij = z_ji bit for bit, so a pair below the diagonal whose mirror image
    // is active takes its value; next[j] walks row j's entries right of the diagonal.
    const next = this.sym ? new Int32Array(this.n) : null
    let w = 0
    for (let i = 0; i < this.n; i++) {
      arow[i] = w
      const fi = F[i]!
      const end = row[i + 1]!
      for (let k = row[i]!; k < end; k++) {
        const j = col[k]!
        let v = -1
        if (next && j < i) {
          let q = next[j]!
          const qEnd = arow[j + 1]!
          while (q < qEnd && acol[q]! < i) q++
          next[j] = q
          if (q < qEnd && acol[q] === i) v = val[q]!
        }
        if (v < 0) {
          const z = (fi + G[j]! - cst[k]!) * inv
          if (!(z > -THETA)) continue
          v = Math.exp(z)
        }
        if (w === cap) {
          cap *= 2
          acol = grown(acol, cap)
          val = grown(val, cap)
        }
        acol[w] = j
        val[w++] = v
      }
      if (next) {
        let q = arow[i]!
        while (q < w && acol[q]! <= i) q++
        next[i] = q
      }
    }
    arow[this.n] = w
    this.acol = acol
    this.val = val
    this.cache = null
  }

  /**
   * After absorbing, at ε (= ε_old / r): one pass over the candidates that forms the active
   * kernel and, with `compact` (a new ε), drops the candidates now below e^−(θ+μ) (in place).
   * When r is a small integer (1 for an absorption, 4 between stages of the default p = 2
   * schedule), a pair that was active gets K_old^r — products, no exponential; a pair entering
   * the active set gets exp(z). (For r ≥ θ/(θ − 2τ) none can enter: r·z > −θ implies
   * z > −θ/r ≥ −θ + 2τ, and z moved by at most 2τ since the last activation.) Requires
   * slack ≥ θ·ε.
   */
  private refilter(eps: number, slack: number, oldVal: Float64Array | null, r: number, compact: boolean): void {
    this.stats.refilters++
    const { F, G, row, col, cst, arow } = this
    const inv = 1 / eps
    const lo = -(THETA + MARGIN)
    const pow = oldVal !== null && Number.isInteger(r) && r >= 1 && r <= 8
    const ocol = this.acol
    let cap = Math.max(16, this.acol.length)
    let acol = new Int32Array(cap)
    let val = new Float64Array(cap)
    let w = 0, na = 0
    for (let i = 0; i < this.n; i++) {
      const fi = F[i]!
      const start = row[i]!, end = row[i + 1]!
      let q = arow[i]!
      const qEnd = arow[i + 1]!
      row[i] = w
      arow[i] = na
      for (let k = start; k < end; k++) {
        const j = col[k]!
        const c = cst[k]!
        const z = (fi + G[j]! - c) * inv
        if (z > lo || !compact) {
          col[w] = j // w ≤ k
          cst[w++] = c
          if (z > -THETA) {
            let v: number
            while (q < qEnd && ocol[q]! < j) q++
            if (pow && q < qEnd && ocol[q] === j) {
              const k0 = oldVal![q]!
              v = k0
              for (let e = 1; e < r; e++) v *= k0
            } else v = Math.exp(z)
            if (na === cap) {
              cap *= 2
              acol = grown(acol, cap)
              val = grown(val, cap)
            }
            acol[na] = j
            val[na++] = v
          }
        }
      }
    }
    row[this.n] = w
    arow[this.n] = na
    this.acol = acol
    this.val = val
    this.F0 = F
    this.G0 = G
    this.bound = Math.min(slack, (THETA + MARGIN) * eps)
    this.cache = null
  }

  /**
   * Full n·m scan at the current potentials and ε: keeps the pairs with exponent > −(θ+μ).
   * Over `maxEntries` it gives up and switches to log mode.
   */
  private scan(): void {
    this.stats.fullScans++
    this.sinceRetry = 0
    if (!this.sparseSeen && this.n * this.m <= this.denseMax && this.buildDense()) return
    const { F, G, n, m, eps } = this
    const X = this.P.data, Y = this.Q.data
    const lo = -(THETA + MARGIN)
    let cap = Math.min(this.maxEntries, Math.max(this.col.length, 4 * (n + m), this.capacityHint))
    let col = this.col.length >= cap ? this.col : new Int32Array(cap)
    let cst = this.cst.length >= cap ? this.cst : new Float64Array(cap)
    cap = col.length
    const row = this.row
    const d = this.d, p2 = this.p === 2
    // A candidate has c_ij < F_i + G_j + (θ+μ)ε: the partial sums of ‖x − y‖² stop the loop early.
    const lim = -lo * eps
    const S = this.sqCache
    let w = 0
    for (let i = 0; i < n; i++) {
      row[i] = w
      const fi = F[i]! + lim
      const xo = i * d, off = i * m
      for (let j = 0; j < m; j++) {
        const thr = fi + G[j]!
        if (!(thr > 0)) continue
        const limit = p2 ? 2 * thr : thr * thr
        const sq = S ? S[off + j]! : partialSquaredDistance(X, xo, Y, j * d, d, limit)
        if (sq < 0 || sq >= limit) continue
        const c = p2 ? 0.5 * sq : Math.sqrt(sq)
        {
          if (w === cap) {
            if (cap >= this.maxEntries) return this.toLogMode()
            cap = Math.min(this.maxEntries, 2 * cap)
            col = grown(col, cap)
            cst = grown(cst, cap)
          }
          col[w] = j
          cst[w++] = c
        }
      }
    }
    row[n] = w
    this.col = col
    this.cst = cst
    this.F0 = F
    this.G0 = G
    this.bound = (THETA + MARGIN) * eps
    this.mode = 'kernel'
    this.sparseSeen = true
    this.activate()
  }

  /**
   * Dense kernel at the current potentials and ε (n·m exponentials, half of them for a symmetric
   * problem, whose kernel is symmetric bit for bit); kept, and the mode set to 'dense', if at least
   * DENSE_MIN of the pairs are active and no value overflows float32.
   */
  private buildDense(): boolean {
    const { n, m } = this
    const K = this.dK?.length === n * m ? this.dK : new Float32Array(n * m)
    if (!this.sqCache && n * m <= SQ_CACHE_MAX) this.sqCache = this.squaredDistances()
    let active = 0
    if (this.sym) {
      // Row blocks of the upper triangle, each mirrored below the diagonal while it is in cache
      // (8 rows: their columns share an L1 set at power-of-two strides).
      const BS = 8
      for (let i0 = 0; i0 < n; i0 += BS) {
        const i1 = Math.min(n, i0 + BS)
        for (let i = i0; i < i1; i++) {
          // The diagonal pair once, the pairs above it for themselves and their mirror images.
          const cd = this.denseRow(K, i, i, i + 1)
          const cu = this.denseRow(K, i, i + 1, m)
          if (cd < 0 || cu < 0) return this.dropDense()
          active += cd + 2 * cu
        }
        for (let i = i0; i < i1; i++) {
          const off = i * m
          for (let j = i0; j < i; j++) K[off + j] = K[j * m + i]!
        }
        for (let j = i1; j < n; j++) {
          const off = j * m
          for (let i = i0; i < i1; i++) K[off + i] = K[i * m + j]!
        }
      }
    } else {
      for (let i = 0; i < n; i++) {
        const c = this.denseRow(K, i, 0, m)
        if (c < 0) return this.dropDense()
        active += c
      }
    }
    if (active < DENSE_MIN * n * m) return this.dropDense()
    this.dK = K
    this.col = this.acol = new Int32Array(0)
    this.cst = this.val = new Float64Array(0)
    this.F0 = this.G0 = null
    this.mode = 'dense'
    this.cache = null
    return true
  }

  /**
   * Row i of the dense kernel for the columns j0..j1−1: K_ij = exp((F_i + G_j − c_ij)/ε) rounded to
   * float32, 0 for exponents ≤ −80 or pairs outside the candidate bound. Returns the number of
   * active pairs (exponent > −θ), or −1 if a value overflows float32.
   */
  private denseRow(K: Float32Array, i: number, j0: number, j1: number): number {
    const { F, G, eps } = this
    const X = this.P.data, Y = this.Q.data
    const inv = 1 / eps
    const d = this.d, p2 = this.p === 2
    const lim = (THETA + MARGIN) * eps
    const fi = F[i]!
    const off = i * this.m, xo = i * d
    let active = 0
    const S = this.sqCache
    for (let j = j0; j < j1; j++) {
      const fg = fi + G[j]!
      const thr = fg + lim // kept iff c < thr
      const limit = p2 ? 2 * thr : thr * thr
      const sq = !(thr > 0) ? -1 : S ? S[off + j]! : partialSquaredDistance(X, xo, Y, j * d, d, limit)
      if (sq < 0 || sq >= limit) {
        K[off + j] = 0
        continue
      }
      const z = (fg - (p2 ? 0.5 * sq : Math.sqrt(sq))) * inv
      if (z > F32_LOG_MAX) return -1
      K[off + j] = z > DENSE_LOG_FLOOR ? expF32(z) : 0
      if (z > -THETA) active++
    }
    return active
  }

  /**
   * ‖P_i − Q_j‖² for all pairs, row-major: the same sums as partialSquaredDistance (its partial
   * sums only grow, so "partial sum ≥ limit" is "sum ≥ limit"), computed once for every ε.
   */
  private squaredDistances(): Float64Array {
    const { n, m, d } = this
    const X = this.P.data, Y = this.Q.data
    const S = new Float64Array(n * m)
    for (let i = 0; i < n; i++) {
      const xo = i * d, off = i * m
      for (let j = 0; j < m; j++) {
        const yo = j * d
        let sq = 0
        for (let k = 0; k < d; k++) {
          const t = X[xo + k]! - Y[yo + k]!
          sq += t * t
        }
        S[off + j] = sq
      }
    }
    return S
  }

  private dropDense(): false {
    this.dK = null
    return false
  }

  /** Dense mode: K_ij ← K_ij u_i v_j. */
  private scaleDense(): void {
    const K = this.dK!, { u, v, m } = this
    for (let i = 0; i < this.n; i++) {
      const ui = u[i]!, off = i * m
      for (let j = 0; j < m; j++) {
        const y = K[off + j]! * ui * v[j]!
        K[off + j] = y > DENSE_FLOOR ? y : 0
      }
    }
  }

  /**
   * Dense mode at a new ε = ε_old / r, before absorbing: K ← (K_ij u_i v_j)^r by products (r a
   * small integer). Returns whether dense storage still pays: every value finite in float32 and at
   * least DENSE_MIN of the pairs active.
   */
  private densePow(r: number): boolean {
    const K = this.dK!, { n, m, u, v } = this
    const thr = Math.exp(-THETA)
    let active = 0
    let big = 0
    // Separate loops per exponent (a branch or inner loop per entry costs 2×); values below
    // DENSE_FLOOR are flushed to 0 (float32 subnormals are slow).
    for (let i = 0; i < n; i++) {
      const ui = u[i]!, off = i * m
      if (r === 4) {
        for (let j = 0; j < m; j++) {
          const k0 = K[off + j]! * ui * v[j]!
          const k2 = k0 * k0
          const y = k2 * k2
          K[off + j] = y > DENSE_FLOOR ? y : 0
          if (y > thr) active++
          if (y > F32_MAX) big++
        }
      } else {
        for (let j = 0; j < m; j++) {
          const k0 = K[off + j]! * ui * v[j]!
          let y = k0
          for (let e = 1; e < r; e++) y *= k0
          K[off + j] = y > DENSE_FLOOR ? y : 0
          if (y > thr) active++
          if (y > F32_MAX) big++
        }
      }
    }
    return big === 0 && active >= DENSE_MIN * n * m
  }

  /** Dense mode at a new ε (after absorbing): K = exp((F + G − c)/ε) from the costs. Same return as densePow. */
  private denseExp(): boolean {
    return this.buildDense()
  }

  /** Leaves dense mode for the exact sparse kernel (a full scan). */
  private leaveDense(): void {
    // The stored pairs of the dense kernel: the first capacity of the candidate list (no regrowth).
    const K = this.dK
    if (K) {
      let nz = 0
      for (let k = 0; k < K.length; k++) if (K[k] !== 0) nz++
      this.capacityHint = nz
    }
    this.dK = null
    this.sparseSeen = true
    this.mode = 'log'
    this.scan()
  }

  private toLogMode(): void {
    this.dK = null
    this.col = this.acol = new Int32Array(0)
    this.cst = this.val = new Float64Array(0)
    this.F0 = this.G0 = null
    this.mode = 'log'
    this.cache = null
  }

  /** Sets ε: absorbs the scalings, then re-exponentiates the kept pairs (or rescans). */
  setEps(eps: number, final = false): void {
    const r = this.eps / eps
    if (this.mode === 'dense') {
      const ri = Math.round(r * 1e9) / 1e9
      let keep: boolean
      if (!final && Number.isInteger(ri) && ri >= 1 && ri <= 8) {
        keep = this.densePow(ri) // uses u, v: before absorbing
        this.absorbPotentials()
        this.eps = eps
      } else {
        this.absorbPotentials()
        this.eps = eps
        // Target ε: always the exact float64 kernel (a full scan; all pairs if still dense).
        keep = !final && this.denseExp()
      }
      this.cache = null
      if (!keep) this.leaveDense()
      return
    }
    if (final) this.sparseSeen = true // no float32 kernel at the target ε
    let oldVal: Float64Array | null = null
    if (this.mode === 'kernel') {
      oldVal = this.scaleActive()
      this.absorbPotentials()
    }
    this.eps = eps
    this.cache = null
    const slack = this.slack()
    if (this.mode === 'kernel' && slack >= THETA * eps) this.refilter(eps, slack, oldVal, Math.round(r * 1e9) / 1e9, true)
    else this.scan()
  }

  /**
   * Initialises at ε (as solve.ts): F = softmin over Q of zero potentials, G = softmin over P of
   * zero potentials (computed from the zero-potential kernel when it fits).
   */
  init(eps: number): void {
    this.eps = eps
    this.F = new Float64Array(this.n)
    this.G = this.sym ? this.F : new Float64Array(this.m)
    this.scan()
    if (this.mode !== 'log') {
      // u = 1 / K⁰ b, v = 1 / K⁰ᵀ a (both from zero potentials), then absorb.
      const t = new Float64Array(this.n)
      this.kv(this.sym ? this.a : this.b, t)
      const s = this.sym ? t : new Float64Array(this.m)
      if (!this.sym) this.ktv(this.a, s)
      if (this.positive(t) && this.positive(s)) {
        for (let i = 0; i < this.n; i++) this.u[i] = 1 / t[i]!
        if (!this.sym) for (let j = 0; j < this.m; j++) this.v[j] = 1 / s[j]!
        this.absorb()
        return
      }
      this.toLogMode()
    }
    const F = new Float64Array(this.n)
    this.softminFull(this.P, this.Q, new Float64Array(this.m), this.logwQ, eps, F)
    this.F = F
    if (this.sym) this.G = F
    else {
      const G = new Float64Array(this.m)
      this.softminFull(this.Q, this.P, new Float64Array(this.n), this.logwP, eps, G)
      this.G = G
    }
    this.scan()
  }

  /** out_i = Σ_j K_ij w_j. */
  private kv(w: Float64Array, out: Float64Array): void {
    if (this.dK) {
      const K = this.dK, m = this.m
      for (let i = 0; i < this.n; i++) {
        let s = 0
        const off = i * m
        for (let j = 0; j < m; j++) s += K[off + j]! * w[j]!
        out[i] = s
      }
      return
    }
    const { arow: row, acol: col, val } = this
    for (let i = 0; i < this.n; i++) {
      let s = 0
      const e = row[i + 1]!
      for (let k = row[i]!; k < e; k++) s += val[k]! * w[col[k]!]!
      out[i] = s
    }
  }

  /** out_j = Σ_i K_ij w_i. */
  private ktv(w: Float64Array, out: Float64Array): void {
    if (this.dK) {
      const K = this.dK, m = this.m
      out.fill(0)
      for (let i = 0; i < this.n; i++) {
        const wi = w[i]!
        if (wi === 0) continue
        const off = i * m
        for (let j = 0; j < m; j++) out[j]! += K[off + j]! * wi
      }
      return
    }
    const { arow: row, acol: col, val } = this
    out.fill(0)
    for (let i = 0; i < this.n; i++) {
      const wi = w[i]!
      if (wi === 0) continue
      const e = row[i + 1]!
      for (let k = row[i]!; k < e; k++) out[col[k]!]! += val[k]! * wi
    }
  }

  /** Kᵀ(a∘u) for xy, K(a∘u) for sym. */
  private colSums(): Float64Array {
    const { a, u, wp } = this
    for (let i = 0; i < this.n; i++) wp[i] = a[i]! * u[i]!
    const out = new Float64Array(this.sym ? this.n : this.m)
    if (this.sym) this.kv(wp, out)
    else this.ktv(wp, out)
    return out
  }

  private outOfRange(s: Float64Array): boolean {
    for (let i = 0; i < s.length; i++) {
      const x = s[i]!
      if (!(x > U_LO && x < U_HI)) return true
    }
    return false
  }

  private positive(s: Float64Array): boolean {
    for (let i = 0; i < s.length; i++) if (!(s[i]! > 0 && s[i]! < Infinity)) return false
    return true
  }

  /** One iteration at the current ε: (xy) g-update then f-update; (sym) averaged update. */
  step(): void {
    if (this.frozen) return
    if (this.mode === 'log') {
      this.stepLog()
      this.rowErr = 0
      if (++this.sinceRetry >= RETRY_EVERY) this.scan()
      return
    }
    const s = this.cache ?? this.colSums()
    this.cache = null
    if (!this.positive(s)) return this.logFallback()
    const u = this.u
    if (this.sym) {
      for (let i = 0; i < this.n; i++) u[i] = Math.sqrt(u[i]! / s[i]!)
      if (this.outOfRange(u)) this.absorb()
      return
    }
    const { v, b, wq, tbuf: t, omega } = this
    if (omega === 1) {
      for (let j = 0; j < this.m; j++) {
        v[j] = 1 / s[j]!
        wq[j] = b[j]! * v[j]!
      }
    } else {
      for (let j = 0; j < this.m; j++) {
        v[j] = Math.pow(v[j]!, 1 - omega) * Math.pow(s[j]!, -omega)
        wq[j] = b[j]! * v[j]!
      }
    }
    this.kv(wq, t)
    if (!this.positive(t)) return this.logFallback()
    if (omega === 1) {
      for (let i = 0; i < this.n; i++) u[i] = 1 / t[i]!
      this.rowErr = 0
    } else {
      let e = 0, tot = 0
      const a = this.a
      for (let i = 0; i < this.n; i++) {
        u[i] = Math.pow(u[i]!, 1 - omega) * Math.pow(t[i]!, -omega)
        e += a[i]! * Math.abs(u[i]! * t[i]! - 1)
        tot += a[i]!
      }
      this.rowErr = e / tot
    }
    if (this.outOfRange(u) || this.outOfRange(v)) this.absorb()
  }

  /** Log-domain iteration (u = v = 1): exact soft-min half-steps, n·m exponentials each. */
  private stepLog(): void {
    const t = this.cache ?? this.nextLog()
    this.cache = null
    if (this.sym) {
      const F = new Float64Array(this.n)
      for (let i = 0; i < this.n; i++) F[i] = 0.5 * (this.F[i]! + t[i]!)
      this.F = this.G = F
      return
    }
    this.G = t
    const F = new Float64Array(this.n)
    this.softminFull(this.P, this.Q, this.G, this.logwQ, this.eps, F)
    this.F = F
  }

  /**
   * A kernel row or column summed to 0 (its support was truncated away) or overflowed: drop
   * the scalings of this iteration, redo it in log domain, and rescan.
   */
  private logFallback(): void {
    this.u.fill(1)
    this.v.fill(1)
    this.toLogMode()
    this.stepLog()
    this.rowErr = 0
    this.scan()
  }

  /** Log mode: the next soft-min (ĝ for xy, T(f) for sym) at the current potentials. */
  private nextLog(): Float64Array {
    const out = new Float64Array(this.sym ? this.n : this.m)
    if (this.sym) this.softminFull(this.P, this.P, this.F, this.logwP, this.eps, out)
    else this.softminFull(this.Q, this.P, this.F, this.logwP, this.eps, out)
    return out
  }

  /** L1 marginal error of the stopping rule (caches the next half-step). */
  error(): number {
    const w = this.sym ? this.a : this.b
    let e = 0, tot = 0
    if (this.mode === 'log') {
      const nxt = this.cache ?? this.nextLog()
      this.cache = nxt
      const pot = this.sym ? this.F : this.G
      const inv = 1 / this.eps
      for (let j = 0; j < w.length; j++) {
        e += w[j]! * Math.abs(Math.exp(Math.min(60, Math.max(-60, (pot[j]! - nxt[j]!) * inv))) - 1)
        tot += w[j]!
      }
      return (this.lastError = e / tot)
    }
    const s = this.cache ?? this.colSums()
    this.cache = s
    const sc = this.sym ? this.u : this.v
    for (let j = 0; j < w.length; j++) {
      e += w[j]! * Math.abs(sc[j]! * s[j]! - 1)
      tot += w[j]!
    }
    return (this.lastError = Math.max(e / tot, this.rowErr))
  }

  /** The state needed to restore the potentials later (F, G are never mutated in place). */
  snapshot(): { F: Float64Array; G: Float64Array; u: Float64Array; v: Float64Array; eps: number } {
    const u = this.u.slice()
    return { F: this.F, G: this.G, u, v: this.sym ? u : this.v.slice(), eps: this.eps }
  }

  /** Potentials f = F + ε log u, g = G + ε log v, now or at a snapshot. */
  potentials(sn = this.snapshot()): { f: Float64Array; g: Float64Array } {
    const f = new Float64Array(this.n)
    for (let i = 0; i < this.n; i++) f[i] = sn.F[i]! + sn.eps * Math.log(sn.u[i]!)
    if (this.sym) return { f, g: f }
    const g = new Float64Array(this.m)
    for (let j = 0; j < this.m; j++) g[j] = sn.G[j]! + sn.eps * Math.log(sn.v[j]!)
    return { f, g }
  }
}

/**
 * Adaptive over-relaxation of the xy problem (Thibault, Chizat, Dossal, Papadakis, "Overrelaxed
 * Sinkhorn–Knopp algorithm for regularized optimal transport", Algorithms 14(5), 2021; Lehmann,
 * von Renesse, Sambale, Uschmajew, "A note on overrelaxation in the Sinkhorn algorithm", Optim.
 * Lett. 16, 2022): plain iterations first; from the observed linear rate κ of the marginal error,
 * ω = 2/(1 + √(1 − κ)) (the optimal local choice, rate ω − 1), capped at 1.95, and raised later
 * when the relaxed rate shows that the plain rate is closer to 1. If the error grows
 * past 10× its best since the switch, back to ω = 1 (at most 3 times).
 */
class Relaxation {
  private hist: number[] = []
  private omega = 1
  private best = Infinity
  private failures = 0
  constructor(
    private readonly every: number,
    private readonly enabled: boolean,
  ) {}

  /** Linear rate per iteration over the last W checks, or NaN. */
  private rate(W: number): number {
    const h = this.hist
    if (h.length <= W) return NaN
    return Math.pow(h[h.length - 1]! / h[h.length - 1 - W]!, 1 / (W * this.every))
  }

  next(err: number): number {
    if (!this.enabled || !Number.isFinite(err) || this.failures >= 3) return (this.omega = 1)
    const W = 5
    this.hist.push(err)
    if (this.omega > 1) {
      this.best = Math.min(this.best, err)
      if (err > 10 * this.best) {
        this.failures++
        this.omega = 1
        this.hist = []
        return 1
      }
      // Re-estimate the plain rate from the relaxed one (SOR relation, Lehmann et al. §3):
      // √ρ = (ωμ + √(ω²μ² − 4(ω − 1)))/2 for ω ≤ ω*, i.e. μ = (√ρ + (ω − 1)/√ρ)/ω, η = μ².
      if (this.hist.length >= 4 * W) {
        const rho = this.rate(3 * W)
        if (rho > 0 && rho < 1) {
          const sr = Math.sqrt(rho)
          const eta = Math.min(1, ((sr + (this.omega - 1) / sr) / this.omega) ** 2)
          this.omega = Math.max(this.omega, Math.min(1.95, 2 / (1 + Math.sqrt(1 - eta))))
        }
        this.hist = this.hist.slice(-W)
      }
      return this.omega
    }
    if (this.hist.length >= 2 * W) {
      const k = this.rate(W)
      if (k > 0 && k < 1) {
        this.omega = Math.min(1.95, 2 / (1 + Math.sqrt(1 - k)))
        this.best = err
        this.hist = [err]
      } else this.hist = this.hist.slice(-W)
    }
    return this.omega
  }
}

/** Bounding-box diagonal of both clouds (geomloss `max_diameter`). */
export function bbDiameterOf(x: StabCloud, y: StabCloud): number {
  let s = 0
  for (let k = 0; k < x.d; k++) {
    let lo = Infinity, hi = -Infinity
    for (const c of [x, y]) {
      for (let i = 0; i < c.n; i++) {
        const v = c.data[i * c.d + k]!
        if (v < lo) lo = v
        if (v > hi) hi = v
      }
    }
    s += (hi - lo) ** 2
  }
  return Math.sqrt(s)
}

/**
 * Runs the ε-scaled stabilised solve of OT_ε(α, β) (and, with `debias`, OT_ε(α, α) and
 * OT_ε(β, β) in the same loop: the error is the max of the three). Inputs are trusted (validated
 * and centred by the caller). Non-convergence is a result; `ctx.signal` throws CancelledError.
 */
export function solveStabilised(pb: StabilisedProblem, o: StabilisedOptions, debias: boolean, ctx?: EngineContext): StabilisedOutput {
  const stats: Stats = { fullScans: 0, refilters: 0, absorptions: 0, logSteps: 0 }
  const diameter = o.diameter ?? bbDiameterOf(pb.x, pb.y)
  const schedule = epsilonSchedule(o.p, diameter, o.blur, o.scaling)
  const epsT = schedule[schedule.length - 1]!
  const probs: Problem[] = [new Problem(pb.x, pb.y, pb.a, pb.b, o.p, o.maxEntries, stats)]
  if (debias) {
    probs.push(new Problem(pb.x, pb.x, pb.a, pb.a, o.p, o.maxEntries, stats))
    probs.push(new Problem(pb.y, pb.y, pb.b, pb.b, o.p, o.maxEntries, stats))
  }
  // A symmetric Problem needs the same array object for both weights: the constructor checks a === b.
  for (const pr of probs) pr.init(schedule[0]!)
  let annealIters = 0
  for (let k = 0; k < schedule.length - 1; k++) {
    for (const pr of probs) {
      if (k > 0) pr.setEps(schedule[k]!)
      pr.step()
    }
    annealIters++
    ctx?.onProgress?.({ fraction: 0, stage: 'sinkhorn ε-scaling', message: `ε = ${schedule[k]!.toPrecision(3)}` })
    checkAborted(ctx)
  }

  for (const pr of probs) pr.setEps(epsT, true)

  // State at the last finite error: what the driver returns on 'numerical-error'.
  let good = probs.map((pr) => pr.snapshot())
  const relax = new Relaxation(o.checkEvery, o.overRelaxation)
  const run = runFixedPoint<number>({
    init: 0,
    step: (s) => {
      for (const pr of probs) pr.step()
      return s + 1
    },
    error: () => {
      let e = 0
      for (const pr of probs) {
        const ei = pr.error()
        e = Number.isNaN(ei) || Number.isNaN(e) ? NaN : Math.max(e, ei)
        if (pr !== probs[0]) pr.frozen = ei <= 0.1 * o.tol
      }
      probs[0]!.omega = relax.next(probs[0]!.lastError)
      if (Number.isFinite(e)) good = probs.map((pr) => pr.snapshot())
      return e
    },
    tol: o.tol,
    maxIter: o.maxIter,
    every: o.checkEvery,
    ctx,
    stage: 'sinkhorn (cpu)',
  })
  const pots = probs.map((pr, k) => pr.potentials(run.status === 'numerical-error' ? good[k] : undefined))
  return {
    f: pots[0]!.f,
    g: pots[0]!.g,
    faa: pots[1]?.f,
    gbb: pots[2]?.f,
    eps: epsT,
    epsSchedule: schedule,
    converged: run.converged,
    status: run.status,
    iterations: annealIters + run.iterations,
    errorHistory: run.errorHistory,
    stats: { ...stats, nnz: probs.reduce((s, pr) => s + pr.nnz, 0) },
  }
}

/** exp(k·ln2/64) for k = EXP_KMIN..−EXP_KMIN (|z| ≤ 88.7). */
const EXP_KMIN = -8192
const EXP_TABLE = (() => {
  const t = new Float64Array(1 - 2 * EXP_KMIN)
  for (let k = EXP_KMIN; k <= -EXP_KMIN; k++) {
    const e = Math.floor(k / 64)
    t[k - EXP_KMIN] = Math.pow(2, e) * Math.pow(2, (k - 64 * e) / 64)
  }
  return t
})()
const EXP_INV = 64 / Math.LN2
/** ln2/64 = EXP_HI + EXP_LO with EXP_HI of 24 significant bits: k·EXP_HI is exact for |k| ≤ 2^13. */
const EXP_HI = Math.fround(Math.LN2 / 64)
const EXP_LO = Math.LN2 / 64 - EXP_HI
/** 2^52 + 2^51: adding and subtracting it rounds a double of magnitude < 2^51 to the nearest integer. */
const ROUND_MAGIC = 6755399441055744
/**
 * Relative error bound of the approximation below (observed ≤ 4e-15: table entries and the
 * degree-5 Taylor polynomial on |r| ≤ ln2/128 are accurate to a few ulps), with a wide margin.
 */
const EXP_REL_ERR = 1e-13

/**
 * Math.fround(Math.exp(z)) for −88 < z ≤ 88, bit for bit, for the float32 dense kernels: exp(z) is
 * approximated to EXP_REL_ERR (table of 2^(k/64) and a short polynomial) and rounded to float32;
 * when the interval exp(z)·(1 ± EXP_REL_ERR) does not round to a single float32 (observed about
 * once in 10^5 to 10^6 values), Math.exp decides.
 */
export function expF32(z: number): number {
  const kf = z * EXP_INV + ROUND_MAGIC - ROUND_MAGIC
  const r = z - kf * EXP_HI - kf * EXP_LO
  const e = EXP_TABLE[(kf | 0) - EXP_KMIN]! * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120))))))
  const lo = Math.fround(e * (1 - EXP_REL_ERR))
  return lo === Math.fround(e * (1 + EXP_REL_ERR)) ? lo : Math.fround(Math.exp(z))
}

/**
 * ‖X[xo..xo+d) − Y[yo..yo+d)‖², or −1 as soon as the partial sum reaches `limit` (the pair cannot
 * be a kernel candidate): the candidate scans stop most pairs after one or two coordinates.
 */
function partialSquaredDistance(X: Float64Array, xo: number, Y: Float64Array, yo: number, d: number, limit: number): number {
  let sq = 0
  for (let k = 0; k < d; k++) {
    const t = X[xo + k]! - Y[yo + k]!
    sq += t * t
    if (sq >= limit) return -1
  }
  return sq
}

/** A copy of the entry list `a` in a new array of length `cap` (the sparse kernel's buffers double when full). */
function grown<T extends Int32Array | Float64Array>(a: T, cap: number): T {
  const b = (a instanceof Int32Array ? new Int32Array(cap) : new Float64Array(cap)) as T
  b.set(a)
  return b
}
