/**
 * JKOnet / iJKOnet on the papers' synthetic settings, quick form (wasm backend, float32, 1 thread).
 *
 * iJKOnet_V on JKOnet* potentials (quick: wavy_plateau, styblinski_tang, oakley_ohagan — the three with
 * the largest one-step motion; full: these and the six of iJKOnet App. B.1 / Table 2; or the list in
 * POPDYN_BENCH_JKO_POTENTIALS; POPDYN_BENCH_JKO_VARIANTS=ijkonet-v,ijkonet,ijkonet-tv adds the full
 * iJKOnet and the time-varying variant; POPDYN_BENCH_JKO_EPOCHS overrides the epochs;
 * POPDYN_BENCH_JKO_POTENTIALS=all runs the 15), d = 2,
 * UNPAIRED training data (every snapshot sampled afresh), dt = 0.01, 5 steps (6 snapshots),
 * x_0 ~ U([−4,4]²) (peers.md §1.2), 800 energy steps, trainer defaults for the guard against fitting
 * sampling noise (20% of every snapshot held out, best validation epoch kept, energy scale α chosen
 * on it: "α (val)"; "EMD before α" is the same model unscaled).
 * Two test sets of 500 (seed 1): 'traj' follows the test particles (μ_{t+1} = the true step of the
 * test μ_t — the JKOnet* evaluator's split along trajectories), 'fresh' samples every snapshot anew.
 * Metrics (SPEC §3), means over the 5 intervals: one-step EMD (W1) of the default (JKO / proximal)
 * prediction and of the explicit step on 'traj'; "still EMD" = EMD(μ_t, μ_{t+1}) (no motion); on
 * 'fresh': EMD, no motion, and the oracle (true dynamics from the fresh μ_t) = the sampling floor;
 * B-UVP of the prediction vs μ_{t+1}; L2-UVP and mean cosine of ∇V̂ vs dt·∇V* (τ = 1, V̂ ≈ dt·V*)
 * at the test μ_t; "B-UVP still" / "L2-UVP still" are the same metrics for no motion (μ_t, ∇V̂ = 0).
 * POPDYN_BENCH_JKO_POTENTIAL_METHODS (default: the variants above) also runs JKOnet and the forward
 * method on these potentials, e.g. =ijkonet-v,forward,jkonet, with the same data, test sets and
 * metrics (settings at `fitJkonet`; POPDYN_BENCH_JKO_POTENTIAL_EPOCHS overrides their epochs).
 * JKOnet paper tasks (POPDYN_BENCH_JKO_TASKS, default quadratic,semicircle,spiral; '' = none;
 * POPDYN_BENCH_JKO_METHODS, default jkonet,forward,ijkonet-v; POPDYN_BENCH_JKO_TASK_EPOCHS for
 * JKOnet / forward; POPDYN_BENCH_JKO_QUADRATIC=0 drops the quadratic): quadratic potential (dt 0.25,
 * sd 0.2, 4 snapshots) and the semicircle / spiral trajectories (engines/jko/tasks.ts, as the
 * reference code builds them) with JKOnet, the forward method and iJKOnet_V; one-step and
 * all-steps (rolled out from μ_0) EMD on a fresh test draw, "no motion" and the sampling floor.

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
 * Measured: BENCHMARKS.md (JKOnet / iJKOnet section).
 */
import { loadavg } from 'node:os'
import { initBackend } from '../src-main/compute/backend'
import { trainIjkonet, trainJkonet, jkonetTrajectoryData, type IjkonetVariant, type JkonetTrajectoryTask } from '../src-main/engines/jko/index'
import { JKONET_STAR_POTENTIALS, jkonetStarData, jkonetTaskData, type JkonetStarPotential } from '../src-main/engines/synth/potentials'
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

/** Mean per-point displacement ‖pred − x‖ (rows of pred follow the rows of x). */
function meanDisplacement(x: PointCloud, pred: PointCloud): number {
  let s = 0
  for (let i = 0; i < x.n; i++) {
    let q = 0
    for (let c = 0; c < x.d; c++) q += (pred.data[i * x.d + c]! - x.data[i * x.d + c]!) ** 2
    s += Math.sqrt(q)
  }
  return s / x.n
}

