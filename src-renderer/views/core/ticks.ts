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
