/**
 * Weak form of the single-cell model (SPEC §4.2; paper §2.2): velocities by finite differences, the
 * test functions φ_q(t) = max(1 − ((t − t_q)/(mΔt))², 0)^p, the change-point rule for (m, p), the
 * library's feature trajectories for one focal cell and the linear system G w ≈ b.
 */
import type { Library, WsindyData } from './types'
import { laguerreFunctions, layout } from './library'

/**
 * Centred finite-difference velocities of an N × L × 2 panel, of order 2 (stencil [−1, 0, 1]/(2Δt)),
 * 4 ([1, −8, 0, 8, −1]/(12Δt)) or 6 ([−1, 9, −45, 0, 45, −9, 1]/(60Δt)). Near the ends, where the centred
 * stencil does not fit, the one-sided stencil of the same order on the first/last order + 1 points is
 * used (for order 2: (∓3x_0 ± 4x_1 ∓ x_2)/(2Δt)). Needs L ≥ order + 1 (falls back to lower orders).
 */
export function finiteDifferenceVelocities(positions: Float64Array, n: number, L: number, dt: number, order: 2 | 4 | 6 = 2): Float64Array {
  const v = new Float64Array(positions.length)
  let ord: number = order
  while (ord > 2 && L < ord + 1) ord -= 2
  if (L === 2) {
    for (let i = 0; i < n; i++) for (let c = 0; c < 2; c++) {
      const d = (positions[(i * L + 1) * 2 + c]! - positions[i * L * 2 + c]!) / dt
      v[i * L * 2 + c] = d
      v[(i * L + 1) * 2 + c] = d
    }
    return v
  }
  const centred: Record<number, number[]> = { 2: [-1 / 2, 0, 1 / 2], 4: [1 / 12, -8 / 12, 0, 8 / 12, -1 / 12], 6: [-1 / 60, 9 / 60, -45 / 60, 0, 45 / 60, -9 / 60, 1 / 60] }
  const cw = centred[ord]!
  const h = ord / 2
  // One-sided weights for the derivative at node s of the points 0..ord (Fornberg / Lagrange).
  const oneSided = (s: number): number[] => {
    const K = ord + 1
    const w = new Array<number>(K).fill(0)
    for (let j = 0; j < K; j++) {
      // d/dx of the Lagrange basis l_j at x = s.
      let sum = 0
      for (let m = 0; m < K; m++) {
        if (m === j) continue
        let prod = 1 / (j - m)
        for (let q = 0; q < K; q++) if (q !== j && q !== m) prod *= (s - q) / (j - q)
        sum += prod
      }
      w[j] = sum
    }
    return w
  }
  const ends = Array.from({ length: h }, (_, s) => oneSided(s))
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 2; c++) {
      const at = (k: number) => positions[(i * L + k) * 2 + c]!
      for (let k = 0; k < L; k++) {
        let d = 0
        if (k >= h && k < L - h) for (let q = 0; q < cw.length; q++) d += cw[q]! * at(k - h + q)
        else if (k < h) ends[k]!.forEach((w, j) => (d += w * at(j)))
        else ends[L - 1 - k]!.forEach((w, j) => (d -= w * at(L - 1 - j)))
        v[(i * L + k) * 2 + c] = d / dt
      }
    }
  }
  return v
}

/**
 * Samples of φ(t) = (1 − s²)^p and φ̈(t), s = (t − t_q)/(mΔt), on the 2m + 1 grid points of its
 * support, both scaled so that Δt Σ φ² = 1 (the reference code's normalisation; it only rescales
 * each row of the system).
 */
