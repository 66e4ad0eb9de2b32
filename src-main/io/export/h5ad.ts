/**
 * Labels back into an AnnData `.h5ad` (issue 9): a copy of the source file the dataset was
 * imported from, with two new `obs` columns — the run's label (`ensemble` / `species`, a
 * categorical) and `confidence` (float64, NaN where none) — in cell (obs) order. The source file
 * is never opened for writing: it is checked against the sha256 recorded at import (refused,
 * naming the path, when it moved or changed), copied, and the copy is edited and renamed into place.
 *
 * On-disk encoding (anndata ≥ 0.8, `obs` has `encoding-type = dataframe`): the label is a group
 * {codes int8/int16/int32 (−1 = no label), categories vlen-utf8 strings} with attributes
 * encoding-type = categorical, encoding-version = 0.2.0, ordered = 0; confidence a float64
 * dataset with encoding-type = array; both appended to the `column-order` attribute. Older files
 * (no encoding attributes) get the pre-0.8 layout: codes in `/obs/<col>`, categories in
 * `/obs/__categories/<col>`. Both are what io/import/h5ad.ts reads. When `obs` already has a
 * column of that name the new one is `<name>_run<id>`.
 */
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import h5wasm from 'h5wasm/node'
import { invalidInput } from '@shared/errors'
import type { ProjectStore } from '../../store/project'
import type { SourceMeta } from '../import/layout'
import { LABEL_COLUMN } from './labels'

type H5Group = InstanceType<typeof h5wasm.Group>

export interface H5adLabelsExport {
  file: string
  /** The source file that was copied. */
  source: string
  /** obs column names written. */
  column: string
  confidenceColumn: string
  /** Cells in the file, and how many got a label. */
  cells: number
  labelled: number
  /** 'anndata>=0.8' (encoding attributes) or 'legacy' (__categories). */
  encoding: 'anndata>=0.8' | 'legacy'
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) h.update(c)
  return h.digest('hex')
}

function attrString(g: H5Group, name: string): string | null {
  const a = g.attrs[name]
  if (!a) return null
  const v = a.value
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null
}

function attrStrings(g: H5Group, name: string): string[] {
  const a = g.attrs[name]
  if (!a) return []
  const v = a.value as unknown
  if (typeof v === 'string') return [v]
  return Array.isArray(v) ? v.map(String) : []
}

const byNatural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true })

/**
 * Writes `outPath`: the run's dataset's source .h5ad with the labels in `obs` (module comment).
 * `opts.source` overrides where the source file is looked for (default: the path recorded at
 * import, else the file name next to the project).
 */
