/**
 * The figures: line plot, histogram with mixture components, labelled scatter, heat map with
 * contours. Each returns a standalone SVG string (xmlns set, width/height in px), the same in
 * the app (inserted as markup, saved as SVG or drawn onto a canvas for PNG) and in the report.
 *
 * Every data mark carries a class (`line`, `bar`, `pt`, `cell`) so tests and tools can count
 * them; non-finite data are refused with invalid-input naming the series and index.
 */
import { invalidInput } from '../errors'
import { categoricalHex, toHex, viridis } from './palette'
import { axes, esc, extent, legend, makeScale, plotBox, px, requireFinite, svgOpen, type AxisSpec, type FigureFrame, type LegendEntry } from './svg'

export interface LineSeries {
  name: string
  x: ArrayLike<number>
  y: ArrayLike<number>
  /** CSS colour. @default the shared categorical palette by series index */
  color?: string
  /** @default false */
  dashed?: boolean
  /** Draw dots at the data points too. @default false */
  points?: boolean
}

export interface LinePlotSpec extends FigureFrame {
  x: AxisSpec
  y: AxisSpec
  series: LineSeries[]
  /** Legend entries; @default one per series when there are at most 12 series, else none */
  legend?: LegendEntry[]
}

/** Line plot (loss curves, force laws f(r), W1 per time, …): one `<polyline class="line">` per series. */
export function linePlot(spec: LinePlotSpec): string {
  if (!spec.series.length) throw invalidInput('line plot: expected at least one series, got none.')
  spec.series.forEach((s) => {
    if (s.x.length !== s.y.length) throw invalidInput(`line plot series "${s.name}": expected x and y of the same length, got ${s.x.length} and ${s.y.length}.`)
    if (s.x.length === 0) throw invalidInput(`line plot series "${s.name}": expected at least one point, got none.`)
    requireFinite(s.x, `series "${s.name}" x`)
    requireFinite(s.y, `series "${s.name}" y`)
  })
  const color = (s: LineSeries, i: number) => s.color ?? categoricalHex(i)
  const entries = spec.legend ?? (spec.series.length <= 12 && spec.series.length > 1 ? spec.series.map((s, i) => ({ label: s.name, color: color(s, i), mark: s.dashed ? ('dashed' as const) : ('line' as const) })) : [])
  const box = plotBox(spec, entries)
  const [x0, x1] = extent(spec.series.map((s) => s.x))
  const [y0, y1] = extent(spec.series.map((s) => s.y))
  const xs = makeScale(spec.x, x0, x1, box.left, box.right, 'x axis')
  const ys = makeScale(spec.y, y0, y1, box.bottom, box.top, 'y axis')
  const out = [svgOpen(spec, 'line'), axes(box, xs, ys, spec.x, spec.y), `<g class="marks" clip-path="none">`]
  spec.series.forEach((s, i) => {
    const pts: string[] = []
    for (let k = 0; k < s.x.length; k++) pts.push(`${px(xs.map(s.x[k]!))},${px(ys.map(s.y[k]!))}`)
    out.push(`<polyline class="line" data-series="${esc(s.name)}" data-n="${s.x.length}" points="${pts.join(' ')}" fill="none" stroke="${color(s, i)}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`)
    if (s.points) for (const p of pts) out.push(`<circle class="dot" cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${color(s, i)}"/>`)
  })
  out.push('</g>', legend(box, entries), '</svg>')
  return out.join('')
}

/** One Gaussian component of a mixture drawn over a histogram. */
export interface MixtureComponent {
  weight: number
  mean: number
  sd: number
  label?: string
}

export interface HistogramSpec extends FigureFrame {
  values: ArrayLike<number>
  x: AxisSpec
  /** @default {label: 'density'} (or 'count') */
  y?: AxisSpec
  /** Number of equal bins over the data range. @default clamp(round(√n), 5, 40) */
  bins?: number
  /** 'density' (area 1, comparable with mixture curves) or 'count'. @default 'density' */
  normalize?: 'density' | 'count'
  /** Mixture components drawn as curves (weight·N(mean, sd²), scaled like the bars); their sum dashed when > 1. */
  components?: MixtureComponent[]
  /** Vertical marker lines, e.g. an acceptance threshold. */
  markers?: { at: number; label: string }[]
}