export function testFunction(m: number, p: number, dt: number): { phi: Float64Array; phiDD: Float64Array } {
  const K = 2 * m + 1
  const phi = new Float64Array(K), dd = new Float64Array(K)
  const a = m * dt
  for (let k = 0; k < K; k++) {
    const s = (k - m) / m
    const u = 1 - s * s
    phi[k] = Math.pow(u, p)
    // d²/dt² (1 − s²)^p = [4p(p−1)s²(1−s²)^{p−2} − 2p(1−s²)^{p−1}] / a².
    dd[k] = (p >= 2 ? 4 * p * (p - 1) * s * s * Math.pow(u, p - 2) : 0) - 2 * p * Math.pow(u, p - 1)
    dd[k]! /= a * a
  }
  let nrm = 0
  for (let k = 0; k < K; k++) nrm += phi[k]! ** 2
  nrm = Math.sqrt(nrm * dt)
  for (let k = 0; k < K; k++) {
    phi[k]! /= nrm
    dd[k]! /= nrm
  }
  return { phi, phiDD: dd }
}

/**
 * Index k (1 ≤ k < K) splitting y into two segments with the smallest total within-segment sum of
 * squared deviations from the segment means (MATLAB `findchangepts(y)` with the default 'mean'
 * statistic and one change point); returns the first index of the right segment.
 */
export function meanChangePoint(y: ArrayLike<number>): number {
  const K = y.length
  const cs = new Float64Array(K + 1), cs2 = new Float64Array(K + 1)
  for (let k = 0; k < K; k++) {
    cs[k + 1] = cs[k]! + y[k]!
    cs2[k + 1] = cs2[k]! + y[k]! ** 2
  }
  const sse = (a: number, b: number) => cs2[b]! - cs2[a]! - (cs[b]! - cs[a]!) ** 2 / (b - a)
  let best = 1, bestV = Infinity
  for (let k = 1; k < K; k++) {
    const v = sse(0, k) + sse(k, K)
    if (v < bestV) {
      bestV = v
      best = k
    }
  }
  return best
}

export interface ChangePointOptions {
  /** τ of the rule. @default 1e-10 */
  tau?: number
  /** τ̂ of the rule. @default 3 */
  tauHat?: number
  /** Cells whose spectra are averaged (all when absent). */
  cells?: ArrayLike<number>
}

/**
 * (m, p) from the data by the change-point rule of the reference code (peers.md §3.4, after
 * Messenger & Bortz's WSINDy): the mean modulus of the discrete Fourier transform of every
 * focal cell's coordinates (mean removed) over wavenumbers 1..⌊L/2⌋, its logarithm split by one
 * mean change point → corner wavenumber k (the first of the right segment); m solves
 *   F(m) = log((2m − 1)/m²)(4π²k²m² − 3L²τ̂²) − 2L²τ̂² log τ = 0
 * on [√3 Lτ̂/(2πk), (τ̂L/(2πk))·√(3 − 8 log τ)] (bisection; the lower end if F keeps its sign), then
 * m = min(⌊(L − 1)/2⌋, ⌈m⌉) and p = max(2, ⌈log τ / log(1 − (1 − 1/m)²)⌉).
 */
