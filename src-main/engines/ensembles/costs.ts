import type { Snapshot } from './types'

/** Plans/costs indexed [k][t], each N_t × N_{t+1} row-major. */
export type Stack = Float64Array[][]

/** Predicted positions A_k x_t(i) (+ b_k) for every point of snapshot t. */
export function predict(theta: Float64Array, s: Snapshot, affine: boolean): Float64Array {
  const { n, d, x } = s
  const cols = affine ? d + 1 : d
  const out = new Float64Array(n * d)
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < d; r++) {
      let v = affine ? theta[r * cols + d]! : 0
      for (let c = 0; c < d; c++) v += theta[r * cols + c]! * x[i * d + c]!
      out[i * d + r] = v
    }
  }
  return out
}

/** C_k^t(i, j) = ‖x_{t+1}(j) − A_k x_t(i) − b_k‖² for every k and t. */
export function costStack(snaps: Snapshot[], theta: Float64Array[], affine: boolean): Stack {
  const T = snaps.length - 1
  return theta.map((th) => {
    const out: Float64Array[] = []
    for (let t = 0; t < T; t++) {
      const s = snaps[t]!
      const y = snaps[t + 1]!
      const d = s.d
      const p = predict(th, s, affine)
      const C = new Float64Array(s.n * y.n)
      for (let i = 0; i < s.n; i++) {
        for (let j = 0; j < y.n; j++) {
          let c = 0
          for (let r = 0; r < d; r++) {
            const diff = y.x[j * d + r]! - p[i * d + r]!
            c += diff * diff
          }
          C[i * y.n + j] = c
        }
      }
      out.push(C)
    }
    return out
  })
}

export function objective(C: Stack, P: Stack): number {
  let s = 0
  for (let k = 0; k < C.length; k++)
    for (let t = 0; t < C[k]!.length; t++) {
      const c = C[k]![t]!
      const p = P[k]![t]!
      for (let q = 0; q < c.length; q++) s += c[q]! * p[q]!
    }
  return s
}
