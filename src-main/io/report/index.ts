/**
 * Reports of a run (issue #9 item 2): a self-contained HTML file (inline SVG figures from
 * src-shared/figures, inline CSS, no external requests) or a PDF of the same content.
 *
 *   await writeReport(store, runId, { out: 'run3.html' })        // format from the extension
 *   await writeReport(store, runId, { out: 'run3.pdf', format: 'pdf' })
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { extname } from 'node:path'
import { invalidInput } from '@shared/errors'
import type { ProjectStore } from '../../store/project'
import { buildReport } from './build'
import { chromiumPrinter, htmlToPdf, pdfPageCount, type PdfPrinter } from './pdf'

export { buildReport, REPORT_SECTIONS, type BuiltReport } from './build'
export { chromiumPrinter, findChromium, htmlToPdf, pdfPageCount, type PdfPrinter } from './pdf'
export { CITATIONS, methodsParagraph } from './citations'
export { speciesFigureArrays } from './species'

export type ReportFormat = 'html' | 'pdf'

export interface ReportOptions {
  /** Output file. */
  out: string
  /** @default from the extension of `out` (.pdf → pdf, else html) */
  format?: ReportFormat
  /** Replace an existing file. @default false */
  overwrite?: boolean
  /** PDF printer. @default headless Chromium (chromiumPrinter()) */
  printer?: PdfPrinter
}

export interface ReportResult {
  file: string
  format: ReportFormat
  bytes: number
  sections: string[]
  figures: number
  /** PDF only: page count. */
  pages?: number
  /** What the report says it could not show. */
  notes: string[]
}

/** Writes the report of a finished run; refuses unfinished runs and (unless `overwrite`) existing files. */
export async function writeReport(project: ProjectStore, runId: number, opts: ReportOptions): Promise<ReportResult> {
  const format: ReportFormat = opts.format ?? (extname(opts.out).toLowerCase() === '.pdf' ? 'pdf' : 'html')
  if (format === 'pdf' && extname(opts.out).toLowerCase() !== '.pdf') throw invalidInput(`A PDF report needs a file name ending in .pdf, got "${opts.out}".`)
  if (format === 'html' && !/\.html?$/i.test(opts.out)) throw invalidInput(`An HTML report needs a file name ending in .html, got "${opts.out}".`)
  if (!opts.overwrite && existsSync(opts.out)) throw invalidInput(`${opts.out} already exists; choose another file name (or allow overwriting).`, 'exists')
  const r = await buildReport(project, runId)
  const tmp = `${opts.out}.tmp-${process.pid}`
  try {
    if (format === 'html') writeFileSync(tmp, r.html)
    else await htmlToPdf(r.html, tmp, opts.printer ?? chromiumPrinter())
    renameSync(tmp, opts.out)
  } finally {
    rmSync(tmp, { force: true })
  }
  const bytes = statSync(opts.out).size
  return { file: opts.out, format, bytes, sections: r.sections, figures: r.figures, notes: r.notes, ...(format === 'pdf' ? { pages: pdfPageCount(readFileSync(opts.out)) } : {}) }
}
