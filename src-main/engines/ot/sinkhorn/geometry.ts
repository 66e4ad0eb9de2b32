/**
 * Log-domain kernel operators on batched point clouds (internal).
 *
 * Shapes: a batch of B pairs, P: [B, nP, d], Q: [B, nQ, d], potentials and log-weights [B, n].
 * The cost is split as c(x, y) = A(x) + A(y) − M(x, y) with
 *   p = 2:  A(x) = ‖x‖²/2,  M(x, y) = x·y      (so c = ‖x − y‖²/2)
 *   p = 1:  A(x) = 0,       M(x, y) = −‖x − y‖
 * so that the soft-min (one half Sinkhorn step)
 *   softmin_i = −ε log Σ_j exp( logw_j + (pot_j − c(P_i, Q_j))/ε )
 *             = A(P_i) − ε LSE_j( M_ij/ε + u_j ),   u_j = (pot_j − A(Q_j))/ε + logw_j
 * needs one "big" op for M (a batched matMul for p = 2) and a log-sum-exp.
 *
 * Dense mode keeps M and M/ε (2·B·nP·nQ floats) for the whole solve. Online (chunked) mode never
 * materialises it: rows of P are processed in blocks of at most `budget` kernel entries
 * (B·rows·nQ, times d for p = 1 where the differences are formed explicitly), so memory is
 * O(budget + B·(nP + nQ)·d) whatever the problem size (OTT's `batch_size`, KeOps' online LSE).
 *
 * float32 note: for p = 2 M = x·y is formed after centring the clouds (solve.ts). Potentials and
 * costs are O(diameter^p), so the exponents (f_i + g_j − c_ij)/ε carry an absolute rounding error
 * of roughly 1e-7 · diameter^p / ε; the marginal error cannot go much below that, so choose
 * `tol` above it (e.g. diameter 10, blur 0.1, p = 2: ~1e-3).
 */
import * as tf from '@tensorflow/tfjs'

export type CostExponent = 1 | 2

/** A(x) per point: [B, n]. */
export function halfSqNorms(P: tf.Tensor3D, p: CostExponent): tf.Tensor2D {
  return tf.tidy(() => (p === 2 ? tf.mul(tf.sum(tf.square(P), 2), 0.5) : tf.zeros([P.shape[0], P.shape[1]])) as tf.Tensor2D)
}

/** Negated distances −‖P_i − Q_j‖ : [B, r, nQ], formed from explicit differences (exact zeros on duplicates). */
function negDistances(Pb: tf.Tensor3D, Q: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const diff = tf.sub(tf.expandDims(Pb, 2), tf.expandDims(Q, 1)) // [B, r, nQ, d]
    return tf.neg(tf.sqrt(tf.sum(tf.square(diff), 3))) as tf.Tensor3D
  })
}

/** M(P_i, Q_j) for a block of rows: [B, r, nQ]. */
export function mBlock(Pb: tf.Tensor3D, Q: tf.Tensor3D, p: CostExponent): tf.Tensor3D {
  return p === 2 ? tf.matMul(Pb, Q, false, true) : negDistances(Pb, Q)
}

/** LSE over `axis` of a [B, r, c] tensor, keeping at most two temporaries alive. */
function lse(Z: tf.Tensor3D, axis: 1 | 2): tf.Tensor2D {
  return tf.tidy(() => {
    const m = tf.max(Z, axis, true)
    const s = tf.tidy(() => tf.sum(tf.exp(tf.sub(Z, m)), axis))
    return tf.add(tf.log(s), tf.squeeze(m, [axis])) as tf.Tensor2D
  })
}

/** Rows per block so that a [B, rows, cols(·d)] temporary stays within `budget` entries. */
export function blockRows(B: number, nRows: number, nCols: number, d: number, p: CostExponent, budget: number): number {
  const perRow = B * nCols * (p === 1 ? d : 1)
  return Math.max(1, Math.min(nRows, Math.floor(budget / Math.max(1, perRow))))
}

