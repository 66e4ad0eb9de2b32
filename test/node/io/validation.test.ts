import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importFile, importIntoProject } from '../../../src-main/io/import/index'
import { ProjectStore } from '../../../src-main/store/project'
import { tempDir } from '../helpers/tmp'
import { writeTemp } from './helpers'

const fails = (text: string, opts = {}, name = 'bad.csv') => importFile(writeTemp(name, text), opts)

describe('validation messages name the file, the line and the column', () => {
  it('non-numeric value', async () => {
    await expect(fails('track,t,x,y\n1,0,0,0\n1,1,abc,0\n')).rejects.toThrow('"bad.csv" line 3, column "x" (x): a non-numeric value "abc", expected a finite number.')
  })
  it('NaN and infinite values', async () => {
    await expect(fails('track,t,x,y\n1,0,0,0\n1,1,1,NaN\n')).rejects.toThrow('"bad.csv" line 3, column "y" (y): NaN ("NaN"), expected a finite number.')
    await expect(fails('time,PC1,PC2\n0,1,inf\n0,1,1\n1,1,1\n1,2,2\n', {}, 's.csv')).rejects.toThrow('"s.csv" line 2, column "PC2" (features): an infinite value ("inf"), expected a finite number.')
    await expect(fails('track,t,x,y\n1,0,0,0\n1,1,,0\n')).rejects.toThrow('"bad.csv" line 3, column "x" (x): an empty value, expected a finite number.')
  })
  it('missing mapped column lists the columns found', async () => {
    await expect(fails('track,t,x,y\n1,0,0,0\n', { mapping: { x: 'POS_X' } })).rejects.toThrow('"bad.csv": missing column "POS_X" for x (from --map); columns found: "track", "t", "x", "y".')
    await expect(fails('id,when,a,b\n1,0,0,0\n', { kind: 'tracks' })).rejects.toThrow(/"bad.csv": no column found for time; columns found: "id", "when", "a", "b"\. Map it with --map time=COLUMN\./)
  })
  it('duplicate (track, time)', async () => {
    await expect(fails('track,t,x,y\n1,0,0,0\n1,1,1,0\n2,0,0,0\n1,1,2,0\n2,0,3,3\n')).rejects.toThrow(
      '"bad.csv": duplicate (track, time): track "1" has two rows at time 1 (line 3 and line 5; columns "track", "t"), and 1 more duplicate.',
    )
  })
  it('empty file, header only, blank lines only', async () => {
    await expect(fails('')).rejects.toThrow('"bad.csv" is empty (0 bytes).')
    await expect(fails('\n\n  \n')).rejects.toThrow('"bad.csv" is empty: no header line and no data.')
    await expect(fails('track,t,x,y\n')).rejects.toThrow('"bad.csv" has a header (4 columns) but no data rows.')
  })
  it('a single time point (tracks and snapshots)', async () => {
    await expect(fails('track,t,x,y\n1,5,0,0\n2,5,1,1\n')).rejects.toThrow('"bad.csv": every row has the same time (5 in column "t"): a single time point')
    await expect(fails('time,x1,x2\nd1,0,0\nd1,1,1\n')).rejects.toThrow('"bad.csv": only one time point ("d1" in column "time"); snapshot data needs at least two time points.')
  })
  it('fewer than 2 cells at a time point', async () => {
    await expect(fails('time,x1,x2\n0,0,0\n0,1,1\n1,2,2\n2,0,0\n2,1,1\n')).rejects.toThrow('"bad.csv": time point "1" (column "time") has only 1 cell (line 4); each time point needs at least 2 cells.')
  })
  it('inconsistent dimensions: field counts, velocity vs features, --components', async () => {
    await expect(fails('track,t,x,y\n1,0,0,0\n1,1,1\n')).rejects.toThrow('"bad.csv" line 3 has 3 fields but the header has 4 columns (inconsistent rows; delimiter ",").')
    await expect(fails('time,x1,x2,v1\n0,0,0,0\n0,1,1,1\n1,0,0,0\n1,1,1,1\n', { mapping: { velocity: ['v1'] } })).rejects.toThrow('"bad.csv": inconsistent dimensions: 1 velocity columns (v1) for 2 feature columns (x1, x2).')
    await expect(fails('time,x1,x2\n0,0,0\n0,1,1\n1,0,0\n1,1,1\n', { components: 3 })).rejects.toThrow('"bad.csv": --components 3 asked, but only 2 feature columns (x1, x2).')
    // trailing empty fields are tolerated
    const ok = await fails('track,t,x,y\n1,0,0,0,\n1,1,1,0,\n', { shortTrack: 1 })
    expect(ok.summary.rows).toBe(2)
  })
  it('file larger than the memory limit names the limit', async () => {
    await expect(fails('track,t,x,y\n' + '1,0,0,0\n'.repeat(400), { maxBytes: 1024 })).rejects.toThrow(/"bad.csv" is 3\.1 KiB, larger than the import memory limit of 1\.0 KiB/)
  })
  it('quoted fields with line breaks are refused with the line', async () => {
    await expect(fails('track,t,x,y,note\n1,0,0,0,"a\nb"\n')).rejects.toThrow('"bad.csv" line 2: a quoted field is not closed on its line')
  })
  it('cancellation: an aborted signal stops the import', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(fails('track,t,x,y\n1,0,0,0\n1,1,1,0\n', { signal: ac.signal })).rejects.toMatchObject({ kind: 'cancelled' })
  })
  it('a missing file', async () => {
    await expect(importFile(join(tempDir(), 'nope.csv'))).rejects.toThrow(/"nope.csv": the file does not exist/)
  })
})

describe('a refused import leaves the project exactly as before', () => {
  const counts = (s: ProjectStore) => ({
    datasets: (s.db.prepare('SELECT count(*) AS n FROM datasets').get() as { n: number }).n,
    artifacts: (s.db.prepare('SELECT count(*) AS n FROM artifacts').get() as { n: number }).n,
  })
  it('bad data, then a name collision: no new rows; a good import adds one dataset', async () => {
    const s = ProjectStore.create(join(tempDir(), 'p.popdyn'))
    try {
      const good = writeTemp('good.csv', 'track,t,x,y\n1,0,0,0\n1,1,1,0\n2,0,5,5\n2,1,5,6\n')
      const first = await importIntoProject(s, good, { shortTrack: 1 })
      const before = counts(s)
      expect(before).toEqual({ datasets: 1, artifacts: 5 })
      await expect(importIntoProject(s, writeTemp('bad.csv', 'track,t,x,y\n1,0,0,0\n1,1,x,0\n'))).rejects.toThrow(/line 3, column "x"/)
      expect(counts(s)).toEqual(before)
      await expect(importIntoProject(s, good)).rejects.toThrow(/A dataset named "good" already exists/)
      expect(counts(s)).toEqual(before)
      const stored = s.getDataset(first.datasetId)
      expect(stored).toMatchObject({ name: 'good', kind: 'tracks', rows: 4, entities: 2, times: 2, dim: 2 })
      expect(s.getArtifact({ datasetId: first.datasetId }, 'pos')!.shape).toEqual([4, 2])
    } finally {
      s.close()
    }
  })
})
