/** Axis ticks and labels, pure. */

/**
 * "Nice" tick values (1, 2, 5 × 10^k steps) covering [min, max], about `count` of them.
 * A degenerate range gives the single value.
 * @param count wanted number of ticks @default 5
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return []
  if (max < min) [min, max] = [max, min]
  if (max === min) return [min]
  const raw = (max - min) / Math.max(1, count - 1)
  const p = 10 ** Math.floor(Math.log10(raw))
  const m = raw / p
  const step = (m <= 1.5 ? 1 : m <= 3 ? 2 : m <= 7 ? 5 : 10) * p
  const first = Math.ceil(min / step - 1e-9) * step
  const out: number[] = []
  for (let v = first; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)))
  return out
}

/** Tick text: short, no float noise (0.30000000000000004 -> "0.3"). */
export function formatTick(v: number): string {
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1)
  return String(Number(v.toPrecision(6)))
}

/** Axis title with its unit, e.g. "x (µm)"; no parentheses for an empty unit. */
export function axisTitle(name: string, unit: string): string {
  return unit ? `${name} (${unit})` : name
}

/**
 * A linear axis domain widened to "nice" tick values, so the first tick is at or below `min`
 * and the last at or above `max` (the ticks cover the data range). A degenerate range
 * (min = max) is widened by ±1 (or ±10 % of |min|) first.
 * @param count wanted number of ticks @default 5
 */
export function niceDomain(min: number, max: number, count = 5): { min: number; max: number; ticks: number[] } {
  if (max < min) [min, max] = [max, min]
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1
    min -= pad
    max += pad
  }
  const inner = niceTicks(min, max, count)
  const step = inner.length > 1 ? inner[1]! - inner[0]! : Math.abs(max - min)
  const clean = (v: number) => (Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(15)))
  let lo = clean(Math.floor(min / step + 1e-9) * step)
  let hi = clean(Math.ceil(max / step - 1e-9) * step)
  if (lo > min) lo = clean(lo - step)
  if (hi < max) hi = clean(hi + step)
  const ticks: number[] = []
  for (let k = 0, v = lo; v <= hi + step * 1e-6; k++, v = lo + k * step) ticks.push(k === 0 ? lo : v >= hi - step * 1e-6 ? hi : clean(v))
  return { min: lo, max: hi, ticks }
}

/**
 * A log10 axis domain from the power of ten at or below `min` to the one at or above `max`,
 * ticks at powers of ten (every k-th when there are more than `count`). Needs 0 < min ≤ max.
 * @param count most ticks wanted @default 6
 */
export function logDomain(min: number, max: number, count = 6): { min: number; max: number; ticks: number[] } {
  const a = Math.floor(Math.log10(min) + 1e-12)
  let b = Math.ceil(Math.log10(max) - 1e-12)
  if (b === a) b += 1
  const every = Math.max(1, Math.ceil((b - a + 1) / count))
  b = a + Math.ceil((b - a) / every) * every
  const ticks: number[] = []
  for (let e = a; e <= b; e += every) ticks.push(10 ** e)
  return { min: 10 ** a, max: 10 ** b, ticks }
}