type Row = Record<string, string | number>
const env = (k: string) => process.env[k]
const list = (k: string, dflt: string[]) => (env(k) === undefined ? dflt : env(k)!.split(',').map((v) => v.trim()).filter(Boolean))

/** The methods that run on the JKOnet* potentials: iJKOnet variants, JKOnet and the forward method. */
type PotentialMethod = IjkonetVariant | 'jkonet' | 'forward'

/** A trained model as the potential evaluation sees it. */
interface Fitted {
  method: string
  epochs: number
  seconds: number
  /** Default one-step predictions (row i of the prediction follows row i of μ_t). */
  predict: (snaps: PointCloud[]) => PointCloud[]
  /** The explicit step x − τ∇V̂(x), where the method has one. */
  predictExplicit?: (snaps: PointCloud[]) => PointCloud[]
  /** ∇V̂ at the rows of x (τ = 1, so V̂ ≈ dt·V*), for L2-UVP and the cosine. */
  grad: (x: PointCloud, t: number) => PointCloud
  /** Method-specific columns (computed before `dispose`). */
  extra: Row
  dispose: () => void
}

/** iJKOnet (a variant), trainer defaults for the guard; see the module comment. */
function fitIjkonet(train: PointCloud[], traj: PointCloud[], variant: IjkonetVariant, quick: boolean): Fitted {
  const batchSize = quick ? 200 : 250
  // 800 energy steps (2 map steps each) in both modes: n/batchSize iterations per epoch.
  const epochs = +(env('POPDYN_BENCH_JKO_EPOCHS') ?? (quick ? 400 : 200))
  const t0 = Date.now()
  // Defaults for the guard: 20% of every snapshot held out, best evaluation kept, energy scale α
  // chosen on it (α = 0 = no motion).
  const res = trainIjkonet({ snapshots: train }, { variant, epochs, batchSize, mapSteps: 2, lrEnergy: 1e-2, lrMap: 1e-2, evalEvery: 20, seed: 0 })
  const seconds = (Date.now() - t0) / 1000
  const m = res.model
  const guarded = m.getState()
  let unguarded = NaN
  if (res.unscaledState) {
    m.setState(res.unscaledState)
    unguarded = mean(m.predictOneStep(traj).map((p, t) => emd(p, traj[t + 1]!)))
    m.setState(guarded)
  }
  const extra: Row = {
    'α (val)': res.energyScale, 'EMD before α': Number.isNaN(unguarded) ? '-' : +unguarded.toFixed(3),
    'val EMD / val still': `${res.bestValidationEmd.toFixed(3)} / ${res.validationStillEmd.toFixed(3)}`,
    // Validation EMD ± standard error of each candidate α (the 1-SE rule's input).
    'α: val EMD ± SE': res.energyScaleScores.map((r) => `${r.scale}: ${r.validationEmd.toFixed(3)} ± ${r.standardError.toFixed(3)}`).join('; ') || '-',
  }
  if (variant === 'ijkonet') extra['β̂'] = +m.beta().toExponential(2)
  return {
    method: variant === 'ijkonet-v' ? 'iJKOnet_V' : variant === 'ijkonet' ? 'iJKOnet (V, W, β)' : 'iJKOnet time-varying V',
    epochs: res.iterations, seconds, extra,
    predict: (snaps) => m.predictOneStep(snaps),
    predictExplicit: (snaps) => m.predictOneStep(snaps, { method: 'explicit' }),
    grad: (x, t) => m.gradPotential(x, t + 1),
    dispose: () => m.dispose(),
  }
}

/**
 * JKOnet or the forward method on the same data (POPDYN_BENCH_JKO_POTENTIAL_EPOCHS; defaults
 * forward 200 / 1000, JKOnet 40 / 100 epochs in quick / full mode, one batch of `batchSize` per
 * snapshot per epoch): Adam lr 1e-2, Sinkhorn ε = 1, teacher forcing, ICNN ℓ = 0, JKOnet inner
 * 20–50 (full: 20–100) Adam steps; 20% validation split, best validation epoch kept (no energy
 * scale: these trainers have none). ∇V̂: JKOnet's ∇E_ξ; for the forward method, which learns no
 * energy, the displacement x − ∇F_ξ(x) (the gradient an explicit step of τ = 1 would need).
 */