export function chooseTestFunction(positions: Float64Array, n: number, L: number, o: ChangePointOptions = {}): { m: number; p: number; corner: number } {
  const tau = o.tau ?? 1e-10, th = o.tauHat ?? 3
  const H = Math.floor(L / 2) + 1
  const spec = new Float64Array(H)
  const cosT = new Float64Array(L), sinT = new Float64Array(L)
  const cellList = o.cells ?? Array.from({ length: n }, (_, i) => i)
  const series = new Float64Array(L)
  for (let w = 0; w < H; w++) {
    for (let k = 0; k < L; k++) {
      cosT[k] = Math.cos((2 * Math.PI * w * k) / L)
      sinT[k] = Math.sin((2 * Math.PI * w * k) / L)
    }
    let acc = 0
    for (let q = 0; q < cellList.length; q++) {
      const i = cellList[q]!
      for (let c = 0; c < 2; c++) {
        let mu = 0
        for (let k = 0; k < L; k++) mu += series[k] = positions[(i * L + k) * 2 + c]!
        mu /= L
        let re = 0, im = 0
        for (let k = 0; k < L; k++) {
          const y = series[k]! - mu
          re += y * cosT[k]!
          im += y * sinT[k]!
        }
        acc += Math.hypot(re, im)
      }
    }
    spec[w] = acc / (2 * cellList.length)
  }
  // Wavenumber 0 is left out (the mean was removed, so it carries no information).
  const logS = Array.from(spec.subarray(1), (s) => Math.log(Math.max(s, 1e-300)))
  const corner = 1 + meanChangePoint(logS)
  const k = corner
  const F = (m: number) => Math.log((2 * m - 1) / (m * m)) * (4 * Math.PI ** 2 * k * k * m * m - 3 * L * L * th * th) - 2 * L * L * th * th * Math.log(tau)
  let lo = (Math.sqrt(3) * L * th) / (2 * Math.PI * k)
  let hi = ((th * L) / (2 * Math.PI * k)) * Math.sqrt(3 - 8 * Math.log(tau))
  let mStar = lo
  lo = Math.max(lo, 1)
  if (F(lo) * F(hi) < 0) {
    for (let it = 0; it < 200 && hi - lo > 1e-10 * hi; it++) {
      const mid = 0.5 * (lo + hi)
      if (F(lo) * F(mid) <= 0) hi = mid
      else lo = mid
    }
    mStar = 0.5 * (lo + hi)
  }
  const m = Math.max(2, Math.min(Math.floor((L - 1) / 2), Math.ceil(mStar)))
  return { m, p: testFunctionPower(m, tau), corner }
}

/** p = max(2, ⌈log τ / log(1 − (1 − 1/m)²)⌉): φ at the grid point next to the support's end is ≤ τ. */
export function testFunctionPower(m: number, tau = 1e-10): number {
  return Math.max(2, Math.ceil(Math.log(tau) / Math.log(1 - (1 - 1 / m) ** 2)))
}

/**
 * (r, out) ↦ out[l] = e^{−2^l r} for the library's alignment exponents l. When the exponents are
 * consecutive integers (the default −2..5) one exponential and repeated squaring give them all.
 */
export function decayFunction(exponents: number[]): (r: number, out: Float64Array) => void {
  const ne = exponents.length
  const rates = exponents.map((l) => Math.pow(2, l))
  let consecutive = true
  for (let l = 1; l < ne; l++) if (exponents[l] !== exponents[l - 1]! + 1) consecutive = false
  if (consecutive && Number.isInteger(exponents[0])) {
    const r0 = rates[0]!
    return (r, out) => {
      let e = Math.exp(-r0 * r)
      for (let l = 0; l < ne; l++) {
        out[l] = e
        e *= e
      }
    }
  }
  return (r, out) => {
    for (let l = 0; l < ne; l++) out[l] = Math.exp(-rates[l]! * r)
  }
}

/**
 * Feature trajectories of focal cell i over its span start_i ≤ k < end_i: out[((k − start_i)·J + j)·2 + c]
 * = coordinate c of library column j at time k (J = library size), i.e. with N_k the cells present at k
 * and the sums over the other cells j' present at k,
 *   ar:    (1/N_k) Σ_{j'} cos(nθ) L_l(αr) e^{−αr/2} k(x_i − x_j'),
 *   align: (1/N_k) Σ_{j'} (1 + cos nθ) e^{−2^l r} (v_i − v_j'),
 *   drag:  (1/(N_k − 1)) Σ_{j'} (1 + cos nθ) |v_i|^l v_i,
 * with r = |x_i − x_j'|, cos θ = v_i·(x_j' − x_i)/(|v_i| r) (0 when v_i = 0); N_k − 1 = the others present.
 * Complete tracks: N_k = N.
 *
 * For the library's usual shape (3 ar modes, 3 alignment modes, 2 drag modes) the neighbours of each time
 * are taken in chunks of 64: their geometry and exponentials first, then the Laguerre recurrences of four
 * neighbours side by side, then the sums. Every value is computed by the same floating-point operations as
 * in {@link cellFeaturesDirect} and every sum adds the same products in the same order (ascending neighbour
 * index), so the result is bit-identical to it (test/node/engines/wsindy/fast-paths.test.ts).
 */
