/**
 * A figure as data: which plot and its spec. The main process builds these from a run (see
 * src-main/io/report) and the report renders them; the app receives the same specs over the
 * contract (`runs.figures`) and renders them with the same function, so a figure looks the
 * same on screen, in the saved SVG/PNG and in the report.
 */
import { invalidInput } from '../errors'
import { heatmap, histogram, linePlot, scatterPlot, type HeatmapSpec, type HistogramSpec, type LinePlotSpec, type ScatterSpec } from './plots'

export type FigureSpec = ({ kind: 'line' } & LinePlotSpec) | ({ kind: 'histogram' } & HistogramSpec) | ({ kind: 'scatter' } & ScatterSpec) | ({ kind: 'heatmap' } & HeatmapSpec)

/** A figure with its caption, as listed for a run. */
export interface CaptionedFigure {
  /** Stable id within the run, e.g. "fig-3". */
  id: string
  caption: string
  figure: FigureSpec
}

/** The SVG of a figure spec. */
export function renderFigure(f: FigureSpec): string {
  switch (f.kind) {
    case 'line':
      return linePlot(f)
    case 'histogram':
      return histogram(f)
    case 'scatter':
      return scatterPlot(f)
    case 'heatmap':
      return heatmap(f)
    default:
      throw invalidInput(`figure: expected kind line, histogram, scatter or heatmap, got ${String((f as { kind?: unknown }).kind)}.`)
  }
}

/** A deep copy with typed arrays turned into plain arrays (JSON-safe, for the browser-mode transport). */
export function plainFigure<T>(x: T): T {
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<number>) as unknown as T
  if (Array.isArray(x)) return x.map(plainFigure) as unknown as T
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plainFigure(v)])) as T
  return x
}
