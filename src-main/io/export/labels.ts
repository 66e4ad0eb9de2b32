/**
 * Labelled CSV export (SPEC §2): every imported record in input order with all its original
 * columns, byte for byte, followed by the method's label column (`ensemble` / `species`) and
 * `confidence`. Original lines come from the dataset's `source/raw.gz` (io/import/layout.ts);
 * datasets without one (the bundled sample) are written from their arrays.
 */
import { renameSync, writeFileSync } from 'node:fs'
import { gunzipSync } from 'fflate'
import { invalidInput } from '@shared/errors'
import type { ProjectStore } from '../../store/project'

export const LABEL_COLUMN: Record<string, string> = { ensembles: 'ensemble', species: 'species' }

function csvField(s: string, delim: string): string {
  return s.includes(delim) || s.includes('"') || s.includes('\n') ? `"${s.replace(/"/g, '""')}"` : s
}

function formatConfidence(c: number | null): string {
  return c === null || !Number.isFinite(c) ? '' : String(Number(c.toPrecision(6)))
}

export interface LabelsExport {
  file: string
  records: number
  labelled: number
  column: string
}

export function exportLabelsCsv(store: ProjectStore, runId: number, file: string): LabelsExport {
  const run = store.getRun(runId)
  if (run.status !== 'done') throw invalidInput(`Run ${runId} is ${run.status}; only a finished run has labels to export.`)
  const column = LABEL_COLUMN[run.method]
  if (!column) throw invalidInput(`Run ${runId} (${run.method}) does not label rows; labels come from ${Object.keys(LABEL_COLUMN).join(' or ')} runs.`)
  if (run.datasetId === null) throw invalidInput(`Run ${runId} has no dataset.`)
  const ds = store.getDataset(run.datasetId)
  const { label, confidence } = store.getLabels(runId)
  const rowOrder = store.getArtifact({ datasetId: ds.id }, 'rowOrder')?.data
  const raw = store.getArtifact({ datasetId: ds.id }, 'source/raw.gz')
  const source = (ds.meta as { source?: { delimiter: string; headerLines: number; records: number } }).source
  let out: string
  let records: number
  let labelled = 0
  if (raw && source && rowOrder) {
    const text = new TextDecoder().decode(gunzipSync(raw.data as Uint8Array))
    const lines = text.split('\n').filter((l) => l.trim() !== '')
    const delim = source.delimiter
    const header = lines.slice(0, source.headerLines)
    const data = lines.slice(source.headerLines)
    records = data.length
    const byRecord = new Int32Array(records).fill(-1)
    for (let i = 0; i < rowOrder.length; i++) if (rowOrder[i]! >= 0 && rowOrder[i]! < records) byRecord[rowOrder[i]!] = i
    const eol = text.includes('\r\n') ? '\r\n' : '\n'
    const strip = (l: string) => (l.endsWith('\r') ? l.slice(0, -1) : l)
    const parts: string[] = header.map((h, k) => strip(h) + (k === 0 ? `${delim}${column}${delim}confidence` : `${delim}${delim}`))
    for (let r = 0; r < records; r++) {
      const i = byRecord[r]!
      const l = i >= 0 ? label[i] : undefined
      if (l !== undefined) labelled++
      parts.push(`${strip(data[r]!)}${delim}${l === undefined ? '' : csvField(l, delim)}${delim}${l === undefined ? '' : formatConfidence(confidence[i] ?? null)}`)
    }
    out = parts.join(eol) + eol
  } else {
    // No original file (the bundled sample): write the stored table itself.
    const time = store.getArtifact({ datasetId: ds.id }, 'time')!.data
    const pos = store.getArtifact({ datasetId: ds.id }, 'pos')!
    const track = store.getArtifact({ datasetId: ds.id }, 'track')?.data
    const d = pos.shape[1] ?? 1
    const names = d <= 3 ? ['x', 'y', 'z'].slice(0, d) : Array.from({ length: d }, (_, c) => `PC${c + 1}`)
    const parts = [[...(track ? ['track'] : []), 'time', ...names, column, 'confidence'].join(',')]
    records = time.length
    for (let i = 0; i < records; i++) {
      const l = label[i]
      if (l !== undefined) labelled++
      parts.push([...(track ? [track[i]] : []), time[i], ...Array.from(pos.data.subarray(i * d, (i + 1) * d)), l ?? '', l === undefined ? '' : formatConfidence(confidence[i] ?? null)].join(','))
    }
    out = parts.join('\n') + '\n'
  }
  writeFileSync(file + '.tmp', out)
  renameSync(file + '.tmp', file)
  return { file, records, labelled, column }
}