function fitJkonet(train: PointCloud[], method: 'jkonet' | 'forward', quick: boolean): Fitted {
  const batchSize = quick ? 200 : 250
  const epochs = +(env('POPDYN_BENCH_JKO_POTENTIAL_EPOCHS') ?? (method === 'forward' ? (quick ? 200 : 1000) : (quick ? 40 : 100)))
  const evalEvery = method === 'forward' ? 20 : 5
  const t0 = Date.now()
  const res = trainJkonet({ snapshots: train }, { method, epochs, batchSize, lr: 1e-2, innerMin: 20, innerMax: quick ? 50 : 100, strongConvexity: 0, valFraction: 0.2, evalEvery, seed: 0 })
  const seconds = (Date.now() - t0) / 1000
  const m = res.model
  const extra: Row = { 'α (val)': '-', 'EMD before α': '-', 'val EMD / val still': `${res.bestValidationEmd.toFixed(3)} / -`, 'best epoch': res.bestEpoch }
  if (method === 'jkonet') extra['inner converged'] = +res.innerConvergedFraction.toFixed(2)
  const explicitStep = (x: PointCloud): PointCloud => {
    const g = m.gradEnergy(x)
    return { data: x.data.map((v, i) => v - g.data[i]!), n: x.n, d: x.d }
  }
  return {
    method: method === 'jkonet' ? 'JKOnet' : 'forward method',
    epochs: res.iterations, seconds, extra,
    predict: (snaps) => m.predictOneStep(snaps),
    predictExplicit: method === 'jkonet' ? (snaps) => snaps.slice(0, -1).map(explicitStep) : undefined,
    grad: method === 'jkonet'
      ? (x) => m.gradEnergy(x)
      : (x) => { const y = m.step(x); return { data: x.data.map((v, i) => v - y.data[i]!), n: x.n, d: x.d } },
    dispose: () => m.dispose(),
  }
}

