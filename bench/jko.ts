/**
 * JKOnet / iJKOnet on the papers' synthetic settings, quick form (wasm backend, float32, 1 thread).
 *
 * iJKOnet_V on the six JKOnet* potentials of iJKOnet App. B.1 / Table 2 (flowers, friedman, ishigami,
 * wavy_plateau, watershed, zigzag_ridge), d = 2, UNPAIRED data (every snapshot sampled afresh),
 * dt = 0.01, 5 steps (6 snapshots), x_0 ~ U([−4,4]²) (peers.md §1.2); the test set is a second
 * unpaired draw with another seed. Metrics (SPEC §3): one-step-ahead EMD (W1) from the test μ_t,
 * B-UVP of the prediction vs the test μ_{t+1}, L2-UVP of ∇V̂ vs dt·∇V* (τ = 1, so V̂ ≈ dt·V*), all
 * averaged over the 5 intervals; "still EMD" = EMD(μ_t, μ_{t+1}) (predict no motion) for scale.
 * JKOnet and the forward method on the JKOnet paper's quadratic task (dt 0.25, sd 0.2, 4 snapshots).
 *
 * Reference numbers: the iJKOnet paper gives absolute EMD / B-UVP / L2-UVP for these potentials only
 * in its Figure 2 (plots, not in the extracted text); its Table 2 gives, per potential, the ratio of
 * unpaired to paired performance (two triplets B-UVP, EMD, L2-UVP: first iJKOnet_V, then JKOnet*_V —
 * column order as extracted from papers/001 Table 2). We print the first triplet for context only.
 * The JKOnet paper reports the quadratic/Styblinski results as figures only (papers/004 Fig. 3), so
 * no number is printed for them. Quick mode: fewer epochs and particles than the papers
 * (1000 epochs, 1000 train particles): expect larger errors than published.
 *
 *   node --import tsx bench/jko.ts [--quick]
 *
 * Measured (2026-11-25, --quick, wasm, shared 2-core machine, ~4.5 min in all): iJKOnet_V on the six
 * potentials 20–50 s each, EMD 0.33–0.41 vs "still" 0.36–0.41 (the 0.01-step motion is below the
 * finite-sample EMD of two independent 500-point draws), cos(∇V̂, ∇V*) −0.05…0.59; quadratic task:
 * JKOnet EMD 0.76 (42 s), forward method 1.11 (4 s), iJKOnet_V 0.63 (5 s), no motion 1.40.
 * Full mode (not run here) is ~10× longer.
 */
import { initBackend } from '../src-main/compute/backend'
import { trainIjkonet, trainJkonet } from '../src-main/engines/jko/index'
import { jkonetStarData, jkonetTaskData, type JkonetStarPotential } from '../src-main/engines/synth/potentials'
import { emd } from '../src-main/engines/ot/index'
import { bUvpClouds, l2Uvp } from '../src-main/engines/metrics/index'
import type { PointCloud } from '../src-main/engines/knn'

