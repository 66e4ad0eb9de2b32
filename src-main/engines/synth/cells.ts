/**
 * Artificial cell populations of the WSINDy species-identification benchmark (paper §4; SPEC §4.2).
 *
 * Model for cell i (2-D), with the forces of its own species s(i):
 *   ẍ_i = (1/N) Σ_{j≠i} f_ar(r_ij, θ_ij) k(x_i − x_j) + (1/N) Σ_{j≠i} f_align(r_ij, θ_ij)(v_i − v_j) + f_drag(|v_i|) v_i,
 * r_ij = |x_i − x_j|, θ_ij = angle between v_i and x_j − x_i, k(d) = d/|d| ('unit', default: the
 * reference MATLAB code that produced the paper's benchmark numbers, and a repulsion that does not vanish
 * at contact) or k(d) = d ('displacement', the formula of SPEC §4.2 and the paper's eq. 2.1). Because f_drag* does not
 * depend on θ, (1/(N−1)) Σ_{j≠i} f_drag(|v_i|, θ_ij) v_i = f_drag(|v_i|) v_i exactly.
 * True forces: f_ar* = (15 + 10 cos 2θ)(e^{−20r} − 0.25 e^{−10r}), f_align* = −(8 + 8 cos θ) e^{−8r},
 * f_drag*(s) = −5 s. Species A = all three, B = f_ar + f_drag, C = f_align + f_drag.
 *
 * Initial positions: Latin hypercube in a square of side `box` (paper: 2) centred at 0; velocities
 * N(0, velocitySd² I) (paper: variance 0.0025). Forward Euler on (x, v) with step Δt* = dt/substeps
 * (default 0.13/312 ≈ 4.17e−4, the paper's 4.2e−4), observed every dt for L times (t = 0..(L−1)dt).
 *
 * Neighbour sums use a cut-off `cutoff` (default 2: every force is below e^{−16} ≈ 1e−7 of its r = 0
 * value there, the same order as the paper's float noise) through Verlet lists built with the
 * kd-tree of engines/knn (radius cutoff + skin, rebuilt when a cell has moved skin/2), so the cost
 * per step grows like N·(neighbours within the cut-off) rather than N².
 */
import { invalidInput } from '@shared/errors'
import { buildKdTree } from '../knn'
import { createRng, latinHypercube } from '../stats'
import { checkAborted, type EngineContext } from '../common/context'
import { SPECIES_FORCES, TRUE_FORCES, type BenchmarkSpecies } from '../wsindy/library'
import type { PairKernel, TrackPanel } from '../wsindy/types'

export interface CellsSpec {
  /** Number of cells N. @default 1000 */
  n?: number
  /** Species and their shares, e.g. { A: 1, C: 1 }; counts by largest remainder in the order A, B, C. @default { A: 1 } */
  species?: Partial<Record<BenchmarkSpecies, number>>
  /** Observed times L. @default 200 ("long": 400) */
  steps?: number
  /** Observation interval Δt. @default 0.13 */
  dt?: number
  /** Euler sub-steps per observation interval. @default 312 (Δt* ≈ 4.17e−4) */
  substeps?: number
  /** Side of the initial square. @default 2 */
  box?: number
  /** Standard deviation of each initial velocity component. @default 0.05 */
  velocitySd?: number
  /** Standard deviation of Gaussian noise added to observed positions. @default 0 */
  positionNoise?: number
  /** @default 'unit' (as the reference code; 'displacement' is SPEC eq.) */
  kernel?: PairKernel
  /** Neighbour cut-off radius (Infinity = all pairs). @default 2 */
  cutoff?: number
  /** @default 0 */
  seed?: number
}

export interface CellsTracks {
  /** One row per (cell, time), ordered by cell then time. */
  trackId: Int32Array
  time: Float64Array
  x: Float64Array
  y: Float64Array
}

export interface CellsData {
  tracks: CellsTracks
  /** The same observations as a panel for engines/wsindy. */
  panel: TrackPanel
  truth: {
    /** Species of each track (index = track id). */
    species: BenchmarkSpecies[]
    /** Exact (noise-free, Euler) velocities at the observed times, N × L × 2. */
    velocities: Float64Array
    kernel: PairKernel
    forces: typeof TRUE_FORCES
    speciesForces: typeof SPECIES_FORCES
  }
}

