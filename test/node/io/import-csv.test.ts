import { describe, expect, it } from 'vitest'
import { importFile, parseMapping, type ImportMeta } from '../../../src-main/io/import/index'
import { arr, gunzipText, writeTemp } from './helpers'

const meta = (r: { dataset: { meta?: Record<string, unknown> } }) => r.dataset.meta as unknown as ImportMeta

describe('tracks CSV', () => {
  it('sorts by (track, time), keeps values, rowOrder and the original bytes', async () => {
    // Input out of order, track ids that sort naturally (2 < 10), a CRLF line, a blank line.
    const text = 'cell,frame,px,py,kind\r\n10,1,5.5,6.5,b\n2,1,1.25,2,a\n\n10,0,5,6,b\n2,0,1,2.5,a\n2,2,1.5,1.5,a\n10,2,6,7,b\n'
    const p = writeTemp('t.csv', text)
    const progress: number[] = []
    const r = await importFile(p, { mapping: { track: 'cell', time: 'frame', x: 'px', y: 'py', label: 'kind' }, shortTrack: 2, onProgress: (f) => progress.push(f) })
    expect(progress.at(-1)).toBe(1)
    const a = r.dataset.arrays
    expect(r.summary).toMatchObject({ kind: 'tracks', rows: 6, tracks: 2, segments: 2, timePoints: 3, dim: 2 })
    expect(meta(r).trackIds).toEqual(['2', '10'])
    expect(arr(a.track)).toEqual([0, 0, 0, 1, 1, 1])
    expect(arr(a.time)).toEqual([0, 1, 2, 0, 1, 2])
    expect(arr(a.pos)).toEqual([1, 2.5, 1.25, 2, 1.5, 1.5, 5, 6, 5.5, 6.5, 6, 7])
    expect(a.pos!.shape).toEqual([6, 2])
    // data records: 0 = "10,1", 1 = "2,1", 2 = "10,0", 3 = "2,0", 4 = "2,2", 5 = "10,2"
    expect(arr(a.rowOrder)).toEqual([3, 1, 4, 2, 0, 5])
    expect(meta(r).labelNames).toEqual(['b', 'a'])
    expect(arr(a.label)).toEqual([1, 1, 1, 0, 0, 0])
    expect(gunzipText(a['source/raw.gz'])).toBe(text)
    expect(meta(r).source).toMatchObject({ fileName: 't.csv', delimiter: ',', header: ['cell,frame,px,py,kind'], headerLines: 1, records: 6, synthesized: false })
    expect(meta(r).source.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it('reads TrackMate spot tables: 4 header rows, units row, frame interval from POSITION_T', async () => {
    const text = [
      'LABEL,ID,TRACK_ID,QUALITY,POSITION_X,POSITION_Y,POSITION_Z,POSITION_T,FRAME',
      'Label,Spot ID,Track ID,Quality,X,Y,Z,T,Frame',
      'Label,Spot ID,Track ID,Quality,X,Y,Z,T,Frame',
      ',,,(quality),(micron),(micron),(micron),(sec),',
      'ID1,1,0,5,10,20,0,0,0',
      'ID2,2,0,5,11,21,0,30,1',
      'ID3,3,1,5,40,50,0,0,0',
      'ID4,4,1,5,41,52,0,30,1',
      'ID5,5,None,5,99,99,0,30,1',
    ].join('\n')
    const r = await importFile(writeTemp('spots.csv', text), { shortTrack: 1 })
    expect(r.summary.mapping).toEqual({ track: 'TRACK_ID', time: 'FRAME', x: 'POSITION_X', y: 'POSITION_Y', z: 'POSITION_Z' })
    expect(r.summary.units).toEqual({ space: 'µm', time: 'frame', pixelSize: null, frameInterval: 30, frameIntervalUnit: 's' })
    expect(r.summary.dim).toBe(3)
    expect(meta(r).source.headerLines).toBe(4)
    expect(arr(r.dataset.arrays.pos).slice(0, 3)).toEqual([10, 20, 0])
    expect(r.summary.warnings).toEqual(['1 of 5 rows have no track id (column "TRACK_ID" empty or "None", first at line 9) and were not imported.'])
    expect(arr(r.dataset.arrays.rowOrder)).toEqual([0, 1, 2, 3])
    expect(meta(r).source.records).toBe(5)
    // time mapped to POSITION_T: physical time in the units row's unit
    const pt = await importFile(writeTemp('spots2.csv', text), { shortTrack: 1, mapping: { time: 'POSITION_T' } })
    expect(pt.summary.units).toMatchObject({ space: 'µm', time: 's', frameInterval: null })
    expect(arr(pt.dataset.arrays.time)).toEqual([0, 30, 0, 30])
  })

  it('guesses the kind: a generic id next to x/y is tracks, next to PCs it is snapshots', async () => {
    const t = await importFile(writeTemp('k1.csv', 'id,t,x,y\n1,0,0,0\n1,1,1,1\n'), { shortTrack: 1 })
    expect(t.summary).toMatchObject({ kind: 'tracks', mapping: { track: 'id', time: 't', x: 'x', y: 'y' } })
    const s = await importFile(writeTemp('k2.csv', 'cell,time,PC1,PC2\na,0,0,0\nb,0,1,1\nc,1,0,0\nd,1,2,2\n'))
    expect(s.summary).toMatchObject({ kind: 'snapshots', mapping: { time: 'time', features: ['PC1', 'PC2'], id: 'cell' } })
  })

  it('warns when positions are in px without a pixel size, or in frames without an interval', async () => {
    const r = await importFile(writeTemp('u.csv', 'track,t,x,y\n1,0,0,0\n1,1,1,1\n'), { spaceUnit: 'px', shortTrack: 1 })
    expect(r.summary.warnings).toEqual([
      'Positions are in pixels and no pixel size was given (--pixel-size): speeds and forces will be in px, not µm.',
      'Time is in frames and no frame interval was given (--frame-interval): rates will be per frame.',
    ])
  })

  it('sniffs tab and semicolon delimiters and honours --map and user units', async () => {
    const tsv = 'ID\tT\tX\tY\n1\t0\t0\t0\n1\t1\t1\t0\n2\t0\t5\t5\n2\t1\t5\t6\n'
    const r = await importFile(writeTemp('a.tsv', tsv), { mapping: parseMapping('track=ID,time=T'), spaceUnit: 'px', pixelSize: 0.65, timeUnit: 'frame', frameInterval: 2, frameIntervalUnit: 'min', shortTrack: 1 })
    expect(meta(r).source.delimiter).toBe('\t')
    expect(r.summary.units).toEqual({ space: 'px', time: 'frame', pixelSize: 0.65, frameInterval: 2, frameIntervalUnit: 'min' })
    expect(arr(r.dataset.arrays.pos)).toEqual([0, 0, 1, 0, 5, 5, 5, 6])
    const semi = await importFile(writeTemp('b.csv', 'track;t;x;y\n1;0;0,5;0\n'.replace('0,5', '0.5') + '1;1;1;1\n'), { shortTrack: 1 })
    expect(meta(semi).source.delimiter).toBe(';')
    expect(parseMapping('features=PC1;PC2,velocity=v1|v2')).toEqual({ features: ['PC1', 'PC2'], velocity: ['v1', 'v2'] })
    expect(() => parseMapping('colour=red')).toThrow(/unknown field "colour"; fields are track, time/)
  })

  it('gap policies: split (default), interpolate, keep — each reported', async () => {
    // track 1 misses frames 2 and 3; track 2 is regular.
    const text = 'track,t,x,y\n1,0,0,0\n1,1,1,0\n1,4,4,3\n1,5,5,3\n2,0,9,9\n2,1,9,8\n2,2,9,7\n'
    const p = writeTemp('g.csv', text)
    const split = await importFile(p, { shortTrack: 1 })
    expect(meta(split).trackIds).toEqual(['1', '1:2', '2'])
    expect(meta(split).segmentOf).toEqual({ '1': '1', '1:2': '1' })
    expect(split.summary).toMatchObject({ tracks: 2, segments: 3, rows: 7 })
    expect(split.summary.warnings.join(' ')).toMatch(/Gaps: 1 gap \(2 missing time points\) in 1 of 2 tracks, e\.g\. track "1" from t=1 to t=4 \(line 4\); tracks were split/)
    const interp = await importFile(p, { gaps: 'interpolate', shortTrack: 1 })
    expect(interp.summary).toMatchObject({ segments: 2, rows: 9 })
    expect(arr(interp.dataset.arrays.time).slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5])
    expect(arr(interp.dataset.arrays.pos).slice(4, 8)).toEqual([2, 1, 3, 2])
    expect(arr(interp.dataset.arrays.rowOrder).slice(0, 6)).toEqual([0, 1, -1, -1, 2, 3])
    expect(interp.summary.warnings.join(' ')).toMatch(/2 missing positions were filled by linear interpolation/)
    const keep = await importFile(p, { gaps: 'keep', shortTrack: 1 })
    expect(keep.summary).toMatchObject({ segments: 2, rows: 7 })
    expect(keep.summary.warnings.join(' ')).toMatch(/gaps were kept/)
  })

  it('irregular time steps: reported and kept, or resampled onto the base grid', async () => {
    const text = 'track,time,x,y\n1,0,0,0\n1,1,1,0\n1,2,2,0\n1,2.5,2.5,0\n1,3.5,3.5,0\n2,0,0,1\n2,1,1,1\n2,2,2,1\n'
    const p = writeTemp('irr.csv', text)
    const keep = await importFile(p, { shortTrack: 1 })
    expect(keep.summary.warnings.join(' ')).toMatch(/Irregular time steps: 1 of 6 steps \(17%\) are not a multiple of the base step 1 .*track "1" from t=2 to t=2\.5 \(line 5\).*Kept/)
    expect(keep.summary.rows).toBe(8)
    const rs = await importFile(p, { irregular: 'resample', shortTrack: 1 })
    expect(arr(rs.dataset.arrays.time).slice(0, 4)).toEqual([0, 1, 2, 3])
    expect(arr(rs.dataset.arrays.pos).slice(6, 8)).toEqual([3, 0])
    expect(arr(rs.dataset.arrays.rowOrder).slice(0, 4)).toEqual([0, 1, 2, -1])
  })

  it('warns about short tracks with the share and the threshold', async () => {
    const rows = ['track,t,x,y']
    for (let k = 0; k < 3; k++) rows.push(`1,${k},${k},0`)
    for (let k = 0; k < 12; k++) rows.push(`2,${k},${k},1`)
    const r = await importFile(writeTemp('s.csv', rows.join('\n')))
    expect(r.summary.warnings).toContain('50% of tracks (1 of 2) are shorter than 10 observations; methods that need long tracks may skip them.')
  })
})

describe('snapshots CSV', () => {
  it('orders label times naturally, reads PC features, labels and v_ velocities', async () => {
    const text = 'cell,sample,PC2,PC1,v_PC1,v_PC2,type\nc1,Day 12-15,2,1,0.1,0.2,A\nc2,Day 6-9,4,3,0.3,0.4,B\nc3,Day 0-3,6,5,0.5,0.6,A\nc4,Day 6-9,8,7,0.7,0.8,A\nc5,Day 0-3,10,9,0.9,1.0,B\nc6,Day 12-15,12,11,1.1,1.2,B\n'
    const r = await importFile(writeTemp('snap.csv', text), { mapping: { label: 'type' } })
    expect(r.summary).toMatchObject({ kind: 'snapshots', rows: 6, timePoints: 3, dim: 2 })
    expect(r.summary.mapping).toMatchObject({ time: 'sample', features: ['PC1', 'PC2'], velocity: ['v_PC1', 'v_PC2'], label: 'type' })
    expect(meta(r).timeLabels).toEqual(['Day 0-3', 'Day 6-9', 'Day 12-15'])
    expect(arr(r.dataset.arrays.time)).toEqual([0, 0, 1, 1, 2, 2])
    expect(arr(r.dataset.arrays.pos)).toEqual([5, 6, 9, 10, 3, 4, 7, 8, 1, 2, 11, 12])
    expect(arr(r.dataset.arrays.velocity)).toEqual([0.5, 0.6, 0.9, 1.0, 0.3, 0.4, 0.7, 0.8, 0.1, 0.2, 1.1, 1.2])
    expect(arr(r.dataset.arrays.rowOrder)).toEqual([2, 4, 1, 3, 0, 5])
    expect(meta(r).countsPerTime).toEqual([2, 2, 2])
    expect(r.summary.units.time).toBe('index')
  })

  it('takes a user time order and the first K components', async () => {
    const text = 'time,x1,x2,x3\nlate,1,2,3\nearly,4,5,6\nlate,7,8,9\nearly,1,1,1\n'
    const r = await importFile(writeTemp('o.csv', text), { timeOrder: ['late', 'early'], components: 2 })
    expect(meta(r).timeLabels).toEqual(['late', 'early'])
    expect(arr(r.dataset.arrays.pos)).toEqual([1, 2, 7, 8, 4, 5, 1, 1])
    expect(r.summary.dim).toBe(2)
    await expect(importFile(writeTemp('o2.csv', text), { timeOrder: ['late'] })).rejects.toThrow(/time labels "early" in column "time" are not in the given time order/)
  })

  it('merges numeric times written differently ("1" and "1.0")', async () => {
    const r = await importFile(writeTemp('n.csv', 'day,x,y\n1,0,0\n1.0,1,1\n2,0,0\n2,1,1\n'))
    expect(r.summary.timePoints).toBe(2)
    expect(r.summary.units.time).toBe('day')
  })
})
