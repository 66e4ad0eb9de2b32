/**
 * How an imported dataset is laid out in the project store (issue 3). Other parts of the app
 * (views, engines' adapters, exporters) read datasets through these names, so change them only
 * together with their readers.
 *
 * ## Arrays (artifacts of the dataset, `ProjectStore.getArtifact({ datasetId }, name)`)
 *
 * n = stored rows, d = spatial / feature dimension (`dataset.dim`).
 *
 * **tracks** (`kind: 'tracks'`), rows sorted by (track, time):
 * - `track`    int32 [n]   index into `meta.trackIds` (the original ids, as strings; split
 *                          segments get ids like `"17:2"`, see `meta.segmentOf`).
 * - `time`     float64 [n] time in the dataset's time unit (`units.time`; frames when "frame").
 * - `pos`      float64 [n, d] row-major positions, d = 2 or 3, in `units.space`.
 * - `label`    int32 [n]   (optional) index into `meta.labelNames`.
 * - `rowOrder` int32 [n]   the 0-based data record (see below) each stored row came from;
 *                          -1 for rows the importer made (gap interpolation / resampling).
 *
 * **snapshots** (`kind: 'snapshots'`), rows sorted by time (stable: input order inside a time point):
 * - `time`     float64 [n] time value; when the file gave labels ("Day 0-3") this is the label's
 *                          rank 0..T-1 in `meta.timeLabels`.
 * - `pos`      float64 [n, d] features (PC1..PCd, x/y, ...), names in `meta.columns.features`.
 * - `label`    int32 [n]   (optional) index into `meta.labelNames`.
 * - `velocity` float64 [n, d] (optional) per-cell velocity in the same basis as `pos`.
 * - `rowOrder` int32 [n]   0-based data record each stored row came from.
 *
 * ## The original table, for exports (`source/raw.gz`, uint8 [bytes])
 *
 * gzip (fflate) of the file's bytes exactly as read, for CSV/TSV. To find the records: split
 * the text on `\n` (a trailing `\r` belongs to its line), drop blank (whitespace-only) lines;
 * the first `meta.source.headerLines` remaining lines are the header (TrackMate: 4), the rest
 * are data records 0..`meta.source.records`-1. An exporter restores input order and original
 * columns by writing, for each record k, the raw line followed by the new columns of the stored
 * row whose `rowOrder` is k; records with no stored row (TrackMate spots without a track id,
 * reported in the warnings) get empty cells. Gap-split segments keep their rows' `rowOrder`.
 *
 * For TrackMate XML, `.h5ad` and `.npz` there are no raw lines to keep; the importer writes a
 * CSV rendering of the imported table instead (`meta.source.synthesized = true`; header
 * `id,time[,time_label][,label],<features...>`, one line per record, records in the order of
 * the file: spot order for XML, obs order for h5ad, array order for npz), so the exporter
 * works the same way for every format.
 *
 * ## Units
 *
 * `dataset.units` (contract `Units`): space "µm" | "px" (with `pixelSize` µm per px) | "a.u.";
 * time "frame" (with `frameInterval` in `frameIntervalUnit`), "s", "min", "h", "day" or
 * "index" (snapshot order without a physical time). `frameIntervalUnit` (contract field) is
 * also copied to `meta.frameIntervalUnit`.
 */
import type { Units } from '@shared/contract'

/** Artifact names, one place. */
export const ARRAYS = {
  track: 'track',
  time: 'time',
  pos: 'pos',
  label: 'label',
  velocity: 'velocity',
  rowOrder: 'rowOrder',
  raw: 'source/raw.gz',
} as const

export type ImportFormat = 'csv' | 'trackmate-xml' | 'h5ad' | 'npz'

/** `meta.source`: where the data came from and how to read `source/raw.gz`. */
export interface SourceMeta {
  fileName: string
  /** Absolute path of the file when imported (write-back exports check it still has `sha256`); absent in older projects. */
  path?: string
  /** sha256 (hex) of the file's bytes. */
  sha256: string
  bytes: number
  format: ImportFormat
  /** Field delimiter of `source/raw.gz` ("," for synthesized tables). */
  delimiter: string
  /** The header line(s) as they appear in the file (TrackMate CSV exports have 4). */
  header: string[]
  headerLines: number
  /** Data records in the file (lines after the header that are not blank). */
  records: number
  /** True when `source/raw.gz` is a CSV rendering (XML/h5ad/npz), not the file itself. */
  synthesized: boolean
}

/** Dataset `meta` written by the importers (JSON in the store). */
export interface ImportMeta {
  source: SourceMeta
  /** Which file column (or HDF5 path / npz array) each field came from. */
  columns: Record<string, string | string[]>
  /** tracks: original track id of each `track` index. */
  trackIds?: string[]
  /** tracks: segment id -> the original track id it was split from (gaps, splits, merges). */
  segmentOf?: Record<string, string>
  labelNames?: string[]
  labelColumn?: string
  /** snapshots with labelled times: the label of each time index 0..T-1. */
  timeLabels?: string[]
  /** Cells per time point (snapshots) or observations per time point (tracks), in time order. */
  timeValues: number[]
  countsPerTime: number[]
  /** What the quality checks found and did (also in `warnings`). */
  qc: Record<string, unknown>
  frameIntervalUnit?: string | null
  /** The options the import ran with (mapping, policies), for reproducibility. */
  options: Record<string, unknown>
}

/** The units recorded with a dataset (the contract's `Units`). */
export type DatasetUnits = Units
