/**
 * Entropic optimal transport between two weighted point clouds, on TensorFlow.js tensors
 * (whatever backend the app selected: tensorflow-gpu, tensorflow, wasm, cpu; float32).
 *
 * Problem: α = Σ_i a_i δ_{x_i}, β = Σ_j b_j δ_{y_j}, Σa = Σb,
 *   OT_ε(α, β) = min_{π ∈ Π(a, b)} ⟨π, C⟩ + ε KL(π | a ⊗ b)
 *             = max_{f, g} ⟨a, f⟩ + ⟨b, g⟩ − ε ⟨a ⊗ b, e^{(f ⊕ g − C)/ε} − 1⟩.
 * `cost` is the dual value ⟨a, f⟩ + ⟨b, g⟩ at the returned potentials (geomloss convention):
 * at convergence it equals the primal value, entropic term ε KL(π | a ⊗ b) INCLUDED.
 * Cost c(x, y) = ‖x − y‖²/2 (p = 2) or ‖x − y‖ (p = 1); ε = eps, or ε = blur^p (see config.ts).
 *
 * Algorithm, stopping rule and references: solve.ts (tensor path) and stabilised.ts (CPU path,
 * the default on the wasm / cpu backends; see `solver`). Memory on the tensor path: dense
 * (B·n·m floats) when n·m ≤ `memoryBudget`, else online row blocks (geometry.ts); on the CPU path
 * at most memoryBudget/2 kernel pairs per problem (see `solver`), else log-domain passes without storage; both
 * run 20 000 × 20 000 in bounded memory.
 */
import * as tf from '@tensorflow/tfjs'
import type { EngineContext, IterationReport } from '../../common/context'
import { invalidInput } from '@shared/errors'
import { resolveOptions, type SinkhornOptions } from './config'
import { disposeProblem, makeProblem, solveAuto, type CoreOptions, type KernelMode } from './solve'
import type { SinkhornPath, SinkhornSolver } from './cpu-path'

export type { KernelMode, SinkhornPath, SinkhornSolver }

/** Solver configuration for the tensor solvers; the weights are problem data carried along. */
export interface SinkhornConfig extends SinkhornOptions {
  /**
   * Weights of x: [n] (or [B, n] for the batch functions), non-negative, same total as b.
   * Treated as constants (no gradient flows to them). @default uniform 1/n
   */
  a?: tf.Tensor
  /** Weights of y: [m] (or [B, m]). @default uniform 1/m */
  b?: tf.Tensor
  /** Kernel evaluation: 'dense' keeps the n×m matrix, 'online' recomputes it in row blocks. @default 'auto' */
  mode?: KernelMode
  /**
   * Largest kernel temporary, in float32 entries: 'auto' goes dense iff B·n·m ≤ this, and online
   * blocks hold about this many entries (each live temporary ≈ 4·budget bytes, 2–4 alive).
   * Dense mode keeps M and M/ε per problem (the divergence has three problems: xy, xx, yy), so
   * its resident size is up to 6·4·B·n·m bytes plus temporaries.
   * @default 2^24 (64 MiB per temporary)
   */
  memoryBudget?: number
  /**
   * Which solver: 'tensor' = log-domain Sinkhorn on tfjs tensors (solve.ts); 'cpu' = the
   * stabilised sparse-kernel solver in float64 typed arrays (stabilised.ts: same problem, same ε
   * schedule and stopping rule, plus adaptive over-relaxation at the target ε), whose potentials
   * come back as tensors; 'auto' = 'cpu' when the backend is 'wasm' or 'cpu' and `mode` is 'auto',
   * else 'tensor'. Gradients (envelope theorem) work on both. On the CPU path `memoryBudget` caps
   * the kept kernel pairs per problem at budget/2 (about 20 bytes each) and a dense float32 stage
   * matrix at 2.5·budget pairs (4 bytes each), i.e. ≤ 160 MiB per problem (three for the
   * divergence) at the default; beyond that a stage runs in plain log domain without storage.
   * @default 'auto'
   */
  solver?: SinkhornSolver
}

export interface SinkhornResult extends IterationReport {
  /** Dual potential on x, [n] (cost units). Owned by the caller: call `dispose()`. */
  f: tf.Tensor1D
  /** Dual potential on y, [m]. */
  g: tf.Tensor1D
  /** OT_ε(α, β) = ⟨a, f⟩ + ⟨b, g⟩ (entropic term included). */
  cost: number
  /** Target ε actually used. */
  eps: number
  /** ε-scaling schedule (last entry = eps); one iteration per entry before the target stage. */
  epsSchedule: number[]
  /** Whether the kernel was kept dense (tensor path). */
  dense: boolean
  /** Which solver ran: 'cpu-stabilised' or 'tensor-log'. */
  path: SinkhornPath
  /** Disposes f and g. */
  dispose(): void
}

