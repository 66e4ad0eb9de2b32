/** Options and results of the importers. */
import type { DatasetKind } from '@shared/contract'
import type { NewDataset } from '../../store/project'
import type { DatasetUnits, ImportFormat } from './layout'

export type GapPolicy = 'split' | 'interpolate' | 'keep'
export type IrregularPolicy = 'keep' | 'resample'

/**
 * Which column (CSV header name, h5ad `obs`/`obsm` key, npz array name) gives each field.
 * Fields not given are auto-detected from common names. `features` / `velocity` take a list.
 */
export interface Mapping {
  track?: string
  time?: string
  x?: string
  y?: string
  z?: string
  label?: string
  id?: string
  features?: string[]
  velocity?: string[]
}

export interface ImportOptions {
  /** Dataset kind; guessed from the columns when absent (a track column means tracks). */
  kind?: DatasetKind
  /** Dataset name. @default the file name without extension */
  name?: string
  mapping?: Mapping
  /** Space unit; overrides what the file says. */
  spaceUnit?: 'um' | 'µm' | 'px' | 'a.u.'
  /** µm per pixel, required with spaceUnit px for physical results (a warning otherwise). */
  pixelSize?: number
  timeUnit?: 'frame' | 's' | 'min' | 'h' | 'day' | 'index'
  /** Time per frame, in `frameIntervalUnit`. */
  frameInterval?: number
  /** @default 's' */
  frameIntervalUnit?: 's' | 'min' | 'h' | 'day'
  /** What to do with gaps inside tracks. @default 'split' (as celltrackR's repairGaps) */
  gaps?: GapPolicy
  /** What to do with irregular time steps. @default 'keep' (reported) */
  irregular?: IrregularPolicy
  /** Relative tolerance for "regular" steps (a step is regular if within tol of a multiple of the base step). @default 0.05 */
  stepTolerance?: number
  /** Tracks shorter than this many observations are counted in a warning. @default 10 */
  shortTrack?: number
  /** Number of components (features) to keep: the first K. */
  components?: number
  /** Order of time labels for snapshots (else natural sort). */
  timeOrder?: string[]
  /** Largest file accepted, bytes. @default min(2 GiB, total memory / 4) */
  maxBytes?: number
  /** Rows shown by inspectFile. @default 20 */
  previewRows?: number
  signal?: AbortSignal
  /** Fraction of the file read, 0..1. */
  onProgress?: (fraction: number) => void
}

export interface ImportSummary {
  name: string
  kind: DatasetKind
  format: ImportFormat
  rows: number
  /** Distinct tracks in the file (0 for snapshots). */
  tracks: number
  /** Stored tracks after gap splitting / TrackMate split-merge segmentation (0 for snapshots). */
  segments: number
  timePoints: number
  dim: number
  units: DatasetUnits
  mapping: Record<string, string | string[]>
  warnings: string[]
}

export interface ImportResult {
  dataset: NewDataset
  summary: ImportSummary
}

export interface InspectResult {
  format: ImportFormat
  kindGuess: DatasetKind
  /** Column names (CSV), obs/obsm keys (h5ad), array names (npz), spot features (XML). */
  columns: string[]
  mappingGuess: Mapping
  /** First rows as strings (CSV: the fields; others: a rendering). */
  preview: string[][]
  rowCountEstimate: number
  /** Units read from the file (TrackMate units row / XML attributes), if any. */
  units: Partial<DatasetUnits>
  problems: string[]
  /** Extra facts for the wizard (h5ad: obsm shapes; npz: array shapes). */
  details: Record<string, unknown>
}
