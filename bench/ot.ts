/**
 * The toolkit next to POT (Python Optimal Transport) on the same points in the same run, where
 * POT is installed (Debian: apt-get install python3-pot; run with /usr/bin/python3):
 * - exact EMD (W1, Euclidean cost, cost matrix included on both sides), uniform 2-D points,
 *   n = 2000 (quick) and 4000;
 * - the debiased Sinkhorn divergence, d = 5, ε = 0.01, tol 1e-3, n = 1000 (quick) and 5000: ours
 *   through the tensor API (`sinkhornDivergenceWithReport`, solver 'auto' → the stabilised CPU
 *   path on wasm, float64) vs POT's log-domain `sinkhorn2(method='sinkhorn_log')` (float64, numpy),
 *   cost ‖x−y‖²/2 on both sides, three problems each. The two stopping rules differ: ours stops when
 *   the L1 marginal error Σ|π^T1 − b| / Σb ≤ tol (the same rule as the tensor solver), POT when the
 *   L2 norm ‖π^T1 − b‖₂ ≤ stopThr — with b_j = 1/n that is up to √n times looser. So the values
 *   are also compared with a tight solution (ours at tol 1e-5, n = 1000);
 * - our Kozachenko–Leonenko entropy (n = 100,000, d = 5).
 * The machine is shared, so ours and POT run alternately (A B A B …, `reps` each, default 2) and
 * the table gives medians; each POT run is capped (`POPDYN_BENCH_POT_TIMEOUT` seconds, default 600).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { emd, sinkhornDivergenceStabilisedCpu, sinkhornDivergenceWithReport } from '../src-main/engines/ot/index'
import { klEntropy, createRng } from '../src-main/engines/stats/index'
import { initBackend, tf } from '../src-main/compute/backend'

const PY = '/usr/bin/python3'
const POT_SCRIPT = `
import sys, json, time, numpy as np, ot
req = json.load(open(sys.argv[1]))
x = np.array(req['x']).reshape(-1, req['d']); y = np.array(req['y']).reshape(-1, req['d'])
a = np.full(len(x), 1/len(x)); b = np.full(len(y), 1/len(y))
if req['kind'] == 'emd':
    t = time.perf_counter(); M = ot.dist(x, y, metric='euclidean'); c = ot.emd2(a, b, M, numItermax=10**8); s = time.perf_counter() - t
    print(json.dumps({'cost': float(c), 'seconds': s}))
else:
    eps = req['eps']
    def ot_eps(u, v):
        M = ot.dist(u, v) / 2
        return ot.sinkhorn2(np.full(len(u), 1/len(u)), np.full(len(v), 1/len(v)), M, eps, method='sinkhorn_log', stopThr=req['tol'], numItermax=req['maxIter'], log=True)
    t = time.perf_counter()
    (vxy, lxy), (vxx, lxx), (vyy, lyy) = ot_eps(x, y), ot_eps(x, x), ot_eps(y, y)
    s = time.perf_counter() - t
    print(json.dumps({'value': float(vxy - (vxx + vyy) / 2), 'seconds': s, 'iterations': '/'.join(str(int(l.get('niter', -1))) for l in (lxy, lxx, lyy))}))
`

interface PotOut {
  seconds: number
  cost?: number
  value?: number
  iterations?: string
}

/** One POT run; null when POT is missing, 'timeout' when it ran past the cap. */
function pot(req: Record<string, unknown>, timeoutS: number): PotOut | null | 'timeout' {
  if (!existsSync(PY)) return null
  const dir = mkdtempSync(join(tmpdir(), 'popdyn-pot-'))
  writeFileSync(join(dir, 'pot.py'), POT_SCRIPT)
  writeFileSync(join(dir, 'req.json'), JSON.stringify(req))
  const r = spawnSync(PY, [join(dir, 'pot.py'), join(dir, 'req.json')], {
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    killSignal: 'SIGKILL',
    env: { ...process.env, PYTHONPATH: '' },
  })
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return 'timeout'
  if (r.signal === 'SIGKILL') return 'timeout'
  if (r.status !== 0) return null
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as PotOut
}

