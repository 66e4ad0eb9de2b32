/** `popdyn report PROJECT RUN --out FILE.html|FILE.pdf [--overwrite]`: a run's report (io/report). */
import { resolve } from 'node:path'
import { ProjectStore } from '../store/project'
import { writeReport, type ReportResult } from '../io/report/index'

export const REPORT_USAGE = `  report PROJECT RUN --out FILE.html|FILE.pdf [--overwrite] [--json]
                              a run's report: data (with content hashes), parameters, software,
                              figures, a methods paragraph (PDF by headless Chromium)`

export async function reportCommand(project: string, runId: number, out: string, overwrite: boolean): Promise<ReportResult> {
  const store = ProjectStore.open(resolve(project))
  try {
    return await writeReport(store, runId, { out: resolve(out), overwrite })
  } finally {
    store.close()
  }
}

export function formatReportResult(r: ReportResult): string {
  return `Wrote ${r.file} (${r.format.toUpperCase()}, ${r.figures} figures${r.pages ? `, ${r.pages} pages` : ''}, ${(r.bytes / 1024).toFixed(0)} KiB)` + r.notes.map((n) => `\n  note: ${n}`).join('')
}
