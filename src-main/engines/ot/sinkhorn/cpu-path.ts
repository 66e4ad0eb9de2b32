/**
 * The CPU path of the tensor API (internal): a prepared BatchProblem (validated, centred, float32
 * tensors) solved item by item by the stabilised float64 solver (stabilised.ts), with the
 * potentials handed back as tensors, so sinkhorn.ts / divergence.ts (values, envelope-theorem
 * gradients on the tape) work unchanged on either path.
 *
 * Path choice (`solver` option): 'auto' takes this path when the active tfjs backend runs on the
 * CPU anyway ('wasm', 'cpu') and the kernel mode is 'auto' (an explicit 'dense' / 'online' asks for
 * the tensor kernels); 'tensor' and 'cpu' force a path.
 */
import * as tf from '@tensorflow/tfjs'
import type { EngineContext, SolveStatus } from '../../common/context'
import { solveStabilised, type StabCloud, type StabilisedOutput } from './stabilised'
import type { BatchProblem, CoreOptions, CoreOutput } from './solve'

/** Which solver produced a result. */
export type SinkhornPath = 'cpu-stabilised' | 'tensor-log'

/** Which solver to use. */
export type SinkhornSolver = 'auto' | 'cpu' | 'tensor'


/** The path `solveAuto` takes for these options on the current backend. */
export function chooseSolverPath(o: Pick<CoreOptions, 'mode' | 'solver'>): SinkhornPath {
  if (o.solver === 'cpu') return 'cpu-stabilised'
  if (o.solver === 'tensor') return 'tensor-log'
  const backend = tf.getBackend()
  return o.mode === 'auto' && (backend === 'wasm' || backend === 'cpu') ? 'cpu-stabilised' : 'tensor-log'
}

/**
 * Largest candidate list per problem for a memory budget given in float32 entries: budget/2
 * pairs of about 20 bytes (≤ 160 MiB per problem at the default 2^24); the dense float32 stage
 * matrix may then hold 2.5·budget pairs (the same bytes), enough for 5000 × 5000.
 */
export function maxEntriesFor(budget: number): number {
  return Math.max(1, Math.floor(budget / 2))
}

const STATUS_RANK: Record<SolveStatus, number> = { converged: 0, 'max-iterations': 1, 'numerical-error': 2 }

/**
 * Solves every batch item of a prepared problem on the CPU. Output tensors are owned by the
 * caller (same contract as solveBatch). Batch report: converged iff all items converged, the
 * worst status, the largest iteration count, and the error history of the item that ended with
 * the largest error.
 */
export function solveBatchCpu(pb: BatchProblem, o: CoreOptions, debias: boolean, ctx?: EngineContext): CoreOutput {
  const [B, n, d] = pb.x.shape
  const m = pb.y.shape[1]
  const X = Float64Array.from(pb.x.dataSync())
  const Y = Float64Array.from(pb.y.dataSync())
  const A = Float64Array.from(pb.a.dataSync())
  const Bw = Float64Array.from(pb.b.dataSync())
  const outs: StabilisedOutput[] = []
  // One diameter for the whole batch (as the tensor path): the same ε schedule for every item.
  let diameter = o.diameter
  if (diameter === undefined) {
    let s = 0
    for (let k = 0; k < d; k++) {
      let lo = Infinity, hi = -Infinity
      for (const [P, cnt] of [[X, B * n], [Y, B * m]] as const) {
        for (let i = 0; i < cnt; i++) {
          const v = P[i * d + k]!
          if (v < lo) lo = v
          if (v > hi) hi = v
        }
      }
      s += (hi - lo) ** 2
    }
    diameter = Math.sqrt(s)
  }
  const so = { ...o, diameter, maxEntries: maxEntriesFor(o.budget), overRelaxation: true }
  for (let k = 0; k < B; k++) {
    const x: StabCloud = { data: X.subarray(k * n * d, (k + 1) * n * d), n, d }
    const y: StabCloud = { data: Y.subarray(k * m * d, (k + 1) * m * d), n: m, d }
    outs.push(solveStabilised({ x, y, a: A.subarray(k * n, (k + 1) * n), b: Bw.subarray(k * m, (k + 1) * m) }, so, debias, ctx))
  }
  const stack = (get: (r: StabilisedOutput) => Float64Array | undefined, len: number): tf.Tensor2D | undefined => {
    if (!get(outs[0]!)) return undefined
    const buf = new Float32Array(B * len)
    outs.forEach((r, k) => buf.set(get(r)!, k * len))
    return tf.tensor2d(buf, [B, len])
  }
  // Potentials beyond the float32 range cannot be handed back as tensors: a numerical error of
  // this path (e.g. coordinates near 1e20, whose costs overflow float32), not silently Inf.
  const F32_MAX = 3.4028234663852886e38
  const fits = (v: Float64Array | undefined) => !v || v.every((t) => Math.abs(t) <= F32_MAX)
  for (const r of outs) {
    if (!(fits(r.f) && fits(r.g) && fits(r.faa) && fits(r.gbb))) {
      r.status = 'numerical-error'
      r.converged = false
    }
  }
  let worst = outs[0]!
  for (const r of outs) {
    const e = r.errorHistory.at(-1) ?? Infinity
    const we = worst.errorHistory.at(-1) ?? Infinity
    if (STATUS_RANK[r.status] > STATUS_RANK[worst.status] || (r.status === worst.status && e > we)) worst = r
  }
  // Values in float64 (the tensor formula would subtract float32 potentials).
  const values = outs.map((r, k) => {
    let v = 0
    for (let i = 0; i < n; i++) v += A[k * n + i]! * (r.f[i]! - (r.faa?.[i] ?? 0))
    for (let j = 0; j < m; j++) v += Bw[k * m + j]! * (r.g[j]! - (r.gbb?.[j] ?? 0))
    return v
  })
  return {
    fab: stack((r) => r.f, n)!,
    gab: stack((r) => r.g, m)!,
    faa: stack((r) => r.faa, n),
    gbb: stack((r) => r.gbb, m),
    eps: outs[0]!.eps,
    epsSchedule: outs[0]!.epsSchedule,
    dense: false,
    path: 'cpu-stabilised',
    value64: values,
    converged: outs.every((r) => r.converged),
    status: worst.status,
    iterations: Math.max(...outs.map((r) => r.iterations)),
    errorHistory: worst.errorHistory,
  }
}