const gauss = (x: number, m: number, s: number) => Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI))

/** Histogram with optional mixture-component curves (species rounds: log10 ΔV and the 2-component GMM). */
export function histogram(spec: HistogramSpec): string {
  const v = spec.values
  if (v.length === 0) throw invalidInput('histogram: expected at least one value, got none.')
  requireFinite(v, 'histogram values')
  const comps = spec.components ?? []
  comps.forEach((c, i) => {
    if (![c.weight, c.mean, c.sd].every(Number.isFinite) || c.sd <= 0 || c.weight < 0) throw invalidInput(`histogram component ${i + 1}: expected finite weight ≥ 0, mean and sd > 0, got ${c.weight}, ${c.mean}, ${c.sd}.`)
  })
  const bins = spec.bins ?? Math.min(40, Math.max(5, Math.round(Math.sqrt(v.length))))
  if (!(Number.isInteger(bins) && bins >= 1)) throw invalidInput(`histogram: expected a positive integer number of bins, got ${bins}.`)
  let [lo, hi] = extent([v])
  if (hi === lo) {
    lo -= 0.5
    hi += 0.5
  }
  const w = (hi - lo) / bins
  const counts = new Float64Array(bins)
  for (let i = 0; i < v.length; i++) counts[Math.min(bins - 1, Math.floor((v[i]! - lo) / w))]!++
  const density = (spec.normalize ?? 'density') === 'density'
  const scale = density ? 1 / (v.length * w) : 1
  const heights = Array.from(counts, (c) => c * scale)
  // Curves in the same units as the bars.
  const curveScale = density ? 1 : v.length * w
  const grid = Array.from({ length: 161 }, (_, k) => lo - w + ((hi - lo + 2 * w) * k) / 160)
  const curves = comps.map((c) => grid.map((x) => c.weight * gauss(x, c.mean, c.sd) * curveScale))
  const total = comps.length > 1 ? grid.map((_, k) => curves.reduce((s, c) => s + c[k]!, 0)) : null
  const entries: LegendEntry[] = comps.map((c, i) => ({ label: c.label ?? `component ${i + 1}`, color: categoricalHex(i + 1), mark: 'line' as const }))
  if (total) entries.push({ label: 'mixture', color: '#333333', mark: 'dashed' })
  const ySpec: AxisSpec = spec.y ?? { label: density ? 'density' : 'count' }
  const box = plotBox(spec, entries)
  const yMax = Math.max(...heights, ...curves.flat(), ...(total ?? []))
  const xs = makeScale(spec.x, Math.min(lo, ...(spec.markers ?? []).map((m) => m.at)), Math.max(hi, ...(spec.markers ?? []).map((m) => m.at)), box.left, box.right, 'x axis')
  const ys = makeScale({ ...ySpec, scale: 'linear' }, 0, yMax, box.bottom, box.top, 'y axis')
  const out = [svgOpen(spec, 'histogram', ` data-bins="${bins}" data-n="${v.length}"`), axes(box, xs, ys, spec.x, ySpec), '<g class="marks">']
  heights.forEach((h, b) => {
    const xa = xs.map(lo + b * w)
    const xb = xs.map(lo + (b + 1) * w)
    const y = ys.map(h)
    out.push(`<rect class="bar" data-count="${counts[b]}" x="${px(xa)}" y="${px(y)}" width="${px(Math.max(0, xb - xa - 0.5))}" height="${px(ys.map(0) - y)}" fill="#9ab8d6" stroke="#6f93b8" stroke-width="0.5"/>`)
  })
  const path = (ys_: number[]) =>
    grid
      .map((x, k) => [xs.map(x), ys.map(ys_[k]!)] as const)
      .filter(([x]) => x >= box.left && x <= box.right)
      .map(([x, y], k) => `${k ? 'L' : 'M'}${px(x)},${px(y)}`)
      .join('')
  curves.forEach((c, i) => out.push(`<path class="component" d="${path(c)}" fill="none" stroke="${categoricalHex(i + 1)}" stroke-width="1.8"/>`))
  if (total) out.push(`<path class="mixture" d="${path(total)}" fill="none" stroke="#333" stroke-width="1.4" stroke-dasharray="5 3"/>`)
  for (const m of spec.markers ?? []) {
    if (!Number.isFinite(m.at)) throw invalidInput(`histogram marker "${m.label}": expected a finite position, got ${m.at}.`)
    const x = px(xs.map(m.at))
    out.push(`<line class="marker" x1="${x}" x2="${x}" y1="${px(box.top)}" y2="${px(box.bottom)}" stroke="#D55E00" stroke-dasharray="3 3"/><text x="${x}" y="${px(box.top + 10)}" dx="3" fill="#D55E00">${esc(m.label)}</text>`)
  }
  out.push('</g>', legend(box, entries), '</svg>')
  return out.join('')
}

