import type { TrackPanel } from '../../../../src-main/engines/wsindy'

/** A copy of a complete panel in which the given cells are observed only on [a, b) (NaN elsewhere). */
export function cut(p: TrackPanel, spans: Record<number, [number, number]>): TrackPanel {
  const positions = Float64Array.from(p.positions)
  const start = new Int32Array(p.n), end = new Int32Array(p.n).fill(p.L)
  for (const [key, [a, b]] of Object.entries(spans)) {
    const i = Number(key)
    start[i] = a
    end[i] = b
    for (let k = 0; k < p.L; k++) if (k < a || k >= b) positions[(i * p.L + k) * 2] = positions[(i * p.L + k) * 2 + 1] = NaN
  }
  return { ...p, positions, start, end }
}
