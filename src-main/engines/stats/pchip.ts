/**
 * PCHIP: piecewise cubic Hermite interpolation with Fritsch–Carlson monotone slopes, the same
 * interpolant as MATLAB's `pchip` and scipy's `PchipInterpolator`.
 *
 * Data: knots t_0 < t_1 < … < t_{n−1} (n ≥ 2) and values y (n×m row-major: row i is the sample
 * at t_i, m columns interpolated independently). With h_k = t_{k+1} − t_k and secants
 * δ_k = (y_{k+1} − y_k)/h_k the slopes d_k are (Fritsch & Carlson 1980; Fritsch & Butland 1984;
 * Moler, "Numerical Computing with MATLAB" §3.4):
 *   interior k = 1..n−2: d_k = 0 if δ_{k−1}δ_k ≤ 0 (a sign change or a flat secant), else the
 *     weighted harmonic mean (w_1 + w_2)/d_k = w_1/δ_{k−1} + w_2/δ_k with
 *     w_1 = 2h_k + h_{k−1}, w_2 = h_k + 2h_{k−1};
 *   ends (three-point, shape-preserving): d_0 = ((2h_0 + h_1)δ_0 − h_0δ_1)/(h_0 + h_1); if
 *     sign(d_0) ≠ sign(δ_0) then d_0 = 0, else if sign(δ_0) ≠ sign(δ_1) and |d_0| > 3|δ_0| then
 *     d_0 = 3δ_0; likewise at the right end with (h_{n−2}, h_{n−3}, δ_{n−2}, δ_{n−3});
 *   n = 2: both slopes equal δ_0 (the straight line).
 * On [t_k, t_{k+1}] with s = (x − t_k)/h_k the interpolant is the cubic Hermite
 *   p(x) = (2s³−3s²+1) y_k + (s³−2s²+s) h_k d_k + (−2s³+3s²) y_{k+1} + (s³−s²) h_k d_{k+1}.
 * It is C¹, reproduces the data, is monotone on every interval where the data are, and
 * reproduces linear data exactly. Outside [t_0, t_{n−1}] the end cubic is continued (as scipy's
 * default and MATLAB's), or NaN is returned when `extrapolate` is false.
 */
import { invalidInput } from '@shared/errors'

export interface PchipOptions {
  /** Continue the end cubics outside [t_0, t_{n−1}]; if false, return NaN there. @default true */
  extrapolate?: boolean
}

export class Pchip {
  /** Knots, length n, strictly increasing. */
  readonly t: Float64Array
  /** Values, row-major n×m. */
  readonly y: Float64Array
  /** Slopes d_k, row-major n×m. */
  readonly slopes: Float64Array
  /** Number of knots. */
  readonly n: number
  /** Number of columns. */
  readonly m: number
  readonly extrapolate: boolean
  private last = 0

  private constructor(t: Float64Array, y: Float64Array, m: number, extrapolate: boolean) {
    this.t = t
    this.y = y
    this.n = t.length
    this.m = m
    this.extrapolate = extrapolate
    this.slopes = pchipSlopes(t, y, m)
  }

