/**
 * Speed of the statistics toolkit: kd-tree build + all-points k-NN (k = 5) and radius queries,
 * Kozachenko–Leonenko entropy, k-means++, GMM BIC comparison and PCHIP evaluation.
 * Data: standard Gaussian clouds (the hardest common case for a kd-tree at a given d).
 * Run: node --import tsx bench/stats.ts
 */
import { buildKdTree } from '../src-main/engines/knn'
import { compareGmmBic, createRng, fitGmm, kmeans, klEntropy, pchip } from '../src-main/engines/stats'

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10

export async function run(opts: { quick?: boolean }): Promise<{ name: string; rows: Record<string, string | number>[]; notes?: string }> {
  const n = opts.quick ? 20_000 : 100_000
  const rows: Record<string, string | number>[] = []
  for (const d of [2, 5, 10]) {
    const data = createRng(d).normals(n * d)
    let t0 = performance.now()
    const tree = buildKdTree({ data, n, d })
    const build = ms(t0)
    t0 = performance.now()
    const knn = tree.knnAll(5)
    const query = ms(t0)
    // Radius: the median 5th-neighbour distance times 2^{1/d}, i.e. about 10 neighbours per point.
    const eps5 = Float64Array.from({ length: n }, (_, i) => knn.distances[i * 5 + 4]!).sort()
    const r = eps5[n >> 1]! * Math.pow(2, 1 / d)
    t0 = performance.now()
    const rad = tree.radiusAll(r)
    const radius = ms(t0)
    rows.push({ task: `kd-tree n=${n} d=${d}`, build_ms: build, knnAll_k5_ms: query, radiusAll_ms: radius, mean_neighbours: +(rad.indices.length / n).toFixed(1) })
  }
  {
    const d = 3
    const m = opts.quick ? 5000 : 20_000
    const data = createRng(7).normals(m * d)
    const t0 = performance.now()
    const h = klEntropy({ data, n: m, d })
    rows.push({ task: `klEntropy n=${m} d=${d} k=5`, ms: ms(t0), value: +h.toFixed(4) })
  }
  {
    const m = 10_000
    const data = createRng(8).normals(m * 2)
    const t0 = performance.now()
    const r = kmeans({ data, n: m, d: 2 }, { k: 8, restarts: 10 })
    rows.push({ task: `kmeans n=${m} d=2 k=8 restarts=10`, ms: ms(t0), iterations: r.iterations })
  }
  {
    const rng = createRng(9)
    const x = new Float64Array(1000)
    for (let i = 0; i < 1000; i++) x[i] = i < 600 ? -2 + 0.3 * rng.normal() : -0.7 + 0.4 * rng.normal()
    let t0 = performance.now()
    const c = compareGmmBic(x, 20)
    rows.push({ task: 'compareGmmBic n=1000 restarts=20', ms: ms(t0), deltaBic: +c.deltaBic.toFixed(1) })
    const m = 5000
    const data = rng.normals(m * 5)
    for (let i = 0; i < m; i++) data[i * 5] += 6 * (i % 3) // three separated blobs
    t0 = performance.now()
    const g = fitGmm({ data, n: m, d: 5 }, { components: 3, restarts: 3 })
    rows.push({ task: `fitGmm full n=${m} d=5 K=3 restarts=3`, ms: ms(t0), iterations: g.iterations })
  }
  {
    const k = 400
    const t = Float64Array.from({ length: k }, (_, i) => i * 0.13)
    const y = createRng(10).normals(k * 2)
    const p = pchip(t, y, 2)
    const q = 1_000_000
    const out = new Float64Array(2)
    const t0 = performance.now()
    let s = 0
    for (let i = 0; i < q; i++) s += p.evaluateAt((i / q) * t[k - 1]!, out)[0]!
    rows.push({ task: `pchip evaluateAt x${q} (2 columns, ${k} knots)`, ms: ms(t0), checksum: +s.toFixed(3) })
  }
  return { name: 'stats', rows, notes: 'Single thread, Gaussian data. Times in milliseconds.' }
}

if (import.meta.url === `file://${process.argv[1]}`) run({}).then((r) => console.table(r.rows))