export function cellFeatures(data: WsindyData, i: number): Float64Array {
  const { lib } = data
  if (lib.arModes !== 3 || lib.alignModes !== 3 || lib.dragModes !== 2) return cellFeaturesDirect(data, i)
  const { n: N, L, positions: X, velocities: V, start, end, present } = data
  const lay = layout(lib)
  const J = lay.size
  const a0 = start[i]!, a1 = end[i]!
  const out = new Float64Array((a1 - a0) * J * 2)
  const nR = lib.arRadial, ne = lib.alignExponents.length, alpha = lib.alpha
  const unit = lib.kernel === 'unit'
  // e^{−2^l r} as decayFunction computes it.
  const rates = lib.alignExponents.map((l) => Math.pow(2, l))
  let consecutive = Number.isInteger(lib.alignExponents[0])
  for (let l = 1; l < ne; l++) if (lib.alignExponents[l] !== lib.alignExponents[l - 1]! + 1) consecutive = false
  const r0 = rates[0]!
  // One chunk of neighbours, indexed by their place p in it: Rt[l·CH + p] = L_l(αr) e^{−αr/2}, Et[l·CH + p]
  // = e^{−2^l r}, A_n = cos(nθ)·k(x_i − x_j) and B_n = (1 + cos nθ)(v_i − v_j) per coordinate, C1 = cos θ.
  const CH = 64
  const Rt = new Float64Array(nR * CH), Et = new Float64Array(ne * CH)
  const A0x = new Float64Array(CH), A0y = new Float64Array(CH), A1x = new Float64Array(CH), A1y = new Float64Array(CH), A2x = new Float64Array(CH), A2y = new Float64Array(CH)
  const B0x = new Float64Array(CH), B0y = new Float64Array(CH), B1x = new Float64Array(CH), B1y = new Float64Array(CH), B2x = new Float64Array(CH), B2y = new Float64Array(CH)
  const C1 = new Float64Array(CH), Xl = new Float64Array(CH), Ex = new Float64Array(CH)
  const nb = new Int32Array(CH)
  // Sums over the neighbours: sA[l·6 + 2n + c] (ar, mode n, Laguerre index l, coordinate c), sB likewise.
  const sA = new Float64Array(nR * 6), sB = new Float64Array(ne * 6)
  for (let k = a0; k < a1; k++) {
    const oi = (i * L + k) * 2
    const xi = X[oi]!, yi = X[oi + 1]!, vxi = V[oi]!, vyi = V[oi + 1]!
    const sp = Math.sqrt(vxi * vxi + vyi * vyi)
    sA.fill(0)
    sB.fill(0)
    let cos0 = 0, cos1 = 0, others = 0
    let j = 0
    while (j < N) {
      let P = 0
      for (; j < N && P < CH; j++) if (j !== i && k >= start[j]! && k < end[j]!) nb[P++] = j
      for (let p = 0; p < P; p++) {
        const oj = (nb[p]! * L + k) * 2
        const dx = xi - X[oj]!, dy = yi - X[oj + 1]!
        const r = Math.sqrt(dx * dx + dy * dy)
        const c1 = sp > 0 && r > 0 ? -(vxi * dx + vyi * dy) / (sp * r) : 0
        const c2 = 2 * c1 * c1 - 1
        const kx = unit ? (r > 0 ? dx / r : 0) : dx, ky = unit ? (r > 0 ? dy / r : 0) : dy
        A0x[p] = kx
        A0y[p] = ky
        A1x[p] = c1 * kx
        A1y[p] = c1 * ky
        A2x[p] = c2 * kx
        A2y[p] = c2 * ky
        const dvx = vxi - V[oj]!, dvy = vyi - V[oj + 1]!
        B0x[p] = 2 * dvx
        B0y[p] = 2 * dvy
        B1x[p] = (1 + c1) * dvx
        B1y[p] = (1 + c1) * dvy
        B2x[p] = (1 + c2) * dvx
        B2y[p] = (1 + c2) * dvy
        C1[p] = c1
        // laguerreFunctions(αr) and the decays, the same operations, run below across the chunk.
        const x = alpha * r
        const e = Math.exp(-x / 2)
        Xl[p] = x
        Ex[p] = e
        Rt[p] = e
        if (nR > 1) Rt[CH + p] = (1 - x) * e
        if (consecutive) Et[p] = Math.exp(-r0 * r)
        else for (let l = 0; l < ne; l++) Et[l * CH + p] = Math.exp(-rates[l]! * r)
      }
      // Laguerre recurrence, four neighbours at a time (independent chains, kept in registers).
      let p0 = 0
      for (; p0 + 3 < P; p0 += 4) {
        const x0 = Xl[p0]!, x1 = Xl[p0 + 1]!, x2 = Xl[p0 + 2]!, x3 = Xl[p0 + 3]!
        const e0 = Ex[p0]!, e1 = Ex[p0 + 1]!, e2 = Ex[p0 + 2]!, e3 = Ex[p0 + 3]!
        let a0 = 1, a1 = 1, a2 = 1, a3 = 1
        let b0 = 1 - x0, b1 = 1 - x1, b2 = 1 - x2, b3 = 1 - x3
        for (let q = 1; q + 1 < nR; q++) {
          const c0 = ((2 * q + 1 - x0) * b0 - q * a0) / (q + 1)
          const c1 = ((2 * q + 1 - x1) * b1 - q * a1) / (q + 1)
          const c2 = ((2 * q + 1 - x2) * b2 - q * a2) / (q + 1)
          const c3 = ((2 * q + 1 - x3) * b3 - q * a3) / (q + 1)
          a0 = b0
          a1 = b1
          a2 = b2
          a3 = b3
          b0 = c0
          b1 = c1
          b2 = c2
          b3 = c3
          const o = (q + 1) * CH + p0
          Rt[o] = c0 * e0
          Rt[o + 1] = c1 * e1
          Rt[o + 2] = c2 * e2
          Rt[o + 3] = c3 * e3
        }
      }
      for (; p0 < P; p0++) {
        const x = Xl[p0]!, e = Ex[p0]!
        let a = 1, b = 1 - x
        for (let q = 1; q + 1 < nR; q++) {
          const c = ((2 * q + 1 - x) * b - q * a) / (q + 1)
          a = b
          b = c
          Rt[(q + 1) * CH + p0] = c * e
        }
      }
      if (consecutive) {
        for (let l = 1; l < ne; l++) {
          const o = l * CH, o1 = o - CH
          for (let p = 0; p < P; p++) {
            const d = Et[o1 + p]!
            Et[o + p] = d * d
          }
        }
      }
      others += P
      // Every sum in ascending neighbour order: neighbour by neighbour, its six angular factors held.
      for (let p = 0; p < P; p++) {
        const a0x = A0x[p]!, a0y = A0y[p]!, a1x = A1x[p]!, a1y = A1y[p]!, a2x = A2x[p]!, a2y = A2y[p]!
        for (let l = 0, o = p, u = 0; l < nR; l++, o += CH, u += 6) {
          const R = Rt[o]!
          sA[u]! += a0x * R
          sA[u + 1]! += a0y * R
          sA[u + 2]! += a1x * R
          sA[u + 3]! += a1y * R
          sA[u + 4]! += a2x * R
          sA[u + 5]! += a2y * R
        }
        const b0x = B0x[p]!, b0y = B0y[p]!, b1x = B1x[p]!, b1y = B1y[p]!, b2x = B2x[p]!, b2y = B2y[p]!
        for (let l = 0, o = p, u = 0; l < ne; l++, o += CH, u += 6) {
          const E = Et[o]!
          sB[u]! += b0x * E
          sB[u + 1]! += b0y * E
          sB[u + 2]! += b1x * E
          sB[u + 3]! += b1y * E
          sB[u + 4]! += b2x * E
          sB[u + 5]! += b2y * E
        }
      }
      for (let p = 0; p < P; p++) {
        cos0 += 2
        cos1 += 1 + C1[p]!
      }
    }
    const Nk = data.meanField === 'present' ? present[k]! : N
    const base = (k - a0) * J * 2
    for (let n = 0; n < 3; n++) {
      for (let l = 0; l < nR; l++) for (let c = 0; c < 2; c++) out[base + (lay.ar + n * nR + l) * 2 + c] = sA[l * 6 + 2 * n + c]! / Nk
      for (let l = 0; l < ne; l++) for (let c = 0; c < 2; c++) out[base + (lay.align + n * ne + l) * 2 + c] = sB[l * 6 + 2 * n + c]! / Nk
    }
    for (let n = 0; n < 2; n++) {
      // Alone at time k: the angular mean of 1 + cos nθ over a uniform θ (2 for n = 0, 1 otherwise).
      const a = others > 0 ? (n === 0 ? cos0 : cos1) / others : n === 0 ? 2 : 1
      let s = 1
      for (let l = 0; l < lib.dragPowers; l++) {
        const col = lay.drag + n * lib.dragPowers + l
        out[base + col * 2] = a * s * vxi
        out[base + col * 2 + 1] = a * s * vyi
        s *= sp
      }
    }
  }
  return out
}

