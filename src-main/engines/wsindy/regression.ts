/**
 * Sparse regression with sign constraints (SPEC §4.2; paper §2.3): constrained modified sequential
 * thresholding (MSTLS) with the λ sweep and the paper's selection loss.
 *
 * For one λ: start from the constrained least-squares solution on all columns; repeat
 * { keep column j only if λ ≤ ‖G_j w_j‖/‖b‖ ≤ 1/λ (and w_j ≠ 0); re-solve min ‖G_S w_S − b‖²
 * s.t. C_S w_S ≤ 0 on the kept set S } until S stops changing (≤ `maxThresholdIter` times).
 * λ̂ is the first minimiser over the grid of
 *   ℒ(λ) = α‖G(w_λ − w_LS)‖/‖G w_LS‖ + (1 − α) nnz(w_λ)/nnz(w_LS),  α = ½,
 * w_LS the unconstrained least-squares solution (reference code `sparsifyDynamics_qp.m`).
 */
import { constrainedLstsq, lstsq, type Matrix } from '../linalg'
import { qrReduce } from '../linalg/qr'

export interface MstlsOptions {
  /** λ grid. @default 50 values 10^linspace(−4, 0, 50) */
  lambdas?: number[]
  /** Weight α of the fit term in ℒ. @default 0.5 */
  lossWeight?: number
  /** Thresholding passes per λ. @default 10 */
  maxThresholdIter?: number
  /** Also drop terms with ‖G_j w_j‖/‖b‖ > 1/λ (paper and reference code). @default true */
  upperBound?: boolean
  /** Relative Tikhonov weight γ: adds γ²·max_j‖G_j‖² to each least-squares solve (reference γ = 0). @default 0 */
  ridge?: number
}

export interface MstlsResult {
  w: Float64Array
  lambda: number
  /** ℒ(λ) over the grid. */
  losses: number[]
  lambdas: number[]
  /** ‖b − G w‖/‖b‖ at the selected w. */
  residual: number
  /** Whether every constrained least-squares solve reported 'optimal'. */
  converged: boolean
}

export const defaultLambdas = (count = 50, lo = -4, hi = 0): number[] => Array.from({ length: count }, (_, k) => Math.pow(10, lo + ((hi - lo) * k) / (count - 1)))

