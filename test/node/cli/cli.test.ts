import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ProjectStore } from '../../../src-main/store/project'
import { createSampleProject } from '../../../src-main/services/sample'
import { tempDir } from '../helpers/tmp'
import { runCli } from '../helpers/cli'

const run = runCli

describe('popdyn CLI (plain Node, the real bin)', () => {
  it('new + info --json + datasets + runs work from a fresh folder', async () => {
    const dir = tempDir()
    const created = await run(['new', 'p', '--json'], dir)
    expect(created.code).toBe(0)
    expect(JSON.parse(created.stdout)).toMatchObject({ path: join(dir, 'p.popdyn'), name: 'p', schemaVersion: 1 })
    const info = await run(['info', '--json'], dir)
    expect(info.code).toBe(0)
    const parsed = JSON.parse(info.stdout)
    expect(parsed).toMatchObject({ name: 'PopDyn Studio', version: '0.1.0', mode: 'cli' })
    expect(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).toContain(parsed.backend.name)
    const ds = await run(['datasets', 'p.popdyn', '--json'], dir)
    expect(JSON.parse(ds.stdout)).toEqual([])
    expect((await run(['runs', 'p.popdyn'], dir)).stdout.trim()).toBe('(none)')
  }, 60_000)

  it('lists the datasets of a project as a table', async () => {
    const dir = tempDir()
    ;(await createSampleProject(join(dir, 's.popdyn'), join(import.meta.dirname, '../../../resources'))).close()
    const r = await run(['datasets', 's.popdyn'], dir)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/sample tracks\s+tracks\s+1800\s+30\s+60\s+2\s+µm, frame/)
    expect(r.stdout).toMatch(/sample snapshots\s+snapshots\s+320\s+0\s+4\s+2/)
    const runs = JSON.parse((await run(['runs', 's.popdyn', '--json'], dir)).stdout)
    expect(runs).toEqual([])
    const s = ProjectStore.open(join(dir, 's.popdyn'))
    expect(s.listDatasets()).toHaveLength(2)
    s.close()
  }, 60_000)

  it('fails with one line on stderr and a non-zero exit', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'bad.popdyn'), 'hello')
    const bad = await run(['datasets', 'bad.popdyn'], dir)
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).toMatch(/^popdyn: "bad.popdyn" is not a PopDyn Studio project/)
    const usage = await run(['frobnicate'], dir)
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/unknown command "frobnicate"/)
    const exists = await run(['new', 'bad.popdyn'], dir)
    expect(exists.code).toBe(1)
    expect(exists.stderr).toMatch(/already exists/)
  }, 60_000)

  it('synth writes data with ground truth that imports as the right kind', async () => {
    const dir = tempDir()
    expect((await run(['synth', 'cells', '--out', 'c.csv', '--set', 'n=12', '--set', 'steps=20', '--set', 'B=1', '--set', 'C=1', '--seed', '3'], dir)).code).toBe(0)
    expect((await run(['synth', 'boids', '--out', 'b.csv', '--set', 'n=15', '--set', 'steps=4'], dir)).code).toBe(0)
    const truth = JSON.parse(readFileSync(join(dir, 'c.truth.json'), 'utf8'))
    expect(truth.species).toHaveLength(12)
    expect(new Set(truth.species)).toEqual(new Set(['B', 'C']))
    expect((await run(['new', 'p'], dir)).code).toBe(0)
    expect((await run(['import', 'p.popdyn', 'c.csv', '--name', 'cells'], dir)).code).toBe(0)
    expect((await run(['import', 'p.popdyn', 'b.csv', '--kind', 'snapshots', '--name', 'boids'], dir)).code).toBe(0)
    const ds = JSON.parse((await run(['datasets', 'p.popdyn', '--json'], dir)).stdout)
    expect(ds.map((d: { name: string; kind: string; entities: number; times: number }) => [d.name, d.kind, d.entities, d.times])).toEqual([
      ['cells', 'tracks', 12, 20],
      ['boids', 'snapshots', 0, 5],
    ])
    // The JKOnet paper's spiral task: 8 snapshots of n points along the spiral.
    expect((await run(['synth', 'potential', '--out', 's.csv', '--set', 'potential=spiral-task', '--set', 'n=10'], dir)).code).toBe(0)
    const spiral = readFileSync(join(dir, 's.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]))
    expect(spiral).toHaveLength(80)
    expect(new Set(spiral).size).toBe(8)
    const bad = await run(['synth', 'nope', '--out', 'x.csv'], dir)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/Unknown generator "nope"/)
  }, 60_000)

  it('distance compares two clouds with known answers, and names a bad cell', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'A.csv'), 'x,y\n0,0\n1,0\n')
    writeFileSync(join(dir, 'B.csv'), 'x,y\n0,1\n1,1\n')
    writeFileSync(join(dir, 'C.csv'), 'x,y,weight\n0,0,3\n1,0,1\n')
    const val = async (a: string, b: string, m: string) => JSON.parse((await run(['distance', a, b, '--metric', m, '--json'], dir)).stdout).value
    expect(await val('A.csv', 'B.csv', 'emd')).toBeCloseTo(1, 12) // a unit translation
    expect(await val('A.csv', 'B.csv', 'w2')).toBeCloseTo(1, 12)
    expect(await val('A.csv', 'B.csv', 'bw')).toBeCloseTo(1, 9)
    expect(await val('A.csv', 'B.csv', 'sinkhorn')).toBeCloseTo(0.5, 4) // S_ε(x, x + t) = ‖t‖²/2
    expect(await val('A.csv', 'C.csv', 'emd')).toBeCloseTo(0.25, 12) // a quarter of the mass moves by 1
    writeFileSync(join(dir, 'D.csv'), 'x,y\n0,zz\n')
    const bad = await run(['distance', 'A.csv', 'D.csv'], dir)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/D\.csv, line 2, column "y": expected a finite number, got "zz"/)
  }, 60_000)
})