/** {@link cellFeatures} as one straightforward loop over the neighbours (any library shape; the reference of the fast path). */
export function cellFeaturesDirect(data: WsindyData, i: number): Float64Array {
  const { n: N, L, positions: X, velocities: V, lib, start, end, present } = data
  const lay = layout(lib)
  const J = lay.size
  const a0 = start[i]!, a1 = end[i]!
  const out = new Float64Array((a1 - a0) * J * 2)
  const nR = lib.arRadial, ne = lib.alignExponents.length
  const R = new Float64Array(nR)
  const E = new Float64Array(ne)
  const accA = new Float64Array(lib.arModes * nR * 2)
  const accB = new Float64Array(lib.alignModes * ne * 2)
  const cosMean = new Float64Array(lib.dragModes)
  const unit = lib.kernel === 'unit'
  const aModes = lib.arModes, bModes = lib.alignModes
  const decays = decayFunction(lib.alignExponents)
  for (let k = a0; k < a1; k++) {
    const oi = (i * L + k) * 2
    const xi = X[oi]!, yi = X[oi + 1]!, vxi = V[oi]!, vyi = V[oi + 1]!
    const sp = Math.sqrt(vxi * vxi + vyi * vyi)
    accA.fill(0)
    accB.fill(0)
    cosMean.fill(0)
    let others = 0
    for (let j = 0; j < N; j++) {
      if (j === i || k < start[j]! || k >= end[j]!) continue
      others++
      const oj = (j * L + k) * 2
      const dx = xi - X[oj]!, dy = yi - X[oj + 1]!
      const r = Math.sqrt(dx * dx + dy * dy)
      const c1 = sp > 0 && r > 0 ? -(vxi * dx + vyi * dy) / (sp * r) : 0
      const c2 = 2 * c1 * c1 - 1
      // ar
      const kx = unit ? (r > 0 ? dx / r : 0) : dx, ky = unit ? (r > 0 ? dy / r : 0) : dy
      laguerreFunctions(lib.alpha * r, R)
      for (let n = 0; n < aModes; n++) {
        const a = n === 0 ? 1 : n === 1 ? c1 : n === 2 ? c2 : Math.cos(n * Math.acos(c1))
        const ax = a * kx, ay = a * ky
        const base = n * nR * 2
        for (let l = 0; l < nR; l++) {
          accA[base + 2 * l]! += ax * R[l]!
          accA[base + 2 * l + 1]! += ay * R[l]!
        }
      }
      // align
      const dvx = vxi - V[oj]!, dvy = vyi - V[oj + 1]!
      decays(r, E)
      for (let n = 0; n < bModes; n++) {
        const a = n === 0 ? 2 : n === 1 ? 1 + c1 : n === 2 ? 1 + c2 : 1 + Math.cos(n * Math.acos(c1))
        const ax = a * dvx, ay = a * dvy
        const base = n * ne * 2
        for (let l = 0; l < ne; l++) {
          accB[base + 2 * l]! += ax * E[l]!
          accB[base + 2 * l + 1]! += ay * E[l]!
        }
      }
      for (let n = 0; n < lib.dragModes; n++) cosMean[n]! += n === 0 ? 2 : n === 1 ? 1 + c1 : 1 + Math.cos(n * Math.acos(c1))
    }
    const Nk = data.meanField === 'present' ? present[k]! : N
    const base = (k - a0) * J * 2
    for (let q = 0; q < accA.length; q++) out[base + lay.ar * 2 + q] = accA[q]! / Nk
    for (let q = 0; q < accB.length; q++) out[base + lay.align * 2 + q] = accB[q]! / Nk
    for (let n = 0; n < lib.dragModes; n++) {
      // Alone at time k: the angular mean of 1 + cos nθ over a uniform θ (2 for n = 0, 1 otherwise).
      const a = others > 0 ? cosMean[n]! / others : n === 0 ? 2 : 1
      let s = 1
      for (let l = 0; l < lib.dragPowers; l++) {
        const col = lay.drag + n * lib.dragPowers + l
        out[base + col * 2] = a * s * vxi
        out[base + col * 2 + 1] = a * s * vyi
        s *= sp
      }
    }
  }
  return out
}