/** One method on one JKOnet* potential, unpaired training data; see the module comment. */
function potentialRow(name: JkonetStarPotential, method: PotentialMethod, quick: boolean): Row {
  const n = quick ? 400 : 1000
  const trainData = jkonetStarData({ potential: name, n, seed: 0 })
  // Two test sets from the same seed: 'traj' follows the test particles (μ_{t+1} = true step of
  // the test μ_t, the JKOnet* evaluator's test split), 'fresh' samples every snapshot anew.
  const traj = jkonetStarData({ potential: name, n: 500, seed: 1, paired: true })
  const fresh = jkonetStarData({ potential: name, n: 500, seed: 1 })
  const m = method === 'jkonet' || method === 'forward' ? fitJkonet(trainData.snapshots, method, quick) : fitIjkonet(trainData.snapshots, traj.snapshots, method, quick)
  const pred = m.predict(traj.snapshots)
  const predX = m.predictExplicit?.(traj.snapshots)
  const predF = m.predict(fresh.snapshots)
  const emds: number[] = [], emdsX: number[] = [], still: number[] = [], fr: number[] = [], frStill: number[] = [], frOracle: number[] = [], buvp: number[] = [], buvpStill: number[] = [], l2: number[] = [], l2Still: number[] = [], cos: number[] = [], disp: number[] = []
  for (let t = 0; t + 1 < traj.snapshots.length; t++) {
    const x = traj.snapshots[t]!, y = traj.snapshots[t + 1]!
    emds.push(emd(pred[t]!, y))
    if (predX) emdsX.push(emd(predX[t]!, y))
    still.push(emd(x, y))
    disp.push(meanDisplacement(x, pred[t]!))
    buvp.push(bUvpClouds(pred[t]!, y))
    buvpStill.push(bUvpClouds(x, y))
    fr.push(emd(predF[t]!, fresh.snapshots[t + 1]!))
    frStill.push(emd(fresh.snapshots[t]!, fresh.snapshots[t + 1]!))
    frOracle.push(oracleEmd(fresh.snapshots[t]!, fresh.snapshots[t + 1]!, fresh.gradPotential, fresh.dt))
    const gt = new Float64Array(x.n * x.d)
    for (let i = 0; i < x.n; i++) gt.set(traj.gradPotential(x.data.subarray(i * x.d, i * x.d + x.d)).map((g) => g * traj.dt), i * x.d)
    const gtCloud: PointCloud = { data: gt, n: x.n, d: x.d }
    const gp = m.grad(x, t)
    l2.push(l2Uvp({ x, tau: 1, gradPred: gp, gradTrue: gtCloud }))
    l2Still.push(l2Uvp({ x, tau: 1, gradPred: { data: new Float64Array(x.n * x.d), n: x.n, d: x.d }, gradTrue: gtCloud }))
    cos.push(meanCosine(gp.data, gt, x.d))
  }
  const [rb, re, rl] = TABLE2[name] ?? ['-', '-', '-']
  const row: Row = {
    method: m.method, task: name, n, epochs: m.epochs, seconds: +m.seconds.toFixed(1), 'load (1 min)': +loadavg()[0]!.toFixed(2),
    EMD: +mean(emds).toFixed(3), 'α (val)': m.extra['α (val)']!, 'EMD before α': m.extra['EMD before α']!,
    'EMD explicit step': predX ? +mean(emdsX).toFixed(3) : '-', 'still EMD': +mean(still).toFixed(3), 'mean move': +mean(disp).toFixed(3),
    'val EMD / val still': m.extra['val EMD / val still']!,
    'fresh-test EMD': +mean(fr).toFixed(3), 'fresh still': +mean(frStill).toFixed(3), 'fresh oracle': +mean(frOracle).toFixed(3),
    'B-UVP': +mean(buvp).toFixed(2), 'B-UVP still': +mean(buvpStill).toFixed(2),
    'L2-UVP': +mean(l2).toExponential(2), 'L2-UVP still': +mean(l2Still).toExponential(2), 'cos(∇V̂,∇V*)': +mean(cos).toFixed(2),
    'paper T2 ratio (B-UVP/EMD/L2-UVP)': `${rb}/${re}/${rl}`,
  }
  for (const [k, v] of Object.entries(m.extra)) if (!(k in row)) row[k] = v
  m.dispose()
  return row
}

/**
 * A JKOnet paper task (quadratic potential, or the semicircle / spiral trajectory, peers.md §4.4)
 * with JKOnet, the forward method or iJKOnet_V. Test: a fresh draw (seed 1) of every snapshot;
 * one-step EMD from the test μ_t, all-steps EMD rolled out from the test μ_0, "no motion"
 * (μ_t for μ_{t+1}), and the sampling floor EMD(test μ_{t+1}, train μ_{t+1}) (two independent draws).
 */