/** G: rows × cols row-major; C: constraint rows (Cw ≤ 0) over the same columns, or null. */
export function mstls(G0: Matrix, b0: Float64Array, C: Matrix | null, o: MstlsOptions = {}): MstlsResult {
  // Every quantity below depends on G and b only through ‖G_S w_S − b‖, ‖G_j‖ and ‖G(w − w')‖, which the
  // thin QR G = Q R, c = Qᵀ b preserves (‖G_S w_S − b‖² = ‖R_S w_S − c‖² + ‖b‖² − ‖c‖²): work with (R, c).
  const bNorm = Math.hypot(...b0) || 1
  let G = G0, b = b0, resid2Offset = 0
  if (G0.rows > G0.cols) {
    const red = qrReduce(G0, b0)
    G = { data: red.R, rows: G0.cols, cols: G0.cols }
    b = red.c
    resid2Offset = Math.max(0, bNorm * bNorm - red.c.reduce((s, x) => s + x * x, 0))
  }
  const { rows, cols } = G
  const lambdas = o.lambdas ?? defaultLambdas()
  const alpha = o.lossWeight ?? 0.5
  const maxIt = o.maxThresholdIter ?? 10
  let allOptimal = true
  const upper = o.upperBound ?? true
  const colNorm = new Float64Array(cols)
  for (let j = 0; j < cols; j++) {
    let s = 0
    for (let i = 0; i < rows; i++) s += G.data[i * cols + j]! ** 2
    colNorm[j] = Math.sqrt(s)
  }
  let maxCol = 0
  for (let j = 0; j < cols; j++) maxCol = Math.max(maxCol, colNorm[j]!)
  const ridgeAbs = (o.ridge ?? 0) ** 2 * maxCol * maxCol
  const cache = new Map<string, Float64Array>()
  const solveOn = (S: number[]): Float64Array => {
    const key = S.join(',')
    const hit = cache.get(key)
    if (hit) return hit
    const w = new Float64Array(cols)
    if (S.length) {
      const k = S.length
      const Gs = new Float64Array(rows * k)
      for (let i = 0; i < rows; i++) for (let q = 0; q < k; q++) Gs[i * k + q] = G.data[i * cols + S[q]!]!
      let Cs: Matrix | null = null
      if (C) {
        const keep: number[] = []
        for (let r = 0; r < C.rows; r++) {
          let nz = false
          for (const j of S) if (C.data[r * cols + j] !== 0) nz = true
          if (nz) keep.push(r)
        }
        if (keep.length) {
          const Cd = new Float64Array(keep.length * k)
          keep.forEach((r, a) => S.forEach((j, q) => (Cd[a * k + q] = C.data[r * cols + j]!)))
          Cs = { data: Cd, rows: keep.length, cols: k }
        }
      }
      const res = constrainedLstsq({ data: Gs, rows, cols: k }, b, Cs, Cs ? new Float64Array(Cs.rows) : null, ridgeAbs > 0 ? { ridge: ridgeAbs } : {})
      if (res.status !== 'optimal') allOptimal = false
      S.forEach((j, q) => (w[j] = res.x[q]!))
    }
    cache.set(key, w)
    return w
  }
  const support = (w: Float64Array, lam: number): number[] => {
    const S: number[] = []
    for (let j = 0; j < cols; j++) {
      if (w[j] === 0) continue
      const t = (colNorm[j]! * Math.abs(w[j]!)) / bNorm
      if (t >= lam && (!upper || t <= 1 / lam)) S.push(j)
    }
    return S
  }
  const all = Array.from({ length: cols }, (_, j) => j)
  const w0 = solveOn(all)
  const wls = lstsq(G, b).x.data
  const Gw = (w: ArrayLike<number>) => {
    const out = new Float64Array(rows)
    for (let i = 0; i < rows; i++) {
      let s = 0
      for (let j = 0; j < cols; j++) if (w[j] !== 0) s += G.data[i * cols + j]! * w[j]!
      out[i] = s
    }
    return out
  }
  const gls = Gw(wls)
  const glsNorm = Math.hypot(...gls) || 1
  let nnzLs = 0
  for (let j = 0; j < cols; j++) if (wls[j] !== 0) nnzLs++
  nnzLs = Math.max(1, nnzLs)
  const losses: number[] = []
  let best = 0, bestLoss = Infinity, bestW = w0
  lambdas.forEach((lam, li) => {
    let w = w0
    let prev = all.join(',')
    for (let it = 0; it < maxIt; it++) {
      const S = support(w, lam)
      const key = S.join(',')
      if (key === prev) break
      prev = key
      w = solveOn(S)
    }
    const g = Gw(w)
    let d2 = 0, nnz = 0
    for (let i = 0; i < rows; i++) d2 += (g[i]! - gls[i]!) ** 2
    for (let j = 0; j < cols; j++) if (w[j] !== 0) nnz++
    const loss = (alpha * Math.sqrt(d2)) / glsNorm + ((1 - alpha) * nnz) / nnzLs
    losses.push(loss)
    if (loss < bestLoss) {
      bestLoss = loss
      best = li
      bestW = w
    }
  })
  const g = Gw(bestW)
  let r2 = 0
  for (let i = 0; i < rows; i++) r2 += (g[i]! - b[i]!) ** 2
  r2 += resid2Offset
  return { w: Float64Array.from(bestW), lambda: lambdas[best]!, losses, lambdas, residual: Math.sqrt(r2) / bNorm, converged: allOptimal }
}