/**
 * One side of a pair geometry: soft-min over the points of Q for every point of P.
 * `u` is already [B, nQ] = (pot − A(Q))/ε + logw.
 */
export interface Geometry {
  readonly dense: boolean
  /** [B, nP]: soft-min over Q for each point of P. */
  softminOverQ(eps: number, potQ: tf.Tensor2D, logwQ: tf.Tensor2D): tf.Tensor2D
  /** [B, nQ]: soft-min over P for each point of Q. */
  softminOverP(eps: number, potP: tf.Tensor2D, logwP: tf.Tensor2D): tf.Tensor2D
  dispose(): void
}

interface Side {
  pts: tf.Tensor3D
  A: tf.Tensor2D
}

function uOf(eps: number, pot: tf.Tensor2D, side: Side, logw: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(tf.sub(pot, side.A), 1 / eps), logw) as tf.Tensor2D)
}

/** Online soft-min of rows of `rows` against all points of `cols`, in row blocks. */
function softminOnline(eps: number, rows: Side, cols: Side, u: tf.Tensor2D, p: CostExponent, budget: number): tf.Tensor2D {
  const [B, nR, d] = rows.pts.shape
  const nC = cols.pts.shape[1]
  const r = blockRows(B, nR, nC, d, p, budget)
  const uB = tf.expandDims(u, 1) // [B, 1, nC]
  const parts: tf.Tensor2D[] = []
  try {
    for (let s = 0; s < nR; s += r) {
      const len = Math.min(r, nR - s)
      parts.push(
        tf.tidy(() => {
          const Pb = len === nR ? rows.pts : (tf.slice(rows.pts, [0, s, 0], [B, len, d]) as tf.Tensor3D)
          // p = 2: scale the small block, not the big product.
          const Z =
            p === 2
              ? tf.add(tf.matMul(tf.mul(Pb, 1 / eps), cols.pts, false, true), uB)
              : tf.add(tf.mul(negDistances(Pb, cols.pts), 1 / eps), uB)
          return lse(Z as tf.Tensor3D, 2)
        }),
      )
    }
    return tf.tidy(() => {
      const L = parts.length === 1 ? parts[0]! : tf.concat(parts, 1)
      return tf.sub(rows.A, tf.mul(L, eps)) as tf.Tensor2D
    })
  } finally {
    uB.dispose()
    for (const t of parts) t.dispose()
  }
}

/**
 * @param P [B, nP, d] (float32, centred)
 * @param Q [B, nQ, d]; pass the same tensor as P for a self-geometry (OT_ε(α, α))
 * @param dense keep M in memory (B·nP·nQ floats) instead of recomputing blocks
 */
export function makeGeometry(P: tf.Tensor3D, Q: tf.Tensor3D, p: CostExponent, dense: boolean, budget: number): Geometry {
  const sp: Side = { pts: P, A: halfSqNorms(P, p) }
  const sq: Side = P === Q ? sp : { pts: Q, A: halfSqNorms(Q, p) }
  const M: tf.Tensor3D | null = dense ? mBlock(P, Q, p) : null
  // M/ε for the last ε used: the target-ε stage reuses it every iteration (one pass fewer).
  let scaled: { eps: number; Me: tf.Tensor3D } | null = null
  const mOverEps = (eps: number): tf.Tensor3D => {
    if (scaled?.eps !== eps) {
      scaled?.Me.dispose()
      scaled = { eps, Me: tf.keep(tf.mul(M!, 1 / eps)) } // kept: may be created inside a tidy
    }
    return scaled.Me
  }
  return {
    dense,
    softminOverQ(eps, potQ, logwQ) {
      const u = uOf(eps, potQ, sq, logwQ)
      try {
        if (!M) return softminOnline(eps, sp, sq, u, p, budget)
        return tf.tidy(() => {
          const Z = tf.add(mOverEps(eps), tf.expandDims(u, 1)) as tf.Tensor3D
          return tf.sub(sp.A, tf.mul(lse(Z, 2), eps)) as tf.Tensor2D
        })
      } finally {
        u.dispose()
      }
    },
    softminOverP(eps, potP, logwP) {
      const u = uOf(eps, potP, sp, logwP)
      try {
        if (!M) return softminOnline(eps, sq, sp, u, p, budget)
        return tf.tidy(() => {
          const Z = tf.add(mOverEps(eps), tf.expandDims(u, 2)) as tf.Tensor3D
          return tf.sub(sq.A, tf.mul(lse(Z, 1), eps)) as tf.Tensor2D
        })
      } finally {
        u.dispose()
      }
    },
    dispose() {
      sp.A.dispose()
      if (sq !== sp) sq.A.dispose()
      M?.dispose()
      scaled?.Me.dispose()
    },
  }
}

