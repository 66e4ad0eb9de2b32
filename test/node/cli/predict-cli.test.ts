/**
 * `popdyn predict` and `popdyn export --h5ad` through the command-line entry (main(), in
 * process): exit codes, output, files written, and the one-line refusals.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src-main/cli/main'
import { linearEnsembles } from '../../../src-main/engines/synth/linear-ensembles'
import { tempDir } from '../helpers/tmp'

async function cli(...args: string[]) {
  const out: string[] = [], err: string[] = []
  const code = await main(args, { stdout: (s) => out.push(s), stderr: (s) => err.push(s) })
  return { code, stdout: out.join('\n'), stderr: err.join('\n') }
}

let dir = ''
let project = ''

beforeAll(async () => {
  await h5wasm.ready
  dir = tempDir()
  process.env.POPDYN_HOME = dir
  project = join(dir, 'p.popdyn')
  expect((await cli('synth', 'potential', '--out', join(dir, 'q.csv'), '--set', 'potential=quadratic-task', '--set', 'n=40')).code).toBe(0)
  // A small .h5ad of two linear ensembles (time in obs "day", positions in obsm X_pca).
  const data = linearEnsembles({ sizes: [5, 5], times: 3, noiseVariance: 1e-6, seed: 2 })
  const f = new h5wasm.File(join(dir, 'e.h5ad'), 'w')
  const obs = f.create_group('obs')
  obs.create_attribute('_index', '_index')
  obs.create_attribute('encoding-type', 'dataframe')
  obs.create_attribute('column-order', ['day'], [1], 'S')
  obs.create_dataset({ name: '_index', data: Array.from({ length: 30 }, (_, k) => `c${k}`) })
  const day = obs.create_group('day')
  day.create_attribute('encoding-type', 'categorical')
  day.create_dataset({ name: 'codes', data: Int8Array.from({ length: 30 }, (_, k) => Math.floor(k / 10)) })
  day.create_dataset({ name: 'categories', data: ['d0', 'd1', 'd2'] })
  const pca = new Float64Array(60)
  data.snapshots.forEach((s, t) => pca.set(s, t * 20))
  f.create_group('obsm').create_dataset({ name: 'X_pca', data: pca, shape: [30, 2] })
  f.close()
  expect((await cli('new', project)).code).toBe(0)
  expect((await cli('import', project, join(dir, 'q.csv'), '--kind', 'snapshots', '--name', 'q')).code).toBe(0)
  expect((await cli('import', project, join(dir, 'e.h5ad'), '--name', 'e')).code).toBe(0)
  expect((await cli('run', project, 'ijkonet', '--dataset', 'q', '--set', 'epochs=3', '--seed', '1', '--json')).code).toBe(0) // run 1
  expect((await cli('run', project, 'ensembles', '--dataset', 'e', '--set', 'K=2', '--set', 'restarts=1', '--seed', '1', '--json')).code).toBe(0) // run 2
}, 120_000)

describe('popdyn predict', () => {
  it('export --model, then predict --steps 2 --out writes the CSV and reports the times; --replay recomputes the run', async () => {
    const model = join(dir, 'm.json')
    expect(await cli('export', project, '1', '--model', model)).toMatchObject({ code: 0, stdout: `Wrote ${model}` })
    const out = join(dir, 'pred.csv')
    const r = await cli('predict', project, '--model', model, '--dataset', 'q', '--steps', '2', '--out', out, '--json')
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j).toMatchObject({ method: 'ijkonet', mode: 'rollout', dataset: 'q', from: 3, points: [40, 40], file: out, rows: 160 + 80 })
    expect(j.times).toHaveLength(2)
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1 + 240)
    const t = await cli('predict', project, '--model', model, '--dataset', 'q', '--replay')
    expect(t.code).toBe(0)
    expect(t.stdout).toMatch(/^Recomputed the ijkonet run's predictions on "q": 3 snapshot\(s\) at t = /)
    const h = await cli('--help')
    expect(h.stdout).toContain('predict PROJECT --model FILE.json --dataset NAME')
    expect(h.stdout).toContain('--h5ad OUT.h5ad')
  }, 60_000)

  it('refuses, with one line and exit 1 (input) or 2 (command line)', async () => {
    const model = join(dir, 'm.json')
    expect(await cli('predict', project, '--dataset', 'q')).toMatchObject({ code: 1, stderr: expect.stringMatching(/predict needs --model FILE\.json/) })
    const v1 = join(dir, 'v1.json')
    writeFileSync(v1, JSON.stringify({ ...JSON.parse(readFileSync(model, 'utf8')), version: 1 }))
    expect(await cli('predict', project, '--model', v1, '--dataset', 'q')).toMatchObject({ code: 1, stderr: expect.stringMatching(/version 1; this PopDyn Studio reads version 2/) })
    expect(await cli('predict', project, '--model', model, '--dataset', 'q', '--steps', 'two')).toMatchObject({ code: 1, stderr: 'popdyn: --steps must be an integer, got "two"' })
    expect(await cli('predict', project, '--model', model, '--dataset', 'q', '--from', '9')).toMatchObject({ code: 1, stderr: expect.stringMatching(/expected from to be a snapshot index 0\.\.3/) })
    expect(await cli('predict', project, '--model', model, '--dataset', 'nope')).toMatchObject({ code: 1 })
    expect((await cli('predict', project, '--bogus')).code).toBe(2)
  }, 60_000)
})

describe('popdyn export --h5ad', () => {
  it('writes the labelled copy for an .h5ad dataset and refuses a CSV dataset\'s run and a stray --source', async () => {
    const out = join(dir, 'labelled.h5ad')
    const r = await cli('export', project, '2', '--h5ad', out, '--json')
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ file: out, column: 'ensemble', confidenceColumn: 'confidence', cells: 30, labelled: 30 })
    expect(existsSync(out)).toBe(true)
    expect(await cli('import', project, out, '--name', 'back', '--map', 'label=ensemble')).toMatchObject({ code: 0 })
    const bad = await cli('export', project, '1', '--h5ad', join(dir, 'no.h5ad'))
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/Run 1 \(ijkonet\) does not label cells/)
    expect((await cli('export', project, '2', '--labels', join(dir, 'l.csv'), '--source', 'x.h5ad')).code).toBe(2)
    expect(existsSync(join(dir, 'no.h5ad'))).toBe(false)
  }, 60_000)
})
