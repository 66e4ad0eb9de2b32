import { describe, expect, it } from 'vitest'
import { PopdynError } from '@shared/errors'
import { separateEnsembles, matchEnsembles, relativeParameterError, labelAccuracy, fitLinear, chooseEnsembleCount } from '../../../../src-main/engines/ensembles/index'
import { linearEnsembles } from '../../../../src-main/engines/synth/linear-ensembles'
import { createRng } from '../../../../src-main/engines/stats/random'
import { costStack } from '../../../../src-main/engines/ensembles/costs'
import { restrictedPlans } from '../../../../src-main/engines/ensembles/restricted'
import { argsortNonNegative, hypothesisSeeds, matrixCosts, peel, relaxedBcd, relaxedObjective, relaxedObjectiveOf } from '../../../../src-main/engines/ensembles/hypotheses'
import { entropicPlans } from '../../../../src-main/engines/ensembles/entropic'
import { sparsePlans } from '../../../../src-main/engines/ensembles/sparse'
import { KdTree } from '../../../../src-main/engines/knn/index'

const snaps = (data: ReturnType<typeof linearEnsembles>) => data.snapshots.map((x) => ({ x, n: x.length / data.d, d: data.d }))

/**
 * Two ensembles with clearly different dynamics: a quarter turn and a sheared contraction
 * (not a multiple of the identity: under c·I every particle's path is a straight line, which
 * carries no information on A beyond c), observed at 4 time points.
 */
function easy(seed: number, noise = 1e-4) {
  const rng = createRng(seed)
  const A = [Float64Array.from([0, -1, 1, 0]), Float64Array.from([0.9, 0.3, -0.2, 0.6])]
  const sizes = [12, 18]
  const T = 4
  const N = 30
  const lab = Int32Array.from({ length: N }, (_, i) => (i < sizes[0]! ? 0 : 1))
  let x = rng.normals(2 * N)
  const snapshots: Float64Array[] = []
  const labels: Int32Array[] = []
  for (let t = 0; t < T; t++) {
    const perm = rng.permutation(N)
    snapshots.push(Float64Array.from({ length: 2 * N }, (_, q) => x[2 * perm[q >> 1]! + (q & 1)]!))
    labels.push(Int32Array.from(perm, (i) => lab[i]!))
    const next = new Float64Array(2 * N)
    for (let i = 0; i < N; i++) {
      const a = A[lab[i]!]!
      next[2 * i] = a[0]! * x[2 * i]! + a[1]! * x[2 * i + 1]! + Math.sqrt(noise) * rng.normal()
      next[2 * i + 1] = a[2]! * x[2 * i]! + a[3]! * x[2 * i + 1]! + Math.sqrt(noise) * rng.normal()
    }
    x = next
  }
  return { A, snapshots: snapshots.map((s) => ({ x: s, n: N, d: 2 })), labels }
}

