/**
 * JKOnet / iJKOnet on the papers' synthetic settings, quick form (wasm backend, float32, 1 thread).
 *
 * iJKOnet_V on JKOnet* potentials (quick: wavy_plateau, styblinski_tang, oakley_ohagan — the three with
 * the largest one-step motion; full: these and the six of iJKOnet App. B.1 / Table 2; or the list in
 * POPDYN_BENCH_JKO_POTENTIALS), d = 2, UNPAIRED training data (every snapshot sampled afresh),
 * dt = 0.01, 5 steps (6 snapshots), x_0 ~ U([−4,4]²) (peers.md §1.2), 800 energy steps.
 * Two test sets of 500 (seed 1): 'traj' follows the test particles (μ_{t+1} = the true step of the
 * test μ_t — the JKOnet* evaluator's split along trajectories), 'fresh' samples every snapshot anew.
 * Metrics (SPEC §3), means over the 5 intervals: one-step EMD (W1) of the default (JKO / proximal)
 * prediction and of the explicit step on 'traj'; "still EMD" = EMD(μ_t, μ_{t+1}) (no motion); on
 * 'fresh': EMD, no motion, and the oracle (true dynamics from the fresh μ_t) = the sampling floor;
 * B-UVP of the prediction vs μ_{t+1}; L2-UVP and mean cosine of ∇V̂ vs dt·∇V* (τ = 1, V̂ ≈ dt·V*)
 * at the test μ_t. POPDYN_BENCH_JKO_QUADRATIC=0 skips the quadratic rows.
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
 * Measured (2026-11-25, --quick, wasm, shared 2-core machine under load 3–6): wavy_plateau EMD 0.077
 * (explicit step 0.228) vs no motion 0.169, 85 s; styblinski_tang 0.137 (0.142) vs 0.172, 74 s;
 * oakley_ohagan 0.064 (0.082) vs 0.236, 60 s; fresh-test EMD 0.29 / 0.38 / 0.31 vs oracle floor
 * 0.27 / 0.33 / 0.30. Numbers and the remaining potentials: BENCHMARKS.md.
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

/** EMD from the cloud `from` stepped by the true explicit Euler dynamics (dt·∇V*) to `to`. */
function oracleEmd(from: PointCloud, to: PointCloud, grad: (v: ArrayLike<number>) => Float64Array, dt: number): number {
  const o = new Float64Array(from.data)
  for (let i = 0; i < from.n; i++) {
    const g = grad(from.data.subarray(i * from.d, i * from.d + from.d))
    for (let c = 0; c < from.d; c++) o[i * from.d + c] = o[i * from.d + c]! - dt * g[c]!
  }
  return emd({ data: o, n: from.n, d: from.d }, to)
}

