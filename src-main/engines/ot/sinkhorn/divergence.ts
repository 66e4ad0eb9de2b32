/**
 * The debiased Sinkhorn divergence as a differentiable TensorFlow.js loss (SPEC §3):
 *   S_ε(α, β) = OT_ε(α, β) − ½ OT_ε(α, α) − ½ OT_ε(β, β)
 *            = ⟨a, f_ab − f_aa⟩ + ⟨b, g_ab − g_bb⟩       (dual potentials at convergence),
 * with OT_ε as in sinkhorn.ts (dual value, entropic term included; cost ‖x−y‖²/2 for p = 2).
 * S_ε ≥ 0, S_ε(α, α) = 0, S_ε(α, α + t) = ‖t‖²/2 for p = 2, and S_ε → W₂²/2 as ε → 0
 * (Feydy et al., AISTATS 2019, Thm 1).
 *
 * Gradient (envelope theorem — no back-propagation through the iterations): with the potentials
 * held fixed at convergence,
 *   ∇_{x_i} S = Σ_j π_ij ∇_x c(x_i, y_j) − Σ_k π^{αα}_ik ∇_x c(x_i, x_k),
 * for p = 2: a_i (x_i − Σ_j π_ij y_j / a_i) − a_i (x_i − Σ_k π^{αα}_ik x_k / a_i); symmetrically for y.
 * It is implemented with tf.customGrad: the Sinkhorn loop runs inside the custom op's forward
 * pass (not recorded on the tape), the potentials are saved, and the backward pass evaluates the
 * formula above in row blocks (chunked like the solve). So the loss composes with tf.grad,
 * tf.variableGrads and optimizer.minimize, with x the output of a network, and with surrounding
 * code that takes higher-order gradients elsewhere (e.g. accelerations from tf.grad of an energy
 * inside a rolled-out trajectory): the loss's own gradient is first-order only — differentiating
 * it again sees the potentials as constants. Weights a, b get no gradient.
 *
 * Cost of one call: one ε-scaled Sinkhorn solve of the three problems (xy, xx, yy) in the same
 * loop; the backward pass costs about two Sinkhorn iterations and runs only if a gradient is taken.
 * On the wasm / cpu backends the solve runs by default on the CPU path (`solver`, cpu-path.ts:
 * stabilised sparse-kernel scaling in float64, value computed in float64); the gradient is the same
 * envelope formula on tensors in both cases. `report.path` says which ran.
 */
import * as tf from '@tensorflow/tfjs'
import type { EngineContext, IterationReport } from '../../common/context'
import { envelopeGrad } from './geometry'
import { coreOptions, type SinkhornConfig } from './sinkhorn'
import { disposeProblem, makeProblem, solveAuto, type CoreOptions } from './solve'
import type { SinkhornPath } from './cpu-path'

export interface DivergenceReport extends IterationReport {
  /** Target ε used. */
  eps: number
  epsSchedule: number[]
  dense: boolean
  /** Which solver ran: 'cpu-stabilised' (wasm / cpu backends by default) or 'tensor-log'. */
  path: SinkhornPath
}

export interface DivergenceResult<T extends tf.Tensor> {
  /** S_ε: a scalar for one pair, [B] for a batch; differentiable w.r.t. x and y. */
  value: T
  /** Convergence of the underlying solve (max error over the three problems and the batch). */
  report: DivergenceReport
}

/**
 * The custom op on [n, d] / [m, d] (rank 2, value a scalar) or [B, n, d] / [B, m, d] (rank 3,
 * value [B]). Shapes are adapted inside the op, not before it: a tfjs op recorded on the tape
 * before an exception (e.g. cancellation) would leak the tensors it saved for its gradient.
 */