/** Points row-major: `data[i*d + c]` is feature c of point i. */
export interface Points {
  data: ArrayLike<number>
  n: number
  d: number
}

export interface ScatterSpec extends FigureFrame {
  points: Points
  /** Category index per point (into `categories`); all in one category when absent. */
  category?: ArrayLike<number>
  /** Category names, in palette order. @default ['points'] */
  categories?: string[]
  /** Colour per category. @default the shared categorical palette */
  colors?: string[]
  /** Categories drawn as hollow rings (e.g. predicted, over filled observed). */
  hollow?: boolean[]
  x: AxisSpec
  y: AxisSpec
  /** Which two features to plot. @default [0, 1] */
  features?: [number, number]
  /** Draw at most this many points (an even stride over the input; `data-total` keeps the count). @default 4000 */
  maxPoints?: number
  /** Point radius in px. @default 2.2 */
  radius?: number
  /** Fixed axis ranges shared between panels (e.g. all time points), else from these points. */
  range?: { x: [number, number]; y: [number, number] }
}

/** Scatter of a point cloud (first two features) coloured by category, with a legend: one `<circle class="pt">` per drawn point. */
export function scatterPlot(spec: ScatterSpec): string {
  const { data, n, d } = spec.points
  if (data.length !== n * d) throw invalidInput(`scatter: expected ${n}×${d} = ${n * d} values, got ${data.length}.`)
  const [fx, fy] = spec.features ?? [0, 1]
  if (d < 2 || fx >= d || fy >= d) throw invalidInput(`scatter: expected points with at least 2 features, got ${d}.`)
  requireFinite(data, 'scatter points')
  const categories = spec.categories ?? ['points']
  const cat = spec.category
  if (cat && cat.length !== n) throw invalidInput(`scatter: expected one category per point (${n}), got ${cat.length}.`)
  if (cat)
    for (let i = 0; i < n; i++) {
      const c = cat[i]!
      if (!(Number.isInteger(c) && c >= 0 && c < categories.length)) throw invalidInput(`scatter: category of point ${i} must be an index into ${categories.length} categories, got ${c}.`)
    }
  const colors = categories.map((_, k) => spec.colors?.[k] ?? categoricalHex(k))
  const entries: LegendEntry[] = categories.length > 1 || spec.categories ? categories.map((c, k) => ({ label: c, color: colors[k]!, mark: spec.hollow?.[k] ? 'hollow' : 'point' })) : []
  const box = plotBox(spec, entries)
  const xsData = new Float64Array(n)
  const ysData = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    xsData[i] = data[i * d + fx]!
    ysData[i] = data[i * d + fy]!
  }
  const [x0, x1] = spec.range?.x ?? (n ? extent([xsData]) : [0, 1])
  const [y0, y1] = spec.range?.y ?? (n ? extent([ysData]) : [0, 1])
  const xs = makeScale(spec.x, x0, x1, box.left, box.right, 'x axis')
  const ys = makeScale(spec.y, y0, y1, box.bottom, box.top, 'y axis')
  const maxPoints = spec.maxPoints ?? 4000
  const shown = Math.min(n, maxPoints)
  const r = px(spec.radius ?? 2.2)
  const out = [svgOpen(spec, 'scatter', ` data-n="${shown}" data-total="${n}"`), axes(box, xs, ys, spec.x, spec.y), '<g class="marks">']
  for (let k = 0; k < shown; k++) {
    const i = shown === n ? k : Math.floor((k * n) / shown)
    const c = cat ? cat[i]! : 0
    const hollow = spec.hollow?.[c]
    out.push(`<circle class="pt" data-c="${c}" cx="${px(xs.map(xsData[i]!))}" cy="${px(ys.map(ysData[i]!))}" r="${r}" ${hollow ? `fill="none" stroke="${colors[c]}" stroke-width="1"` : `fill="${colors[c]}" fill-opacity="0.75"`}/>`)
  }
  out.push('</g>', legend(box, entries), '</svg>')
  return out.join('')
}

