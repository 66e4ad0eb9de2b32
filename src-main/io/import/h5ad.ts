/**
 * AnnData `.h5ad` snapshots via h5wasm: features from an `obsm` embedding (default X_pca, first
 * K components) or a dense `X` (sparse X is refused with a message), time from an `obs` column
 * (categorical codes+categories, or numbers/strings), optional `obs` label column and `obsm`
 * velocity embedding (default velocity_<basis>, e.g. velocity_pca).
 *
 * AnnData layout read (anndata >= 0.8): `/obs` group with attribute `_index` naming the index
 * dataset, one dataset per column or a group {codes, categories} for categoricals; older files
 * keep categories in `/obs/__categories/<col>`. `/obsm/<key>` datasets [n, k]; `/X` dataset or a
 * group with encoding-type csr_matrix / csc_matrix (sparse).
 */
import h5wasm from 'h5wasm/node'
import { invalidInput } from '@shared/errors'
import { norm } from './columns'
import { csvCell, finishDataset, synthesizedSnapshotTable } from './dataset'
import { buildSnapshots } from './snapshots'
import type { ImportOptions, ImportResult, Mapping } from './types'
import { checkFile, fileLabel, Interner, resolveUnits } from './util'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

type H5File = InstanceType<typeof h5wasm.File>
type H5Group = InstanceType<typeof h5wasm.Group>
type H5Dataset = InstanceType<typeof h5wasm.Dataset>

const TIME = ['time', 'day', 'days', 'timepoint', 'timepoints', 'tp', 't', 'sample', 'samples', 'samplelabels', 'stage', 'age', 'hour', 'hours']
const LABEL = ['celltype', 'celltypes', 'clusters', 'cluster', 'label', 'labels', 'leiden', 'louvain', 'annotation', 'species', 'lineage', 'fate']

function attr(obj: H5Group | H5Dataset, name: string): string | null {
  const a = obj.attrs[name]
  if (!a) return null
  const v = a.value
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : v == null ? null : String(v)
}

const isGroup = (e: unknown): e is H5Group => e instanceof h5wasm.Group
const isDataset = (e: unknown): e is H5Dataset => e instanceof h5wasm.Dataset

/** Reads a numeric dataset as Float64Array with its shape. */
function numeric(ds: H5Dataset, where: string): { data: Float64Array; shape: number[] } {
  const v = ds.value
  const shape = ds.shape ?? []
  if (v instanceof Float64Array) return { data: v, shape }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    if (v instanceof BigInt64Array || v instanceof BigUint64Array) return { data: Float64Array.from(v as BigInt64Array, (x) => Number(x)), shape }
    return { data: Float64Array.from(v as unknown as ArrayLike<number>), shape }
  }
  throw invalidInput(`${where} (dtype ${JSON.stringify(ds.dtype)}) is not a numeric array.`, 'bad-value')
}

/** An obs column as per-cell strings (categorical or plain). */
function obsColumn(f: H5File, col: string, n: number, file: string): string[] {
  const path = `/obs/${col}`
  const e = f.get(path)
  if (isGroup(e)) {
    const codesDs = e.get('codes')
    const catsDs = e.get('categories')
    if (!isDataset(codesDs) || !isDataset(catsDs)) throw invalidInput(`${file}: ${path} is a group but not a categorical column (needs codes and categories).`, 'bad-value')
    return decodeCategorical(numeric(codesDs, `${file} ${path}/codes`).data, catsDs.value as unknown[], `${path}/codes`, n, file)
  }
  if (!isDataset(e)) throw invalidInput(`${file}: ${path} not found.`, 'missing-column')
  const old = f.get(`/obs/__categories/${col}`)
  const v = e.value
  if (isDataset(old)) return decodeCategorical(numeric(e, `${file} ${path}`).data, old.value as unknown[], path, n, file)
  if (Array.isArray(v)) return v.map(String)
  const { data } = numeric(e, `${file} ${path}`)
  const out: string[] = new Array(data.length)
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw invalidInput(`${file} ${path} [row ${i}]: ${data[i]} (NaN/Inf), expected a finite value.`, 'bad-value')
    out[i] = String(data[i])
  }
  return out
}

function decodeCategorical(codes: Float64Array, cats: unknown[], path: string, n: number, file: string): string[] {
  if (codes.length !== n) throw invalidInput(`${file}: inconsistent dimensions: ${path} has ${codes.length} entries, obs has ${n} cells.`, 'dimension')
  const names = (Array.isArray(cats) ? cats : Array.from(cats as ArrayLike<unknown>)).map(String)
  const out: string[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const c = codes[i]!
    if (c < 0 || c >= names.length) throw invalidInput(`${file} ${path} [row ${i}]: code ${c} is ${c < 0 ? 'missing (-1, NaN category)' : `outside the ${names.length} categories`}.`, 'bad-value')
    out[i] = names[c]!
  }
  return out
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) h.update(c)
  return h.digest('hex')
}

export interface H5adListing {
  n: number
  obs: string[]
  obsm: Record<string, number[]>
  X: { shape: number[] | null; sparse: string | null }
}