export async function writeH5adLabels(store: ProjectStore, runId: number, outPath: string, opts: { source?: string } = {}): Promise<H5adLabelsExport> {
  const run = store.getRun(runId)
  if (run.status !== 'done') throw invalidInput(`Run ${runId} is ${run.status}; only a finished run has labels to write back.`)
  const column = LABEL_COLUMN[run.method]
  if (!column) throw invalidInput(`Run ${runId} (${run.method}) does not label cells; labels come from ${Object.keys(LABEL_COLUMN).join(' or ')} runs.`)
  if (run.datasetId === null) throw invalidInput(`Run ${runId} has no dataset.`)
  const ds = store.getDataset(run.datasetId)
  const src = (ds.meta as { source?: SourceMeta }).source
  if (!src || src.format !== 'h5ad')
    throw invalidInput(`Dataset "${ds.name}" was imported from ${src ? `a ${src.format} file (${src.fileName})` : 'no file (the bundled sample)'}; labels can be written back only into the .h5ad a dataset came from. Use --labels FILE.csv instead.`)
  const candidates = opts.source ? [resolve(opts.source)] : [...(src.path ? [src.path] : []), join(dirname(resolve(store.path)), src.fileName)]
  const sourcePath = candidates.find((p) => existsSync(p))
  if (!sourcePath)
    throw invalidInput(`The source file of dataset "${ds.name}" is not at ${candidates.join(' or ')} any more (moved or deleted); pass its new location with --source PATH.`)
  const digest = await sha256(sourcePath)
  if (digest !== src.sha256)
    throw invalidInput(`The source file ${sourcePath} has changed since dataset "${ds.name}" was imported (sha256 ${digest.slice(0, 12)}…, imported ${src.sha256.slice(0, 12)}…); refusing to attach labels to different data. Re-import it, or pass the original file with --source PATH.`)
  const out = resolve(outPath)
  if (out === resolve(sourcePath)) throw invalidInput(`${out} is the source file itself; choose another output path (the source is never modified).`)

  const { label, confidence } = store.getLabels(runId)
  const rowOrder = store.getArtifact({ datasetId: ds.id }, 'rowOrder')?.data
  const cells = src.records
  const cellLabel: (string | undefined)[] = new Array(cells)
  const cellConf = new Float64Array(cells).fill(NaN)
  let labelled = 0
  for (let i = 0; i < label.length; i++) {
    const c = rowOrder ? rowOrder[i]! : i
    if (c < 0 || c >= cells || label[i] === undefined) continue
    if (cellLabel[c] === undefined) labelled++
    cellLabel[c] = label[i]
    const q = confidence[i]
    cellConf[c] = q === null || q === undefined ? NaN : q
  }
  const categories = [...new Set(cellLabel.filter((l): l is string => l !== undefined))].sort(byNatural)
  const codeOf = new Map(categories.map((c, k) => [c, k]))
  const Codes = categories.length <= 127 ? Int8Array : categories.length <= 32767 ? Int16Array : Int32Array
  const codes = new Codes(cells)
  for (let c = 0; c < cells; c++) codes[c] = cellLabel[c] === undefined ? -1 : codeOf.get(cellLabel[c]!)!

  await h5wasm.ready
  const tmp = out + '.tmp'
  copyFileSync(sourcePath, tmp)
  let encoding: H5adLabelsExport['encoding'] = 'legacy'
  let names = { column, confidenceColumn: 'confidence' }
  try {
    const f = new h5wasm.File(tmp, 'a')
    try {
      const obs = f.get('obs')
      if (!(obs instanceof h5wasm.Group)) throw invalidInput(`${src.fileName}: no obs group (HDF5 path /obs); it is not an AnnData file this version can write to.`)
      const existing = new Set(obs.keys())
      const free = (n: string) => (existing.has(n) ? `${n}_run${runId}` : n)
      names = { column: free(column), confidenceColumn: free('confidence') }
      if (attrString(obs, 'encoding-type') === 'dataframe') {
        encoding = 'anndata>=0.8'
        const g = obs.create_group(names.column)
        g.create_attribute('encoding-type', 'categorical')
        g.create_attribute('encoding-version', '0.2.0')
        g.create_attribute('ordered', 0, [], '<b')
        g.create_dataset({ name: 'codes', data: codes })
        const cats = g.create_dataset({ name: 'categories', data: categories, dtype: 'S' })
        cats.create_attribute('encoding-type', 'string-array')
        cats.create_attribute('encoding-version', '0.2.0')
        const conf = obs.create_dataset({ name: names.confidenceColumn, data: cellConf })
        conf.create_attribute('encoding-type', 'array')
        conf.create_attribute('encoding-version', '0.2.0')
        const order = [...attrStrings(obs, 'column-order'), names.column, names.confidenceColumn]
        if (obs.attrs['column-order']) obs.delete_attribute('column-order')
        obs.create_attribute('column-order', order, [order.length], 'S')
      } else {
        obs.create_dataset({ name: names.column, data: codes })
        const cg = obs.get('__categories')
        const cat = cg instanceof h5wasm.Group ? cg : obs.create_group('__categories')
        cat.create_dataset({ name: names.column, data: categories, dtype: 'S' })
        obs.create_dataset({ name: names.confidenceColumn, data: cellConf })
      }
      f.flush()
    } finally {
      f.close()
    }
    renameSync(tmp, out)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  return { file: out, source: sourcePath, ...names, cells, labelled, encoding }
}
