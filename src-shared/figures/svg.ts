/**
 * SVG building blocks of the figures: escaping, scales, the axes frame and the legend. Pure
 * string building (no DOM), so the same code runs in Node (reports) and in the renderer.
 */
import { invalidInput } from '../errors'
import { axisTitle, formatTick, logDomain, niceDomain } from './ticks'

/** One axis of a figure. */
export interface AxisSpec {
  /** Quantity shown, e.g. "time", "loss", "x". */
  label: string
  /** Unit appended in parentheses, e.g. "µm"; none when empty. @default '' */
  unit?: string
  /** @default 'linear' */
  scale?: 'linear' | 'log'
  /** Fixed lower / upper end of the axis (else from the data, widened to nice ticks). */
  min?: number
  max?: number
}

/** Size and title shared by every figure. */
export interface FigureFrame {
  title?: string
  /** Width in px (the SVG scales in the page). @default 480 */
  width?: number
  /** Height in px. @default 320 */
  height?: number
}

export interface LegendEntry {
  label: string
  color: string
  /** How the key is drawn. @default 'point' */
  mark?: 'point' | 'line' | 'dashed' | 'hollow'
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

/** Pixel coordinate with 2 decimals (compact, exact enough). */
export const px = (v: number) => String(Math.round(v * 100) / 100)

/** Throws invalid-input naming the first non-finite value, e.g. "loss: expected finite numbers, got NaN at index 3". */
export function requireFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isFinite(v)) throw invalidInput(`${what}: expected finite numbers, got ${v} at index ${i}.`)
  }
}

export function extent(arrays: ArrayLike<number>[]): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (const a of arrays)
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
  return [lo, hi]
}

/** A data → pixel map with its ticks. */
export interface Scale {
  min: number
  max: number
  ticks: number[]
  log: boolean
  /** Pixel of a data value. */
  map(v: number): number
}

/** Builds a scale over the data range [lo, hi] onto pixels [p0, p1] (p1 < p0 for y). */
export function makeScale(spec: AxisSpec, lo: number, hi: number, p0: number, p1: number, what: string): Scale {
  const log = spec.scale === 'log'
  const a = spec.min ?? lo
  const b = spec.max ?? hi
  if (log && !(a > 0)) throw invalidInput(`${what}: a log axis needs positive values, got ${a}.`)
  const d = log ? logDomain(a, b) : niceDomain(a, b)
  const min = spec.min ?? d.min
  const max = spec.max ?? d.max
  const ticks = d.ticks.filter((t) => t >= min - 1e-12 * Math.abs(min) && t <= max + 1e-12 * Math.abs(max))
  const f = log ? Math.log10 : (v: number) => v
  const fa = f(min)
  const fb = f(max)
  const span = fb - fa || 1
  return { min, max, ticks, log, map: (v: number) => p0 + ((f(v) - fa) / span) * (p1 - p0) }
}

export interface PlotBox {
  width: number
  height: number
  left: number
  right: number
  top: number
  bottom: number
}

/** Plot area of a figure: margins for ticks, axis titles, the title and a legend column on the right. */
export function plotBox(frame: FigureFrame, legend: LegendEntry[]): PlotBox {
  const width = frame.width ?? 480
  const height = frame.height ?? 320
  const legendW = legend.length ? Math.min(170, 28 + 6.4 * Math.max(...legend.map((l) => l.label.length))) : 0
  return { width, height, left: 62, right: width - 14 - legendW, top: frame.title ? 28 : 12, bottom: height - 44 }
}

/** `<svg>` open tag with its title (accessible name) and the shared style. */
export function svgOpen(frame: FigureFrame, kind: string, extra = ''): string {
  const w = frame.width ?? 480
  const h = frame.height ?? 320
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="popdyn-figure" data-figure="${esc(kind)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" font-family="Helvetica, Arial, sans-serif" font-size="11"${extra}>` +
    (frame.title ? `<title>${esc(frame.title)}</title>` : '') +
    `<rect class="bg" x="0" y="0" width="${w}" height="${h}" fill="#ffffff"/>` +
    (frame.title ? `<text class="fig-title" x="${px(w / 2)}" y="17" text-anchor="middle" font-size="13" font-weight="600" fill="#222">${esc(frame.title)}</text>` : '')
  )
}

/** Axes, grid, ticks and axis titles (with units) of a plot box. */
export function axes(box: PlotBox, xs: Scale, ys: Scale, xSpec: AxisSpec, ySpec: AxisSpec, grid = true): string {
  const out: string[] = ['<g class="axes" stroke="#444" fill="#333">']
  for (const t of xs.ticks) {
    const x = px(xs.map(t))
    if (grid) out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${px(box.top)}" y2="${px(box.bottom)}" stroke="#e6e6e6"/>`)
    out.push(`<line x1="${x}" x2="${x}" y1="${px(box.bottom)}" y2="${px(box.bottom + 4)}"/>`)
    out.push(`<text class="tick x-tick" x="${x}" y="${px(box.bottom + 15)}" text-anchor="middle" stroke="none">${esc(formatTick(t))}</text>`)
  }
  for (const t of ys.ticks) {
    const y = px(ys.map(t))
    if (grid) out.push(`<line class="grid" x1="${px(box.left)}" x2="${px(box.right)}" y1="${y}" y2="${y}" stroke="#e6e6e6"/>`)
    out.push(`<line x1="${px(box.left - 4)}" x2="${px(box.left)}" y1="${y}" y2="${y}"/>`)
    out.push(`<text class="tick y-tick" x="${px(box.left - 6)}" y="${y}" dy="0.32em" text-anchor="end" stroke="none">${esc(formatTick(t))}</text>`)
  }
  out.push(`<rect class="frame" x="${px(box.left)}" y="${px(box.top)}" width="${px(box.right - box.left)}" height="${px(box.bottom - box.top)}" fill="none"/>`)
  out.push(`<text class="axis-title x-title" x="${px((box.left + box.right) / 2)}" y="${px(box.height - 8)}" text-anchor="middle" stroke="none">${esc(axisTitle(xSpec.label, xSpec.unit ?? ''))}${xs.log ? ' (log scale)' : ''}</text>`)
  const cy = (box.top + box.bottom) / 2
  out.push(`<text class="axis-title y-title" x="14" y="${px(cy)}" transform="rotate(-90 14 ${px(cy)})" text-anchor="middle" stroke="none">${esc(axisTitle(ySpec.label, ySpec.unit ?? ''))}${ys.log ? ' (log scale)' : ''}</text>`)
  out.push('</g>')
  return out.join('')
}

/** Legend column to the right of the plot area. */
export function legend(box: PlotBox, entries: LegendEntry[]): string {
  if (!entries.length) return ''
  const x = box.right + 12
  const out = ['<g class="legend">']
  entries.forEach((e, i) => {
    const y = box.top + 8 + i * 16
    const mark = e.mark ?? 'point'
    const key =
      mark === 'point' || mark === 'hollow'
        ? `<circle cx="${px(x + 6)}" cy="${px(y)}" r="4" fill="${mark === 'hollow' ? 'none' : e.color}" stroke="${e.color}" stroke-width="1.5"/>`
        : `<line x1="${px(x)}" x2="${px(x + 14)}" y1="${px(y)}" y2="${px(y)}" stroke="${e.color}" stroke-width="2"${mark === 'dashed' ? ' stroke-dasharray="4 3"' : ''}/>`
    out.push(`<g class="legend-entry">${key}<text x="${px(x + 20)}" y="${px(y)}" dy="0.32em" fill="#222">${esc(e.label)}</text></g>`)
  })
  out.push('</g>')
  return out.join('')
}
