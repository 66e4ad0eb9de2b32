/** Legend model: what the HTML legend beside a view lists, pure. */
import { categorical, toCss, viridis } from './colormaps'
import type { ColorBy, PointsLike } from './buffers'

export type Legend =
  | { kind: 'categorical'; title: string; items: { name: string; color: string }[]; more: number }
  | { kind: 'continuous'; title: string; min: string; max: string; gradient: string }

/**
 * @param maxItems categories listed before "+N more" @default 12
 */
export function legendModel(d: PointsLike, colorBy: ColorBy, maxItems = 12): Legend {
  if (colorBy === 'time') {
    let lo = Infinity
    let hi = -Infinity
    for (let i = 0; i < d.time.length; i++) {
      if (d.time[i] < lo) lo = d.time[i]
      if (d.time[i] > hi) hi = d.time[i]
    }
    if (!(lo <= hi)) lo = hi = 0
    const stops = Array.from({ length: 11 }, (_, i) => `${toCss(viridis(i / 10))} ${i * 10}%`)
    const u = d.units.time ? ` ${d.units.time}` : ''
    return { kind: 'continuous', title: 'time', min: `${lo}${u}`, max: `${hi}${u}`, gradient: `linear-gradient(to right, ${stops.join(', ')})` }
  }
  const src = colorBy === 'track' ? d.track : d.label
  const seen = new Set<number>()
  for (let i = 0; i < src.length; i++) seen.add(src[i])
  const ids = [...seen].sort((a, b) => a - b)
  const name = (v: number) => (v < 0 ? 'none' : colorBy === 'label' ? (d.labelNames[v] ?? `label ${v}`) : `track ${d.trackIds?.[v] ?? v}`)
  const items = ids.slice(0, maxItems).map((v) => ({ name: name(v), color: v < 0 ? 'rgb(153, 153, 153)' : toCss(categorical(v)) }))
  return { kind: 'categorical', title: colorBy === 'label' ? 'species / label' : 'track', items, more: Math.max(0, ids.length - maxItems) }
}