export const DEFAULT_MEMORY_BUDGET = 2 ** 24

export function coreOptions(config: SinkhornConfig): CoreOptions {
  const r = resolveOptions(config)
  const mode = config.mode ?? 'auto'
  if (mode !== 'auto' && mode !== 'dense' && mode !== 'online') {
    throw invalidInput(`sinkhorn: expected mode 'auto', 'dense' or 'online', got ${String(mode)}`)
  }
  const budget = config.memoryBudget ?? DEFAULT_MEMORY_BUDGET
  if (!(Number.isFinite(budget) && budget >= 1)) throw invalidInput(`sinkhorn: expected memoryBudget >= 1, got ${budget}`)
  const solver = config.solver ?? 'auto'
  if (solver !== 'auto' && solver !== 'cpu' && solver !== 'tensor') {
    throw invalidInput(`sinkhorn: expected solver 'auto', 'cpu' or 'tensor', got ${String(solver)}`)
  }
  return { ...r, mode, budget, solver }
}

/**
 * Solves OT_ε(α, β) for x: [n, d], y: [m, d] (float32 tensors).
 * Not converging is a result (`status: 'max-iterations'`, or 'numerical-error' with the last
 * finite iterate); bad input throws invalidInput; `ctx.signal` aborts with CancelledError.
 * Iterations = ε-scaling steps + target-ε iterations; errorHistory holds the target-stage
 * marginal errors.
 */
export function sinkhorn(x: tf.Tensor2D, y: tf.Tensor2D, config: SinkhornConfig = {}, ctx?: EngineContext): SinkhornResult {
  const o = coreOptions(config)
  const pb = makeProblem(x, y, config.a, config.b, 2)
  try {
    const out = solveAuto(pb, o, false, ctx)
    let cost: number
    if (out.value64) cost = out.value64[0]!
    else {
      const costT = tf.tidy(() => tf.add(tf.sum(tf.mul(pb.a, out.fab)), tf.sum(tf.mul(pb.b, out.gab))))
      cost = costT.dataSync()[0]!
      costT.dispose()
    }
    const f = tf.squeeze(out.fab, [0]) as tf.Tensor1D
    const g = tf.squeeze(out.gab, [0]) as tf.Tensor1D
    out.fab.dispose()
    out.gab.dispose()
    return {
      f,
      g,
      cost,
      eps: out.eps,
      epsSchedule: out.epsSchedule,
      dense: out.dense,
      path: out.path,
      converged: out.converged,
      status: out.status,
      iterations: out.iterations,
      errorHistory: out.errorHistory,
      dispose() {
        f.dispose()
        g.dispose()
      },
    }
  } finally {
    disposeProblem(pb)
  }
}

/**
 * The dense plan π_ij = a_i b_j exp((f_i + g_j − c(x_i, y_j))/ε) of a `sinkhorn` result, [n, m].
 * For small problems only (inspection, tests): throws invalidInput when n·m > memoryBudget.
 * Pass the same x, y and config as to `sinkhorn`.
 */
export function transportPlan(x: tf.Tensor2D, y: tf.Tensor2D, result: SinkhornResult, config: SinkhornConfig = {}): tf.Tensor2D {
  const o = coreOptions(config)
  const [n] = x.shape
  const [m] = y.shape
  if (n * m > o.budget) throw invalidInput(`transportPlan: expected n·m <= memoryBudget (${o.budget}), got ${n}·${m}`)
  const pb = makeProblem(x, y, config.a, config.b, 2)
  try {
    return tf.tidy(() => {
      const X = pb.x.squeeze([0]) as tf.Tensor2D
      const Y = pb.y.squeeze([0]) as tf.Tensor2D
      const diff = tf.sub(tf.expandDims(X, 1), tf.expandDims(Y, 0))
      const sq = tf.sum(tf.square(diff), 2)
      const C = o.p === 2 ? tf.mul(sq, 0.5) : tf.sqrt(sq)
      const logits = tf.div(tf.sub(tf.add(tf.expandDims(result.f, 1), tf.expandDims(result.g, 0)), C), result.eps)
      const logw = tf.add(tf.expandDims(pb.loga.squeeze([0]), 1), tf.expandDims(pb.logb.squeeze([0]), 0))
      return tf.exp(tf.add(logits, logw)) as tf.Tensor2D
    })
  } finally {
    disposeProblem(pb)
  }
}
