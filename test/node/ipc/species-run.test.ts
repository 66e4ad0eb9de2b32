import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importIntoProject } from '../../../src-main/io/import/index'
import { exportLabelsCsv } from '../../../src-main/io/export/index'
import { runCommand } from '../../../src-main/cli/run'
import { synthCommand } from '../../../src-main/cli/synth'
import { ProjectStore } from '../../../src-main/store/project'
import { tempDir } from '../helpers/tmp'

describe('species identification end to end (synth → import → run in a worker → export)', () => {
  it('separates species B and C of the WSINDy benchmark at small size', async () => {
    const dir = tempDir()
    process.env.POPDYN_HOME = dir
    const src = join(dir, 'cells.csv')
    // 40 cells at the paper's density (box 2·sqrt(N/1000) = 0.4), L = 100.
    await synthCommand('cells', src, ['n=40', 'steps=100', 'B=1', 'C=1', 'box=0.4'], 5)
    const truth: string[] = JSON.parse(readFileSync(join(dir, 'cells.truth.json'), 'utf8')).species
    const path = join(dir, 'p.popdyn')
    const store = ProjectStore.create(path)
    await importIntoProject(store, src, { kind: 'tracks', name: 'cells' })
    store.close()
    const r = await runCommand(path, 'species', { dataset: 'cells', sets: ['rFar=0.2'], seed: 1, json: true }, () => {})
    expect(r.ok).toBe(true)
    const out = join(dir, 'labelled.csv')
    const s = ProjectStore.open(path)
    exportLabelsCsv(s, (r.output as { run: number }).run, out)
    s.close()
    const lines = readFileSync(out, 'utf8').trim().split('\n').slice(1)
    const perTrack = new Map<number, string>()
    for (const l of lines) {
      const f = l.split(',')
      perTrack.set(Number(f[0]), f[4]!)
    }
    const bySpecies = (sp: string) => [...perTrack].filter(([id]) => truth[id] === sp).map(([, lab]) => lab)
    const majority = (labs: string[]) => Math.max(...[...new Set(labs)].map((l) => labs.filter((x) => x === l).length)) / labs.length
    const c = bySpecies('C'), b = bySpecies('B')
    // Measured with this seed: C 20/20 in one species; B 16/20 in another (3 unclassified, 1 split off).
    expect(majority(c)).toBe(1)
    expect(majority(b)).toBeGreaterThanOrEqual(0.75)
    const cLabel = c[0]!
    expect(b.filter((x) => x === cLabel)).toHaveLength(0)
    expect(cLabel).not.toBe('unclassified')
  }, 120_000)
})
