import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importOptionsFromCli, parseInterval } from '../../../src-main/io/import/index'
import { ProjectStore } from '../../../src-main/store/project'
import { tempDir } from '../helpers/tmp'
import { runCli } from '../helpers/cli'
import { realData } from './helpers'

const run = runCli

describe('popdyn import (the real bin)', () => {
  it('imports tracks with units and prints a summary; --json; refuses bad files in one line, project unchanged', async () => {
    const dir = tempDir()
    for (const p of ['p', 'q', 'r']) ProjectStore.create(join(dir, `${p}.popdyn`)).close()
    const csv = realData('cmso_baf3_trackmate/baf3_well2B_tracks.csv')
    writeFileSync(join(dir, 'snap.csv'), 'sample,PC1,PC2,PC3\nd2,1,2,3\nd1,4,5,6\nd2,7,8,9\nd1,1,1,1\n')
    writeFileSync(join(dir, 'bad.csv'), 'id,frame,x,y\n1,0,0,0\n1,1,zz,0\n')
    // Three processes at once (each bin start costs seconds), one project each.
    const [a, b, c] = await Promise.all([
      run(['import', 'p.popdyn', csv, '--name', 'baf3', '--space-unit', 'um', '--frame-interval', '2.5min', '--gaps', 'keep'], dir),
      run(['import', 'q.popdyn', 'snap.csv', '--components', '2', '--json'], dir),
      run(['import', 'r.popdyn', 'bad.csv', '--map', 'track=id'], dir),
    ])
    expect([a.stderr, b.stderr]).toEqual(['', ''])
    expect(a.code).toBe(0)
    expect(a.stdout).toMatch(/^Imported "baf3" \(dataset \d\): tracks from csv/)
    expect(a.stdout).toContain('rows 4489, tracks 373, time points 144, dim 2')
    expect(a.stdout).toContain('units: space µm, time frame (2.5 min/frame)')
    expect(a.stdout).toMatch(/Gaps: 89 gaps .*gaps were kept/)

    expect(b.code).toBe(0)
    expect(JSON.parse(b.stdout)).toMatchObject({ name: 'snap', kind: 'snapshots', rows: 4, timePoints: 2, dim: 2, mapping: { time: 'sample', features: ['PC1', 'PC2'] } })

    expect(c.code).toBe(1)
    expect(c.stdout).toBe('')
    expect(c.stderr.trim().split('\n')).toHaveLength(1)
    expect(c.stderr.trim()).toBe('popdyn: "bad.csv" line 3, column "x" (x): a non-numeric value "zz", expected a finite number.')

    const open = (name: string) => ProjectStore.open(join(dir, name))
    const p = open('p.popdyn')
    const q = open('q.popdyn')
    const r = open('r.popdyn')
    try {
      expect(p.listDatasets()).toMatchObject([{ name: 'baf3', entities: 373, units: { space: 'µm', time: 'frame', frameInterval: 2.5, frameIntervalUnit: 'min' } }])
      expect(q.listDatasets().map((x) => x.name)).toEqual(['snap'])
      expect(r.listDatasets()).toEqual([])
      expect(r.db.prepare('SELECT count(*) AS n FROM artifacts').get()).toEqual({ n: 0 })
    } finally {
      for (const s of [p, q, r]) s.close()
    }
  }, 60_000)
})

describe('import command-line options', () => {
  it('turns flags into ImportOptions and refuses bad values', () => {
    expect(
      importOptionsFromCli({ kind: 'tracks', map: 'track=ID,time=T', 'space-unit': 'px', 'pixel-size': '0.5', 'time-unit': 'frame', 'frame-interval': '30s', gaps: 'interpolate', components: '3', 'time-order': 'a;b', 'max-mb': '1' }),
    ).toEqual({ kind: 'tracks', mapping: { track: 'ID', time: 'T' }, spaceUnit: 'px', pixelSize: 0.5, timeUnit: 'frame', frameInterval: 30, frameIntervalUnit: 's', gaps: 'interpolate', components: 3, timeOrder: ['a', 'b'], maxBytes: 1048576 })
    expect(parseInterval('2.5min')).toEqual({ value: 2.5, unit: 'min' })
    expect(parseInterval('1')).toEqual({ value: 1, unit: 's' })
    expect(() => importOptionsFromCli({ gaps: 'fill' })).toThrow('--gaps must be one of split, interpolate, keep, got "fill".')
    expect(() => importOptionsFromCli({ 'frame-interval': '-3' })).toThrow(/--frame-interval must be a positive number/)
    expect(() => importOptionsFromCli({ components: '2.5' })).toThrow('--components must be a positive integer, got "2.5".')
    expect(() => importOptionsFromCli({ 'pixel-size': 'big' })).toThrow('--pixel-size must be a positive number, got "big".')
  })
})
