/**
 * Dense linear algebra / optimisation toolkit speed: QR least squares, Jacobi eigendecomposition,
 * Bures–Wasserstein, constrained least squares (Goldfarb–Idnani QP) at WSINDy size, and HiGHS LPs
 * (transportation problems, both input formats, ~100k variables; 10^6 for the text writer).
 */
import {
  constrainedLstsq,
  createLpSession,
  eigh,
  lstsq,
  matmulTN,
  solveLp,
  writeLpText,
  type LpModel,
  type Matrix,
} from '../src-main/engines/linalg/index'
import { bw2 } from '../src-main/engines/metrics/index'
import { createRng, type Rng } from '../src-main/engines/stats/random'

type Row = Record<string, string | number>

function median(f: () => void, reps: number): number {
  const t: number[] = []
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now()
    f()
    t.push(performance.now() - t0)
  }
  t.sort((a, b) => a - b)
  return t[Math.floor(t.length / 2)]!
}

const randn = (rng: Rng, rows: number, cols: number): Matrix => ({ data: rng.normals(rows * cols), rows, cols })

/** Transportation LP between two uniform 2-D clouds of n points, squared Euclidean cost, CSR rows. */
function transportModel(rng: Rng, n: number): LpModel {
  const x = rng.normals(2 * n), y = rng.normals(2 * n)
  const c = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) c[i * n + j] = (x[2 * i] - y[2 * j]) ** 2 + (x[2 * i + 1] - y[2 * j + 1]) ** 2
  const nnz = 2 * n * n
  const starts = new Int32Array(2 * n + 1)
  const indices = new Int32Array(nnz)
  const values = new Float64Array(nnz).fill(1)
  let p = 0
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) indices[p++] = i * n + j
    starts[i + 1] = p
  }
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) indices[p++] = i * n + j
    starts[n + j + 1] = p
  }
  const rhs = new Float64Array(2 * n).fill(1 / n)
  return { sense: 'min', c, rows: { starts, indices, values, lower: rhs, upper: rhs.slice() } }
}

export async function run(opts: { quick?: boolean }): Promise<{ name: string; rows: Row[]; notes?: string }> {
  const rng = createRng(1)
  const rows: Row[] = []
  const quick = !!opts.quick

  for (const [m, n] of quick ? [[2000, 88]] : [[2000, 88], [10000, 88], [400, 200]]) {
    const A = randn(rng, m, n)
    const b = rng.normals(m)
    const ms = median(() => lstsq(A, b), 3)
    rows.push({ task: 'lstsq (Householder QR, pivoted)', size: `${m}×${n}`, 'median ms': +ms.toFixed(2) })
  }
  for (const d of quick ? [10, 50] : [10, 50, 100]) {
    const M = randn(rng, d, d)
    const S = matmulTN(M, M)
    const e = eigh(S)
    const ms = median(() => eigh(S), 3)
    rows.push({ task: 'eigh (cyclic Jacobi)', size: `d=${d}`, 'median ms': +ms.toFixed(2), note: `${e.sweeps} sweeps` })
  }
  for (const d of [5, 50]) {
    const g = () => {
      const M = randn(rng, d, d)
      return { mean: rng.normals(d), cov: matmulTN(M, M).data, d }
    }
    const a = g(), c = g()
    const ms = median(() => bw2(a, c), 5)
    rows.push({ task: 'bw2 (Bures–Wasserstein)', size: `d=${d}`, 'median ms': +ms.toFixed(3) })
  }
  {
    // WSINDy-sized constrained least squares: 88 coefficients, sign constraints on a (r, θ) grid.
    const m = 2000, n = 88, k = 300
    const G = randn(rng, m, n)
    const b = rng.normals(m)
    const C = randn(rng, k, n)
    const d = new Float64Array(k)
    const res = constrainedLstsq(G, b, C, d)
    const ms = median(() => constrainedLstsq(G, b, C, d), 3)
    rows.push({ task: 'constrainedLstsq (Goldfarb–Idnani)', size: `${m}×${n}, ${k} constraints`, 'median ms': +ms.toFixed(2), note: `${res.status}, ${res.iterations} steps, ${res.active.length} active` })
  }
  // LPs: a warm-up solve loads the HiGHS runtime first.
  await solveLp(transportModel(rng, 5))
  for (const n of quick ? [100] : [100, 316]) {
    const model = transportModel(rng, n)
    for (const format of ['model', 'lp-text'] as const) {
      const t0 = performance.now()
      const res = await solveLp(model, { format })
      const total = performance.now() - t0
      rows.push({
        task: `LP transportation (HiGHS, ${format})`,
        size: `${n}×${n} = ${n * n} vars, ${2 * n} rows`,
        'median ms': +total.toFixed(0),
        note: `${res.status}; build ${(res.timings.buildSeconds * 1000).toFixed(0)} ms, solve ${(res.timings.solveSeconds * 1000).toFixed(0)} ms, read ${(res.timings.readSeconds * 1000).toFixed(0)} ms, obj ${res.objective.toPrecision(8)}`,
      })
    }
  }
  {
    // Warm start: same constraints, slightly perturbed costs (as in block coordinate descent).
    const n = quick ? 100 : 316
    const model = transportModel(rng, n)
    const session = await createLpSession(model)
    try {
      await session.solve()
      const c2 = model.c.map((v) => v * (1 + 0.05 * rng.normal()))
      session.setCosts(c2)
      const t0 = performance.now()
      const warm = await session.solve()
      const tWarm = performance.now() - t0
      const t1 = performance.now()
      const cold = await solveLp({ ...model, c: c2 })
      const tCold = performance.now() - t1
      rows.push({
        task: 'LP session re-solve after 5% cost noise',
        size: `${n}×${n} = ${n * n} vars`,
        'median ms': +tWarm.toFixed(0),
        note: `warm ${warm.iterations} simplex its vs cold ${cold.iterations} its / ${tCold.toFixed(0)} ms; |Δobj| ${Math.abs(warm.objective - cold.objective).toExponential(1)}`,
      })
    } finally {
      session.dispose()
    }
  }
  if (!quick) {
    const model = transportModel(rng, 1000)
    const t0 = performance.now()
    const text = writeLpText(model)
    rows.push({ task: 'writeLpText', size: '10^6 vars, 2000 rows', 'median ms': +(performance.now() - t0).toFixed(0), note: `${(text.length / 1e6).toFixed(1)} MB of LP text` })
  }
  return { name: 'linalg', rows, notes: 'single thread; LP times include model build and read-back; the first HiGHS load is excluded' }
}

if (import.meta.url === `file://${process.argv[1]}`) run({}).then((r) => console.table(r.rows))