/**
 * The weak-form system of focal cell i: rows (q, c) for test-function centres q = 0..Q−1
 * (centre index start_i + m + q, Q = (end_i − start_i) − 2m) and coordinates c = 0, 1;
 *   b_{q,c} = Δt Σ_k φ̈_q(t_k) x_{i,c}(t_k),  G_{(q,c), j} = Δt Σ_k φ_q(t_k) F_{j,c}(t_k)
 * (trapezoid rule; φ_q and its derivatives vanish at both ends of its support).
 */
export function weakSystem(data: WsindyData, i: number, features: Float64Array = cellFeatures(data, i)): { G: Float64Array; b: Float64Array; rows: number; cols: number } {
  const { L, m, p, dt, lib, positions, start, end } = data
  const J = layout(lib).size
  const a0 = start[i]!
  const Q = end[i]! - a0 - 2 * m
  const { phi, phiDD } = testFunction(m, p, dt)
  const rows = 2 * Math.max(0, Q)
  const G = new Float64Array(rows * J), b = new Float64Array(rows)
  for (let q = 0; q < Q; q++) {
    for (let c = 0; c < 2; c++) {
      let s = 0
      for (let k = 0; k <= 2 * m; k++) s += phiDD[k]! * positions[(i * L + a0 + q + k) * 2 + c]!
      b[2 * q + c] = dt * s
    }
    // Rows (q, x) and (q, y) together: each entry still sums over k in ascending order.
    const o0 = 2 * q * J, o1 = o0 + J
    for (let k = 0; k <= 2 * m; k++) {
      const w = dt * phi[k]!
      if (w === 0) continue
      const base = (q + k) * J * 2
      for (let j = 0; j < J; j++) {
        G[o0 + j]! += w * features[base + 2 * j]!
        G[o1 + j]! += w * features[base + 2 * j + 1]!
      }
    }
  }
  return { G, b, rows, cols: J }
}

export type { Library }