/** Per-label summary: how many rows (and for tracks, tracks) carry each label, mean confidence. */
export function exportSummaryCsv(store: ProjectStore, runId: number, file: string): { file: string; labels: number } {
  const run = store.getRun(runId)
  const column = LABEL_COLUMN[run.method]
  if (!column || run.status !== 'done') throw invalidInput(`Run ${runId} has no labels to summarise (method ${run.method}, status ${run.status}).`)
  const { label, confidence } = store.getLabels(runId)
  const agg = new Map<string, { rows: number; conf: number }>()
  label.forEach((l, i) => {
    const a = agg.get(l) ?? { rows: 0, conf: 0 }
    a.rows++
    a.conf += confidence[i] ?? 0
    agg.set(l, a)
  })
  const lines = [`${column},rows,share,mean_confidence`]
  for (const [l, a] of [...agg].sort(([x], [y]) => x.localeCompare(y, 'en', { numeric: true })))
    lines.push(`${csvField(l, ',')},${a.rows},${(a.rows / label.length).toPrecision(6)},${(a.conf / a.rows).toPrecision(6)}`)
  writeFileSync(file + '.tmp', lines.join('\n') + '\n')
  renameSync(file + '.tmp', file)
  return { file, labels: agg.size }
}

/**
 * Predictions in snapshot format: the observed snapshots and the run's predicted clouds, one row
 * per point, with `source` (observed / predicted) and `time` (for predictions: the time predicted).
 */
export function exportPredictionsCsv(store: ProjectStore, runId: number, file: string): { file: string; rows: number } {
  const run = store.getRun(runId)
  if (run.status !== 'done') throw invalidInput(`Run ${runId} is ${run.status}; only a finished run has predictions.`)
  const pos = store.getArtifact({ runId }, 'predictions/pos')
  const time = store.getArtifact({ runId }, 'predictions/time')
  if (!pos || !time) throw invalidInput(`Run ${runId} (${run.method}) has no predictions; they come from ijkonet, jkonet and wlm runs.`)
  if (run.datasetId === null) throw invalidInput(`Run ${runId} has no dataset.`)
  const ds = store.getDataset(run.datasetId)
  const d = pos.shape[1] ?? 1
  const features = ((ds.meta as { columns?: { features?: string[] } }).columns?.features ?? []).slice(0, d)
  const names = features.length === d ? features : Array.from({ length: d }, (_, c) => `x${c + 1}`)
  const lines = [['source', 'time', ...names].map((n) => csvField(n, ',')).join(',')]
  const oTime = store.getArtifact({ datasetId: ds.id }, 'time')!.data
  const oPos = store.getArtifact({ datasetId: ds.id }, 'pos')!.data
  const fmt = (v: number) => String(Number(v.toPrecision(8)))
  for (let i = 0; i < oTime.length; i++) lines.push(['observed', fmt(oTime[i]!), ...Array.from(oPos.subarray(i * d, (i + 1) * d), fmt)].join(','))
  for (let i = 0; i < time.data.length; i++) lines.push(['predicted', fmt(time.data[i]!), ...Array.from(pos.data.subarray(i * d, (i + 1) * d), fmt)].join(','))
  writeFileSync(file + '.tmp', lines.join('\n') + '\n')
  renameSync(file + '.tmp', file)
  return { file, rows: lines.length - 1 }
}
