/**
 * Speed of the Sinkhorn solvers on the tfjs wasm backend: the tensor solver (solver 'tensor',
 * single thread, float32) and the stabilised CPU path (solver 'cpu', float64; the default on wasm).
 *
 * Rows: dense OT_ε for n = m = 1000, 2000, 5000 (d = 2) with a fixed iteration cap (time per
 * iteration); OT_ε run to tol 1e-3 at n = 1000; S_ε value and value+gradient for n = 1000 at ε = 1
 * (JKOnet's setting) and blur 0.1, on both paths; the chunked (online) solve for 20 000 × 20 000 in d = 3 with the
 * resident set size before / peak / after (the n×m kernel alone would be 1.6 GB in float32).
 * Quick mode stops at 2000 and skips 20 000. Clouds: Gaussian blobs, sd 1, means 0 and 0.5·1.
 *
 *   node --import tsx bench/sinkhorn.ts [--quick]
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { createRng } from '../src-main/engines/stats/random'
import { sinkhorn, sinkhornDivergence, sinkhornDivergenceWithReport, type SinkhornConfig } from '../src-main/engines/ot/sinkhorn'

function cloud(seed: number, n: number, d: number, shift: number): tf.Tensor2D {
  const rng = createRng(seed)
  const v = Float32Array.from(rng.normals(n * d), (x) => x + shift)
  return tf.tensor2d(v, [n, d])
}
const mb = (b: number) => Math.round(b / 2 ** 20)

export async function run(opts: { quick?: boolean }): Promise<{ name: string; rows: Record<string, string | number>[]; notes?: string }> {
  await tf.setBackend('wasm')
  await tf.ready()
  const rows: Record<string, string | number>[] = []
  const row = (label: string, ms: number, r: { iterations: number; status: string; path?: string }, value: number) =>
    rows.push({ case: label, path: r.path ?? '', ms: Math.round(ms), iterations: r.iterations, 'ms/iter': +(ms / Math.max(1, r.iterations)).toFixed(1), status: r.status, value: +value.toFixed(5) })

  // The 20 000 case runs first, in a fresh wasm heap (it never shrinks), so RSS shows its own footprint.
  let notes = 'wasm backend, 1 thread (SIMD). ms/iter = total / (ε-scaling steps + target iterations).'
  if (!opts.quick) {
    const n = 20000, d = 3
    const x = cloud(5, n, d, 0), y = cloud(6, n, d, 0.5)
    const rss0 = process.memoryUsage().rss
    let peak = rss0
    const t0 = performance.now()
    const r = sinkhorn(x, y, { blur: 0.5, tol: 1e-3, maxIter: 3, solver: 'tensor' }, {
      onProgress: () => {
        peak = Math.max(peak, process.memoryUsage().rss)
      },
    })
    const ms = performance.now() - t0
    const rss1 = process.memoryUsage().rss
    row(`OT_ε online ${n}×${n} d=${d}, blur 0.5, ≤3 target iters`, ms, r, r.cost)
    notes += ` 20k×20k online (budget 2^24 entries per block, dense=${r.dense}): RSS before ${mb(rss0)} MiB, peak ${mb(peak)} MiB, after ${mb(rss1)} MiB (a dense n×m float32 kernel would be ${mb(n * n * 4)} MiB).`
    r.dispose()
    x.dispose()
    y.dispose()
  }
  // Fixed work: ε-scaling (8 steps here) + at most 40 target iterations, to compare sizes.
  const sizes = opts.quick ? [1000, 2000] : [1000, 2000, 5000]
  for (const n of sizes) {
    const x = cloud(1, n, 2, 0), y = cloud(2, n, 2, 0.5)
    const t0 = performance.now()
    const r = sinkhorn(x, y, { blur: 0.1, tol: 1e-3, maxIter: 40, mode: 'dense', memoryBudget: 2 ** 25 })
    row(`OT_ε dense ${n}×${n} d=2, blur 0.1, ≤40 target iters`, performance.now() - t0, r, r.cost)
    r.dispose()
    tf.dispose([x, y])
  }
  {
    const n = 1000
    const x = cloud(1, n, 2, 0), y = cloud(2, n, 2, 0.5)
    let t0 = performance.now()
    for (const solver of ['tensor', 'cpu'] as const) {
      t0 = performance.now()
      const r = sinkhorn(x, y, { blur: 0.1, tol: 1e-3, maxIter: 2000, solver })
      row(`OT_ε ${n}×${n} d=2, blur 0.1, to tol 1e-3`, performance.now() - t0, r, r.cost)
      r.dispose()
    }
    for (const [blur, solver] of [[1, 'tensor'], [1, 'cpu'], [0.1, 'tensor'], [0.1, 'cpu']] as const) {
      const cfg: SinkhornConfig = { blur, tol: 1e-3, maxIter: blur === 1 ? 1000 : 40, solver }
      t0 = performance.now()
      const { value, report } = sinkhornDivergenceWithReport(x, y, cfg)
      const v = value.dataSync()[0]!
      row(`S_ε value ${n}×${n} d=2, blur ${blur}${blur === 1 ? ' (ε = 1, JKOnet)' : ', ≤40 target iters'}`, performance.now() - t0, report, v)
      value.dispose()
      t0 = performance.now()
      const { value: v2, grad } = tf.valueAndGrad((a: tf.Tensor) => sinkhornDivergence(a as tf.Tensor2D, y, cfg))(x)
      grad.dataSync()
      row(`S_ε value+grad ${n}×${n} d=2, blur ${blur}${blur === 1 ? '' : ', ≤40 target iters'}`, performance.now() - t0, report, v2.dataSync()[0]!)
      tf.dispose([v2, grad])
    }
    tf.dispose([x, y])
  }

  return { name: 'sinkhorn', rows, notes }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run({ quick: process.argv.includes('--quick') }).then((r) => {
    console.table(r.rows)
    if (r.notes) console.log(r.notes)
  })
}
