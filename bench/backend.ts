/** Compute backend throughput: float32 matMul on the selected tfjs backend. */
import { initBackend, tf } from '../src-main/compute/backend'

export async function run(opts: { quick?: boolean }) {
  const b = await initBackend()
  const rows: Record<string, string | number>[] = []
  for (const n of opts.quick ? [128, 256] : [128, 256, 512, 1000]) {
    const x = tf.randomNormal([n, n], 0, 1, 'float32', 1)
    const y = tf.randomNormal([n, n], 0, 1, 'float32', 2)
    await tf.matMul(x, y).data() // warm-up
    const reps = Math.max(3, Math.round(2e9 / (2 * n ** 3)))
    const times: number[] = []
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now()
      const z = tf.matMul(x, y)
      await z.data()
      z.dispose()
      times.push(performance.now() - t0)
    }
    times.sort((a, c) => a - c)
    const med = times[Math.floor(times.length / 2)]!
    rows.push({ n, repeats: reps, 'median ms': med, GFLOPs: (2 * n ** 3) / (med / 1000) / 1e9 })
    x.dispose()
    y.dispose()
  }
  return { name: `backend matMul (${b.name})`, rows, notes: b.detail }
}

if (import.meta.url === `file://${process.argv[1]}`) run({}).then((r) => console.table(r.rows))
