/**
 * File import (issue 3): CSV/TSV tracks or snapshots, TrackMate XML, AnnData .h5ad, NumPy .npz.
 * Every importer streams or reads its file once, validates it (messages name the file, the line
 * or HDF5 path and the column) and returns a NewDataset that `importIntoProject` writes in one
 * transaction, so a refused import leaves the project as it was. Layout: see layout.ts.
 */
import { invalidInput } from '@shared/errors'
import type { ProjectStore } from '../../store/project'
import { importCsv } from './csv'
import { detectFormat } from './format'
import { importNpz } from './npz'
import { importTrackmateXml } from './trackmate-xml'
import type { ImportOptions, ImportResult, ImportSummary } from './types'
import { checkFile, fileLabel } from './util'

export { ARRAYS, type DatasetUnits, type ImportFormat, type ImportMeta, type SourceMeta } from './layout'
export type { GapPolicy, ImportOptions, ImportResult, ImportSummary, InspectResult, IrregularPolicy, Mapping } from './types'
export { parseMapping, guessMapping } from './columns'
export { inspectFile } from './inspect'
export { parseNpy } from './npz'
export { detectFormat } from './format'
export { formatImportSummary, IMPORT_ARGS, IMPORT_USAGE, importOptionsFromCli, parseInterval } from './cli'

/** Reads, validates and converts a file; writes nothing. */
export async function importFile(path: string, opts: ImportOptions = {}): Promise<ImportResult> {
  checkFile(path, opts)
  const format = detectFormat(path)
  switch (format) {
    case 'npz':
      return importNpz(path, opts)
    case 'h5ad':
      // h5wasm (a large wasm module) loads only when an .h5ad file is read.
      return (await import('./h5ad')).importH5ad(path, opts)
    case 'trackmate-xml':
      if (opts.kind === 'snapshots') throw invalidInput(`${fileLabel(path)} is a TrackMate XML file: it holds tracks, not snapshots.`)
      return importTrackmateXml(path, opts)
    default:
      return importCsv(path, opts)
  }
}

/** Imports a file into a project in one transaction; returns the new dataset's id and the summary. */
export async function importIntoProject(store: ProjectStore, path: string, opts: ImportOptions = {}): Promise<{ datasetId: number; summary: ImportSummary }> {
  const r = await importFile(path, opts)
  const datasetId = store.insertDataset(r.dataset)
  return { datasetId, summary: r.summary }
}
