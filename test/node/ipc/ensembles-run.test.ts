import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importIntoProject } from '../../../src-main/io/import/index'
import { buildModelFile } from '../../../src-main/io/export/index'
import { writeReport } from '../../../src-main/io/report/index'
import { runCommand } from '../../../src-main/cli/run'
import { synthCommand } from '../../../src-main/cli/synth'
import { ProjectStore } from '../../../src-main/store/project'
import { tempDir } from '../helpers/tmp'

describe('ensemble separation with the choice of K, end to end (synth → import → run in a worker)', () => {
  it('chooseK finds the 2 planted ensembles, records the evidence, and the model file carries K = 2', async () => {
    const dir = tempDir()
    process.env.POPDYN_HOME = dir
    const src = join(dir, 'ens.csv')
    await synthCommand('linear-ensembles', src, ['sizes=15;20', 'times=4', 'noise=1e-6'], 4)
    const path = join(dir, 'p.popdyn')
    const store = ProjectStore.create(path)
    await importIntoProject(store, src, { kind: 'snapshots', name: 'ens' })
    store.close()
    // K = 3 is what the user typed; chooseK overrides it with the elbow among 1..3.
    const r = await runCommand(path, 'ensembles', { dataset: 'ens', sets: ['K=3', 'chooseK=true', 'maxK=3', 'restarts=2'], seed: 1, json: true }, () => {})
    expect(r.ok).toBe(true)
    const s = ProjectStore.open(path)
    try {
      const run = s.getRun((r.output as { run: number }).run)
      const m = run.metrics as { K: number; chooseK: { K: number; objectives: number[]; drops: (number | null)[]; reason: string } }
      expect(m.K).toBe(2)
      expect(m.chooseK.K).toBe(2)
      expect(m.chooseK.objectives).toHaveLength(3)
      // J(K) never increases with K, and the drop at K = 2 is the largest.
      expect(m.chooseK.objectives[1]!).toBeLessThanOrEqual(m.chooseK.objectives[0]!)
      expect(m.chooseK.drops[1]!).toBeGreaterThan(m.chooseK.drops[2] ?? 0)
      expect(m.chooseK.reason.length).toBeGreaterThan(0)
      const model = buildModelFile(s, run.id).model as { K: number; theta: { shape: number[] } }
      expect(model.K).toBe(2)
      expect(model.theta.shape[0]).toBe(2)
      // The report shows the evidence: J(K) per K and the chosen K.
      const rep = await writeReport(s, run.id, { out: join(dir, 'r.html') })
      const html = readFileSync(rep.file, 'utf8')
      expect(html).toContain('Choice of K')
      expect(html).toContain('K = 2 was chosen')
    } finally {
      s.close()
    }
  }, 120_000)
})
