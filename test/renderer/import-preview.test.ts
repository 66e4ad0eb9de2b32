import { describe, expect, it } from 'vitest'
import { fitToBox, naturalCompare, previewPlot, previewTable, type PreviewPlot } from '../../src-renderer/components/importPreview'

const csv = {
  format: 'csv',
  columns: ['cell', 'frame', 'px', 'py', 'extra'],
  mappingGuess: {},
  // Track 2's rows are out of time order; one row has a non-numeric y.
  preview: [
    ['1', '0', '0', '0', 'a'],
    ['1', '1', '1', '0.5', 'b'],
    ['2', '2', '5', '5', 'c'],
    ['2', '0', '3', '3', 'd'],
    ['2', '1', '4', 'n/a', 'e'],
    ['3', '0', '9', '9', 'f'],
  ],
}

function ok(p: PreviewPlot | { message: string }): PreviewPlot {
  if ('message' in p) throw new Error(p.message)
  return p
}

describe('import preview plot', () => {
  it('tracks: x/y of the mapped columns, one polyline per track in time order, bad rows counted', () => {
    const p = ok(previewPlot(previewTable(csv), 'tracks', { track: 'cell', time: 'frame', x: 'px', y: 'py' }, []))
    expect([p.xName, p.yName, p.groupBy]).toEqual(['px', 'py', 'track'])
    expect(p.x).toEqual([0, 1, 5, 3, 9])
    expect(p.y).toEqual([0, 0.5, 5, 3, 9])
    expect(p.groups).toEqual(['1', '2', '3'])
    expect(p.group).toEqual([0, 0, 1, 1, 2])
    // Track 2 joined by frame: (3,3) at frame 0 before (5,5) at frame 2; track 3 has one point.
    expect(p.lines).toEqual([
      [0, 1],
      [3, 2],
    ])
    expect(p.skipped).toBe(1)
  })

  it('follows the mapping: other columns give other points; unmapped x/y give a message', () => {
    const a = ok(previewPlot(previewTable(csv), 'tracks', { track: 'cell', time: 'frame', x: 'px', y: 'py' }, []))
    const b = ok(previewPlot(previewTable(csv), 'tracks', { track: 'cell', time: 'frame', x: 'frame', y: 'px' }, []))
    expect(b.x).toEqual([0, 1, 2, 0, 1, 0])
    expect(b.y).not.toEqual(a.y)
    expect(previewPlot(previewTable(csv), 'tracks', { x: 'px', y: '' }, [])).toEqual({ message: 'Map the x and y columns to see a preview.' })
    // Without a track column: points only, uncoloured.
    const c = ok(previewPlot(previewTable(csv), 'tracks', { x: 'px', y: 'py' }, []))
    expect([c.groupBy, c.lines.length, c.group.every((g) => g === -1)]).toEqual([null, 0, true])
  })

  it('snapshots: the first two chosen features, coloured by time in natural order', () => {
    const t = {
      header: ['day', 'PC1', 'PC2', 'PC3'],
      rows: [
        ['Day 10', '1', '2', '3'],
        ['Day 2', '4', '5', '6'],
        ['Day 2', '7', '8', '9'],
      ],
    }
    const p = ok(previewPlot(t, 'snapshots', { time: 'day' }, ['PC3', 'PC1']))
    expect([p.xName, p.yName, p.groupBy]).toEqual(['PC3', 'PC1', 'time'])
    expect(p.x).toEqual([3, 6, 9])
    expect(p.groups).toEqual(['Day 2', 'Day 10'])
    expect(p.group).toEqual([1, 0, 0])
    expect(previewPlot(t, 'snapshots', { time: 'day' }, ['PC1', 'nope'])).toEqual({ message: 'Choose at least two feature columns to see a preview.' })
  })

  it('reads TrackMate XML previews (header row first) and h5ad/npz embeddings', () => {
    const xml = {
      format: 'trackmate-xml',
      columns: ['ID', 'name', 'FRAME'],
      mappingGuess: {},
      preview: [
        ['ID', 'FRAME', 'POSITION_X', 'POSITION_Y', 'POSITION_Z'],
        ['0', '0', '1.5', '2', '0'],
        ['1', '1', '2.5', '3', '0'],
      ],
    }
    const p = ok(previewPlot(previewTable(xml), 'tracks', { time: 'FRAME', x: 'POSITION_X', y: 'POSITION_Y' }, [], 'trackmate-xml'))
    expect([p.x, p.groupBy, p.groups]).toEqual([[1.5, 2.5], 'frame', ['0', '1']])
    const h5 = { format: 'h5ad', columns: ['obs/day'], mappingGuess: { features: ['X_pca'] }, preview: [['1', '2', '3'], ['4', '5', '6']] }
    const t = previewTable(h5)
    expect(t.header).toEqual(['X_pca[1]', 'X_pca[2]', 'X_pca[3]'])
    const q = ok(previewPlot(t, 'snapshots', {}, [], 'h5ad'))
    expect([q.x, q.y, q.groupBy]).toEqual([[1, 4], [2, 5], null])
    expect(previewPlot(previewTable({ ...h5, preview: [] }), 'snapshots', {}, [], 'h5ad')).toEqual({ message: 'No rows to preview.' })
  })

  it('sorts labels naturally and fits data into the box (equal scales for tracks)', () => {
    expect(['Day 10', 'Day 2', 'Day 0-3'].sort(naturalCompare)).toEqual(['Day 0-3', 'Day 2', 'Day 10'])
    expect(['10', '9', '-1'].sort(naturalCompare)).toEqual(['-1', '9', '10'])
    const { sx, sy } = fitToBox([0, 10], [0, 5], 120, 60, 10, true)
    expect([sx(0), sx(10), sy(0), sy(5)]).toEqual([20, 100, 50, 10]) // scale 8 px per unit, centred in x
    const f = fitToBox([0, 10], [0, 5], 120, 60, 10, false)
    expect([f.sx(0), f.sx(10), f.sy(0), f.sy(5)]).toEqual([10, 110, 50, 10]) // x fills the width
  })
})
