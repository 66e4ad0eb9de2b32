/**
 * LP through HiGHS: transportation problems with known optima (2×2 by hand, 1-D W1 by the CDF
 * formula, a permutation assignment), strong duality of the returned duals, both input formats,
 * bounds / ranged rows / max sense, and the status paths (infeasible, unbounded, HiGHS error
 * followed by a working solve on a reloaded runtime).
 */
import { describe, expect, it } from 'vitest'
import { createLpSession, solveLp, writeLpText, type LpModel, type LpRow } from '../../../../src-main/engines/linalg/index'
import { createRng } from '../../../../src-main/engines/stats/random'

/** Transportation LP: variables P_ij (row-major), supply rows Σ_j P_ij = a_i, demand rows Σ_i P_ij = b_j. */
function transport(C: Float64Array, a: Float64Array, b: Float64Array): LpModel {
  const n = a.length, m = b.length
  const rows: LpRow[] = []
  for (let i = 0; i < n; i++) {
    rows.push({ indices: Int32Array.from({ length: m }, (_, j) => i * m + j), values: new Float64Array(m).fill(1), lower: a[i], upper: a[i] })
  }
  for (let j = 0; j < m; j++) {
    rows.push({ indices: Int32Array.from({ length: n }, (_, i) => i * m + j), values: new Float64Array(n).fill(1), lower: b[j], upper: b[j] })
  }
  return { sense: 'min', c: C, rows }
}

/** W1 between weighted 1-D measures: ∫ |F_a − F_b| dt. */
function w1Closed(x: Float64Array, a: Float64Array, y: Float64Array, b: Float64Array): number {
  const pts = [...Array.from(x, (v, i) => ({ v, w: a[i] })), ...Array.from(y, (v, j) => ({ v, w: -b[j] }))].sort((p, q) => p.v - q.v)
  let cdf = 0, total = 0
  for (let k = 0; k < pts.length - 1; k++) {
    cdf += pts[k].w
    total += Math.abs(cdf) * (pts[k + 1].v - pts[k].v)
  }
  return total
}