/** Values on a regular grid: `values[j*nx + i]` at x = x0 + i·(x1−x0)/(nx−1), y = y0 + j·(y1−y0)/(ny−1). */
export interface Grid {
  nx: number
  ny: number
  values: ArrayLike<number>
  x: [number, number]
  y: [number, number]
}

export interface HeatmapSpec extends FigureFrame {
  grid: Grid
  x: AxisSpec
  y: AxisSpec
  /** Colour-bar title, e.g. "potential". */
  value: AxisSpec
  /** Number of contour levels (evenly spaced, marching squares); 0 for none. @default 8 */
  contours?: number
}

/** Heat map (viridis) with contour lines and a colour bar: one `<rect class="cell">` per grid value. */
export function heatmap(spec: HeatmapSpec): string {
  const { nx, ny, values } = spec.grid
  if (!(nx >= 2 && ny >= 2) || values.length !== nx * ny) throw invalidInput(`heat map: expected a grid of at least 2×2 with nx·ny values, got ${nx}×${ny} and ${values.length} values.`)
  requireFinite(values, 'heat map values')
  const [vmin, vmax] = extent([values])
  const frame = { ...spec, width: spec.width ?? 420, height: spec.height ?? 340 }
  const box = plotBox(frame, [])
  box.right -= 56 // colour bar
  const xs = makeScale({ ...spec.x, min: spec.x.min ?? spec.grid.x[0], max: spec.x.max ?? spec.grid.x[1] }, spec.grid.x[0], spec.grid.x[1], box.left, box.right, 'x axis')
  const ys = makeScale({ ...spec.y, min: spec.y.min ?? spec.grid.y[0], max: spec.y.max ?? spec.grid.y[1] }, spec.grid.y[0], spec.grid.y[1], box.bottom, box.top, 'y axis')
  const gx = (i: number) => spec.grid.x[0] + ((spec.grid.x[1] - spec.grid.x[0]) * i) / (nx - 1)
  const gy = (j: number) => spec.grid.y[0] + ((spec.grid.y[1] - spec.grid.y[0]) * j) / (ny - 1)
  const t = (v: number) => (vmax > vmin ? (v - vmin) / (vmax - vmin) : 0.5)
  const out = [svgOpen(frame, 'heatmap', ` data-n="${nx * ny}"`), '<g class="marks" shape-rendering="crispEdges">']
  const hx = (spec.grid.x[1] - spec.grid.x[0]) / (nx - 1) / 2
  const hy = (spec.grid.y[1] - spec.grid.y[0]) / (ny - 1) / 2
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      const xa = xs.map(Math.max(spec.grid.x[0], gx(i) - hx))
      const xb = xs.map(Math.min(spec.grid.x[1], gx(i) + hx))
      const ya = ys.map(Math.min(spec.grid.y[1], gy(j) + hy))
      const yb = ys.map(Math.max(spec.grid.y[0], gy(j) - hy))
      out.push(`<rect class="cell" x="${px(xa)}" y="${px(ya)}" width="${px(xb - xa + 0.3)}" height="${px(yb - ya + 0.3)}" fill="${toHex(viridis(t(values[j * nx + i]!)))}"/>`)
    }
  const levels = spec.contours ?? 8
  if (levels > 0 && vmax > vmin) {
    const segs: string[] = []
    for (let l = 1; l <= levels; l++) {
      const c = vmin + ((vmax - vmin) * l) / (levels + 1)
      for (const [[ax, ay], [bx, by]] of marchingSquares(spec.grid, c)) segs.push(`M${px(xs.map(ax))},${px(ys.map(ay))}L${px(xs.map(bx))},${px(ys.map(by))}`)
    }
    out.push(`<path class="contour" d="${segs.join('')}" fill="none" stroke="#ffffff" stroke-opacity="0.7" stroke-width="0.8" shape-rendering="geometricPrecision"/>`)
  }
  out.push('</g>', axes(box, xs, ys, spec.x, spec.y, false))
  // Colour bar.
  const bx = box.right + 14
  const steps = 32
  const cb = ['<g class="colorbar">']
  for (let k = 0; k < steps; k++) {
    const y = box.bottom - ((box.bottom - box.top) * (k + 1)) / steps
    cb.push(`<rect x="${px(bx)}" y="${px(y)}" width="12" height="${px((box.bottom - box.top) / steps + 0.3)}" fill="${toHex(viridis((k + 0.5) / steps))}"/>`)
  }
  const vs = makeScale({ label: spec.value.label, min: vmin, max: vmax > vmin ? vmax : vmin + 1 }, vmin, vmax, box.bottom, box.top, 'colour bar')
  for (const tk of vs.ticks) cb.push(`<text class="tick" x="${px(bx + 15)}" y="${px(vs.map(tk))}" dy="0.32em" fill="#333">${esc(formatShort(tk))}</text>`)
  cb.push(`<text class="axis-title" x="${px(bx)}" y="${px(box.top - 6)}" fill="#333">${esc(spec.value.unit ? `${spec.value.label} (${spec.value.unit})` : spec.value.label)}</text></g>`)
  out.push(cb.join(''), '</svg>')
  return out.join('')
}

