/**
 * One figure module for the app and the reports (issue #9 item 3): pure TypeScript producing
 * standalone SVG strings (no DOM, no dependencies), with the colour palette shared with the
 * 3-D views. The renderer inserts the same SVG on screen and saves it as SVG or PNG; the report
 * inlines it.
 */
export { linePlot, histogram, scatterPlot, heatmap, marchingSquares } from './plots'
export type { LineSeries, LinePlotSpec, HistogramSpec, MixtureComponent, ScatterSpec, Points, Grid, HeatmapSpec } from './plots'
export { htmlTable, formatNumber, type TableColumn, type Cell } from './table'
export { esc, requireFinite, type AxisSpec, type FigureFrame, type LegendEntry } from './svg'
export { niceTicks, niceDomain, logDomain, formatTick, axisTitle } from './ticks'
export { CATEGORICAL, OKABE_ITO, TAB20, categorical, categoricalHex, toHex, toCss, viridis, type RGB } from './palette'
export { renderFigure, plainFigure, type FigureSpec, type CaptionedFigure } from './spec'