function taskRow(task: 'quadratic' | JkonetTrajectoryTask, method: 'jkonet' | 'forward' | 'ijkonet-v', quick: boolean): Row {
  const traj = task !== 'quadratic'
  const nq = quick ? 100 : 250
  const data = traj ? jkonetTrajectoryData(task, { n: nq, seed: 0 }) : jkonetTaskData('quadratic', { n: nq, seed: 0 })
  const test = traj ? jkonetTrajectoryData(task, { n: nq, seed: 1 }) : jkonetTaskData('quadratic', { n: nq, seed: 1 })
  // Trajectory tasks (paper App. B.2): strong convexity ℓ = 0.8 of the ICNN (the reference code's
  // cvx_reg: 0.8 on the spiral, 0 on the semicircle), teacher forcing on.
  const ell = task === 'spiral' ? 0.8 : 0
  const jkoEpochs = +(env('POPDYN_BENCH_JKO_TASK_EPOCHS') ?? (quick ? 20 : 60))
  const t0 = Date.now()
  const res = method === 'ijkonet-v'
    ? trainIjkonet({ snapshots: data.snapshots }, { variant: 'ijkonet-v', epochs: quick ? 100 : 250, batchSize: 80, mapSteps: 2, lrEnergy: 1e-2, lrMap: 1e-2, valFraction: 0.2, evalEvery: 10, seed: 0 })
    : trainJkonet({ snapshots: data.snapshots }, { method, epochs: jkoEpochs, batchSize: quick ? 64 : 128, lr: 1e-2, innerMin: 20, innerMax: quick ? 50 : 100, strongConvexity: ell, valFraction: 0.2, evalEvery: quick ? 10 : 20, seed: 0 })
  const seconds = (Date.now() - t0) / 1000
  const S = test.snapshots
  const pred = res.model.predictOneStep(S)
  const roll = res.model.rollout(S[0]!, S.length - 1)
  const emds: number[] = [], all: number[] = [], still: number[] = [], floor: number[] = [], buvp: number[] = []
  for (let t = 0; t + 1 < S.length; t++) {
    emds.push(emd(pred[t]!, S[t + 1]!))
    all.push(emd(roll[t]!, S[t + 1]!))
    still.push(emd(S[t]!, S[t + 1]!))
    floor.push(emd(S[t + 1]!, data.snapshots[t + 1]!))
    buvp.push(bUvpClouds(pred[t]!, S[t + 1]!))
  }
  const alpha = 'energyScale' in res ? (res as { energyScale: number }).energyScale : '-'
  const row: Row = {
    method: method === 'jkonet' ? 'JKOnet' : method === 'forward' ? 'forward method' : 'iJKOnet_V', task: traj ? `${task} (JKOnet App. B.2)` : 'quadratic (JKOnet §4.1)', n: data.snapshots[0]!.n, epochs: res.iterations, seconds: +seconds.toFixed(1),
    EMD: +mean(emds).toFixed(3), 'α (val)': alpha, 'all-steps EMD': +mean(all).toFixed(3), 'still EMD': +mean(still).toFixed(3), 'sampling floor': +mean(floor).toFixed(3),
    'B-UVP': +mean(buvp).toFixed(2), 'paper': 'figures only',
  }
  res.model.dispose()
  return row
}

export async function run(opts: { quick?: boolean }): Promise<{ name: string; rows: Record<string, string | number>[]; notes?: string }> {
  const backend = await initBackend({ prefer: 'wasm' })
  const quick = opts.quick ?? false
  const rows: Row[] = []
  const named = list('POPDYN_BENCH_JKO_POTENTIALS', quick ? ['wavy_plateau', 'styblinski_tang', 'oakley_ohagan'] : ['wavy_plateau', 'styblinski_tang', 'oakley_ohagan', ...Object.keys(TABLE2).filter((k) => k !== 'wavy_plateau')])
  const names = (named.length === 1 && named[0] === 'all' ? [...JKONET_STAR_POTENTIALS] : named) as JkonetStarPotential[]
  const potentialMethods = list('POPDYN_BENCH_JKO_POTENTIAL_METHODS', list('POPDYN_BENCH_JKO_VARIANTS', ['ijkonet-v'])) as PotentialMethod[]
  const known = ['ijkonet-v', 'ijkonet', 'ijkonet-tv', 'jkonet', 'forward']
  for (const m of potentialMethods) if (!known.includes(m)) throw new Error(`expected potential methods among ${known.join(', ')}, got ${m}`)
  for (const name of names) {
    for (const method of potentialMethods) {
      rows.push(potentialRow(name, method, quick))
      console.error(JSON.stringify(rows[rows.length - 1]))
    }
  }
  const tasks = list('POPDYN_BENCH_JKO_TASKS', ['quadratic', 'semicircle', 'spiral']).filter((t) => !(t === 'quadratic' && env('POPDYN_BENCH_JKO_QUADRATIC') === '0')) as ('quadratic' | JkonetTrajectoryTask)[]
  const methods = list('POPDYN_BENCH_JKO_METHODS', ['jkonet', 'forward', 'ijkonet-v']) as ('jkonet' | 'forward' | 'ijkonet-v')[]
  for (const task of tasks) {
    for (const method of methods) {
      rows.push(taskRow(task, method, quick))
      console.error(JSON.stringify(rows[rows.length - 1]))
    }
  }
  return { name: 'jko', rows, notes: `backend ${backend.name} (${backend.detail}); quick = ${quick}` }
}

if (import.meta.url === `file://${process.argv[1]}`) run({ quick: process.argv.includes('--quick') }).then((r) => { console.table(r.rows); console.log(r.notes) })
