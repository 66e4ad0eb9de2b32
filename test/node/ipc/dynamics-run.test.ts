import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { exportPredictionsCsv } from '../../../src-main/io/export/index'
import { describe, expect, it } from 'vitest'
import { importIntoProject } from '../../../src-main/io/import/index'
import { runCommand } from '../../../src-main/cli/run'
import { synthCommand } from '../../../src-main/cli/synth'
import { ProjectStore } from '../../../src-main/store/project'
import { tempDir } from '../helpers/tmp'

describe('dynamics methods end to end (synth → import → run in a worker, evaluated against "no motion")', () => {
  it('iJKOnet and WLM trained briefly on the quadratic-potential snapshots predict better than no motion; weights are stored', async () => {
    const dir = tempDir()
    process.env.POPDYN_HOME = dir
    const src = join(dir, 'q.csv')
    await synthCommand('potential', src, ['potential=quadratic-task', 'n=100'], 0)
    const path = join(dir, 'p.popdyn')
    const store = ProjectStore.create(path)
    await importIntoProject(store, src, { kind: 'snapshots', name: 'q' })
    store.close()
    const ij = await runCommand(path, 'ijkonet', { dataset: 'q', sets: ['epochs=20'], seed: 1, json: true }, () => {})
    expect(ij.ok).toBe(true)
    const mi = (ij.output as { metrics: { meanOneStepEmd: number; meanNoMotionEmd: number; oneStepEmd: number[] } }).metrics
    expect(mi.oneStepEmd).toHaveLength(3)
    // Measured 1.21 vs 1.63 (seed 1, 20 epochs): the learned energy moves the population the right way.
    expect(mi.meanOneStepEmd).toBeLessThan(0.9 * mi.meanNoMotionEmd)
    const wl = await runCommand(path, 'wlm', { dataset: 'q', sets: ['epochs=20'], seed: 1, json: true }, () => {})
    expect(wl.ok).toBe(true)
    const mw = (wl.output as { metrics: { rolloutEmd: number[]; noMotionFromFirstEmd: number[] } }).metrics
    expect(mw.rolloutEmd).toHaveLength(3)
    // Measured 0.24/0.58/0.80 vs 2.09/3.09/3.67 (seed 1, 20 epochs).
    mw.rolloutEmd.forEach((e, k) => expect(e).toBeLessThan(0.6 * mw.noMotionFromFirstEmd[k]!))
    const s = ProjectStore.open(path)
    const runId = (ij.output as { run: number }).run
    expect(s.listArtifacts({ runId }).some((a) => a.name.startsWith('weights/'))).toBe(true)
    // Predictions export in snapshot format: every observed point, then the predicted clouds.
    const out = join(dir, 'pred.csv')
    expect(exportPredictionsCsv(s, runId, out).rows).toBe(400 + 300)
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('source,time,x1,x2')
    expect(lines.filter((l) => l.startsWith('predicted,')).length).toBe(300)
    expect(new Set(lines.filter((l) => l.startsWith('predicted,')).map((l) => l.split(',')[1]))).toEqual(new Set(lines.filter((l) => l.startsWith('observed,')).map((l) => l.split(',')[1]).filter((t) => t !== lines[1]!.split(',')[1])))
    s.close()
  }, 180_000)

  it('WLM leaves one snapshot out, predicts it from the one before and scores it; a holdout it cannot use is refused with the reason', async () => {
    const dir = tempDir()
    process.env.POPDYN_HOME = dir
    const src = join(dir, 'q.csv')
    await synthCommand('potential', src, ['potential=quadratic-task', 'n=100'], 0)
    const times = [...new Set(readFileSync(src, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0])))]
    expect(times).toHaveLength(4)
    const path = join(dir, 'p.popdyn')
    const store = ProjectStore.create(path)
    await importIntoProject(store, src, { kind: 'snapshots', name: 'q' })
    store.close()
    const wl = await runCommand(path, 'wlm', { dataset: 'q', sets: ['epochs=20', `holdout=${times[2]}`], seed: 1, json: true }, () => {})
    expect(wl.ok).toBe(true)
    const m = (wl.output as { metrics: { holdout: { time: number; w1: number; noMotionW1: number; rolloutW1: number; velocitySource: string }; rolloutEmd: number[] } }).metrics
    expect(m.holdout.time).toBe(times[2])
    expect(m.holdout.velocitySource).toBe('ot')
    // Trained without snapshot 2, the model still moves snapshot 1 towards it.
    expect(m.holdout.w1).toBeLessThan(0.8 * m.holdout.noMotionW1)
    expect(m.rolloutEmd).toHaveLength(3)
    for (const [value, reason] of [[times[0], /is the first snapshot/], [0.123, /no snapshot at that time/]] as const) {
      const bad = await runCommand(path, 'wlm', { dataset: 'q', sets: ['epochs=1', `holdout=${value}`], seed: 1, json: true }, () => {})
      expect(bad.ok).toBe(false)
      expect(JSON.stringify((bad.output as { error: unknown }).error)).toMatch(reason)
    }
  }, 180_000)
})
