/**
 * `popdyn distance A.csv B.csv [--metric emd|w2|sinkhorn|bw] [--eps E]`: compare two point
 * clouds. emd = exact W1 (Euclidean ground cost), w2 = exact W2 (the square root of the exact
 * squared-Euclidean OT cost), sinkhorn = debiased Sinkhorn divergence S_ε with cost ‖x−y‖²/2,
 * bw = Bures–Wasserstein distance between the clouds' Gaussian fits.
 */
import { invalidInput } from '@shared/errors'
import { exactOt, sinkhornDivergenceWithReport } from '../engines/ot/index'
import { bw2Clouds } from '../engines/metrics/index'
import { initBackend, tf } from '../compute/backend'
import { readPointCloud } from '../io/pointcloud'

export const METRICS = ['emd', 'w2', 'sinkhorn', 'bw'] as const

export async function distanceCommand(a: string, b: string, metric: string, eps?: number) {
  if (!(METRICS as readonly string[]).includes(metric)) throw invalidInput(`--metric expects one of ${METRICS.join(', ')}, got "${metric}"`)
  const A = readPointCloud(a)
  const B = readPointCloud(b)
  if (A.cloud.d !== B.cloud.d) throw invalidInput(`The clouds differ in dimension: ${A.cloud.d} columns (${A.columns.join(', ')}) vs ${B.cloud.d} (${B.columns.join(', ')})`)
  const norm = (w: Float64Array | null, n: number) => {
    if (!w) return new Float64Array(n).fill(1 / n)
    const s = w.reduce((p, v) => p + v, 0)
    if (!(s > 0)) throw invalidInput('The weights sum to 0')
    return w.map((v) => v / s)
  }
  const wa = norm(A.weights, A.cloud.n)
  const wb = norm(B.weights, B.cloud.n)
  const t0 = performance.now()
  let value: number
  const extra: Record<string, unknown> = {}
  if (metric === 'emd' || metric === 'w2') {
    const r = exactOt({ a: wa, b: wb, x: A.cloud, y: B.cloud, cost: metric === 'emd' ? 'euclidean' : 'sqeuclidean' })
    if (r.status !== 'optimal') throw invalidInput(`Exact OT ended with status ${r.status}`)
    value = metric === 'emd' ? r.cost : Math.sqrt(r.cost)
    extra.iterations = r.iterations
  } else if (metric === 'bw') {
    value = Math.sqrt(Math.max(0, bw2Clouds(A.cloud, B.cloud, { weights: wa, weightsY: wb })))
  } else {
    const backend = await initBackend()
    const x = tf.tensor2d(Float32Array.from(A.cloud.data), [A.cloud.n, A.cloud.d])
    const y = tf.tensor2d(Float32Array.from(B.cloud.data), [B.cloud.n, B.cloud.d])
    const r = sinkhornDivergenceWithReport(x, y, { eps: eps ?? 0.01, a: tf.tensor1d(Float32Array.from(wa)), b: tf.tensor1d(Float32Array.from(wb)) })
    value = (await r.value.data())[0]!
    extra.backend = backend.name
    extra.eps = eps ?? 0.01
    extra.converged = r.report.converged
    extra.iterations = r.report.iterations
    tf.dispose([x, y, r.value])
  }
  return { metric, value, a: { file: a, n: A.cloud.n, d: A.cloud.d }, b: { file: b, n: B.cloud.n, d: B.cloud.d }, seconds: (performance.now() - t0) / 1000, ...extra }
}
