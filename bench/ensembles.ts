/**
 * Ensemble separation benchmark (paper 000 §IV; SPEC §4.1): d = 2, K = 3 ensembles of 20, 30
 * and 50 particles, 5 time points, A_k and x_0 i.i.d. N(0, 1), white noise of variance σ².
 * Over Monte Carlo draws: median and 90% band of the relative parameter error ‖θ̂ − θ‖/‖θ‖
 * (best permutation) and of the fraction of correctly labelled particles, for our method, the
 * oracle and the semi-oracle.
 */
import { separateEnsembles, matchEnsembles, relativeParameterError, labelAccuracy, oracle, semiOracle } from '../src-main/engines/ensembles/index'
import { linearEnsembles } from '../src-main/engines/synth/linear-ensembles'

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  const h = (s.length - 1) * p
  const lo = Math.floor(h)
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (h - lo)
}
const band = (xs: number[]) => `${q(xs, 0.5).toExponential(2)} [${q(xs, 0.05).toExponential(1)}, ${q(xs, 0.95).toExponential(1)}]`
const bandAcc = (xs: number[]) => `${q(xs, 0.5).toFixed(3)} [${q(xs, 0.05).toFixed(2)}, ${q(xs, 0.95).toFixed(2)}]`

export async function run(opts: { quick?: boolean; draws?: number; restarts?: number }) {
  const sizes = [20, 30, 50]
  const draws = opts.draws ?? Number(process.env.POPDYN_BENCH_DRAWS ?? (opts.quick ? 3 : 10))
  const restarts = opts.restarts ?? Number(process.env.POPDYN_BENCH_RESTARTS ?? (opts.quick ? 3 : 10))
  const noises = process.env.POPDYN_BENCH_NOISES ? process.env.POPDYN_BENCH_NOISES.split(',').map(Number) : opts.quick ? [1e-4, 1e-2, 1e-1] : [1e-4, 1e-3, 1e-2, 1e-1, 1]
  const maxIter = Number(process.env.POPDYN_BENCH_MAXITER ?? (opts.quick ? 30 : 100))
  const rows: Record<string, string | number>[] = []
  for (const s2 of draws > 0 ? noises : []) {
    const ours: number[] = [], oursAcc: number[] = [], orc: number[] = [], semi: number[] = [], semiAcc: number[] = [], secs: number[] = []
    const first = Number(process.env.POPDYN_BENCH_FIRST ?? 0)
    for (let m = first; m < first + draws; m++) {
      const data = linearEnsembles({ sizes, times: 5, noiseVariance: s2, seed: 1000 + m })
      const t0 = performance.now()
      const r = await separateEnsembles({ K: 3, snapshots: data.snapshots.map((x) => ({ x, n: x.length / 2, d: 2 })) }, { restarts, seed: m, maxIter })
      secs.push((performance.now() - t0) / 1000)
      const perm = matchEnsembles(r.theta, data.A)
      ours.push(relativeParameterError(r.theta, data.A, perm))
      oursAcc.push(labelAccuracy(r.labels, data.labels, perm))
      orc.push(relativeParameterError(oracle(data.trajectories, 2, data.particleLabels, 3), data.A))
      const so = semiOracle(data.trajectories, 2, 3, m)
      const sp = matchEnsembles(so.A, data.A)
      semi.push(relativeParameterError(so.A, data.A, sp))
      semiAcc.push(labelAccuracy([so.labels], [data.particleLabels], sp))
      if (process.env.POPDYN_BENCH_LOG) console.error(`σ²=${s2} draw ${m}: ours ${ours.at(-1)!.toExponential(2)} labels ${oursAcc.at(-1)!.toFixed(3)} oracle ${orc.at(-1)!.toExponential(2)} semi ${semi.at(-1)!.toExponential(2)} ${secs.at(-1)!.toFixed(1)} s`)
    }
    rows.push({ 'σ²': s2, draws, 'ours: rel. error': band(ours), 'ours: labels correct': bandAcc(oursAcc), 'oracle: rel. error': band(orc), 'semi-oracle: rel. error': band(semi), 'semi-oracle: labels': bandAcc(semiAcc), 's per run (median)': q(secs, 0.5) })
  }
  // Entropic mode at scale (issue 5: 10,000 particles per time point, K = 3, 5 time points, under
  // 2 minutes; labels against the exact mode where both run): POPDYN_BENCH_ENTROPIC=N1,N2,…
  // (particles per time point, split 20/30/50 %), σ² = POPDYN_BENCH_ENTROPIC_NOISE (default 1e-3),
  // epsRelative = POPDYN_BENCH_EPS (default: the engine's).
  for (const total of (process.env.POPDYN_BENCH_ENTROPIC ?? '').split(',').filter(Boolean).map(Number)) {
    const s2 = Number(process.env.POPDYN_BENCH_ENTROPIC_NOISE ?? 1e-3)
    const data = linearEnsembles({ sizes: [0.2, 0.3, 0.5].map((f) => Math.round(f * total)), times: 5, noiseVariance: s2, seed: 1001 })
    const problem = { K: 3, snapshots: data.snapshots.map((x) => ({ x, n: x.length / 2, d: 2 })) }
    const modes = total <= 400 ? (['exact', 'entropic'] as const) : (['entropic'] as const)
    const labels: Int32Array[][] = []
    for (const solver of modes) {
      const t0 = performance.now()
      const eps = process.env.POPDYN_BENCH_EPS ? { epsRelative: Number(process.env.POPDYN_BENCH_EPS) } : {}
      const r = await separateEnsembles(problem, { solver, seed: 1, maxIter, ...eps }, process.env.POPDYN_BENCH_LOG ? { onProgress: (p) => console.error(`${((performance.now() - t0) / 1000).toFixed(1)} s ${p.stage}: ${p.message ?? ''}`) } : undefined)
      const secs = (performance.now() - t0) / 1000
      const perm = matchEnsembles(r.theta, data.A)
      labels.push(r.labels.map((l) => Int32Array.from(l, (k) => perm.indexOf(k))))
      let agree = ''
      if (labels.length === 2) {
        let same = 0, all = 0
        labels[1]!.forEach((l, t) => l.forEach((k, i) => (all++, (same += +(k === labels[0]![t]![i])))))
        agree = (same / all).toFixed(4)
      }
      if (process.env.POPDYN_BENCH_LOG) console.error(`${solver}, ${total} per time point: ${secs.toFixed(1)} s, error ${relativeParameterError(r.theta, data.A, perm).toExponential(2)}, labels ${labelAccuracy(r.labels, data.labels, perm).toFixed(4)}${agree ? `, labels = exact's on ${agree}` : ''}`)
      rows.push({ 'σ²': s2, draws: 1, 'ours: rel. error': relativeParameterError(r.theta, data.A, perm).toExponential(2), 'ours: labels correct': labelAccuracy(r.labels, data.labels, perm).toFixed(4), 'oracle: rel. error': relativeParameterError(oracle(data.trajectories, 2, data.particleLabels, 3), data.A).toExponential(2), 's per run (median)': secs, mode: `${solver}, ${total} per time point${agree ? `, labels = exact's on ${agree}` : ''}`, solver: r.solverReason })
    }
  }
  return {
    name: 'ensemble separation (paper 000 §IV: d=2, K=3, sizes 20/30/50, 5 time points)',
    rows,
    notes: `Defaults except restarts=${restarts}, maxIter=${maxIter}: trajectory hypotheses -> relaxed screening (30 starts) and swap search -> exact joint LP by column generation (HiGHS) on the starts within 1.5x of the best relaxed objective. Values: median [5%, 95%] over ${draws} draws. Paper's claim: on par with the oracle at low noise, high label accuracy at higher noise, far better than the semi-oracle.`,
  }
}

/**
 * Speed mode (issue 5: one fit with defaults, K = 3, 100 particles per time point, 6 time points,
 * under 5 s): POPDYN_BENCH_SPEED=1,2 times one default fit per listed draw m (synth seed 1000 + m,
 * method seed m; sizes 20/30/50, POPDYN_BENCH_TIMES time points, default 6, σ² = POPDYN_BENCH_NOISE,
 * default 1e-4) and prints the seconds per stage (from the engine's progress events; wall clock
 * and, in parentheses, CPU seconds of this process, which other work on a shared machine inflates
 * less), the objective to 12 digits, the parameter error, the labels correct and a digest of the
 * labels. With
 * POPDYN_BENCH_SPEED_OUT=file.json the full results (objective to 17 digits, θ, labels) are
 * written there, to compare two versions of the code draw by draw.
 */
export async function speed(draws: number[], o: { times?: number; noise?: number } = {}) {
  const times = o.times ?? 6
  const s2 = o.noise ?? 1e-4
  const out: { draw: number; seconds: number; cpuSeconds: number; stages: Record<string, number>; cpuStages: Record<string, number>; objective: string; error: number; labels: number; digest: string; theta: number[][]; labelsPerTime: number[][] }[] = []
  for (const m of draws) {
    const data = linearEnsembles({ sizes: [20, 30, 50], times, noiseVariance: s2, seed: 1000 + m })
    const problem = { K: 3, snapshots: data.snapshots.map((x) => ({ x, n: x.length / 2, d: 2 })) }
    // Wall-clock seconds per stage, and CPU seconds (user + system of this process: less sensitive
    // to other work on a shared machine).
    const stages: Record<string, number> = {}
    const cpuStages: Record<string, number> = {}
    const cpuNow = () => {
      const u = process.cpuUsage()
      return (u.user + u.system) / 1e6
    }
    let key = 'setup'
    let t0 = performance.now()
    let c0 = cpuNow()
    const start = t0, cpuStart = c0
    const close = () => {
      const now = performance.now(), c = cpuNow()
      stages[key] = (stages[key] ?? 0) + (now - t0) / 1000
      cpuStages[key] = (cpuStages[key] ?? 0) + (c - c0)
      t0 = now
      c0 = c
    }
    const onProgress = (p: { stage: string; message?: string }) => {
      const k = p.stage === 'hypotheses' ? `hypotheses: ${p.message}` : p.stage.startsWith('restart') || p.stage === 'lp' ? 'exact LP' : p.stage
      if (k === key) return
      close()
      key = k
    }
    const r = await separateEnsembles(problem, { seed: m }, { onProgress })
    close()
    const end = t0
    const perm = matchEnsembles(r.theta, data.A)
    // FNV-1a over the labels of every time point.
    let h = 0x811c9dc5
    for (const l of r.labels) for (const k of l) h = Math.imul(h ^ (k + 1), 0x01000193) >>> 0
    const res = {
      draw: m,
      seconds: (end - start) / 1000,
      cpuSeconds: c0 - cpuStart,
      stages,
      cpuStages,
      objective: r.objective.toPrecision(17),
      error: relativeParameterError(r.theta, data.A, perm),
      labels: labelAccuracy(r.labels, data.labels, perm),
      digest: h.toString(16).padStart(8, '0'),
      theta: r.theta.map((a) => Array.from(a)),
      labelsPerTime: r.labels.map((l) => Array.from(l)),
    }
    out.push(res)
    const st = Object.entries(stages).map(([k, v]) => `${k.replace('hypotheses: ', 'hyp/')} ${v.toFixed(2)} (${cpuStages[k]!.toFixed(2)})`).join(', ')
    console.log(`draw ${m} (σ² ${s2}, ${times} times): ${res.seconds.toFixed(2)} s (CPU ${res.cpuSeconds.toFixed(2)} s); objective ${r.objective.toPrecision(12)}, error ${res.error.toExponential(3)}, labels ${res.labels.toFixed(4)} (${res.digest}); stages, s (CPU s): ${st}`)
  }
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.env.POPDYN_BENCH_SPEED) {
    const draws = process.env.POPDYN_BENCH_SPEED.split(',').filter(Boolean).map(Number)
    const times = process.env.POPDYN_BENCH_TIMES ? Number(process.env.POPDYN_BENCH_TIMES) : undefined
    const noise = process.env.POPDYN_BENCH_NOISE ? Number(process.env.POPDYN_BENCH_NOISE) : undefined
    speed(draws, { times, noise }).then(async (r) => {
      if (process.env.POPDYN_BENCH_SPEED_OUT) (await import('node:fs')).writeFileSync(process.env.POPDYN_BENCH_SPEED_OUT, JSON.stringify(r))
    })
  } else run({ quick: process.argv.includes('--quick') }).then((r) => console.table(r.rows))
}
