import { describe, expect, it } from 'vitest'
import { inspectFile } from '../../../src-main/io/import/index'
import { writeTemp } from './helpers'

describe('inspectFile (CSV)', () => {
  it('lists problems found in the head without importing', async () => {
    const p = writeTemp('x.csv', 'TRACK_ID,FRAME,POSITION_X,POSITION_Y\n1,0,1,1\n1,1,oops,1\n1,2,3\n')
    const i = await inspectFile(p)
    expect(i).toMatchObject({ format: 'csv', kindGuess: 'tracks', rowCountEstimate: 3, mappingGuess: { track: 'TRACK_ID', time: 'FRAME', x: 'POSITION_X', y: 'POSITION_Y' } })
    expect(i.problems).toEqual(['"x.csv" line 3, column "POSITION_X" (x): "oops" is not a finite number.', '"x.csv" line 4 has 3 fields but the header has 4 columns.'])
    expect(i.preview).toEqual([['1', '0', '1', '1'], ['1', '1', 'oops', '1'], ['1', '2', '3']])
  })
  it('reports unmapped fields and a missing user column', async () => {
    const i = await inspectFile(writeTemp('y.csv', 'a,b\n1,2\n'), { kind: 'tracks', mapping: { x: 'nope' } })
    expect(i.problems).toContain('No column found for track; map it (columns: a, b).')
    expect(i.problems).toContain('Missing column "nope" for x.')
  })
  it('never throws for bad data; an empty file is a problem', async () => {
    const i = await inspectFile(writeTemp('e.csv', ''))
    expect(i.problems).toEqual(['"e.csv" is empty (0 bytes).'])
  })
})