function formatShort(v: number): string {
  const a = Math.abs(v)
  return v === 0 ? '0' : a >= 1e4 || a < 1e-2 ? v.toExponential(1) : String(Number(v.toPrecision(3)))
}

/** Contour segments of `grid` at `level` (marching squares, saddles split by the cell mean). */
export function marchingSquares(grid: Grid, level: number): [[number, number], [number, number]][] {
  const { nx, ny, values } = grid
  const gx = (i: number) => grid.x[0] + ((grid.x[1] - grid.x[0]) * i) / (nx - 1)
  const gy = (j: number) => grid.y[0] + ((grid.y[1] - grid.y[0]) * j) / (ny - 1)
  const out: [[number, number], [number, number]][] = []
  const lerp = (a: number, b: number, va: number, vb: number) => a + ((level - va) / (vb - va)) * (b - a)
  for (let j = 0; j < ny - 1; j++)
    for (let i = 0; i < nx - 1; i++) {
      const v00 = values[j * nx + i]!
      const v10 = values[j * nx + i + 1]!
      const v11 = values[(j + 1) * nx + i + 1]!
      const v01 = values[(j + 1) * nx + i]!
      const x0 = gx(i), x1 = gx(i + 1), y0 = gy(j), y1 = gy(j + 1)
      // Edge crossings: bottom (00-10), right (10-11), top (01-11), left (00-01).
      const pts: [number, number][] = []
      if (v00 < level !== v10 < level) pts.push([lerp(x0, x1, v00, v10), y0])
      if (v10 < level !== v11 < level) pts.push([x1, lerp(y0, y1, v10, v11)])
      if (v01 < level !== v11 < level) pts.push([lerp(x0, x1, v01, v11), y1])
      if (v00 < level !== v01 < level) pts.push([x0, lerp(y0, y1, v00, v01)])
      if (pts.length === 2) out.push([pts[0]!, pts[1]!])
      else if (pts.length === 4) {
        const centre = (v00 + v10 + v11 + v01) / 4 < level
        if (centre === v00 < level) out.push([pts[0]!, pts[1]!], [pts[2]!, pts[3]!])
        else out.push([pts[0]!, pts[3]!], [pts[1]!, pts[2]!])
      }
    }
  return out
}