/** iJKOnet Table 2 (papers/001, App. B.1), first triplet: unpaired/paired ratio of B-UVP, EMD, L2-UVP. */
const TABLE2: Record<string, [number, number, number]> = {
  flowers: [8066, 90, 297],
  friedman: [556, 5, 2],
  ishigami: [2259, 38, 36],
  wavy_plateau: [2, 2, 7],
  watershed: [18135, 220, 1509],
  zigzag_ridge: [158, 23, 13],
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length
/** Mean cosine similarity between rows of two n×d arrays (rows with a zero vector skipped). */
function meanCosine(a: Float64Array, b: Float64Array, d: number): number {
  let s = 0, k = 0
  for (let i = 0; i < a.length / d; i++) {
    let ab = 0, aa = 0, bb = 0
    for (let c = 0; c < d; c++) { const u = a[i * d + c]!, v = b[i * d + c]!; ab += u * v; aa += u * u; bb += v * v }
    if (aa > 0 && bb > 0) { s += ab / Math.sqrt(aa * bb); k++ }
  }
  return k ? s / k : NaN
}

export async function run(opts: { quick?: boolean }): Promise<{ name: string; rows: Record<string, string | number>[]; notes?: string }> {
  const backend = await initBackend({ prefer: 'wasm' })
  const quick = opts.quick ?? false
  const rows: Record<string, string | number>[] = []
  const n = quick ? 400 : 1000
  const epochs = quick ? 40 : 100
  const lr = quick ? 1e-2 : 3e-3
  for (const name of Object.keys(TABLE2) as JkonetStarPotential[]) {
    const trainData = jkonetStarData({ potential: name, n, seed: 0 })
    const test = jkonetStarData({ potential: name, n: 500, seed: 1 })
    const t0 = Date.now()
    const res = trainIjkonet({ snapshots: trainData.snapshots }, { variant: 'ijkonet-v', epochs, batchSize: 200, mapSteps: 5, lrEnergy: lr, lrMap: lr, valFraction: 0.2, evalEvery: Math.max(1, Math.floor(epochs / 4)), seed: 0 })
    const seconds = (Date.now() - t0) / 1000
    const m = res.model
    const pred = m.predictOneStep(test.snapshots)
    const emds: number[] = [], still: number[] = [], buvp: number[] = [], l2: number[] = [], cos: number[] = []
    for (let t = 0; t + 1 < test.snapshots.length; t++) {
      const x = test.snapshots[t]!, y = test.snapshots[t + 1]!
      emds.push(emd(pred[t]!, y))
      still.push(emd(x, y))
      buvp.push(bUvpClouds(pred[t]!, y))
      const gt = new Float64Array(x.n * x.d)
      for (let i = 0; i < x.n; i++) gt.set(test.gradPotential(x.data.subarray(i * x.d, i * x.d + x.d)).map((g) => g * test.dt), i * x.d)
      const gp = m.gradPotential(x)
      l2.push(l2Uvp({ x, tau: 1, gradPred: gp, gradTrue: { data: gt, n: x.n, d: x.d } as PointCloud }))
      cos.push(meanCosine(gp.data, gt, x.d))
    }
    const [rb, re, rl] = TABLE2[name]!
    rows.push({
      method: 'iJKOnet_V', task: name, n, epochs, seconds: +seconds.toFixed(1),
      EMD: +mean(emds).toExponential(2), 'still EMD': +mean(still).toExponential(2), 'B-UVP': +mean(buvp).toFixed(2), 'L2-UVP': +mean(l2).toExponential(2), 'cos(∇V̂,∇V*)': +mean(cos).toFixed(2),
      'paper T2 ratio (B-UVP/EMD/L2-UVP)': `${rb}/${re}/${rl}`,
    })
    m.dispose()
  }
  for (const method of ['jkonet', 'forward', 'ijkonet-v'] as const) {
    const data = jkonetTaskData('quadratic', { n: quick ? 100 : 250, seed: 0 })
    const test = jkonetTaskData('quadratic', { n: quick ? 100 : 250, seed: 1 })
    const t0 = Date.now()
    const res = method === 'ijkonet-v'
      ? trainIjkonet({ snapshots: data.snapshots }, { variant: 'ijkonet-v', epochs: quick ? 40 : 100, batchSize: 80, lrEnergy: 1e-2, lrMap: 1e-2, valFraction: 0.2, evalEvery: 10, seed: 0 })
      : trainJkonet({ snapshots: data.snapshots }, { method, epochs: quick ? 20 : 60, batchSize: quick ? 64 : 128, lr: 1e-2, innerMin: 20, innerMax: quick ? 50 : 100, valFraction: 0.2, evalEvery: quick ? 10 : 20, seed: 0 })
    const seconds = (Date.now() - t0) / 1000
    const pred = res.model.predictOneStep(test.snapshots)
    const emds: number[] = [], still: number[] = [], buvp: number[] = []
    for (let t = 0; t + 1 < test.snapshots.length; t++) {
      emds.push(emd(pred[t]!, test.snapshots[t + 1]!))
      still.push(emd(test.snapshots[t]!, test.snapshots[t + 1]!))
      buvp.push(bUvpClouds(pred[t]!, test.snapshots[t + 1]!))
    }
    rows.push({
      method: method === 'jkonet' ? 'JKOnet' : method === 'forward' ? 'forward method' : 'iJKOnet_V', task: 'quadratic (JKOnet §4.1)', n: data.snapshots[0]!.n, epochs: res.iterations, seconds: +seconds.toFixed(1),
      EMD: +mean(emds).toExponential(2), 'still EMD': +mean(still).toExponential(2), 'B-UVP': +mean(buvp).toFixed(2), 'L2-UVP': '-', 'cos(∇V̂,∇V*)': '-',
      'paper T2 ratio (B-UVP/EMD/L2-UVP)': 'figures only',
    })
    res.model.dispose()
  }
  return { name: 'jko', rows, notes: `backend ${backend.name} (${backend.detail}); quick = ${quick}` }
}

if (import.meta.url === `file://${process.argv[1]}`) run({ quick: process.argv.includes('--quick') }).then((r) => { console.table(r.rows); console.log(r.notes) })
