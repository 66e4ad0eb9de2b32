/**
 * θ step: for fixed plans, each A_k (and b_k when affine) by weighted least squares,
 *   A_k = (Σ_t Σ_ij P_k^t(i,j) y_j x̃_iᵀ)(Σ_t Σ_ij P_k^t(i,j) x̃_i x̃_iᵀ)^{-1},  x̃ = [x; 1] when affine.
 */
import type { Snapshot } from './types'
import type { Stack } from './costs'
import type { SparseStack } from './sparse'

/** Solves S θᵀ = Rᵀ for θ (d × p) given S (p × p, SPD up to a ridge) by Gaussian elimination. */
function solveNormal(S: Float64Array, R: Float64Array, p: number, d: number): Float64Array | null {
  // θ S = R  ->  S θᵀ = Rᵀ (S symmetric)
  const A = Float64Array.from(S)
  const B = new Float64Array(p * d)
  for (let r = 0; r < d; r++) for (let c = 0; c < p; c++) B[c * d + r] = R[r * p + c]!
  let trace = 0
  for (let i = 0; i < p; i++) trace += A[i * p + i]!
  if (!(trace > 0)) return null
  const ridge = 1e-12 * (trace / p)
  for (let i = 0; i < p; i++) A[i * p + i] = A[i * p + i]! + ridge
  for (let col = 0; col < p; col++) {
    let piv = col
    for (let r = col + 1; r < p; r++) if (Math.abs(A[r * p + col]!) > Math.abs(A[piv * p + col]!)) piv = r
    if (Math.abs(A[piv * p + col]!) < 1e-300) return null
    if (piv !== col) {
      for (let c = 0; c < p; c++) [A[col * p + c], A[piv * p + c]] = [A[piv * p + c]!, A[col * p + c]!]
      for (let c = 0; c < d; c++) [B[col * d + c], B[piv * d + c]] = [B[piv * d + c]!, B[col * d + c]!]
    }
    for (let r = 0; r < p; r++) {
      if (r === col) continue
      const f = A[r * p + col]! / A[col * p + col]!
      if (f === 0) continue
      for (let c = col; c < p; c++) A[r * p + c] = A[r * p + c]! - f * A[col * p + c]!
      for (let c = 0; c < d; c++) B[r * d + c] = B[r * d + c]! - f * B[col * d + c]!
    }
  }
  const theta = new Float64Array(d * p)
  for (let c = 0; c < p; c++) for (let r = 0; r < d; r++) theta[r * p + c] = B[c * d + r]! / A[c * p + c]!
  return theta
}

/**
 * Weighted least squares of y on x̃ over (i, j) pairs with weights w_ij (any number of time
 * steps). Returns null when the weights carry no information (e.g. an empty ensemble).
 */
export function fitLinear(pairs: { x: Snapshot; y: Snapshot; w: Float64Array }[], affine: boolean): Float64Array | null {
  const d = pairs[0]!.x.d
  const ne = new NormalEquations(d, affine)
  const py = new Float64Array(d)
  for (const { x, y, w } of pairs) {
    const m = y.n
    for (let i = 0; i < x.n; i++) {
      let ri = 0
      py.fill(0)
      for (let j = 0; j < m; j++) {
        const wij = w[i * m + j]!
        if (wij === 0) continue
        ri += wij
        for (let r = 0; r < d; r++) py[r] = py[r]! + wij * y.x[j * d + r]!
      }
      ne.addRow(x.x, i * d, ri, py)
    }
  }
  return ne.solve()
}

/** Normal equations of the weighted least squares, accumulated one source point at a time. */
class NormalEquations {
  private readonly p: number
  private readonly S: Float64Array
  private readonly R: Float64Array
  private readonly xt: Float64Array
  constructor(
    private readonly d: number,
    private readonly affine: boolean,
  ) {
    this.p = affine ? d + 1 : d
    this.S = new Float64Array(this.p * this.p)
    this.R = new Float64Array(d * this.p)
    this.xt = new Float64Array(this.p)
  }
  /** Source point x[xo .. xo + d) with total weight ri to its targets and Σ_j w_ij y_j = py. */
  addRow(x: Float64Array, xo: number, ri: number, py: Float64Array): void {
    if (ri === 0) return
    const { d, p, S, R, xt } = this
    for (let c = 0; c < d; c++) xt[c] = x[xo + c]!
    if (this.affine) xt[d] = 1
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) S[a * p + b] = S[a * p + b]! + ri * xt[a]! * xt[b]!
      for (let r = 0; r < d; r++) R[r * p + a] = R[r * p + a]! + py[r]! * xt[a]!
    }
  }
  solve(): Float64Array | null {
    return solveNormal(this.S, this.R, this.p, this.d)
  }
}

export function updateTheta(snaps: Snapshot[], P: Stack, previous: Float64Array[], affine: boolean): Float64Array[] {
  return P.map((pk, k) => {
    const pairs = pk.map((w, t) => ({ x: snaps[t]!, y: snaps[t + 1]!, w }))
    return fitLinear(pairs, affine) ?? previous[k]!
  })
}

/** updateTheta on sparse plans (sparse.ts): the same weighted least squares over the supports. */
export function updateThetaSparse(snaps: Snapshot[], P: SparseStack, previous: Float64Array[], affine: boolean): Float64Array[] {
  const d = snaps[0]!.d
  const py = new Float64Array(d)
  return P.map((pk, k) => {
    const ne = new NormalEquations(d, affine)
    pk.forEach((plan, t) => {
      const x = snaps[t]!, y = snaps[t + 1]!
      for (let i = 0; i < x.n; i++) {
        let ri = 0
        py.fill(0)
        for (let q = plan.ptr[i]!; q < plan.ptr[i + 1]!; q++) {
          const w = plan.val[q]!
          if (w === 0) continue
          ri += w
          const j = plan.col[q]!
          for (let r = 0; r < d; r++) py[r] = py[r]! + w * y.x[j * d + r]!
        }
        ne.addRow(x.x, i * d, ri, py)
      }
    })
    return ne.solve() ?? previous[k]!
  })
}