export function listH5ad(f: H5File): H5adListing {
  const obs = f.get('obs')
  const obsm = f.get('obsm')
  const index = isGroup(obs) ? (attr(obs, '_index') ?? '_index') : '_index'
  const obsCols = isGroup(obs) ? obs.keys().filter((k) => k !== index && k !== '__categories') : []
  const m: Record<string, number[]> = {}
  if (isGroup(obsm)) for (const k of obsm.keys()) {
    const e = obsm.get(k)
    if (isDataset(e)) m[k] = e.shape ?? []
  }
  const X = f.get('X')
  const xs = isGroup(X) ? { shape: null, sparse: attr(X, 'encoding-type') ?? 'sparse' } : isDataset(X) ? { shape: X.shape, sparse: null } : { shape: null, sparse: null }
  const idx = isGroup(obs) ? obs.get(index) : null
  const n = isDataset(idx) ? (idx.shape?.[0] ?? 0) : (Object.values(m)[0]?.[0] ?? xs.shape?.[0] ?? 0)
  return { n, obs: obsCols, obsm: m, X: xs }
}

export async function openH5(path: string): Promise<H5File> {
  await h5wasm.ready
  try {
    return new h5wasm.File(path, 'r')
  } catch (err) {
    throw invalidInput(`${fileLabel(path)} is not a readable HDF5/.h5ad file: ${(err as Error).message}`, 'bad-h5ad')
  }
}

export function guessH5adMapping(l: H5adListing): Mapping {
  const m: Mapping = {}
  const byNorm = (names: string[], cands: string[]) => {
    for (const c of cands) {
      const hit = names.find((x) => norm(x) === c)
      if (hit) return hit
    }
    return undefined
  }
  const keys = Object.keys(l.obsm)
  const feat = keys.includes('X_pca') ? 'X_pca' : (keys.find((k) => k.startsWith('X_') && !/umap|tsne/i.test(k)) ?? (l.X.shape ? 'X' : keys[0]))
  if (feat) m.features = [feat]
  const basis = feat?.replace(/^X_/, '')
  const vel = basis ? keys.find((k) => k === `velocity_${basis}` || k === `Velocity_${basis}` || k === `X_velocity_${basis}`) : undefined
  if (vel) m.velocity = [vel]
  const time = byNorm(l.obs, TIME)
  if (time) m.time = time
  const label = byNorm(
    l.obs.filter((c) => c !== time),
    LABEL,
  )
  if (label) m.label = label
  return m
}