describe('OT ensemble separation', () => {
  it('weighted least squares recovers a planted linear map exactly', () => {
    const rng = createRng(1)
    const A = Float64Array.from([1.5, -0.3, 0.2, 0.7])
    const n = 20
    const x = rng.normals(2 * n)
    const y = new Float64Array(2 * n)
    for (let i = 0; i < n; i++) {
      y[2 * i] = A[0]! * x[2 * i]! + A[1]! * x[2 * i + 1]!
      y[2 * i + 1] = A[2]! * x[2 * i]! + A[3]! * x[2 * i + 1]!
    }
    const w = new Float64Array(n * n)
    for (let i = 0; i < n; i++) w[i * n + i] = 1 / n
    const th = fitLinear([{ x: { x, n, d: 2 }, y: { x: y, n, d: 2 }, w }], false)!
    for (let q = 0; q < 4; q++) expect(th[q]).toBeCloseTo(A[q]!, 10)
  })

  for (const solver of ['exact', 'entropic'] as const) {
    it(`${solver}: from the true dynamics the plans keep them and label every particle (K = 3, 5 time points)`, async () => {
      const data = linearEnsembles({ sizes: [6, 8, 10], times: 5, noiseVariance: 1e-4, seed: 3 })
      const r = await separateEnsembles({ K: 3, snapshots: snaps(data) }, { solver, restarts: 1, init: data.A, anneal: [] })
      const perm = matchEnsembles(r.theta, data.A)
      expect(relativeParameterError(r.theta, data.A, perm)).toBeLessThan(0.02)
      expect(labelAccuracy(r.labels, data.labels, perm)).toBeGreaterThanOrEqual(0.98)
      expect(r.solver).toBe(solver)
      // Ensemble masses are the true shares 6:8:10.
      const mass = perm.map((k) => r.ensembleMass[k]!)
      expect(mass[0]).toBeCloseTo(6 / 24, 2)
      expect(mass[2]).toBeCloseTo(10 / 24, 2)
    })
  }

  it('entropic plans on nearest-neighbour supports equal the dense ones when the support holds every pair', () => {
    const data = linearEnsembles({ sizes: [6, 8, 10], times: 4, noiseVariance: 1e-3, seed: 9 })
    const S = snaps(data)
    const w = S.map((s) => new Float64Array(s.n).fill(1 / s.n))
    const theta = data.A.map((a) => a.map((v) => v + 0.05))
    const o = { epsRelative: 1e-2, marginalTol: 1e-9, maxSweeps: 5000 }
    const dense = entropicPlans(S, w, costStack(S, theta, false), o)
    const trees = S.map((s) => KdTree.build({ data: s.x, n: s.n, d: s.d }))
    const sparse = sparsePlans(S, w, theta, trees, { ...o, neighbours: 24, affine: false })
    // The same projections in the same order: the same sweeps, marginal error and plans.
    expect(sparse.sweeps).toBe(dense.sweeps)
    expect(sparse.marginalError).toBeCloseTo(dense.marginalError, 12)
    for (let k = 0; k < 3; k++)
      for (let t = 0; t < 3; t++) {
        const p = sparse.P[k]![t]!, D = dense.P[k]![t]!
        const m = S[t + 1]!.n
        expect(p.col.length).toBe(S[t]!.n * m)
        for (let i = 0; i < S[t]!.n; i++) for (let q = p.ptr[i]!; q < p.ptr[i + 1]!; q++) expect(Math.abs(p.val[q]! - D[i * m + p.col[q]!]!)).toBeLessThan(1e-12)
      }
  })

  it('entropic mode on nearest-neighbour supports labels like the dense entropic mode, and refuses dense plans that would not fit in memory', async () => {
    const data = linearEnsembles({ sizes: [12, 18, 30], times: 5, noiseVariance: 1e-4, seed: 4 })
    const run = (entropicNeighbours: number) => separateEnsembles({ K: 3, snapshots: snaps(data) }, { solver: 'entropic', entropicNeighbours, restarts: 1, init: data.A, anneal: [] })
    const [dense, sparse] = [await run(0), await run(8)]
    expect(sparse.solverReason).toMatch(/8 nearest predicted targets/)
    const perm = matchEnsembles(sparse.theta, data.A)
    expect(labelAccuracy(sparse.labels, data.labels, perm)).toBeGreaterThanOrEqual(0.98)
    expect(relativeParameterError(sparse.theta, data.A, perm)).toBeLessThan(0.02)
    let same = 0, total = 0
    sparse.labels.forEach((l, t) => l.forEach((k, i) => (total++, (same += +(k === dense.labels[t]![i])))))
    expect(same / total).toBeGreaterThanOrEqual(0.99)
    // 20,000 particles per time point: the dense plans would need ~ 100 GiB.
    const big = Array.from({ length: 3 }, () => ({ x: new Float64Array(40_000), n: 20_000, d: 2 }))
    await expect(separateEnsembles({ K: 3, snapshots: big }, { solver: 'entropic', entropicNeighbours: 0 })).rejects.toThrow(/GiB; use entropicNeighbours/)
  })

  it('separates two ensembles with different dynamics from its default starts (trajectory hypotheses, relaxed screening, exact LP)', async () => {
    const p = easy(5)
    const r = await separateEnsembles({ K: 2, snapshots: p.snapshots }, { restarts: 4, seed: 2 })
    const perm = matchEnsembles(r.theta, p.A)
    expect(relativeParameterError(r.theta, p.A, perm)).toBeLessThan(0.05)
    expect(labelAccuracy(r.labels, p.labels, perm)).toBeGreaterThanOrEqual(0.95)
    // The trace of the best restart never increases (block coordinate descent).
    for (let i = 1; i < r.trace.length; i++) expect(r.trace[i]!).toBeLessThanOrEqual(r.trace[i - 1]! * (1 + 1e-9))
    expect(r.restarts.length).toBeGreaterThanOrEqual(1)
    expect(r.restarts.length).toBeLessThanOrEqual(4)
    expect(r.solverReason).toMatch(/exact LP/)
  })

  it('column generation reaches the optimum of the full joint LP (same objective as all columns, marginals and mass consistency hold)', async () => {
    const data = linearEnsembles({ sizes: [5, 7], times: 4, noiseVariance: 1e-2, seed: 8 })
    const S = snaps(data)
    const N = S.map((s) => s.n)
    const w = N.map((n) => new Float64Array(n).fill(1 / n))
    const rng = createRng(4)
    for (let trial = 0; trial < 3; trial++) {
      const theta = trial === 0 ? data.A : [rng.normals(4), rng.normals(4)]
      const C = costStack(S, theta, false)
      const full = await restrictedPlans(C, N, w, null, { candidates: 12 }) // every column: the dense LP
      const cg = await restrictedPlans(C, N, w, null, { candidates: 2, addPerRow: 1 })
      expect(full.optimal && cg.optimal).toBe(true)
      expect(cg.columns).toBeLessThan(2 * 12 * 12 * 3)
      expect(cg.objective).toBeCloseTo(full.objective, 9)
      // Constraints of eq. 7 on the column-generation plan.
      for (let t = 0; t < 3; t++)
        for (let j = 0; j < 12; j++) {
          let inc = 0
          for (let k = 0; k < 2; k++) for (let i = 0; i < 12; i++) inc += cg.P[k]![t]![i * 12 + j]!
          expect(inc).toBeCloseTo(1 / 12, 10)
        }
      for (let k = 0; k < 2; k++)
        for (let t = 1; t < 3; t++)
          for (let j = 0; j < 12; j++) {
            let inc = 0, out = 0
            for (let i = 0; i < 12; i++) inc += cg.P[k]![t - 1]![i * 12 + j]!
            for (let l = 0; l < 12; l++) out += cg.P[k]![t]![j * 12 + l]!
            expect(out).toBeCloseTo(inc, 10)
          }
      // The relaxation (no mass-consistency rows) is a lower bound of the joint LP.
      expect(relaxedObjective(S, w, theta)).toBeLessThanOrEqual(full.objective + 1e-12)
    }
  })

  it('the relaxed descent never increases its objective and keeps the true dynamics', () => {
    const data = linearEnsembles({ sizes: [20, 30, 50], times: 5, noiseVariance: 1e-4, seed: 1001 })
    const S = snaps(data)
    const w = S.map((s) => new Float64Array(s.n).fill(1 / s.n))
    const r = relaxedBcd(S, w, data.A)
    expect(relativeParameterError(r.theta, data.A)).toBeLessThan(0.01)
    const rng = createRng(2)
    const start = [rng.normals(4), rng.normals(4), rng.normals(4)]
    const one = relaxedBcd(S, w, start, 1).cost
    const more = relaxedBcd(S, w, start, 30).cost
    expect(more).toBeLessThanOrEqual(one * (1 + 1e-12))
  })

  it('the relaxed objective with a cutoff is exact below it and at least the cutoff above it', () => {
    const data = linearEnsembles({ sizes: [20, 30, 50], times: 5, noiseVariance: 1e-2, seed: 1004 })
    const S = snaps(data)
    const w = S.map((s) => new Float64Array(s.n).fill(1 / s.n))
    const rng = createRng(7)
    for (let q = 0; q < 6; q++) {
      const theta = q === 0 ? data.A : data.A.map((a, k) => (k === q % 3 ? rng.normals(4) : a))
      const exact = relaxedObjective(S, w, theta)
      // Bit for bit the same value when the cutoff is not reached.
      expect(relaxedObjective(S, w, theta, exact * 1.0001)).toBe(exact)
      const refused = relaxedObjective(S, w, theta, exact * 0.9)
      expect(refused).toBeGreaterThanOrEqual(exact * 0.9)
      expect(refused).toBeLessThanOrEqual(exact * (1 + 1e-12))
    }
  })

  it('the relaxed objective from per-matrix costs is the relaxed objective bit for bit, with and without a cutoff', () => {
    const data = linearEnsembles({ sizes: [20, 30, 50], times: 5, noiseVariance: 1e-2, seed: 1005 })
    const S = snaps(data)
    const w = S.map((s) => new Float64Array(s.n).fill(1 / s.n))
    const rng = createRng(12)
    const pool = [...data.A, ...Array.from({ length: 4 }, () => rng.normals(4))]
    const costs = pool.map((A) => matrixCosts(S, A))
    for (const set of [[0, 1, 2], [3, 1, 2], [4, 5, 6], [2, 0, 6]]) {
      const theta = set.map((q) => pool[q]!)
      const parts = set.map((q) => costs[q]!)
      const exact = relaxedObjective(S, w, theta)
      expect(relaxedObjectiveOf(w, parts)).toBe(exact)
      for (const cutoff of [exact * 1.0001, exact, exact * 0.9, exact * 0.5]) expect(relaxedObjectiveOf(w, parts, cutoff)).toBe(relaxedObjective(S, w, theta, cutoff))
    }
  })

  it('argsortNonNegative is the stable ascending order (ties, zeros, infinities, a view into a larger buffer)', () => {
    const rng = createRng(8)
    const big = Float64Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? Infinity : i % 5 === 0 ? 0.25 : rng.uniform() * 10 ** rng.int(12)))
    for (const keys of [big, big.subarray(3, 2003), new Float64Array(0), Float64Array.from([2, 2, 2])]) {
      const want = Array.from(keys.keys()).sort((a, b) => keys[a]! - keys[b]! || a - b)
      expect(Array.from(argsortNonNegative(keys))).toEqual(want)
    }
  })

  it('trajectory hypotheses find all three matrices of a low-noise draw (d = 2, sizes 10/15/25, 5 time points)', () => {
    const data = linearEnsembles({ sizes: [10, 15, 25], times: 5, noiseVariance: 1e-4, seed: 1002 })
    const S = snaps(data)
    const w = S.map((s) => new Float64Array(s.n).fill(1 / s.n))
    const h = hypothesisSeeds(S, w, 3, createRng(1))!
    expect(relativeParameterError(h.sets[0]!, data.A)).toBeLessThan(0.01)
    // The best set's relaxed objective is near that of the truth (a wrong set is far above).
    expect(h.costs[0]).toBeLessThan(1.5 * relaxedObjective(S, w, data.A))
    expect(h.costs).toEqual([...h.costs].sort((a, b) => a - b))
  })

  it('forward sets recover the small ensemble that the trimmed shortlist misses (paper setting, σ² = 1e-2)', () => {
    // Draw 3 of the benchmark: the 20-particle ensemble's good hypotheses rank far down the
    // trimmed score, so no K-subset of the shortlist holds all three matrices.
    const data = linearEnsembles({ sizes: [20, 30, 50], times: 5, noiseVariance: 1e-2, seed: 1003 })
    const S = snaps(data)
    const w = S.map((s) => new Float64Array(s.n).fill(1 / s.n))
    const h = hypothesisSeeds(S, w, 3, createRng(3))!
    const subsetsBest = Math.min(...h.sets.slice(0, 3).map((t) => relaxedObjective(S, w, relaxedBcd(S, w, t).theta)))
    const fromForward = h.forward.map((t) => relaxedBcd(S, w, t)).sort((a, b) => a.cost - b.cost)[0]!
    const truth = relaxedObjective(S, w, data.A)
    expect(subsetsBest).toBeGreaterThan(2 * truth)
    expect(fromForward.cost).toBeLessThan(1.01 * truth)
    expect(relativeParameterError(fromForward.theta, data.A)).toBeLessThan(0.05)
  })

  it('peeling re-seeds an ensemble the start lacks from the points the others leave (σ² = 1e-2)', () => {
    const data = linearEnsembles({ sizes: [20, 30, 50], times: 5, noiseVariance: 1e-2, seed: 1000 })
    const S = snaps(data)
    const w = S.map((s) => new Float64Array(s.n).fill(1 / s.n))
    // Draw 0 of the benchmark: the best start from the hypotheses misses one ensemble.
    const h = hypothesisSeeds(S, w, 3, createRng(0))!
    const start = [...h.forward, ...h.sets.slice(0, 3)].map((t) => relaxedBcd(S, w, t)).sort((a, b) => a.cost - b.cost)[0]!
    expect(relativeParameterError(start.theta, data.A)).toBeGreaterThan(0.3)
    const out = peel(S, w, start, createRng(1))
    expect(out.cost).toBeLessThan(1.01 * relaxedObjective(S, w, data.A))
    expect(relativeParameterError(out.theta, data.A)).toBeLessThan(0.05)
  })

  it('noiseless data: labels 100% and A_k to 1e-6 from the default pipeline (K = 3, 5 time points)', async () => {
    const data = linearEnsembles({ sizes: [6, 8, 10], times: 5, noiseVariance: 0, seed: 1001 })
    const r = await separateEnsembles({ K: 3, snapshots: snaps(data) }, { restarts: 2 })
    const perm = matchEnsembles(r.theta, data.A)
    expect(relativeParameterError(r.theta, data.A, perm)).toBeLessThan(1e-6)
    expect(labelAccuracy(r.labels, data.labels, perm)).toBe(1)
    expect(r.objective).toBeLessThan(1e-10)
  })

  it('chooses K by the objective elbow and shows the evidence (two ensembles planted)', async () => {
    const p = easy(5)
    const r = await chooseEnsembleCount({ snapshots: p.snapshots }, { restarts: 2, seed: 1 }, { maxK: 3 })
    expect(r.K).toBe(2)
    expect(r.objectives).toHaveLength(3)
    expect(r.objectives[1]!).toBeLessThan(r.objectives[0]! / 10)
    expect(r.objectives[2]!).toBeLessThanOrEqual(r.objectives[1]! * (1 + 1e-9))
    expect(r.reason).toMatch(/K = 2/)
  })

  it('is invariant to the order of the rows within each time point', async () => {
    const p = easy(7)
    const rng = createRng(9)
    const perms = p.snapshots.map((s) => rng.permutation(s.n))
    const shuffled = p.snapshots.map((s, t) => ({ ...s, x: Float64Array.from({ length: s.x.length }, (_, q) => s.x[2 * perms[t]![q >> 1]! + (q & 1)]!) }))
    const a = await separateEnsembles({ K: 2, snapshots: p.snapshots }, { restarts: 2 })
    const b = await separateEnsembles({ K: 2, snapshots: shuffled }, { restarts: 2 })
    expect(b.objective).toBeCloseTo(a.objective, 10)
    const perm = matchEnsembles(b.theta, a.theta)
    expect(relativeParameterError(b.theta, a.theta, perm)).toBeLessThan(1e-8)
    // Row q of the shuffled snapshot is row perms[t][q] of the original: same ensemble.
    const inv = new Map(perm.map((est, k) => [est, k]))
    p.snapshots.forEach((_, t) => perms[t]!.forEach((orig, q) => expect(inv.get(b.labels[t]![q]!)).toBe(a.labels[t]![orig]!)))
  })

  it('refuses bad input with a message saying what was expected', async () => {
    const p = easy(1)
    const err = async (f: () => Promise<unknown>) => {
      try {
        await f()
      } catch (e) {
        return e as PopdynError
      }
      throw new Error('expected an error')
    }
    expect((await err(() => separateEnsembles({ K: 2, snapshots: p.snapshots.slice(0, 1) }))).message).toMatch(/at least 2 time points/)
    expect((await err(() => separateEnsembles({ K: 0, snapshots: p.snapshots }))).message).toMatch(/K .* ≥ 1/)
    expect((await err(() => separateEnsembles({ K: 31, snapshots: p.snapshots }))).message).toMatch(/K = 31 .* 30 particles .* expected K ≤ 30/)
    const bad = p.snapshots.map((s) => ({ ...s, x: Float64Array.from(s.x) }))
    bad[1]!.x[3] = NaN
    expect((await err(() => separateEnsembles({ K: 2, snapshots: bad }))).message).toMatch(/Snapshot 1, point 1: coordinate 1 is NaN/)
    const heavy = p.snapshots.map((s, t) => ({ ...s, a: new Float64Array(s.n).fill(t === 2 ? 2 / s.n : 1 / s.n) }))
    expect((await err(() => separateEnsembles({ K: 2, snapshots: heavy }))).message).toMatch(/total mass must be the same/)
  })

  it('stops when cancelled', async () => {
    const p = easy(2)
    const ac = new AbortController()
    ac.abort()
    await expect(separateEnsembles({ K: 2, snapshots: p.snapshots }, { restarts: 2 }, { signal: ac.signal })).rejects.toMatchObject({ kind: 'cancelled' })
  })
})