  /**
   * Builds the interpolant. `t`: n strictly increasing finite knots (n ≥ 2); `y`: n·m finite
   * values, row-major (row i at t_i); `m`: number of columns (@default 1). Data are copied.
   */
  static build(t: ArrayLike<number>, y: ArrayLike<number>, m = 1, options: PchipOptions = {}): Pchip {
    const n = t?.length ?? 0
    if (!Number.isInteger(m) || m < 1) throw invalidInput(`pchip m: expected an integer number of columns >= 1, got ${m}`)
    if (n < 2) throw invalidInput(`pchip t: expected at least 2 knots, got ${n}`)
    if (!y || y.length !== n * m) throw invalidInput(`pchip y: expected n·m = ${n}·${m} = ${n * m} values, got ${y?.length}`)
    const tt = Float64Array.from(t)
    const yy = Float64Array.from(y)
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(tt[i]!)) throw invalidInput(`pchip t: expected finite knots, got ${tt[i]} at index ${i}`)
      if (i > 0 && !(tt[i]! > tt[i - 1]!)) throw invalidInput(`pchip t: expected strictly increasing knots, got t[${i - 1}] = ${tt[i - 1]} >= t[${i}] = ${tt[i]}`)
    }
    for (let i = 0; i < yy.length; i++) {
      if (!Number.isFinite(yy[i]!)) throw invalidInput(`pchip y: expected finite values, got ${yy[i]} at row ${Math.floor(i / m)}, column ${i % m}`)
    }
    return new Pchip(tt, yy, m, options.extrapolate ?? true)
  }

  /** Values at the points `x` (length q): row-major q×m. */
  evaluate(x: ArrayLike<number>): Float64Array {
    return this.many(x, 0)
  }

  /** Derivative of order 1 (velocity) or 2 at the points `x`: row-major q×m. */
  derivative(x: ArrayLike<number>, order: 1 | 2 = 1): Float64Array {
    if (order !== 1 && order !== 2) throw invalidInput(`pchip derivative order: expected 1 or 2, got ${order}`)
    return this.many(x, order)
  }

  /** Value at one point into `out` (length m, allocated if omitted). Allocation-free hot path. */
  evaluateAt(x: number, out: Float64Array = new Float64Array(this.m)): Float64Array {
    this.at(x, 0, out, 0)
    return out
  }

  /** Derivative of order 1 or 2 at one point into `out` (length m). */
  derivativeAt(x: number, order: 1 | 2 = 1, out: Float64Array = new Float64Array(this.m)): Float64Array {
    this.at(x, order, out, 0)
    return out
  }

  private many(x: ArrayLike<number>, order: 0 | 1 | 2): Float64Array {
    const out = new Float64Array(x.length * this.m)
    for (let i = 0; i < x.length; i++) this.at(x[i]!, order, out, i * this.m)
    return out
  }

  /** Interval k with t_k <= x < t_{k+1}, clamped to 0..n−2; remembers the last one (sequential queries). */
  private interval(x: number): number {
    const t = this.t
    const last = this.last
    if (x >= t[last]! && x < t[last + 1]!) return last
    let lo = 0
    let hi = this.n - 2
    if (x <= t[0]!) return (this.last = 0)
    if (x >= t[hi]!) return (this.last = hi)
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (t[mid]! <= x) lo = mid
      else hi = mid - 1
    }
    return (this.last = lo)
  }

  private at(x: number, order: 0 | 1 | 2, out: Float64Array, o: number): void {
    const { m, t, y, slopes } = this
    if (Number.isNaN(x) || (!this.extrapolate && (x < t[0]! || x > t[this.n - 1]!))) {
      for (let j = 0; j < m; j++) out[o + j] = NaN
      return
    }
    const k = this.interval(x)
    const h = t[k + 1]! - t[k]!
    const s = (x - t[k]!) / h
    let a: number, b: number, c: number, e: number
    if (order === 0) {
      const s2 = s * s
      const s3 = s2 * s
      a = 2 * s3 - 3 * s2 + 1
      b = (s3 - 2 * s2 + s) * h
      c = -2 * s3 + 3 * s2
      e = (s3 - s2) * h
    } else if (order === 1) {
      const s2 = s * s
      a = (6 * s2 - 6 * s) / h
      b = 3 * s2 - 4 * s + 1
      c = (-6 * s2 + 6 * s) / h
      e = 3 * s2 - 2 * s
    } else {
      a = (12 * s - 6) / (h * h)
      b = (6 * s - 4) / h
      c = (-12 * s + 6) / (h * h)
      e = (6 * s - 2) / h
    }
    const r0 = k * m
    const r1 = r0 + m
    for (let j = 0; j < m; j++) out[o + j] = a * y[r0 + j]! + b * slopes[r0 + j]! + c * y[r1 + j]! + e * slopes[r1 + j]!
  }
}

/** Builds a PCHIP interpolant; see {@link Pchip}. */
export function pchip(t: ArrayLike<number>, y: ArrayLike<number>, m = 1, options?: PchipOptions): Pchip {
  return Pchip.build(t, y, m, options)
}

/** Fritsch–Carlson slopes (n×m) as in scipy's PchipInterpolator._find_derivatives. */
function pchipSlopes(t: Float64Array, y: Float64Array, m: number): Float64Array {
  const n = t.length
  const d = new Float64Array(n * m)
  const h = new Float64Array(n - 1)
  for (let k = 0; k < n - 1; k++) h[k] = t[k + 1]! - t[k]!
  const del = new Float64Array(n - 1)
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < n - 1; k++) del[k] = (y[(k + 1) * m + j]! - y[k * m + j]!) / h[k]!
    if (n === 2) {
      d[j] = del[0]!
      d[m + j] = del[0]!
      continue
    }
    for (let k = 1; k < n - 1; k++) {
      const d0 = del[k - 1]!
      const d1 = del[k]!
      if (Math.sign(d0) !== Math.sign(d1) || d0 === 0 || d1 === 0) {
        d[k * m + j] = 0
      } else {
        const w1 = 2 * h[k]! + h[k - 1]!
        const w2 = h[k]! + 2 * h[k - 1]!
        d[k * m + j] = (w1 + w2) / (w1 / d0 + w2 / d1)
      }
    }
    d[j] = edgeSlope(h[0]!, h[1]!, del[0]!, del[1]!)
    d[(n - 1) * m + j] = edgeSlope(h[n - 2]!, h[n - 3]!, del[n - 2]!, del[n - 3]!)
  }
  return d
}

/** One-sided three-point end slope with the shape-preserving clamps (scipy `_edge_case`, MATLAB `pchipslopes`). */
function edgeSlope(h0: number, h1: number, m0: number, m1: number): number {
  const d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
  if (Math.sign(d) !== Math.sign(m0)) return 0
  if (Math.sign(m0) !== Math.sign(m1) && Math.abs(d) > 3 * Math.abs(m0)) return 3 * m0
  return d
}