export async function importH5ad(path: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const size = checkFile(path, opts)
  if (opts.kind === 'tracks') throw invalidInput(`${fileLabel(path)}: .h5ad files are read as snapshots; tracks come from CSV or TrackMate XML.`)
  const file = fileLabel(path)
  const digest = await fileSha256(path)
  const f = await openH5(path)
  try {
    const l = listH5ad(f)
    const g = guessH5adMapping(l)
    const u = opts.mapping ?? {}
    const m: Mapping = { ...g, ...u }
    const featKey = m.features?.[0]?.replace(/^obsm\//, '')
    if (!featKey) throw invalidInput(`${file}: no embedding found: obsm has ${Object.keys(l.obsm).join(', ') || 'nothing'} and X is ${l.X.sparse ? 'sparse' : 'absent'}. Map one with --map features=KEY.`, 'missing-column')
    let P: { data: Float64Array; shape: number[] }
    let featPath: string
    if (featKey === 'X') {
      featPath = '/X'
      if (l.X.sparse) throw invalidInput(`${file}: X (HDF5 path /X) is a sparse matrix (${l.X.sparse}); only a dense X is read. Use an obsm embedding such as X_pca (--map features=X_pca) or densify X first.`, 'sparse-x')
      const X = f.get('X')
      if (!isDataset(X)) throw invalidInput(`${file}: no X dataset (HDF5 path /X).`, 'missing-column')
      P = numeric(X, `${file} /X`)
    } else {
      featPath = `/obsm/${featKey}`
      const e = f.get(featPath)
      if (!isDataset(e)) throw invalidInput(`${file}: missing obsm key "${featKey}" (HDF5 path ${featPath}); obsm keys found: ${Object.keys(l.obsm).join(', ') || '(none)'}.`, 'missing-column')
      P = numeric(e, `${file} ${featPath}`)
    }
    if (P.shape.length !== 2) throw invalidInput(`${file}: ${featPath} has shape (${P.shape.join(', ')}), expected (cells, components).`, 'dimension')
    const [n, D] = P.shape as [number, number]
    if (l.n && n !== l.n) throw invalidInput(`${file}: inconsistent dimensions: ${featPath} has ${n} rows, obs has ${l.n} cells.`, 'dimension')
    const K = opts.components ?? D
    if (!Number.isInteger(K) || K < 1 || K > D) throw invalidInput(`${file}: --components ${opts.components} asked, but ${featPath} has ${D} components.`, 'dimension')
    const take = (src: Float64Array, where: string, width: number): Float64Array => {
      const out = new Float64Array(n * K)
      for (let i = 0; i < n; i++)
        for (let j = 0; j < K; j++) {
          const v = src[i * width + j]!
          if (!Number.isFinite(v)) throw invalidInput(`${file} ${where} [row ${i}, column ${j}]: ${v} (NaN/Inf), expected a finite number.`, 'bad-value')
          out[i * K + j] = v
        }
      return out
    }
    const pos = take(P.data, featPath, D)
    if (!m.time) throw invalidInput(`${file}: no time column in obs; obs columns found: ${l.obs.join(', ') || '(none)'}. Map it with --map time=COLUMN.`, 'missing-column')
    if (!l.obs.includes(m.time)) throw invalidInput(`${file}: missing obs column "${m.time}" for time (HDF5 path /obs/${m.time}); obs columns found: ${l.obs.join(', ') || '(none)'}.`, 'missing-column')
    const tStr = obsColumn(f, m.time, n, file)
    if (tStr.length !== n) throw invalidInput(`${file}: inconsistent dimensions: /obs/${m.time} has ${tStr.length} entries, ${featPath} has ${n} rows.`, 'dimension')
    const times = new Interner()
    const timeCode = new Int32Array(n)
    for (let i = 0; i < n; i++) timeCode[i] = times.code(tStr[i]!)
    let velocity: Float64Array | undefined
    const velKey = m.velocity?.[0]?.replace(/^obsm\//, '')
    if (velKey) {
      const e = f.get(`/obsm/${velKey}`)
      if (!isDataset(e)) throw invalidInput(`${file}: missing obsm key "${velKey}" for velocity (HDF5 path /obsm/${velKey}); obsm keys found: ${Object.keys(l.obsm).join(', ')}.`, 'missing-column')
      const V = numeric(e, `${file} /obsm/${velKey}`)
      if (V.shape.length !== 2 || V.shape[0] !== n || V.shape[1]! < K)
        throw invalidInput(`${file}: inconsistent dimensions: /obsm/${velKey} has shape (${V.shape.join(', ')}), ${featPath} has (${n}, ${D}) and ${K} components are used.`, 'dimension')
      velocity = take(V.data, `/obsm/${velKey}`, V.shape[1]!)
    }
    let label: Int32Array | undefined
    const labels = new Interner()
    if (m.label) {
      if (!l.obs.includes(m.label)) throw invalidInput(`${file}: missing obs column "${m.label}" for label (HDF5 path /obs/${m.label}); obs columns found: ${l.obs.join(', ')}.`, 'missing-column')
      const ls = obsColumn(f, m.label, n, file)
      label = new Int32Array(n)
      for (let i = 0; i < n; i++) label[i] = labels.code(ls[i]!)
    }
    const obsG = f.get('obs')
    const idxName = isGroup(obsG) ? (attr(obsG, '_index') ?? '_index') : '_index'
    const idxDs = isGroup(obsG) ? obsG.get(idxName) : null
    const cellNames = isDataset(idxDs) && Array.isArray(idxDs.value) ? (idxDs.value as unknown[]).map(String) : null
    const rowOrder = Int32Array.from({ length: n }, (_, i) => i)
    const sb = buildSnapshots(
      { n, d: K, timeCode, timeNames: times.names, pos, velocity, label, rowOrder, where: (i) => `obs row ${i}${cellNames ? ` ("${cellNames[i]}")` : ''}` },
      { file, timeColumn: `obs/${m.time}`, timeOrder: opts.timeOrder },
    )
    const featNames = Array.from({ length: K }, (_, j) => `${featKey}_${j + 1}`)
    const headerCells = ['obs_name', 'time', ...(label ? ['label'] : []), ...featNames]
    const header = headerCells.join(',')
    const gz = await synthesizedSnapshotTable(
      headerCells,
      n,
      (i) => `${csvCell(cellNames?.[i] ?? String(i))},${csvCell(tStr[i]!)}${label ? ',' + csvCell(labels.names[label[i]!]!) : ''}`,
      pos,
      K,
    )
    const tn = norm(m.time)
    const { units } = resolveUnits(opts, {}, { space: 'a.u.', time: sb.timeLabels ? 'index' : tn.startsWith('day') ? 'day' : tn.startsWith('hour') ? 'h' : 'index' })
    const columns: Record<string, string | string[]> = { features: [featPath], time: `/obs/${m.time}` }
    if (velKey) columns.velocity = [`/obsm/${velKey}`]
    if (m.label) columns.label = `/obs/${m.label}`
    const warnings: string[] = []
    if (K < D) warnings.push(`Using the first ${K} of ${D} components of ${featPath}.`)
    return finishDataset({
      path,
      format: 'h5ad',
      kind: 'snapshots',
      opts,
      units,
      dim: K,
      columns,
      raw: { gz, sha256: digest, bytes: size, delimiter: ',', header: [header], records: n, synthesized: true },
      snapshots: sb,
      labelNames: label ? labels.names : undefined,
      labelColumn: m.label ? `/obs/${m.label}` : undefined,
      warnings,
    })
  } finally {
    f.close()
  }
}
