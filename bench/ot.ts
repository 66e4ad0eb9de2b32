/**
 * The toolkit next to POT (Python Optimal Transport) on the same points in the same run, where
 * POT is installed (Debian: apt-get install python3-pot; run with /usr/bin/python3):
 * exact EMD (W1, Euclidean cost, cost matrix included on both sides), the debiased Sinkhorn
 * divergence (ours on the selected tfjs backend, float32; POT's log-domain sinkhorn2, float64,
 * cost ‖x−y‖²/2 on both sides), and our Kozachenko–Leonenko entropy (n = 100,000, d = 5).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { emd, sinkhornDivergenceWithReport } from '../src-main/engines/ot/index'
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
    (vxy, lxy), (vxx, _), (vyy, _) = ot_eps(x, y), ot_eps(x, x), ot_eps(y, y)
    s = time.perf_counter() - t
    print(json.dumps({'value': float(vxy - (vxx + vyy) / 2), 'seconds': s, 'iterations': int(lxy.get('niter', -1))}))
`

function pot(req: Record<string, unknown>): Record<string, number> | null {
  if (!existsSync(PY)) return null
  const dir = mkdtempSync(join(tmpdir(), 'popdyn-pot-'))
  writeFileSync(join(dir, 'pot.py'), POT_SCRIPT)
  writeFileSync(join(dir, 'req.json'), JSON.stringify(req))
  const r = spawnSync(PY, [join(dir, 'pot.py'), join(dir, 'req.json')], { encoding: 'utf8', timeout: 1_200_000, env: { ...process.env, PYTHONPATH: '' } })
  if (r.status !== 0) return null
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!)
}

export async function run(opts: { quick?: boolean }) {
  const backend = await initBackend()
  const rng = createRng(7)
  const rows: Record<string, string | number>[] = []
  for (const n of opts.quick ? [2000] : [2000, 4000]) {
    const x = Float64Array.from({ length: 2 * n }, () => rng.uniform())
    const y = Float64Array.from({ length: 2 * n }, () => rng.uniform())
    const t0 = performance.now()
    const ours = emd({ data: x, n, d: 2 }, { data: y, n, d: 2 })
    const sec = (performance.now() - t0) / 1000
    const p = pot({ kind: 'emd', x: Array.from(x), y: Array.from(y), d: 2 })
    rows.push({ task: `exact EMD, ${n}×${n}, 2-D`, 'ours s': sec, 'POT s': p?.seconds ?? 'POT not installed', 'ours / POT': p ? sec / p.seconds : '', 'ours cost': ours, 'relative cost difference': p ? Math.abs(ours - p.cost) / p.cost : '' })
  }
  const ns = opts.quick ? 1000 : 2000
  const d = 5
  const eps = 0.01
  const x = Float64Array.from({ length: ns * d }, () => rng.normal())
  const y = Float64Array.from({ length: ns * d }, () => rng.normal() + 0.5)
  const tx = tf.tensor2d(Float32Array.from(x), [ns, d])
  const ty = tf.tensor2d(Float32Array.from(y), [ns, d])
  const t1 = performance.now()
  const r = sinkhornDivergenceWithReport(tx, ty, { eps, tol: 1e-3, maxIter: 2000 })
  const val = (await r.value.data())[0]!
  const sec = (performance.now() - t1) / 1000
  tf.dispose([tx, ty, r.value])
  const p = pot({ kind: 'sinkhorn', x: Array.from(x), y: Array.from(y), d, eps, tol: 1e-3, maxIter: 2000 })
  rows.push({ task: `Sinkhorn divergence ${ns}×${ns}, d = ${d}, ε = ${eps} (${backend.name})`, 'ours s': sec, 'POT s': p?.seconds ?? 'POT not installed', 'ours / POT': p ? sec / p.seconds : '', 'ours cost': val, 'relative cost difference': p ? Math.abs(val - p.value) / Math.abs(p.value) : '', iterations: `${r.report.iterations}${p ? ` (POT ${p.iterations})` : ''}` })
  const ne = 100_000
  const z = Float64Array.from({ length: ne * d }, () => rng.normal())
  const t2 = performance.now()
  const h = klEntropy({ data: z, n: ne, d }, { k: 5 })
  rows.push({ task: `KL entropy n = ${ne}, d = ${d}`, 'ours s': (performance.now() - t2) / 1000, 'POT s': '', 'ours / POT': '', 'ours cost': h, 'relative cost difference': Math.abs(h - 0.5 * d * Math.log(2 * Math.PI * Math.E)) / (0.5 * d * Math.log(2 * Math.PI * Math.E)) })
  return { name: 'OT toolkit next to POT', rows, notes: `POT ${existsSync(PY) ? 'through /usr/bin/python3' : 'not installed'}; KL entropy compared with the closed form ½ d log(2πe) of N(0, I).` }
}

if (import.meta.url === `file://${process.argv[1]}`) run({ quick: process.argv.includes('--quick') }).then((r) => console.table(r.rows))