export async function run(opts: { quick?: boolean }): Promise<{ name: string; rows: Record<string, string | number>[]; notes?: string }> {
  const backend = await initBackend({ prefer: 'wasm' })
  const quick = opts.quick ?? false
  const rows: Record<string, string | number>[] = []
  const n = quick ? 400 : 1000
  const batchSize = quick ? 200 : 250
  // 800 energy steps (2 map steps each) in both modes: n/batchSize iterations per epoch.
  const epochs = quick ? 400 : 200
  const names = (process.env.POPDYN_BENCH_JKO_POTENTIALS?.split(',') ?? (quick ? ['wavy_plateau', 'styblinski_tang', 'oakley_ohagan'] : ['wavy_plateau', 'styblinski_tang', 'oakley_ohagan', ...Object.keys(TABLE2).filter((k) => k !== 'wavy_plateau')])) as JkonetStarPotential[]
  for (const name of names) {
    const trainData = jkonetStarData({ potential: name, n, seed: 0 })
    // Two test sets from the same seed: 'traj' follows the test particles (μ_{t+1} = true step of
    // the test μ_t, the JKOnet* evaluator's test split), 'fresh' samples every snapshot anew.
    const traj = jkonetStarData({ potential: name, n: 500, seed: 1, paired: true })
    const fresh = jkonetStarData({ potential: name, n: 500, seed: 1 })
    const t0 = Date.now()
    const res = trainIjkonet({ snapshots: trainData.snapshots }, { variant: 'ijkonet-v', epochs, batchSize, mapSteps: 2, lrEnergy: 1e-2, lrMap: 1e-2, valFraction: 0, seed: 0 })
    const seconds = (Date.now() - t0) / 1000
    const m = res.model
    const pred = m.predictOneStep(traj.snapshots)
    const predX = m.predictOneStep(traj.snapshots, { method: 'explicit' })
    const predF = m.predictOneStep(fresh.snapshots)
    const emds: number[] = [], emdsX: number[] = [], still: number[] = [], fr: number[] = [], frStill: number[] = [], frOracle: number[] = [], buvp: number[] = [], l2: number[] = [], cos: number[] = []
    for (let t = 0; t + 1 < traj.snapshots.length; t++) {
      const x = traj.snapshots[t]!, y = traj.snapshots[t + 1]!
      emds.push(emd(pred[t]!, y))
      emdsX.push(emd(predX[t]!, y))
      still.push(emd(x, y))
      buvp.push(bUvpClouds(pred[t]!, y))
      fr.push(emd(predF[t]!, fresh.snapshots[t + 1]!))
      frStill.push(emd(fresh.snapshots[t]!, fresh.snapshots[t + 1]!))
      frOracle.push(oracleEmd(fresh.snapshots[t]!, fresh.snapshots[t + 1]!, fresh.gradPotential, fresh.dt))
      const gt = new Float64Array(x.n * x.d)
      for (let i = 0; i < x.n; i++) gt.set(traj.gradPotential(x.data.subarray(i * x.d, i * x.d + x.d)).map((g) => g * traj.dt), i * x.d)
      const gp = m.gradPotential(x)
      l2.push(l2Uvp({ x, tau: 1, gradPred: gp, gradTrue: { data: gt, n: x.n, d: x.d } as PointCloud }))
      cos.push(meanCosine(gp.data, gt, x.d))
    }
    const [rb, re, rl] = TABLE2[name] ?? ['-', '-', '-']
    rows.push({
      method: 'iJKOnet_V', task: name, n, epochs, seconds: +seconds.toFixed(1),
      EMD: +mean(emds).toFixed(3), 'EMD explicit step': +mean(emdsX).toFixed(3), 'still EMD': +mean(still).toFixed(3),
      'fresh-test EMD': +mean(fr).toFixed(3), 'fresh still': +mean(frStill).toFixed(3), 'fresh oracle': +mean(frOracle).toFixed(3),
      'B-UVP': +mean(buvp).toFixed(2), 'L2-UVP': +mean(l2).toExponential(2), 'cos(∇V̂,∇V*)': +mean(cos).toFixed(2),
      'paper T2 ratio (B-UVP/EMD/L2-UVP)': `${rb}/${re}/${rl}`,
    })
    m.dispose()
  }
  for (const method of (process.env.POPDYN_BENCH_JKO_QUADRATIC === '0' ? [] : ['jkonet', 'forward', 'ijkonet-v'] as const)) {
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
      EMD: +mean(emds).toFixed(3), 'still EMD': +mean(still).toFixed(3), 'B-UVP': +mean(buvp).toFixed(2), 'L2-UVP': '-', 'cos(∇V̂,∇V*)': '-',
      'paper T2 ratio (B-UVP/EMD/L2-UVP)': 'figures only',
    })
    res.model.dispose()
  }
  return { name: 'jko', rows, notes: `backend ${backend.name} (${backend.detail}); quick = ${quick}` }
}

if (import.meta.url === `file://${process.argv[1]}`) run({ quick: process.argv.includes('--quick') }).then((r) => { console.table(r.rows); console.log(r.notes) })