describe('solveLp (HiGHS)', () => {
  it('2×2 transportation by hand: optimum 10 on the diagonal', async () => {
    const res = await solveLp(transport(new Float64Array([1, 3, 2, 1]), new Float64Array([5, 5]), new Float64Array([5, 5])))
    expect(res.status).toBe('optimal')
    expect(res.objective).toBeCloseTo(10, 10)
    expect(Array.from(res.x, (v) => v + 0)).toEqual([5, 0, 0, 5])
  })

  for (const format of ['model', 'lp-text'] as const) {
    it(`1-D transportation equals the CDF formula for W1, with strong duality (${format})`, async () => {
      const rng = createRng(11)
      for (let trial = 0; trial < 4; trial++) {
        const n = 7 + trial, m = 5 + 2 * trial
        const x = rng.normals(n), y = rng.normals(m, 0.5)
        const a = new Float64Array(n).map(() => 0.1 + rng.uniform())
        const b = new Float64Array(m).map(() => 0.1 + rng.uniform())
        const sa = a.reduce((s, v) => s + v), sb = b.reduce((s, v) => s + v)
        a.forEach((v, i) => (a[i] = v / sa))
        b.forEach((v, j) => (b[j] = v / sb))
        // make the total masses equal exactly (rounding)
        a[0] += 1 - a.reduce((s, v) => s + v)
        b[0] += 1 - b.reduce((s, v) => s + v)
        const C = new Float64Array(n * m)
        for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) C[i * m + j] = Math.abs(x[i] - y[j])
        const res = await solveLp(transport(C, a, b), { format })
        expect(res.status).toBe('optimal')
        expect(res.format).toBe(format)
        expect(res.objective).toBeCloseTo(w1Closed(x, a, y, b), 9)
        // marginals
        for (let i = 0; i < n; i++) {
          let s = 0
          for (let j = 0; j < m; j++) s += res.x[i * m + j]
          expect(s).toBeCloseTo(a[i], 9)
        }
        // strong duality: Σ a_i u_i + Σ b_j v_j = objective; reduced costs c − u − v ≥ 0 equal the column duals
        const u = res.duals!.rows
        let dualObj = 0
        for (let i = 0; i < n; i++) dualObj += a[i] * u[i]
        for (let j = 0; j < m; j++) dualObj += b[j] * u[n + j]
        expect(dualObj).toBeCloseTo(res.objective, 9)
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < m; j++) {
            const rc = C[i * m + j] - u[i] - u[n + j]
            expect(rc).toBeGreaterThan(-1e-9)
            expect(res.duals!.cols[i * m + j]).toBeCloseTo(rc, 8)
          }
        }
      }
    })
  }

  it('assignment with a planted permutation (cost 0 on the permutation, 1 elsewhere)', async () => {
    const rng = createRng(12)
    const n = 30
    const perm = rng.permutation(n)
    const C = new Float64Array(n * n).fill(1)
    for (let i = 0; i < n; i++) C[i * n + perm[i]] = 0
    const one = new Float64Array(n).fill(1)
    const res = await solveLp(transport(C, one, one))
    expect(res.status).toBe('optimal')
    expect(res.objective).toBeCloseTo(0, 12)
    for (let i = 0; i < n; i++) expect(res.x[i * n + perm[i]]).toBeCloseTo(1, 9)
  })

  it('max sense, variable bounds, free variables, ranged rows and CSR rows give the same answer in both formats', async () => {
    // max 3x0 + x1 − x2 + 0.5  s.t.  1 ≤ x0 + x1 ≤ 4,  x0 − x2 = 1 (via CSR),  −2 ≤ x0 ≤ 3, x1 ∈ [0, ∞), x2 free
    // x2 = x0 − 1 makes the objective 2x0 + x1 + 1.5: unique optimum x0 = 3, x1 = 1, x2 = 2, value 8.5.
    const model: LpModel = {
      sense: 'max',
      c: new Float64Array([3, 1, -1]),
      rows: {
        starts: Int32Array.from([0, 2, 4]),
        indices: Int32Array.from([0, 1, 0, 2]),
        values: Float64Array.from([1, 1, 1, -1]),
        lower: Float64Array.from([1, 1]),
        upper: Float64Array.from([4, 1]),
      },
      bounds: { lower: Float64Array.from([-2, 0, -Infinity]), upper: Float64Array.from([3, Infinity, Infinity]) },
      offset: 0.5,
    }
    for (const format of ['model', 'lp-text'] as const) {
      const res = await solveLp(model, { format })
      expect(res.status).toBe('optimal')
      expect(res.objective).toBeCloseTo(8.5, 10)
      expect(Array.from(res.x).map((v) => +v.toFixed(9) + 0)).toEqual([3, 1, 2])
    }
    const text = writeLpText(model)
    expect(text).toContain('Maximize')
    expect(text).toContain('-inf <= x2 <= +inf')
    expect(text).toMatch(/r0: \+ 1 x0 \+ 1 x1 >= 1\n q0: \+ 1 x0 \+ 1 x1 <= 4/)
  })

  it('variables used nowhere get a feasible value (lp-text drops them from the model)', async () => {
    const model: LpModel = { sense: 'min', c: new Float64Array([1, 0, 0]), rows: [{ indices: [0], values: [1], lower: 2 }], bounds: { lower: Float64Array.from([0, 1, -5]), upper: Float64Array.from([9, 4, -1]) } }
    for (const format of ['model', 'lp-text'] as const) {
      const res = await solveLp(model, { format })
      expect(res.status).toBe('optimal')
      expect(res.x[0]).toBeCloseTo(2, 12)
      expect(res.x[1]).toBeGreaterThanOrEqual(1)
      expect(res.x[1]).toBeLessThanOrEqual(4)
      expect(res.x[2]).toBeGreaterThanOrEqual(-5)
      expect(res.x[2]).toBeLessThanOrEqual(-1)
    }
  })

  it('dual sign convention: ∂objective/∂bound in the model sense, equal in both formats; no variables', async () => {
    for (const format of ['model', 'lp-text'] as const) {
      const mx = await solveLp({ sense: 'max', c: new Float64Array([1]), rows: [{ indices: [0], values: [1], upper: 2 }] }, { format })
      const mn = await solveLp({ sense: 'min', c: new Float64Array([-1]), rows: [{ indices: [0], values: [1], upper: 2 }] }, { format })
      expect(mx.objective).toBe(2)
      expect(mx.duals!.rows[0]).toBeCloseTo(1, 12)
      expect(mn.objective).toBe(-2)
      expect(mn.duals!.rows[0]).toBeCloseTo(-1, 12)
    }
    expect((await solveLp({ sense: 'min', c: new Float64Array(0), rows: [], offset: 3 })).objective).toBe(3)
    expect((await solveLp({ sense: 'min', c: new Float64Array(0), rows: [{ indices: [], values: [], lower: 1 }] })).status).toBe('infeasible')
  })

  it('infeasible and unbounded are statuses', async () => {
    const infeasible: LpModel = { sense: 'min', c: new Float64Array([1, 1]), rows: [{ indices: [0, 1], values: [1, 1], upper: -1 }] }
    for (const format of ['model', 'lp-text'] as const) {
      const r = await solveLp(infeasible, { format })
      expect(['infeasible', 'infeasible-or-unbounded']).toContain(r.status)
      expect(r.objective).toBeNaN()
    }
    const unbounded: LpModel = { sense: 'max', c: new Float64Array([1, 1]), rows: [{ indices: [0, 1], values: [1, -1], upper: 1 }] }
    for (const format of ['model', 'lp-text'] as const) {
      const r = await solveLp(unbounded, { format, presolve: 'off' })
      expect(['unbounded', 'infeasible-or-unbounded']).toContain(r.status)
    }
  })

  it('a HiGHS exception becomes status "error", and the next solve runs on a reloaded runtime', async () => {
    // A repeated column index inside one row is rejected by HiGHS' sparse-model API (it throws).
    const bad: LpModel = { sense: 'min', c: new Float64Array([1, 1]), rows: [{ indices: [0, 0], values: [1, 1], lower: 1 }] }
    const r = await solveLp(bad)
    expect(r.status).toBe('error')
    expect(r.message).toMatch(/HiGHS failed/)
    const ok = await solveLp(transport(new Float64Array([1, 3, 2, 1]), new Float64Array([5, 5]), new Float64Array([5, 5])))
    expect(ok.status).toBe('optimal')
    expect(ok.objective).toBeCloseTo(10, 10)
  })

  it('session: warm-started re-solves after cost changes equal cold solves and take fewer iterations', async () => {
    const rng = createRng(13)
    const n = 40
    const pts = () => rng.normals(2 * n)
    const x = pts(), y = pts()
    const costs = (shift: number) => {
      const C = new Float64Array(n * n)
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) C[i * n + j] = (x[2 * i] - y[2 * j] - shift) ** 2 + (x[2 * i + 1] - y[2 * j + 1]) ** 2
      return C
    }
    const w = new Float64Array(n).fill(1 / n)
    const session = await createLpSession(transport(costs(0), w, w))
    try {
      const first = await session.solve()
      expect(first.status).toBe('optimal')
      let warmIters = 0, coldIters = 0
      for (const shift of [0.01, 0.02, 0.03]) {
        session.setCosts(costs(shift))
        const warm = await session.solve()
        const cold = await solveLp(transport(costs(shift), w, w))
        expect(warm.status).toBe('optimal')
        expect(warm.objective).toBeCloseTo(cold.objective, 10)
        warmIters += warm.iterations
        coldIters += cold.iterations
      }
      expect(warmIters).toBeLessThan(coldIters)
      // bounds changes: cap every P_ij at 0.6/n forces a spread plan (objective cannot decrease)
      const capped = await (async () => {
        session.setBounds(new Float64Array(n * n), new Float64Array(n * n).fill(0.6 / n))
        return session.solve()
      })()
      expect(capped.status).toBe('optimal')
      expect(Math.max(...capped.x)).toBeLessThanOrEqual(0.6 / n + 1e-12)
      expect(capped.objective).toBeGreaterThanOrEqual((await solveLp(transport(costs(0.03), w, w))).objective - 1e-12)
      // infeasible row bounds: supplies of 2/n each cannot meet demands of 1/n
      session.setRowBounds(new Float64Array(2 * n).fill(1 / n).map((v, i) => (i < n ? 2 * v : v)), new Float64Array(2 * n).fill(1 / n).map((v, i) => (i < n ? 2 * v : v)))
      expect(['infeasible', 'infeasible-or-unbounded']).toContain((await session.solve()).status)
      expect(() => session.setCosts(new Float64Array(3))).toThrow(/length 1600/)
    } finally {
      session.dispose()
    }
    await expect(session.solve()).rejects.toThrow(/disposed/)
  })

  it('an aborted signal cancels (not reported as a HiGHS error)', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(solveLp(transport(new Float64Array([1, 3, 2, 1]), new Float64Array([5, 5]), new Float64Array([5, 5])), {}, { signal: ac.signal })).rejects.toThrow(/Cancelled/)
  })

  it('bad input throws invalid-input', async () => {
    await expect(solveLp({ sense: 'min', c: new Float64Array([1]), rows: [{ indices: [3], values: [1] }] })).rejects.toThrow(/column indices in \[0, 1\)/)
    await expect(solveLp({ sense: 'min', c: new Float64Array([NaN]), rows: [] })).rejects.toThrow(/finite objective/)
    await expect(solveLp({ sense: 'min', c: new Float64Array([1]), rows: [], bounds: { lower: new Float64Array(2) } })).rejects.toThrow(/bounds.lower of length 1/)
  })
})
