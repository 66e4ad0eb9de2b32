/** Assembles the NewDataset (arrays + meta + warnings) and the summary every importer returns. */
import { basename, extname, resolve } from 'node:path'
import type { DatasetKind } from '@shared/contract'
import { nd } from '../../store/arrays'
import { ARRAYS, type DatasetUnits, type ImportFormat, type ImportMeta, type SourceMeta } from './layout'
import type { SnapshotBuild } from './snapshots'
import type { TrackBuild } from './tracks'
import type { ImportOptions, ImportResult } from './types'
import { RawSink } from './util'

export interface RawTable {
  gz: Uint8Array
  sha256: string
  bytes: number
  delimiter: string
  header: string[]
  records: number
  synthesized: boolean
}

export function datasetName(path: string, opts: ImportOptions): string {
  return opts.name?.trim() || basename(path, extname(path))
}

export function finishDataset(a: {
  path: string
  format: ImportFormat
  kind: DatasetKind
  opts: ImportOptions
  units: DatasetUnits
  dim: number
  columns: Record<string, string | string[]>
  raw: RawTable
  tracks?: TrackBuild
  snapshots?: SnapshotBuild
  labelNames?: string[]
  labelColumn?: string
  warnings: string[]
  qc?: Record<string, unknown>
}): ImportResult {
  const b = (a.tracks ?? a.snapshots)!
  const warnings = [...a.warnings, ...b.warnings]
  const source: SourceMeta = {
    fileName: basename(a.path),
    path: resolve(a.path),
    sha256: a.raw.sha256,
    bytes: a.raw.bytes,
    format: a.format,
    delimiter: a.raw.delimiter,
    header: a.raw.header,
    headerLines: a.raw.header.length,
    records: a.raw.records,
    synthesized: a.raw.synthesized,
  }
  const { signal: _s, onProgress: _p, ...plainOpts } = a.opts
  const meta: ImportMeta = {
    source,
    columns: a.columns,
    timeValues: b.timeValues,
    countsPerTime: b.countsPerTime,
    qc: { ...(a.tracks?.qc ?? {}), ...(a.qc ?? {}) },
    frameIntervalUnit: a.units.frameIntervalUnit ?? null,
    options: plainOpts as Record<string, unknown>,
  }
  if (a.tracks) {
    meta.trackIds = a.tracks.trackIds
    if (Object.keys(a.tracks.segmentOf).length) meta.segmentOf = a.tracks.segmentOf
  }
  if (a.snapshots?.timeLabels) meta.timeLabels = a.snapshots.timeLabels
  if (a.labelNames) {
    meta.labelNames = a.labelNames
    meta.labelColumn = a.labelColumn
  }
  const rows = a.tracks ? a.tracks.rows : (b.arrays[ARRAYS.time]!.data.length as number)
  const name = datasetName(a.path, a.opts)
  const dataset = {
    name,
    kind: a.kind,
    rows,
    entities: a.tracks ? a.tracks.segments : 0,
    times: b.timeValues.length,
    dim: a.dim,
    units: a.units,
    source: `${basename(a.path)} (${a.format}, sha256 ${a.raw.sha256.slice(0, 12)})`,
    meta: meta as unknown as Record<string, unknown>,
    warnings,
    arrays: { ...b.arrays, [ARRAYS.raw]: nd(a.raw.gz) },
  }
  return {
    dataset,
    summary: {
      name,
      kind: a.kind,
      format: a.format,
      rows,
      tracks: a.tracks ? a.tracks.tracks : 0,
      segments: a.tracks ? a.tracks.segments : 0,
      timePoints: b.timeValues.length,
      dim: a.dim,
      units: a.units,
      mapping: a.columns,
      warnings,
    },
  }
}

/** A CSV rendering of an imported table (XML / h5ad / npz), for `source/raw.gz`. */
export function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/**
 * The CSV rendering of an imported snapshot table (h5ad, npz), gzip-compressed in chunks, for
 * `source/raw.gz` (layout.ts): `lead(i)` gives row i's leading cells (already CSV-escaped),
 * followed by its K features.
 */
export async function synthesizedSnapshotTable(header: string[], n: number, lead: (i: number) => string, pos: ArrayLike<number>, K: number): Promise<Uint8Array> {
  const sink = new RawSink()
  const enc = new TextEncoder()
  sink.push(enc.encode(header.join(',') + '\n'))
  let buf = ''
  for (let i = 0; i < n; i++) {
    buf += lead(i)
    for (let j = 0; j < K; j++) buf += ',' + pos[i * K + j]
    buf += '\n'
    if (buf.length > 1 << 20) {
      sink.push(enc.encode(buf))
      buf = ''
    }
  }
  sink.push(enc.encode(buf))
  return (await sink.finish()).gz
}