function divergenceOp<T extends tf.Tensor>(
  config: SinkhornConfig,
  o: CoreOptions,
  rank: 2 | 3,
  ctx: EngineContext | undefined,
  onReport: (r: DivergenceReport) => void,
) {
  return tf.customGrad<T>(((x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
    const pb = makeProblem(x, y, config.a, config.b, rank)
    try {
      const out = solveAuto(pb, o, true, ctx)
      const faa = out.faa!, gbb = out.gbb!
      onReport({
        converged: out.converged,
        status: out.status,
        iterations: out.iterations,
        errorHistory: out.errorHistory,
        eps: out.eps,
        epsSchedule: out.epsSchedule,
        dense: out.dense,
        path: out.path,
      })
      const v64 = out.value64
      const value = tf.tidy(() => {
        if (v64) return rank === 2 ? tf.scalar(v64[0]!) : tf.tensor1d(v64)
        const v = tf.add(tf.sum(tf.mul(pb.a, tf.sub(out.fab, faa)), 1), tf.sum(tf.mul(pb.b, tf.sub(out.gab, gbb)), 1))
        return rank === 2 ? tf.reshape(v, []) : v
      })
      // save() clones and keeps only when a tape is recording; the originals die with this scope.
      save([pb.x, pb.y, pb.a, pb.b, pb.loga, pb.logb, out.fab, out.gab, faa, gbb])
      for (const t of [out.fab, out.gab, faa, gbb]) t.dispose()
      const eps = out.eps
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [X, Y, a, b, loga, logb, fab, gab, fa, gb] = saved as [
            tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D,
            tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D,
          ]
          const p = o.p
          const gradOne = (P: tf.Tensor3D, Q: tf.Tensor3D, potQ: tf.Tensor2D, logwQ: tf.Tensor2D, potSelf: tf.Tensor2D, logwP: tf.Tensor2D, wP: tf.Tensor2D) => {
            const cross = envelopeGrad(P, Q, p, eps, potQ, logwQ, wP, o.budget)
            const self = envelopeGrad(P, P, p, eps, potSelf, logwP, wP, o.budget)
            const g = tf.tidy(() => {
              const G = tf.mul(tf.sub(cross, self), tf.reshape(dy, [-1, 1, 1]))
              return rank === 2 ? tf.squeeze(G, [0]) : G
            })
            cross.dispose()
            self.dispose()
            return g
          }
          return [gradOne(X, Y, gab, logb, fa, loga, a), gradOne(Y, X, fab, loga, gb, logb, b)]
        },
      }
    } finally {
      disposeProblem(pb)
    }
  }) as unknown as Parameters<typeof tf.customGrad<T>>[0]) as (x: tf.Tensor, y: tf.Tensor) => T
}

/**
 * S_ε for B pairs of clouds at once: x [B, n, d], y [B, m, d] → value [B] (+ report).
 * Weights in `config.a` / `config.b` as [n] (shared) or [B, n]. One loop for the whole batch
 * (batched matMul / log-sum-exp); it stops when every pair has converged.
 */
export function sinkhornDivergenceBatchWithReport(
  x: tf.Tensor3D,
  y: tf.Tensor3D,
  config: SinkhornConfig = {},
  ctx?: EngineContext,
): DivergenceResult<tf.Tensor1D> {
  const o = coreOptions(config)
  let report: DivergenceReport | undefined
  const value = divergenceOp<tf.Tensor1D>(config, o, 3, ctx, (r) => (report = r))(x, y)
  return { value, report: report! }
}

/** S_ε(α, β) for x [n, d], y [m, d] → scalar (+ report). See the module comment. */
export function sinkhornDivergenceWithReport(
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  config: SinkhornConfig = {},
  ctx?: EngineContext,
): DivergenceResult<tf.Scalar> {
  const o = coreOptions(config)
  let report: DivergenceReport | undefined
  const value = divergenceOp<tf.Scalar>(config, o, 2, ctx, (r) => (report = r))(x, y)
  return { value, report: report! }
}

/**
 * S_ε(α, β) as a differentiable scalar loss: `tf.grad(x => sinkhornDivergence(x, y, cfg))(x)`.
 * x [n, d], y [m, d] float32. Throws invalidInput on bad input, CancelledError on abort; a solve
 * that did not converge still returns its value (use `sinkhornDivergenceWithReport` to see it).
 */
export function sinkhornDivergence(x: tf.Tensor2D, y: tf.Tensor2D, config: SinkhornConfig = {}, ctx?: EngineContext): tf.Scalar {
  return sinkhornDivergenceWithReport(x, y, config, ctx).value
}

/** S_ε for a batch: x [B, n, d], y [B, m, d] → [B], differentiable. */
export function sinkhornDivergenceBatch(x: tf.Tensor3D, y: tf.Tensor3D, config: SinkhornConfig = {}, ctx?: EngineContext): tf.Tensor1D {
  return sinkhornDivergenceBatchWithReport(x, y, config, ctx).value
}