const median = (v: number[]) => {
  const s = [...v].sort((p, q) => p - q)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const fmt = (v: number) => +v.toPrecision(4)

export async function run(opts: { quick?: boolean; reps?: number; potTimeoutS?: number }) {
  const backend = await initBackend()
  const reps = opts.reps ?? Number(process.env.POPDYN_BENCH_REPS ?? 2)
  const potCap = opts.potTimeoutS ?? Number(process.env.POPDYN_BENCH_POT_TIMEOUT ?? 600)
  const rng = createRng(7)
  const rows: Record<string, string | number>[] = []
  const notes: string[] = []

  /** A B A B: ours then POT, `reps` times; POT stops being retried after a timeout. */
  function alternate(ours: () => { sec: number; out: Record<string, string | number> }, potReq: Record<string, unknown>) {
    const t: number[] = [], tp: number[] = []
    let last: Record<string, string | number> = {}
    let p: PotOut | null | 'timeout' = null
    for (let k = 0; k < reps; k++) {
      const o = ours()
      t.push(o.sec)
      last = o.out
      if (p !== 'timeout' && !(p === null && k > 0)) {
        const r = pot(potReq, potCap)
        p = r
        if (r && r !== 'timeout') tp.push(r.seconds)
      }
    }
    return { ours: median(t), oursAll: t, pot: tp.length ? median(tp) : null, potAll: tp, potLast: p, last }
  }

  for (const n of opts.quick ? [2000] : [2000, 4000]) {
    const x = Float64Array.from({ length: 2 * n }, () => rng.uniform())
    const y = Float64Array.from({ length: 2 * n }, () => rng.uniform())
    let cost = NaN
    const r = alternate(
      () => {
        const t0 = performance.now()
        cost = emd({ data: x, n, d: 2 }, { data: y, n, d: 2 })
        return { sec: (performance.now() - t0) / 1000, out: {} }
      },
      { kind: 'emd', x: Array.from(x), y: Array.from(y), d: 2 },
    )
    const pc = r.potLast && r.potLast !== 'timeout' ? r.potLast.cost! : NaN
    rows.push({
      task: `exact EMD, ${n}×${n}, 2-D`,
      'ours s (median)': fmt(r.ours),
      'POT s (median)': r.pot !== null ? fmt(r.pot) : r.potLast === 'timeout' ? `> ${potCap} (timeout)` : 'POT not installed',
      'ours / POT': r.pot !== null ? fmt(r.ours / r.pot) : '',
      runs: `ours ${r.oursAll.map(fmt).join(', ')}; POT ${r.potAll.map(fmt).join(', ')}`,
      value: cost,
      agreement: Number.isFinite(pc) ? `rel. diff ${(Math.abs(cost - pc) / pc).toExponential(1)}` : '',
      iterations: '',
    })
  }

  const d = 5
  const eps = 0.01
  for (const ns of opts.quick ? [1000] : [1000, 5000]) {
    const x = Float64Array.from({ length: ns * d }, () => rng.normal())
    const y = Float64Array.from({ length: ns * d }, () => rng.normal() + 0.5)
    let val = NaN
    let report: { iterations: number; status: string; path: string } = { iterations: 0, status: '', path: '' }
    const r = alternate(
      () => {
        const t0 = performance.now()
        const tx = tf.tensor2d(Float32Array.from(x), [ns, d])
        const ty = tf.tensor2d(Float32Array.from(y), [ns, d])
        const res = sinkhornDivergenceWithReport(tx, ty, { eps, tol: 1e-3, maxIter: 2000 })
        val = res.value.dataSync()[0]!
        const sec = (performance.now() - t0) / 1000
        report = res.report
        tf.dispose([tx, ty, res.value])
        return { sec, out: {} }
      },
      { kind: 'sinkhorn', x: Array.from(x), y: Array.from(y), d, eps, tol: 1e-3, maxIter: 2000 },
    )
    // Tight float64 solution of the same problem (the float32 inputs of the tensor API).
    let tight = NaN
    if (ns <= 1000) {
      const t = sinkhornDivergenceStabilisedCpu(
        { data: Float64Array.from(Float32Array.from(x)), n: ns, d },
        { data: Float64Array.from(Float32Array.from(y)), n: ns, d },
        { eps, tol: 1e-5, maxIter: 200000 },
      )
      if (t.converged) tight = t.value
    }
    const pv = r.potLast && r.potLast !== 'timeout' ? r.potLast.value! : NaN
    const agreement = [
      Number.isFinite(tight) ? `ours vs tight (tol 1e-5) ${(Math.abs(val - tight) / tight).toExponential(1)}` : '',
      Number.isFinite(pv) ? `POT vs ours ${(Math.abs(pv - val) / val).toExponential(1)}` : '',
      Number.isFinite(pv) && Number.isFinite(tight) ? `POT vs tight ${(Math.abs(pv - tight) / tight).toExponential(1)}` : '',
    ].filter(Boolean).join('; ')
    rows.push({
      task: `Sinkhorn divergence ${ns}×${ns}, d = ${d}, ε = ${eps}, tol 1e-3 (${backend.name}, ${report.path})`,
      'ours s (median)': fmt(r.ours),
      'POT s (median)': r.pot !== null ? fmt(r.pot) : r.potLast === 'timeout' ? `> ${potCap} (timeout)` : 'POT not installed',
      'ours / POT': r.pot !== null ? fmt(r.ours / r.pot) : r.potLast === 'timeout' ? `< ${fmt(r.ours / potCap)}` : '',
      runs: `ours ${r.oursAll.map(fmt).join(', ')}; POT ${r.potAll.map(fmt).join(', ')}`,
      value: val,
      agreement,
      iterations: `${report.iterations} (${report.status})${r.potLast && r.potLast !== 'timeout' ? `; POT ${r.potLast.iterations} (xy/xx/yy)` : ''}`,
    })
  }

  const ne = 100_000
  const z = Float64Array.from({ length: ne * d }, () => rng.normal())
  const t2 = performance.now()
  const h = klEntropy({ data: z, n: ne, d }, { k: 5 })
  const hTrue = 0.5 * d * Math.log(2 * Math.PI * Math.E)
  rows.push({ task: `KL entropy n = ${ne}, d = ${d}`, 'ours s (median)': fmt((performance.now() - t2) / 1000), 'POT s (median)': '', 'ours / POT': '', runs: '', value: h, agreement: `vs closed form ${(Math.abs(h - hTrue) / hTrue).toExponential(1)}`, iterations: '' })
  notes.push(
    `POT ${existsSync(PY) ? 'through /usr/bin/python3' : 'not installed'}; ours and POT alternate, ${reps} run(s) each, medians; POT capped at ${potCap} s per run.`,
    'Sinkhorn stopping rules: ours L1 marginal error / Σb ≤ tol; POT L2 norm of the marginal error ≤ stopThr (up to √n looser).',
    'KL entropy compared with the closed form ½ d log(2πe) of N(0, I).',
  )
  return { name: 'OT toolkit next to POT', rows, notes: notes.join(' ') }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run({ quick: process.argv.includes('--quick') }).then((r) => {
    console.table(r.rows)
    console.log(r.notes)
  })
}
