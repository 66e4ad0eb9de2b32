import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importIntoProject } from '../../../src-main/io/import/index'
import { decodeArray, exportLabelsCsv, exportModelJson, exportSummaryCsv } from '../../../src-main/io/export/index'
import { runCommand } from '../../../src-main/cli/run'
import { synthCommand } from '../../../src-main/cli/synth'
import { ProjectStore } from '../../../src-main/store/project'
import { tempDir } from '../helpers/tmp'

describe('labelled CSV export', () => {
  it('writes every input record in input order, byte for byte, plus ensemble and confidence; re-importing it gives the same dataset', async () => {
    const dir = tempDir()
    process.env.POPDYN_HOME = dir
    const src = join(dir, 'ens.csv')
    await synthCommand('linear-ensembles', src, ['sizes=8,12', 'times=3', 'noise=1e-4'], 4)
    const path = join(dir, 'p.popdyn')
    const store = ProjectStore.create(path)
    await importIntoProject(store, src, { kind: 'snapshots', name: 'ens' })
    store.close()
    const r = await runCommand(path, 'ensembles', { dataset: 'ens', sets: ['K=2', 'restarts=1'], seed: 3, json: true }, () => {})
    expect(r.ok).toBe(true)
    const runId = (r.output as { run: number }).run

    const s = ProjectStore.open(path)
    const out = join(dir, 'labelled.csv')
    const e = exportLabelsCsv(s, runId, out)
    expect(e).toMatchObject({ records: 60, labelled: 60, column: 'ensemble' })
    const original = readFileSync(src, 'utf8').trimEnd().split('\n')
    const exported = readFileSync(out, 'utf8').trimEnd().split('\n')
    expect(exported).toHaveLength(original.length)
    expect(exported[0]).toBe(`${original[0]},ensemble,confidence`)
    for (let k = 1; k < original.length; k++) {
      const m = exported[k]!.match(/^(.*),(E[12]),([0-9.e-]+)$/)
      expect(m, exported[k]).not.toBeNull()
      expect(m![1]).toBe(original[k])
      expect(Number(m![3])).toBeGreaterThanOrEqual(0)
      expect(Number(m![3])).toBeLessThanOrEqual(1)
    }
    // Round trip: the export imports again, and without the new columns it is the same data.
    await importIntoProject(s, out, { kind: 'snapshots', name: 'again', mapping: { time: 'time', features: ['x1', 'x2'] } })
    const a = s.findDataset('ens'), b = s.findDataset('again')
    for (const name of ['time', 'pos', 'rowOrder']) expect(Array.from(s.getArtifact({ datasetId: b.id }, name)!.data)).toEqual(Array.from(s.getArtifact({ datasetId: a.id }, name)!.data))

    const sum = join(dir, 'summary.csv')
    exportSummaryCsv(s, runId, sum)
    const lines = readFileSync(sum, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('ensemble,rows,share,mean_confidence')
    expect(lines.slice(1).reduce((t, l) => t + Number(l.split(',')[1]), 0)).toBe(60)

    const model = JSON.parse(readFileSync(exportModelJson(s, runId, join(dir, 'm.json')).file, 'utf8'))
    expect(model).toMatchObject({ format: 'popdyn-model', version: 2, method: 'ensembles', params: { K: 2 }, dataset: { name: 'ens', dim: 2, times: [0, 1, 2], counts: [20, 20, 20] } })
    expect(model.model).toMatchObject({ K: 2, d: 2, affine: false, theta: { dtype: 'float64', shape: [2, 2, 2] } })
    expect(Array.from(decodeArray(model.model.theta, 'theta'))).toEqual(Array.from(s.getArtifact({ runId }, 'theta')!.data))
    s.close()
  }, 120_000)

  it('refuses runs without labels and unfinished runs, writing nothing', () => {
    const dir = tempDir()
    const s = ProjectStore.create(join(dir, 'q.popdyn'))
    const bench = s.createRun({ datasetId: null, method: 'bench.backend', params: {}, seed: null, backend: 'wasm' })
    s.finishRun(bench, { status: 'done' })
    expect(() => exportLabelsCsv(s, bench, join(dir, 'x.csv'))).toThrow(/does not label rows/)
    const running = s.createRun({ datasetId: null, method: 'ensembles', params: {}, seed: 1, backend: 'wasm' })
    expect(() => exportLabelsCsv(s, running, join(dir, 'y.csv'))).toThrow(/is queued; only a finished run/)
    expect(existsSync(join(dir, 'x.csv')) || existsSync(join(dir, 'y.csv'))).toBe(false)
    s.close()
  })
})
