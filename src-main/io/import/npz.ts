/**
 * NumPy `.npz` snapshots: a zip (fflate) of `.npy` arrays, read with our own `.npy` header
 * parser (little-endian f4/f8/i4/i8 and unicode strings `<U`, C order; anything else is refused).
 * Arrays named like `pcs` (cells × d), `sample_labels` (time per cell), `pcs_delta`
 * (velocity), or a cube `positions` (T × n × d) with time on the first axis (mapping overridable).
 */
import { readFileSync } from 'node:fs'
import { unzipSync } from 'fflate'
import { invalidInput } from '@shared/errors'
import { norm } from './columns'
import { csvCell, finishDataset, synthesizedSnapshotTable } from './dataset'
import { buildSnapshots } from './snapshots'
import type { ImportOptions, ImportResult, Mapping } from './types'
import { checkFile, fileLabel, Interner, resolveUnits, sha256 } from './util'

export interface NpyArray {
  name: string
  /** numpy descr, e.g. "<f8". */
  descr: string
  shape: number[]
  /** Numbers (converted to float64) or strings. */
  data: Float64Array | string[]
}

/** Parses one `.npy` file (format versions 1–3). `where` names it in messages. */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]
  if (bytes.length < 10 || !magic.every((m, i) => bytes[i] === m)) throw invalidInput(`${where} is not a .npy array (bad magic bytes).`, 'bad-npy')
  const major = bytes[6]!
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true)
  const hstart = major === 1 ? 10 : 12
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(hstart, hstart + hlen))
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1]
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1]
  const shapeTxt = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1]
  if (!descr || !fortran || shapeTxt === undefined) throw invalidInput(`${where}: cannot read the .npy header (${header.trim().slice(0, 80)}).`, 'bad-npy')
  if (fortran === 'True') throw invalidInput(`${where} is stored in Fortran order; only C order is read. Re-save it with np.ascontiguousarray(a).`, 'bad-npy')
  const shape = shapeTxt
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number)
  const count = shape.reduce((p, s) => p * s, 1)
  const off = hstart + hlen
  const body = bytes.slice(off)
  const need = (size: number) => {
    if (body.length < count * size) throw invalidInput(`${where} is truncated: shape (${shape.join(', ')}) needs ${count * size} bytes, the file has ${body.length}.`, 'bad-npy')
  }
  let data: Float64Array | string[]
  switch (descr) {
    case '<f8':
      need(8)
      data = new Float64Array(body.buffer, 0, count).slice()
      break
    case '<f4':
      need(4)
      data = Float64Array.from(new Float32Array(body.buffer, 0, count))
      break
    case '<i4':
      need(4)
      data = Float64Array.from(new Int32Array(body.buffer, 0, count))
      break
    case '<i8': {
      need(8)
      const b = new BigInt64Array(body.buffer, 0, count)
      data = new Float64Array(count)
      for (let i = 0; i < count; i++) data[i] = Number(b[i]!)
      break
    }
    default: {
      const u = /^<U(\d+)$/.exec(descr)
      if (!u)
        throw invalidInput(
          `${where} has dtype '${descr}'; supported: little-endian float64/float32/int64/int32 ('<f8', '<f4', '<i8', '<i4') and unicode strings ('<U'). ${descr.startsWith('>') ? 'It is big-endian: re-save with a.astype(a.dtype.newbyteorder("<")).' : descr.includes('O') ? 'Object arrays (pickles) are never loaded: convert to numbers or fixed-width strings.' : 'Convert it with a.astype("<f8").'}`,
          'bad-npy',
        )
      const w = Number(u[1])
      need(4 * w)
      const dv2 = new DataView(body.buffer)
      const out: string[] = new Array(count)
      for (let i = 0; i < count; i++) {
        let s = ''
        for (let k = 0; k < w; k++) {
          const c = dv2.getUint32((i * w + k) * 4, true)
          if (c === 0) break
          s += String.fromCodePoint(c)
        }
        out[i] = s
      }
      data = out
    }
  }
  return { name: where, descr, shape, data }
}

