import { describe, expect, it } from 'vitest'
import { PopdynError } from '@shared/errors'
import { separateEnsembles, matchEnsembles, relativeParameterError, labelAccuracy, fitLinear } from '../../../../src-main/engines/ensembles/index'
import { linearEnsembles } from '../../../../src-main/engines/synth/linear-ensembles'
import { createRng } from '../../../../src-main/engines/stats/random'

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

  it('separates two ensembles with different dynamics from its default restarts (trajectory hypotheses, annealed random starts; exact LP)', async () => {
    const p = easy(5)
    const r = await separateEnsembles({ K: 2, snapshots: p.snapshots }, { restarts: 4, seed: 2 })
    const perm = matchEnsembles(r.theta, p.A)
    expect(relativeParameterError(r.theta, p.A, perm)).toBeLessThan(0.05)
    expect(labelAccuracy(r.labels, p.labels, perm)).toBeGreaterThanOrEqual(0.95)
    // The trace of the best restart never increases (block coordinate descent).
    for (let i = 1; i < r.trace.length; i++) expect(r.trace[i]!).toBeLessThanOrEqual(r.trace[i - 1]! * (1 + 1e-9))
    expect(r.restarts).toHaveLength(4)
    expect(r.solverReason).toMatch(/exact LP/)
  })

  it('trajectory hypotheses find both matrices directly', async () => {
    const { trajectoryHypotheses } = await import('../../../../src-main/engines/ensembles/init')
    const p = easy(5)
    const h = trajectoryHypotheses(p.snapshots, 2, createRng(1))!
    expect(relativeParameterError(h, p.A)).toBeLessThan(0.05)
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
