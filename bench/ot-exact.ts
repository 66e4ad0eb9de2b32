/**
 * Exact OT (network simplex) timings: n x n uniform point clouds in [0,1]^2, both ground costs.
 * Run: node --import tsx bench/ot-exact.ts            (n = 250, 1000, 2000, 5000)
 *      quick mode (n <= 1000) via run({ quick: true }).
 */
import { exactOt } from '../src-main/engines/ot/index'
import { createRng } from '../src-main/engines/stats/random'

export async function run(opts: { quick?: boolean }): Promise<{ name: string; rows: Record<string, string | number>[]; notes?: string }> {
  const sizes = opts.quick ? [250, 1000] : [250, 1000, 2000, 5000]
  const rows: Record<string, string | number>[] = []
  for (const n of sizes) {
    const rng = createRng(n)
    const x = { data: new Float64Array(2 * n).map(() => rng.uniform()), n, d: 2 }
    const y = { data: new Float64Array(2 * n).map(() => rng.uniform()), n, d: 2 }
    for (const cost of ['euclidean', 'sqeuclidean'] as const) {
      const t0 = performance.now()
      const r = exactOt({ x, y, cost })
      const ms = performance.now() - t0
      rows.push({ n, d: 2, cost, ms: Math.round(ms), pivots: r.iterations, status: r.status, value: r.cost.toPrecision(8), support: r.plan.values.length })
    }
  }
  return {
    name: 'ot-exact',
    rows,
    notes: 'ms includes building the dense n x n cost matrix (8 n² bytes); uniform weights; one run each, single thread',
  }
}

if (import.meta.url === `file://${process.argv[1]}`) run({}).then((r) => console.table(r.rows))