const POS = ['pcs', 'xpca', 'x', 'positions', 'pos', 'embedding', 'data', 'points', 'features']
const TIME = ['samplelabels', 'ts', 'time', 'times', 't', 'day', 'samples', 'timepoints']
const VEL = ['pcsdelta', 'v', 'velocity', 'velocities', 'delta', 'vel']
const LABEL = ['labels', 'label', 'celltype', 'celltypes', 'clusters', 'species']

function pickName(names: string[], cands: string[], taken: Set<string>): string | undefined {
  for (const c of cands) {
    const hit = names.find((n) => norm(n) === c && !taken.has(n))
    if (hit) return hit
  }
  return undefined
}

export async function importNpz(path: string, opts: ImportOptions = {}): Promise<ImportResult> {
  checkFile(path, opts)
  if (opts.kind === 'tracks') throw invalidInput(`${fileLabel(path)}: .npz files are read as snapshots; tracks come from CSV or TrackMate XML.`)
  const file = fileLabel(path)
  const bytes = new Uint8Array(readFileSync(path))
  const digest = sha256(bytes)
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(bytes)
  } catch (err) {
    throw invalidInput(`${file} is not a readable .npz (zip) file: ${(err as Error).message}.`, 'bad-npz')
  }
  const arrays = new Map<string, Uint8Array>()
  for (const [k, v] of Object.entries(entries)) if (k.endsWith('.npy')) arrays.set(k.slice(0, -4), v)
  const names = [...arrays.keys()]
  if (!names.length) throw invalidInput(`${file} holds no .npy arrays.`, 'empty')
  const u: Mapping = opts.mapping ?? {}
  const taken = new Set<string>()
  const get = (field: string, name: string | undefined, required: boolean): NpyArray | null => {
    if (name === undefined) {
      if (!required) return null
      throw invalidInput(`${file}: no array found for ${field}; arrays found: ${names.join(', ')}. Map it with --map ${field}=NAME.`, 'missing-column')
    }
    const b = arrays.get(name)
    if (!b) throw invalidInput(`${file}: missing array "${name}" for ${field}; arrays found: ${names.join(', ')}.`, 'missing-column')
    taken.add(name)
    return parseNpy(b, `${file} array "${name}"`)
  }
  const posName = u.features?.[0] ?? pickName(names, POS, taken)
  const P = get('features', posName, true)!
  const timeName = u.time ?? pickName(names, TIME, taken)
  const Tm = get('time', timeName, false)
  const velName = u.velocity?.[0] ?? pickName(names, VEL, taken)
  const V = get('velocity', velName, false)
  const labName = u.label ?? pickName(names, LABEL, taken)
  const L = get('label', labName, false)
  if (!(P.data instanceof Float64Array)) throw invalidInput(`${file} array "${posName}" holds strings; features must be numbers.`, 'bad-value')

  let n: number
  let D: number
  const times = new Interner()
  let timeCode: Int32Array
  if (P.shape.length === 3 && !Tm) {
    // (T, n, d) cube: time on the first axis.
    const [T, m, dd] = P.shape as [number, number, number]
    n = T * m
    D = dd
    timeCode = new Int32Array(n)
    for (let t = 0; t < T; t++) {
      const c = times.code(String(t))
      timeCode.fill(c, t * m, (t + 1) * m)
    }
  } else if (P.shape.length === 2) {
    ;[n, D] = P.shape as [number, number]
    if (!Tm) throw invalidInput(`${file}: no time array for the ${n} cells of "${posName}"; arrays found: ${names.join(', ')}. Map it with --map time=NAME.`, 'missing-column')
    if (Tm.shape.length !== 1 || Tm.shape[0] !== n)
      throw invalidInput(`${file}: inconsistent dimensions: time array "${timeName}" has shape (${Tm.shape.join(', ')}), expected (${n},) for the ${n} rows of "${posName}".`, 'dimension')
    timeCode = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const v = Tm.data[i]!
      if (typeof v === 'number' && !Number.isFinite(v)) throw invalidInput(`${file} array "${timeName}" [${i}]: ${v} is not a finite time.`, 'bad-value')
      timeCode[i] = times.code(String(v))
    }
  } else throw invalidInput(`${file}: inconsistent dimensions: "${posName}" has shape (${P.shape.join(', ')}); expected (cells, d), or (times, cells, d) without a time array.`, 'dimension')
  const K = opts.components ?? D
  if (!Number.isInteger(K) || K < 1 || K > D) throw invalidInput(`${file}: --components ${opts.components} asked, but "${posName}" has ${D} columns.`, 'dimension')
  const pick = (A: NpyArray, label: string): Float64Array => {
    const src = A.data as Float64Array
    const out = new Float64Array(n * K)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < K; j++) {
        const v = src[i * D + j]!
        if (!Number.isFinite(v)) throw invalidInput(`${file} array "${label}" [${i}, ${j}]: ${v} (NaN/Inf), expected a finite number.`, 'bad-value')
        out[i * K + j] = v
      }
    return out
  }
  const pos = pick(P, posName!)
  let velocity: Float64Array | undefined
  if (V) {
    if (!(V.data instanceof Float64Array) || V.shape.reduce((p, s) => p * s, 1) !== n * D || V.shape[V.shape.length - 1] !== D)
      throw invalidInput(`${file}: inconsistent dimensions: velocity "${velName}" has shape (${V.shape.join(', ')}), features "${posName}" have (${P.shape.join(', ')}).`, 'dimension')
    velocity = pick(V, velName!)
  }
  let label: Int32Array | undefined
  const labels = new Interner()
  if (L) {
    if (L.shape.length !== 1 || L.shape[0] !== n) throw invalidInput(`${file}: inconsistent dimensions: label array "${labName}" has shape (${L.shape.join(', ')}), expected (${n},).`, 'dimension')
    label = new Int32Array(n)
    for (let i = 0; i < n; i++) label[i] = labels.code(String(L.data[i]))
  }
  const rowOrder = Int32Array.from({ length: n }, (_, i) => i)
  const sb = buildSnapshots({ n, d: K, timeCode, timeNames: times.names, pos, velocity, label, rowOrder, where: (i) => `row ${i}` }, { file, timeColumn: timeName ?? `${posName} axis 0`, timeOrder: opts.timeOrder })
  const featNames = Array.from({ length: K }, (_, j) => `${posName}_${j + 1}`)
  // The table as CSV for exports.
  const headerCells = ['index', 'time', ...(L ? ['label'] : []), ...featNames]
  const header = headerCells.join(',')
  const gz = await synthesizedSnapshotTable(
    headerCells,
    n,
    (i) => `${i},${csvCell(times.names[timeCode[i]!]!)}${L ? ',' + csvCell(labels.names[label![i]!]!) : ''}`,
    pos,
    K,
  )
  const { units } = resolveUnits(opts, {}, { space: 'a.u.', time: 'index' })
  const columns: Record<string, string | string[]> = { features: featNames.map(() => posName!), time: timeName ?? `${posName} axis 0` }
  columns.features = [posName!]
  if (V) columns.velocity = [velName!]
  if (L) columns.label = labName!
  return finishDataset({
    path,
    format: 'npz',
    kind: 'snapshots',
    opts,
    units,
    dim: K,
    columns,
    raw: { gz, sha256: digest, bytes: bytes.length, delimiter: ',', header: [header], records: n, synthesized: true },
    snapshots: sb,
    labelNames: L ? labels.names : undefined,
    labelColumn: labName,
    warnings: [],
  })
}
