/**
 * What a finished run can write out, default output paths, and saving a figure as SVG or PNG
 * (PNG: the SVG drawn onto a canvas in the page). Plain TypeScript; the Svelte components
 * (RunOutputDialog, RunDetails) sit on top.
 */
import type { RunExportKind, RunSummary } from '@shared/contract'

export interface OutputChoice {
  value: RunExportKind | 'report-html' | 'report-pdf'
  label: string
  ext: string
}

const LABELLING = new Set(['ensembles', 'species'])
const PREDICTING = new Set(['ijkonet', 'jkonet', 'wlm'])

/** Exports that make sense for a run's method (labels/summary for labelling methods, predictions for dynamics). */
export function exportChoices(method: string): OutputChoice[] {
  const out: OutputChoice[] = []
  if (LABELLING.has(method)) {
    out.push({ value: 'labels', label: 'Labelled rows (CSV, input order + label + confidence)', ext: 'csv' })
    out.push({ value: 'summary', label: 'Per-label summary (CSV)', ext: 'csv' })
    out.push({ value: 'h5ad', label: 'Labels into a copy of the source .h5ad (obs; .h5ad datasets only)', ext: 'h5ad' })
  }
  if (PREDICTING.has(method)) out.push({ value: 'predictions', label: 'Observed and predicted snapshots (CSV)', ext: 'csv' })
  out.push({ value: 'model', label: 'Model (JSON)', ext: 'json' })
  return out
}

export const REPORT_CHOICES: OutputChoice[] = [
  { value: 'report-html', label: 'Report (HTML, self-contained)', ext: 'html' },
  { value: 'report-pdf', label: 'Report (PDF)', ext: 'pdf' },
]

/** Runs that have results to write out. */
export function canOutput(run: Pick<RunSummary, 'status' | 'datasetId'>): boolean {
  return run.status === 'done' && run.datasetId !== null
}

/** `<project folder>/<project>-run<id>-<what>.<ext>` next to the project file. */
export function defaultOutputPath(projectPath: string | null, runId: number, what: string, ext: string): string {
  const sep = projectPath && projectPath.includes('\\') && !projectPath.includes('/') ? '\\' : '/'
  const cut = projectPath ? projectPath.lastIndexOf(sep) : -1
  const dir = cut >= 0 ? projectPath!.slice(0, cut) : ''
  const base = projectPath ? projectPath.slice(cut + 1).replace(/\.popdyn$/i, '') : 'popdyn'
  return `${dir ? dir + sep : ''}${base}-run${runId}-${what}.${ext}`
}

/** The SVG as a data URL (for download as .svg and for drawing onto a canvas). */
export function svgDataUrl(svg: string): string {
  return 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg)
}

/** Width and height in px of a figure's root `<svg>`. */
export function svgSize(svg: string): { width: number; height: number } {
  const w = /<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1]
  const h = /<svg[^>]*\sheight="([\d.]+)"/.exec(svg)?.[1]
  return { width: Number(w ?? 480), height: Number(h ?? 320) }
}

/** PNG data URL of an SVG drawn at `scale`× its size onto a white canvas (browser only). */
export async function svgToPng(svg: string, scale = 2): Promise<string> {
  const { width, height } = svgSize(svg)
  const img = new Image()
  img.decoding = 'sync'
  await new Promise<void>((resolve, reject) => {
    img.onload = () => resolve()
    img.onerror = () => reject(new Error('The figure could not be drawn as an image.'))
    img.src = svgDataUrl(svg)
  })
  const canvas = document.createElement('canvas')
  canvas.width = Math.round(width * scale)
  canvas.height = Math.round(height * scale)
  const ctx = canvas.getContext('2d')
  if (!ctx) throw new Error('No 2-D canvas in this browser.')
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, canvas.width, canvas.height)
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height)
  return canvas.toDataURL('image/png')
}

/** Triggers a download of a data URL under `filename` (the browser's or Electron's save flow). */
export function download(dataUrl: string, filename: string): void {
  const a = document.createElement('a')
  a.href = dataUrl
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
}
