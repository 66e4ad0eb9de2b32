/**
 * Results out (io/export): labels written back into an .h5ad (copy, sha256 check, obs columns)
 * for growing cell counts, and the model file's array encoding (base64 float32) both ways.
 * The labelled run is recorded directly (labels put in the store), so only the export is timed.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { decodeArray, encodeArray, writeH5adLabels } from '../src-main/io/export/index'
import { importIntoProject } from '../src-main/io/import/index'
import { ProjectStore } from '../src-main/store/project'

function writeH5ad(path: string, n: number, dims: number) {
  const f = new h5wasm.File(path, 'w')
  const obs = f.create_group('obs')
  obs.create_attribute('_index', '_index')
  obs.create_attribute('encoding-type', 'dataframe')
  obs.create_attribute('column-order', ['day'], [1], 'S')
  obs.create_dataset({ name: '_index', data: Array.from({ length: n }, (_, k) => `cell${k}`) })
  const day = obs.create_group('day')
  day.create_attribute('encoding-type', 'categorical')
  day.create_dataset({ name: 'codes', data: Int8Array.from({ length: n }, (_, k) => k % 5) })
  day.create_dataset({ name: 'categories', data: ['d0', 'd1', 'd2', 'd3', 'd4'] })
  f.create_group('obsm').create_dataset({ name: 'X_pca', data: Float32Array.from({ length: n * dims }, (_, i) => Math.sin(i)), shape: [n, dims] })
  f.close()
}

export async function run(opts: { quick?: boolean }) {
  await h5wasm.ready
  const rows: Record<string, string | number>[] = []
  for (const n of opts.quick ? [10_000] : [10_000, 100_000]) {
    const dir = mkdtempSync(join(tmpdir(), 'popdyn-bench-export-'))
    try {
      const src = join(dir, 'cells.h5ad')
      writeH5ad(src, n, 30)
      const store = ProjectStore.create(join(dir, 'p.popdyn'))
      const { datasetId } = await importIntoProject(store, src, { name: 'cells', components: 5 })
      const runId = store.createRun({ datasetId, method: 'ensembles', params: { K: 3 }, seed: 0, backend: 'bench' })
      store.finishRun(runId, { status: 'done' }, { labels: { label: Array.from({ length: n }, (_, i) => `E${(i % 3) + 1}`), confidence: Float64Array.from({ length: n }, (_, i) => (i % 7) / 7) } })
      const t0 = performance.now()
      await writeH5adLabels(store, runId, join(dir, 'out.h5ad'))
      const ms = performance.now() - t0
      rows.push({ case: `h5ad write-back, ${n.toLocaleString('en-US')} cells`, 'file MB': Number((statSync(src).size / 1e6).toFixed(1)), ms: Math.round(ms) })
      store.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  for (const n of opts.quick ? [1e5] : [1e5, 1e6]) {
    const w = Float32Array.from({ length: n }, (_, i) => Math.cos(i))
    let t0 = performance.now()
    const e = encodeArray(w, [n])
    const enc = performance.now() - t0
    t0 = performance.now()
    decodeArray(e, 'bench')
    const dec = performance.now() - t0
    rows.push({ case: `model weights base64, ${n.toLocaleString('en-US')} float32`, 'file MB': Number((e.base64.length / 1e6).toFixed(2)), ms: Math.round(enc + dec), 'encode ms': Number(enc.toFixed(1)), 'decode ms': Number(dec.toFixed(1)) })
  }
  return { name: 'export: .h5ad write-back and model arrays', rows, notes: 'write-back includes the sha256 of the source, the copy and the HDF5 edits' }
}

if (import.meta.url === `file://${process.argv[1]}`) run({}).then((r) => console.table(r.rows))