/**
 * Envelope gradient with respect to the points of P of ⟨w, softmin_Q(pot)⟩ with `pot` held fixed:
 *   G_i = w_i Σ_j s_ij ∇_x c(P_i, Q_j),   s_i· = softmax_j( −c(P_i, Q_j)/ε + pot_j/ε + logwQ_j )
 * i.e. the row-normalised plan (exact row marginal w) contracted with ∇c:
 *   p = 2: ∇_x c = x − y → G_i = w_i (P_i − Σ_j s_ij Q_j)  (w_i times the barycentric displacement);
 *   p = 1: ∇_x c = (x − y)/‖x − y‖ (0 where x = y).
 * Row blocks as in the online soft-min, whatever the solve mode. Returns [B, nP, d].
 */
export function envelopeGrad(
  P: tf.Tensor3D,
  Q: tf.Tensor3D,
  p: CostExponent,
  eps: number,
  potQ: tf.Tensor2D,
  logwQ: tf.Tensor2D,
  wP: tf.Tensor2D,
  budget: number,
): tf.Tensor3D {
  const [B, nP, d] = P.shape
  const nQ = Q.shape[1]
  const r = blockRows(B, nP, nQ, d, p, budget)
  const AQ = halfSqNorms(Q, p)
  const uB = tf.tidy(() => tf.expandDims(tf.add(tf.mul(tf.sub(potQ, AQ), 1 / eps), logwQ), 1))
  const parts: tf.Tensor3D[] = []
  try {
    for (let s = 0; s < nP; s += r) {
      const len = Math.min(r, nP - s)
      parts.push(
        tf.tidy(() => {
          const Pb = len === nP ? P : (tf.slice(P, [0, s, 0], [B, len, d]) as tf.Tensor3D)
          if (p === 2) {
            const Z = tf.add(tf.matMul(tf.mul(Pb, 1 / eps), Q, false, true), uB) as tf.Tensor3D
            const S = tf.exp(tf.sub(Z, tf.max(Z, 2, true)))
            const Sn = tf.div(S, tf.sum(S, 2, true))
            return tf.sub(Pb, tf.matMul(Sn, Q)) as tf.Tensor3D
          }
          const negD = negDistances(Pb, Q)
          const Z = tf.add(tf.mul(negD, 1 / eps), uB) as tf.Tensor3D
          const S = tf.exp(tf.sub(Z, tf.max(Z, 2, true)))
          const W = tf.divNoNan(tf.div(S, tf.sum(S, 2, true)), tf.neg(negD)) // s_ij / D_ij, 0 on duplicates
          return tf.sub(tf.mul(tf.sum(W, 2, true), Pb), tf.matMul(W, Q)) as tf.Tensor3D
        }),
      )
    }
    return tf.tidy(() => {
      const G = parts.length === 1 ? parts[0]! : tf.concat(parts, 1)
      return tf.mul(G, tf.expandDims(wP, 2)) as tf.Tensor3D
    })
  } finally {
    AQ.dispose()
    uB.dispose()
    for (const t of parts) t.dispose()
  }
}
