import { join } from 'node:path'
import { zipSync } from 'fflate'
import h5wasm from 'h5wasm/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { importFile, inspectFile, parseNpy, type ImportMeta } from '../../../src-main/io/import/index'
import { tempDir } from '../helpers/tmp'
import { arr, gunzipText, npy, writeTemp } from './helpers'

/**
 * A small AnnData-layout file: obs (_index, categorical "day" with unsorted categories, numeric
 * "t", string "cell_type"), obsm X_pca [6, 3] and velocity_pca [6, 3], dense X [6, 2] or sparse X.
 */
function writeH5ad(path: string, o: { sparseX?: boolean; nanAt?: number } = {}) {
  const f = new h5wasm.File(path, 'w')
  const obs = f.create_group('obs')
  obs.create_attribute('_index', '_index')
  obs.create_attribute('encoding-type', 'dataframe')
  obs.create_dataset({ name: '_index', data: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'] })
  const day = obs.create_group('day')
  day.create_attribute('encoding-type', 'categorical')
  day.create_dataset({ name: 'codes', data: new Int8Array([2, 0, 1, 0, 2, 1]) })
  day.create_dataset({ name: 'categories', data: ['day0', 'day10', 'day2'] })
  obs.create_dataset({ name: 't', data: new Float64Array([0, 0, 1, 1, 2, 2]) })
  obs.create_dataset({ name: 'cell_type', data: ['A', 'B', 'A', 'A', 'B', 'B'] })
  const obsm = f.create_group('obsm')
  const pca = Float64Array.from({ length: 18 }, (_, i) => i + 0.5)
  if (o.nanAt !== undefined) pca[o.nanAt] = NaN
  obsm.create_dataset({ name: 'X_pca', data: pca, shape: [6, 3] })
  obsm.create_dataset({ name: 'velocity_pca', data: Float32Array.from({ length: 18 }, (_, i) => -i), shape: [6, 3] })
  if (o.sparseX) {
    const X = f.create_group('X')
    X.create_attribute('encoding-type', 'csr_matrix')
    X.create_dataset({ name: 'data', data: new Float32Array([1]) })
  } else f.create_dataset({ name: 'X', data: Float32Array.from({ length: 12 }, (_, i) => 100 + i), shape: [6, 2] })
  f.close()
}

describe('AnnData .h5ad', () => {
  let dir: string
  beforeAll(async () => {
    await h5wasm.ready
    dir = tempDir()
    writeH5ad(join(dir, 'a.h5ad'))
    writeH5ad(join(dir, 'sparse.h5ad'), { sparseX: true })
    writeH5ad(join(dir, 'nan.h5ad'), { nanAt: 7 })
  })

  it('reads obsm X_pca (first K), a categorical time, labels and velocity_pca', async () => {
    const r = await importFile(join(dir, 'a.h5ad'), { components: 2, mapping: { time: 'day' } })
    const m = r.dataset.meta as unknown as ImportMeta
    expect(r.summary).toMatchObject({ kind: 'snapshots', format: 'h5ad', rows: 6, timePoints: 3, dim: 2 })
    expect(r.summary.mapping).toEqual({ features: ['/obsm/X_pca'], time: '/obs/day', velocity: ['/obsm/velocity_pca'], label: '/obs/cell_type' })
    expect(m.timeLabels).toEqual(['day0', 'day2', 'day10'])
    // cells by day: day0 = c1, c3; day2 = c0, c4; day10 = c2, c5 (day codes 2,0,1,0,2,1 into [day0, day10, day2])
    expect(arr(r.dataset.arrays.rowOrder)).toEqual([1, 3, 0, 4, 2, 5])
    expect(arr(r.dataset.arrays.pos)).toEqual([3.5, 4.5, 9.5, 10.5, 0.5, 1.5, 12.5, 13.5, 6.5, 7.5, 15.5, 16.5])
    expect(arr(r.dataset.arrays.velocity).slice(0, 4)).toEqual([-3, -4, -9, -10])
    expect(m.labelNames).toEqual(['A', 'B'])
    expect(arr(r.dataset.arrays.label)).toEqual([1, 0, 0, 1, 0, 1])
    expect(r.summary.warnings).toContain('Using the first 2 of 3 components of /obsm/X_pca.')
    expect(gunzipText(r.dataset.arrays['source/raw.gz']).split('\n').slice(0, 2)).toEqual(['obs_name,time,label,X_pca_1,X_pca_2', 'c0,day2,A,0.5,1.5'])
  })

  it('reads a dense X and a numeric obs time', async () => {
    const r = await importFile(join(dir, 'a.h5ad'), { mapping: { features: ['X'], time: 't', velocity: [] } })
    expect(r.summary).toMatchObject({ dim: 2, timePoints: 3 })
    expect(arr(r.dataset.arrays.time)).toEqual([0, 0, 1, 1, 2, 2])
    expect(arr(r.dataset.arrays.pos).slice(0, 4)).toEqual([100, 101, 102, 103])
  })

  it('refuses sparse X, names HDF5 paths for missing keys and NaN', async () => {
    await expect(importFile(join(dir, 'sparse.h5ad'), { mapping: { features: ['X'], velocity: [] } })).rejects.toThrow(
      '"sparse.h5ad": X (HDF5 path /X) is a sparse matrix (csr_matrix); only a dense X is read. Use an obsm embedding such as X_pca',
    )
    await expect(importFile(join(dir, 'a.h5ad'), { mapping: { time: 'stage' } })).rejects.toThrow('"a.h5ad": missing obs column "stage" for time (HDF5 path /obs/stage); obs columns found: cell_type, day, t.')
    await expect(importFile(join(dir, 'a.h5ad'), { mapping: { features: ['X_umap'] } })).rejects.toThrow('"a.h5ad": missing obsm key "X_umap" (HDF5 path /obsm/X_umap); obsm keys found: X_pca, velocity_pca.')
    await expect(importFile(join(dir, 'nan.h5ad'))).rejects.toThrow('"nan.h5ad" /obsm/X_pca [row 2, column 1]: NaN (NaN/Inf), expected a finite number.')
  })

  it('inspects without importing', async () => {
    const i = await inspectFile(join(dir, 'sparse.h5ad'))
    expect(i).toMatchObject({ format: 'h5ad', kindGuess: 'snapshots', rowCountEstimate: 6, problems: [] })
    expect(i.mappingGuess).toMatchObject({ features: ['X_pca'], time: 'day', label: 'cell_type', velocity: ['velocity_pca'] })
    expect(i.preview[0]).toEqual(['0.5', '1.5', '2.5'])
    expect(i.details.X).toEqual({ shape: null, sparse: 'csr_matrix' })
  })
})

describe('NumPy .npz', () => {
  const pcs = Float64Array.from({ length: 12 }, (_, i) => i / 4)
  const file = (extra: Record<string, Uint8Array> = {}) =>
    zipSync({
      'pcs.npy': npy('<f8', [6, 2], pcs),
      'sample_labels.npy': npy('<i8', [6], new BigInt64Array([1n, 0n, 1n, 0n, 2n, 2n])),
      'pcs_delta.npy': npy('<f4', [6, 2], Float32Array.from({ length: 12 }, (_, i) => -i)),
      'cell_type.npy': npy('<U3', [6], ['ab', 'c', 'ab', 'c', 'xyz', 'c']),
      ...extra,
    })

  it('reads pcs / sample_labels / pcs_delta / labels, round-tripping values', async () => {
    const r = await importFile(writeTemp('eb.npz', file()))
    const m = r.dataset.meta as unknown as ImportMeta
    expect(r.summary).toMatchObject({ kind: 'snapshots', format: 'npz', rows: 6, timePoints: 3, dim: 2 })
    expect(r.summary.mapping).toEqual({ features: ['pcs'], time: 'sample_labels', velocity: ['pcs_delta'], label: 'cell_type' })
    expect(arr(r.dataset.arrays.rowOrder)).toEqual([1, 3, 0, 2, 4, 5])
    expect(arr(r.dataset.arrays.pos)).toEqual([0.5, 0.75, 1.5, 1.75, 0, 0.25, 1, 1.25, 2, 2.25, 2.5, 2.75])
    expect(arr(r.dataset.arrays.velocity).slice(0, 2)).toEqual([-2, -3])
    expect(m.labelNames).toEqual(['ab', 'c', 'xyz'])
    expect(arr(r.dataset.arrays.time)).toEqual([0, 0, 1, 1, 2, 2])
  })

  it('reads a (T, n, d) cube with time on the first axis, and --components', async () => {
    const cube = zipSync({ 'positions.npy': npy('<f4', [3, 2, 3], Float32Array.from({ length: 18 }, (_, i) => i)) })
    const r = await importFile(writeTemp('ocean.npz', cube), { components: 2 })
    expect(r.summary).toMatchObject({ rows: 6, timePoints: 3, dim: 2 })
    expect(arr(r.dataset.arrays.pos)).toEqual([0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16])
  })

  it('refuses big-endian, Fortran order, objects and mismatched shapes with clear messages', async () => {
    expect(() => parseNpy(npy('>f8', [2], new Float64Array(2)), 'x')).toThrow("x has dtype '>f8'; supported: little-endian float64/float32/int64/int32 ('<f8', '<f4', '<i8', '<i4') and unicode strings ('<U'). It is big-endian")
    expect(() => parseNpy(npy('<f8', [2, 2], new Float64Array(4), { fortran: true }), 'x')).toThrow('x is stored in Fortran order; only C order is read.')
    expect(() => parseNpy(npy('|O', [1], new Uint8Array(8)), 'x')).toThrow(/Object arrays \(pickles\) are never loaded/)
    const bad = zipSync({ 'pcs.npy': npy('<f8', [6, 2], pcs), 'sample_labels.npy': npy('<i4', [5], new Int32Array(5)) })
    await expect(importFile(writeTemp('bad.npz', bad))).rejects.toThrow('"bad.npz": inconsistent dimensions: time array "sample_labels" has shape (5), expected (6,) for the 6 rows of "pcs".')
    const nan = Float64Array.from(pcs)
    nan[5] = Infinity
    await expect(importFile(writeTemp('nan.npz', file({ 'pcs.npy': npy('<f8', [6, 2], nan) })))).rejects.toThrow('"nan.npz" array "pcs" [2, 1]: Infinity (NaN/Inf), expected a finite number.')
    await expect(importFile(writeTemp('m.npz', file()), { mapping: { features: ['X'] } })).rejects.toThrow('"m.npz": missing array "X" for features; arrays found: pcs, sample_labels, pcs_delta, cell_type.')
  })

  it('inspects arrays and shapes', async () => {
    const i = await inspectFile(writeTemp('eb.npz', file()))
    expect(i).toMatchObject({ format: 'npz', rowCountEstimate: 6, problems: [], mappingGuess: { features: ['pcs'], time: 'sample_labels', velocity: ['pcs_delta'] } })
    expect(i.details.arrays).toMatchObject({ pcs: { descr: '<f8', shape: [6, 2] } })
  })
})
