/**
 * Labels back into .h5ad (issue 9): a real ensembles run on an AnnData file whose cells are not
 * in time order; the labels and confidence are written into a copy's `obs`, and re-importing the
 * copy with our importer, choosing the new column as the label, gives the run's labels row for
 * row. The source is never modified; a moved or changed source, a CSV dataset, and writing over
 * the source are refused with messages naming the file.
 */
import { appendFileSync, copyFileSync, readFileSync, renameSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { importIntoProject } from '../../../src-main/io/import/index'
import { writeH5adLabels } from '../../../src-main/io/export/index'
import { runCommand } from '../../../src-main/cli/run'
import { synthCommand } from '../../../src-main/cli/synth'
import { linearEnsembles } from '../../../src-main/engines/synth/linear-ensembles'
import { ProjectStore } from '../../../src-main/store/project'
import { tempDir } from '../helpers/tmp'

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex')

/** Cells of 2 linear ensembles over 3 days, in a shuffled obs order (cell k = the (7k mod N)-th of the time-ordered list). */
function writeEnsemblesH5ad(path: string, legacy: boolean) {
  const data = linearEnsembles({ sizes: [8, 12], times: 3, noiseVariance: 1e-6, seed: 4 })
  const ordered: { t: number; x: number; y: number }[] = []
  data.snapshots.forEach((p, t) => {
    for (let i = 0; i < p.length / 2; i++) ordered.push({ t, x: p[2 * i]!, y: p[2 * i + 1]! })
  })
  const N = ordered.length // 60, coprime with 7
  const cells = Array.from({ length: N }, (_, k) => ordered[(7 * k) % N]!)
  const f = new h5wasm.File(path, 'w')
  const obs = f.create_group('obs')
  obs.create_attribute('_index', '_index')
  if (!legacy) {
    obs.create_attribute('encoding-type', 'dataframe')
    obs.create_attribute('encoding-version', '0.2.0')
    obs.create_attribute('column-order', ['day', 'cell_type', 'confidence'], [3], 'S')
  }
  obs.create_dataset({ name: '_index', data: cells.map((_, k) => `cell${k}`) })
  const codes = Int8Array.from(cells, (c) => c.t)
  if (legacy) {
    obs.create_dataset({ name: 'day', data: codes })
    obs.create_group('__categories').create_dataset({ name: 'day', data: ['d0', 'd1', 'd2'] })
  } else {
    const day = obs.create_group('day')
    day.create_attribute('encoding-type', 'categorical')
    day.create_dataset({ name: 'codes', data: codes })
    day.create_dataset({ name: 'categories', data: ['d0', 'd1', 'd2'] })
  }
  obs.create_dataset({ name: 'cell_type', data: cells.map((_, k) => (k % 2 ? 'A' : 'B')) })
  // A column that is already called confidence: ours must not replace it.
  obs.create_dataset({ name: 'confidence', data: new Float64Array(N).fill(-1) })
  f.create_group('obsm').create_dataset({ name: 'X_pca', data: Float64Array.from(cells.flatMap((c) => [c.x, c.y])), shape: [N, 2] })
  f.close()
}

let dir = ''
let project = ''
let runId = 0

beforeAll(async () => {
  await h5wasm.ready
  dir = tempDir()
  process.env.POPDYN_HOME = dir
  writeEnsemblesH5ad(join(dir, 'cells.h5ad'), false)
  project = join(dir, 'p.popdyn')
  const s = ProjectStore.create(project)
  await importIntoProject(s, join(dir, 'cells.h5ad'), { name: 'cells' })
  s.close()
  const r = await runCommand(project, 'ensembles', { dataset: 'cells', sets: ['K=2', 'restarts=1'], seed: 1, json: true }, () => {})
  expect(r.ok).toBe(true)
  runId = (r.output as { run: number }).run
}, 120_000)

/** Re-imports `file` choosing `column` as the label; returns the label of every stored row and the rowOrder. */
async function reimport(s: ProjectStore, file: string, name: string, column: string) {
  const { datasetId } = await importIntoProject(s, file, { name, mapping: { time: 'day', label: column } })
  const ds = s.getDataset(datasetId)
  const names = (ds.meta as { labelNames: string[] }).labelNames
  return {
    labels: Array.from(s.getArtifact({ datasetId }, 'label')!.data, (k) => names[k]!),
    rowOrder: Array.from(s.getArtifact({ datasetId }, 'rowOrder')!.data),
    pos: Array.from(s.getArtifact({ datasetId }, 'pos')!.data),
  }
}

describe('labels written back into .h5ad', () => {
  it('anndata >= 0.8 layout: categorical ensemble + float confidence in obs, column-order updated; re-import gives the run\'s labels; source untouched', async () => {
    const src = join(dir, 'cells.h5ad')
    const before = sha(src)
    const s = ProjectStore.open(project)
    try {
      const out = join(dir, 'labelled.h5ad')
      const w = await writeH5adLabels(s, runId, out)
      expect(w).toMatchObject({ file: out, source: src, column: 'ensemble', confidenceColumn: `confidence_run${runId}`, cells: 60, labelled: 60, encoding: 'anndata>=0.8' })
      expect(sha(src)).toBe(before)

      const orig = s.findDataset('cells')
      const { label, confidence } = s.getLabels(runId)
      const again = await reimport(s, out, 'again', 'ensemble')
      expect(again.rowOrder).toEqual(Array.from(s.getArtifact({ datasetId: orig.id }, 'rowOrder')!.data))
      expect(again.pos).toEqual(Array.from(s.getArtifact({ datasetId: orig.id }, 'pos')!.data))
      expect(again.labels).toEqual(label)
      expect(new Set(label)).toEqual(new Set(['E1', 'E2']))

      const f = new h5wasm.File(out, 'r')
      try {
        const obs = f.get('obs') as InstanceType<typeof h5wasm.Group>
        expect(obs.attrs['column-order']!.value).toEqual(['day', 'cell_type', 'confidence', 'ensemble', `confidence_run${runId}`])
        const g = f.get('obs/ensemble') as InstanceType<typeof h5wasm.Group>
        expect(g.attrs['encoding-type']!.value).toBe('categorical')
        expect(g.attrs['encoding-version']!.value).toBe('0.2.0')
        expect(Number(g.attrs['ordered']!.value)).toBe(0)
        expect((f.get('obs/ensemble/categories') as InstanceType<typeof h5wasm.Dataset>).value).toEqual(['E1', 'E2'])
        const conf = f.get(`obs/confidence_run${runId}`) as InstanceType<typeof h5wasm.Dataset>
        expect(conf.attrs['encoding-type']!.value).toBe('array')
        const c = conf.value as Float64Array
        const rowOrder = again.rowOrder
        rowOrder.forEach((cell, i) => expect(c[cell]).toBe(confidence[i]))
        // The existing confidence column is untouched.
        expect(Array.from((f.get('obs/confidence') as InstanceType<typeof h5wasm.Dataset>).value as Float64Array).every((v) => v === -1)).toBe(true)
      } finally {
        f.close()
      }
    } finally {
      s.close()
    }
  }, 60_000)

  it('legacy layout (no encoding attributes): codes in obs, categories in obs/__categories; re-import gives the labels', async () => {
    const dir2 = tempDir()
    process.env.POPDYN_HOME = dir2
    writeEnsemblesH5ad(join(dir2, 'old.h5ad'), true)
    const p = join(dir2, 'p.popdyn')
    const s0 = ProjectStore.create(p)
    await importIntoProject(s0, join(dir2, 'old.h5ad'), { name: 'old' })
    s0.close()
    const r = await runCommand(p, 'ensembles', { dataset: 'old', sets: ['K=2', 'restarts=1'], seed: 1, json: true }, () => {})
    expect(r.ok).toBe(true)
    const id = (r.output as { run: number }).run
    const s = ProjectStore.open(p)
    try {
      const w = await writeH5adLabels(s, id, join(dir2, 'old-labelled.h5ad'))
      expect(w.encoding).toBe('legacy')
      const again = await reimport(s, join(dir2, 'old-labelled.h5ad'), 'again', 'ensemble')
      expect(again.labels).toEqual(s.getLabels(id).label)
    } finally {
      s.close()
    }
  }, 60_000)

  it('refuses a moved source (naming the path; --source finds it), a changed source, the source as output, a CSV dataset', async () => {
    const d = tempDir()
    process.env.POPDYN_HOME = d
    copyFileSync(join(dir, 'cells.h5ad'), join(d, 'c.h5ad'))
    const csv = join(d, 'e.csv')
    await synthCommand('linear-ensembles', csv, ['sizes=5,5', 'times=3'], 1)
    const p = join(d, 'p.popdyn')
    const s0 = ProjectStore.create(p)
    await importIntoProject(s0, join(d, 'c.h5ad'), { name: 'c' })
    await importIntoProject(s0, csv, { kind: 'snapshots', name: 'e' })
    s0.close()
    const ids: number[] = []
    for (const ds of ['c', 'e']) {
      const r = await runCommand(p, 'ensembles', { dataset: ds, sets: ['K=2', 'restarts=1'], seed: 1, json: true }, () => {})
      ids.push((r.output as { run: number }).run)
    }
    const s = ProjectStore.open(p)
    try {
      await expect(writeH5adLabels(s, ids[1]!, join(d, 'x.h5ad'))).rejects.toThrow(/imported from a csv file \(e\.csv\); labels can be written back only into the \.h5ad/)
      await expect(writeH5adLabels(s, ids[0]!, join(d, 'c.h5ad'))).rejects.toThrow(/is the source file itself/)
      renameSync(join(d, 'c.h5ad'), join(d, 'moved.h5ad'))
      await expect(writeH5adLabels(s, ids[0]!, join(d, 'x.h5ad'))).rejects.toThrow(new RegExp(`not at ${join(d, 'c.h5ad').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*moved or deleted.*--source PATH`))
      const ok = await writeH5adLabels(s, ids[0]!, join(d, 'x.h5ad'), { source: join(d, 'moved.h5ad') })
      expect(ok.labelled).toBe(60)
      appendFileSync(join(d, 'moved.h5ad'), 'x')
      await expect(writeH5adLabels(s, ids[0]!, join(d, 'y.h5ad'), { source: join(d, 'moved.h5ad') })).rejects.toThrow(/moved\.h5ad has changed since dataset "c" was imported/)
      expect(() => readFileSync(join(d, 'y.h5ad'))).toThrow()
      expect(() => readFileSync(join(d, 'y.h5ad.tmp'))).toThrow()
    } finally {
      s.close()
    }
  }, 120_000)
})
