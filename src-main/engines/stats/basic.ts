/**
 * Small numerical helpers used across engines: moments, quantiles, digamma, log-sum-exp,
 * the log-volume of the unit ball, and the adjusted Rand index for comparing labellings.
 */
import { invalidInput } from '@shared/errors'

function checkNonEmpty(x: ArrayLike<number>, what: string): void {
  if (!x || x.length === 0) throw invalidInput(`${what}: expected a non-empty array, got length ${x?.length ?? 'undefined'}`)
}

/** Arithmetic mean of x (throws on an empty array). */
export function mean(x: ArrayLike<number>): number {
  checkNonEmpty(x, 'mean')
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i]!
  return s / x.length
}

/**
 * Variance Σ(x − x̄)² / (n − ddof), two-pass (numerically stable).
 * @param ddof delta degrees of freedom: 0 = population variance, 1 = unbiased sample variance. @default 0
 */
export function variance(x: ArrayLike<number>, ddof = 0): number {
  checkNonEmpty(x, 'variance')
  if (x.length - ddof <= 0) throw invalidInput(`variance: expected n > ddof, got n = ${x.length}, ddof = ${ddof}`)
  const m = mean(x)
  let s = 0
  let c = 0
  for (let i = 0; i < x.length; i++) {
    const t = x[i]! - m
    s += t * t
    c += t
  }
  // Corrected two-pass formula (Chan, Golub & LeVeque 1983) removes the rounding error in m.
  return (s - (c * c) / x.length) / (x.length - ddof)
}

/**
 * Quantile at probability p ∈ [0, 1] by linear interpolation between order statistics
 * (Hyndman & Fan type 7, the default of numpy.quantile and R; MATLAB's `quantile` uses
 * type 5): h = (n − 1)p, Q = x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋)).
 * `p` may be a single number or an array (the data is sorted once). NaN in x is rejected.
 */
export function quantile(x: ArrayLike<number>, p: number): number
export function quantile(x: ArrayLike<number>, p: ArrayLike<number>): Float64Array
export function quantile(x: ArrayLike<number>, p: number | ArrayLike<number>): number | Float64Array {
  checkNonEmpty(x, 'quantile')
  const s = Float64Array.from(x as ArrayLike<number>)
  for (let i = 0; i < s.length; i++) {
    if (Number.isNaN(s[i]!)) throw invalidInput(`quantile: expected numbers, got NaN at index ${i}`)
  }
  s.sort()
  const one = (q: number): number => {
    if (!(q >= 0 && q <= 1)) throw invalidInput(`quantile: expected probability in [0, 1], got ${q}`)
    const h = (s.length - 1) * q
    const lo = Math.floor(h)
    const hi = Math.min(lo + 1, s.length - 1)
    return s[lo]! + (h - lo) * (s[hi]! - s[lo]!)
  }
  if (typeof p === 'number') return one(p)
  const out = new Float64Array(p.length)
  for (let i = 0; i < p.length; i++) out[i] = one(p[i]!)
  return out
}

/** log Σ exp(x_i), computed stably (max shifted). Returns −∞ for an empty array or all −∞. */
export function logSumExp(x: ArrayLike<number>, start = 0, end = x.length): number {
  let m = -Infinity
  for (let i = start; i < end; i++) if (x[i]! > m) m = x[i]!
  if (m === -Infinity) return -Infinity
  if (m === Infinity) return Infinity
  let s = 0
  for (let i = start; i < end; i++) s += Math.exp(x[i]! - m)
  return m + Math.log(s)
}

/**
 * Digamma ψ(x) = d/dx log Γ(x) for real x (poles at 0, −1, −2, … return NaN).
 * Reflection ψ(1 − x) − ψ(x) = π cot(πx) for x < 0.5, upward recurrence ψ(x) = ψ(x + 1) − 1/x
 * to x ≥ 10, then the asymptotic series ψ(x) ~ ln x − 1/(2x) − Σ B_{2k}/(2k x^{2k}).
 * Absolute error ≲ 1e-14 for x ≥ 1 (tested against ψ(1) = −γ and harmonic numbers).
 */
export function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN
  if (x === Infinity) return Infinity
  if (x <= 0 && Number.isInteger(x)) return NaN
  if (x < 0.5) return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x)
  let acc = 0
  while (x < 10) {
    acc -= 1 / x
    x += 1
  }
  const inv2 = 1 / (x * x)
  // Bernoulli terms: 1/12, −1/120, 1/252, −1/240, 1/132, −691/32760, 1/12
  const series =
    inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))))
  return acc + Math.log(x) - 0.5 / x - series
}

/**
 * log V_d, the natural log of the volume of the unit Euclidean ball in R^d,
 * V_d = π^{d/2} / Γ(d/2 + 1), via the exact recurrence V_d = V_{d−2}·2π/d (V_0 = 1, V_1 = 2).
 */
export function logUnitBallVolume(d: number): number {
  if (!Number.isInteger(d) || d < 0) throw invalidInput(`logUnitBallVolume: expected an integer d >= 0, got ${d}`)
  let v = d % 2 === 0 ? 0 : Math.log(2)
  for (let j = d % 2 === 0 ? 2 : 3; j <= d; j += 2) v += Math.log((2 * Math.PI) / j)
  return v
}

/**
 * Adjusted Rand index (Hubert & Arabie 1985) between two labellings of the same n items:
 * 1 for identical partitions (up to renaming), ≈ 0 for independent ones. Labels are any
 * integers. Returns 1 when both partitions are trivial in the same way (the 0/0 case).
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw invalidInput(`adjustedRandIndex: expected two labellings of equal length, got ${a.length} and ${b.length}`)
  const n = a.length
  const table = new Map<string, number>()
  const ra = new Map<number, number>()
  const rb = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`
    table.set(key, (table.get(key) ?? 0) + 1)
    ra.set(a[i]!, (ra.get(a[i]!) ?? 0) + 1)
    rb.set(b[i]!, (rb.get(b[i]!) ?? 0) + 1)
  }
  const c2 = (m: number) => (m * (m - 1)) / 2
  let sumIJ = 0
  for (const v of table.values()) sumIJ += c2(v)
  let sumA = 0
  for (const v of ra.values()) sumA += c2(v)
  let sumB = 0
  for (const v of rb.values()) sumB += c2(v)
  const total = c2(n)
  const expected = total > 0 ? (sumA * sumB) / total : 0
  const maxIdx = 0.5 * (sumA + sumB)
  if (maxIdx === expected) return 1
  return (sumIJ - expected) / (maxIdx - expected)
}