function speciesCounts(n: number, shares: Partial<Record<BenchmarkSpecies, number>>): [BenchmarkSpecies, number][] {
  const names = (['A', 'B', 'C'] as const).filter((s) => (shares[s] ?? 0) > 0)
  for (const [k, v] of Object.entries(shares)) {
    if (!(k in SPECIES_FORCES)) throw invalidInput(`species: expected keys A, B, C, got ${k}`)
    if (!(Number.isFinite(v) && v! >= 0)) throw invalidInput(`species.${k}: expected a share ≥ 0, got ${v}`)
  }
  if (!names.length) throw invalidInput('species: expected at least one positive share, got none')
  const tot = names.reduce((a, s) => a + shares[s]!, 0)
  const raw = names.map((s) => (n * shares[s]!) / tot)
  const cnt = raw.map(Math.floor)
  let left = n - cnt.reduce((a, b) => a + b, 0)
  const order = raw.map((r, k) => [r - cnt[k]!, k] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, k] of order) if (left-- > 0) cnt[k]!++
  return names.map((s, k) => [s, cnt[k]!])
}

/** Simulates the benchmark population (pure, seeded). See the module comment. */
export function cells(spec: CellsSpec = {}, ctx?: EngineContext): CellsData {
  const N = spec.n ?? 1000
  const L = spec.steps ?? 200
  const dt = spec.dt ?? 0.13
  const sub = spec.substeps ?? 312
  const box = spec.box ?? 2
  const vsd = spec.velocitySd ?? 0.05
  const noise = spec.positionNoise ?? 0
  const kernel = spec.kernel ?? 'unit'
  const cutoff = spec.cutoff ?? 2
  if (!Number.isInteger(N) || N < 2) throw invalidInput(`n: expected an integer ≥ 2, got ${N}`)
  if (!Number.isInteger(L) || L < 2) throw invalidInput(`steps: expected an integer ≥ 2, got ${L}`)
  if (!Number.isInteger(sub) || sub < 1) throw invalidInput(`substeps: expected an integer ≥ 1, got ${sub}`)
  if (!(dt > 0)) throw invalidInput(`dt: expected > 0, got ${dt}`)
  if (!(box > 0)) throw invalidInput(`box: expected > 0, got ${box}`)
  if (!(vsd >= 0) || !(noise >= 0)) throw invalidInput(`velocitySd and positionNoise: expected ≥ 0, got ${vsd}, ${noise}`)
  if (!(cutoff > 0)) throw invalidInput(`cutoff: expected > 0, got ${cutoff}`)
  if (kernel !== 'displacement' && kernel !== 'unit') throw invalidInput(`kernel: expected 'displacement' or 'unit', got ${String(kernel)}`)

  const rng = createRng(spec.seed ?? 0)
  const species: BenchmarkSpecies[] = []
  for (const [s, c] of speciesCounts(N, spec.species ?? { A: 1 })) for (let k = 0; k < c; k++) species.push(s)
  const fAr = new Uint8Array(N), fAl = new Uint8Array(N), fDr = new Uint8Array(N)
  species.forEach((s, i) => {
    fAr[i] = +SPECIES_FORCES[s].ar
    fAl[i] = +SPECIES_FORCES[s].align
    fDr[i] = +SPECIES_FORCES[s].drag
  })

  const x = latinHypercube(N, 2, { lo: -box / 2, hi: box / 2, rng }).data
  const v = rng.normals(2 * N, 0, vsd)
  const a = new Float64Array(2 * N)
  const pos = new Float64Array(N * L * 2)
  const vel = new Float64Array(N * L * 2)
  const record = (k: number) => {
    for (let i = 0; i < N; i++) {
      const o = (i * L + k) * 2
      pos[o] = x[2 * i]!
      pos[o + 1] = x[2 * i + 1]!
      vel[o] = v[2 * i]!
      vel[o + 1] = v[2 * i + 1]!
    }
  }

  // Verlet neighbour lists.
  const useList = Number.isFinite(cutoff)
  const skin = useList ? Math.min(0.25 * cutoff, 0.2) : 0
  let offs: Int32Array = new Int32Array(0), nbr: Int32Array = new Int32Array(0)
  const x0 = new Float64Array(2 * N)
  const rebuild = () => {
    const res = buildKdTree({ data: x, n: N, d: 2 }).radiusAll(cutoff + skin)
    offs = res.offsets
    nbr = res.indices
    x0.set(x)
  }
  const needRebuild = () => {
    const lim = (skin / 2) ** 2
    for (let i = 0; i < N; i++) if ((x[2 * i]! - x0[2 * i]!) ** 2 + (x[2 * i + 1]! - x0[2 * i + 1]!) ** 2 > lim) return true
    return false
  }
  if (useList) rebuild()
  const rc2 = cutoff * cutoff
  const invN = 1 / N
  const unit = kernel === 'unit'

  // Each pair is visited once (j > i) and both directions are accumulated; one exp per pair
  // (e^{−8r}, e^{−10r}, e^{−20r} are powers of e^{−2r}).
  const sp = new Float64Array(N)
  const accel = () => {
    a.fill(0)
    for (let i = 0; i < N; i++) sp[i] = Math.hypot(v[2 * i]!, v[2 * i + 1]!)
    for (let i = 0; i < N; i++) {
      const xi = x[2 * i]!, yi = x[2 * i + 1]!, vxi = v[2 * i]!, vyi = v[2 * i + 1]!, si = sp[i]!
      const arI = fAr[i] === 1, alI = fAl[i] === 1
      let ax = 0, ay = 0
      const j0 = useList ? offs[i]! : i + 1, j1 = useList ? offs[i + 1]! : N
      for (let q = j0; q < j1; q++) {
        const j = useList ? nbr[q]! : q
        if (j <= i) continue
        const dx = xi - x[2 * j]!, dy = yi - x[2 * j + 1]!
        const r2 = dx * dx + dy * dy
        if (r2 > rc2) continue
        const r = Math.sqrt(r2)
        const E = Math.exp(-2 * r)
        const E4 = E * E * E * E, E5 = E4 * E
        const radAr = E5 * E5 - 0.25 * E5
        const kern = unit ? (r > 0 ? 1 / r : 0) : 1
        const dvx = vxi - v[2 * j]!, dvy = vyi - v[2 * j + 1]!
        const vxj = v[2 * j]!, vyj = v[2 * j + 1]!, sj = sp[j]!
        // Focal i: cos θ_ij between v_i and x_j − x_i = −(dx, dy).
        if (arI || alI) {
          const c = si > 0 && r > 0 ? -(vxi * dx + vyi * dy) / (si * r) : 0
          if (arI) {
            const f = (15 + 10 * (2 * c * c - 1)) * radAr * kern
            ax += f * dx
            ay += f * dy
          }
          if (alI) {
            const g = -(8 + 8 * c) * E4
            ax += g * dvx
            ay += g * dvy
          }
        }
        // Focal j: displacement x_j − x_i = −(dx, dy), neighbour direction x_i − x_j = (dx, dy).
        const arJ = fAr[j] === 1, alJ = fAl[j] === 1
        if (arJ || alJ) {
          const c = sj > 0 && r > 0 ? (vxj * dx + vyj * dy) / (sj * r) : 0
          let bx = 0, by = 0
          if (arJ) {
            const f = (15 + 10 * (2 * c * c - 1)) * radAr * kern
            bx -= f * dx
            by -= f * dy
          }
          if (alJ) {
            const g = -(8 + 8 * c) * E4
            bx -= g * dvx
            by -= g * dvy
          }
          a[2 * j]! += bx
          a[2 * j + 1]! += by
        }
      }
      a[2 * i]! += ax
      a[2 * i + 1]! += ay
    }
    for (let i = 0; i < N; i++) {
      a[2 * i]! *= invN
      a[2 * i + 1]! *= invN
      if (fDr[i] === 1) {
        a[2 * i]! -= 5 * sp[i]! * v[2 * i]!
        a[2 * i + 1]! -= 5 * sp[i]! * v[2 * i + 1]!
      }
    }
  }

  const h = dt / sub
  record(0)
  for (let k = 1; k < L; k++) {
    for (let s = 0; s < sub; s++) {
      accel()
      for (let c = 0; c < 2 * N; c++) {
        x[c]! += h * v[c]!
        v[c]! += h * a[c]!
      }
      if (useList && needRebuild()) rebuild()
    }
    record(k)
    if (k % 10 === 0) {
      ctx?.onProgress?.({ fraction: k / (L - 1), stage: 'simulate cells' })
      checkAborted(ctx)
    }
  }
  if (noise > 0) for (let c = 0; c < pos.length; c++) pos[c]! += noise * rng.normal()

  const rows = N * L
  const tracks: CellsTracks = { trackId: new Int32Array(rows), time: new Float64Array(rows), x: new Float64Array(rows), y: new Float64Array(rows) }
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < L; k++) {
      const r = i * L + k
      tracks.trackId[r] = i
      tracks.time[r] = k * dt
      tracks.x[r] = pos[2 * r]!
      tracks.y[r] = pos[2 * r + 1]!
    }
  }
  return {
    tracks,
    panel: { n: N, L, t0: 0, dt, positions: pos, ids: Int32Array.from({ length: N }, (_, i) => i) },
    truth: { species, velocities: vel, kernel, forces: TRUE_FORCES, speciesForces: SPECIES_FORCES },
  }
}
