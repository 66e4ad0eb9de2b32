/**
 * The malformed-file table (issue 3): each file is refused with its message (file, line or
 * column named) and the project is exactly as before — same rows in every table.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importIntoProject, type ImportOptions } from '../../../src-main/io/import/index'
import { ProjectStore } from '../../../src-main/store/project'
import { tempDir } from '../helpers/tmp'
import { writeTemp } from './helpers'

const T = 'track,t,x,y\n'
const S = 'time,x1,x2\n'
const cases: [string, string, ImportOptions, RegExp][] = [
  ['non-numeric', T + '1,0,0,0\n1,1,abc,0\n', {}, /line 3, column "x".*non-numeric value "abc"/],
  ['NaN', T + '1,0,0,0\n1,1,1,NaN\n', {}, /line 3, column "y".*NaN/],
  ['Inf', S + '0,1,inf\n0,1,1\n1,1,1\n1,2,2\n', {}, /line 2, column "PC2"|line 2, column "x2".*infinite/],
  ['empty value', T + '1,0,0,0\n1,1,,0\n', {}, /line 3, column "x".*empty value/],
  ['missing mapped column', T + '1,0,0,0\n', { mapping: { x: 'POS_X' } }, /missing column "POS_X".*columns found/],
  ['no time column', 'id,when,a,b\n1,0,0,0\n', { kind: 'tracks' }, /no column found for time/],
  ['duplicate (track, time)', T + '1,0,0,0\n1,1,1,0\n2,0,0,0\n1,1,2,0\n', {}, /duplicate \(track, time\).*line 3 and line 5/],
  ['empty file', '', {}, /is empty \(0 bytes\)/],
  ['blank lines only', '\n\n  \n', {}, /is empty: no header line/],
  ['header only', T, {}, /has a header \(4 columns\) but no data rows/],
  ['single time point (tracks)', T + '1,5,0,0\n2,5,1,1\n', {}, /a single time point/],
  ['single time point (snapshots)', S + 'd1,0,0\nd1,1,1\n', {}, /only one time point/],
  ['fewer than 2 cells at a time', S + '0,0,0\n0,1,1\n1,2,2\n2,0,0\n2,1,1\n', {}, /time point "1".*only 1 cell \(line 4\)/],
  ['field count', T + '1,0,0,0\n1,1,1\n', {}, /line 3 has 3 fields but the header has 4 columns/],
  ['velocity vs features', 'time,x1,x2,v1\n0,0,0,0\n0,1,1,1\n1,0,0,0\n1,1,1,1\n', { mapping: { velocity: ['v1'] } }, /inconsistent dimensions: 1 velocity columns/],
  ['too many components', S + '0,0,0\n0,1,1\n1,0,0\n1,1,1\n', { components: 3 }, /--components 3 asked, but only 2 feature columns/],
  ['over the memory limit', T + '1,0,0,0\n'.repeat(400), { maxBytes: 1024 }, /larger than the import memory limit of 1\.0 KiB/],
  ['unclosed quote', 'track,t,x,y,note\n1,0,0,0,"a\nb"\n', {}, /line 2: a quoted field is not closed/],
  ['non-numeric time', T + '1,0,0,0\n1,x,1,0\n', { kind: 'tracks' }, /line 3, column "t"/],
  ['non-numeric track row in a TSV', 'track\tt\tx\ty\n1\t0\t0\t0\n1\t1\t?\t0\n', {}, /line 3, column "x"/],
  ['bad --map field', T + '1,0,0,0\n', { mapping: { x: 'x', y: 'nope' } }, /missing column "nope"/],
]

describe('malformed files are refused with their message and leave the project unchanged', () => {
  it(`${cases.length} cases`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(20)
    const store = ProjectStore.create(join(tempDir(), 'p.popdyn'))
    const counts = () => ['datasets', 'artifacts', 'runs', 'labels'].map((t) => store.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get())
    const before = counts()
    for (const [name, text, opts, message] of cases) {
      const file = writeTemp(`${name.replace(/\W+/g, '-')}.csv`, text)
      let err: unknown = null
      try {
        await importIntoProject(store, file, { ...opts, name })
      } catch (e) {
        err = e
      }
      expect(err, `${name}: expected a refusal`).not.toBeNull()
      expect((err as Error).message, name).toMatch(message)
      expect((err as { kind?: string }).kind, name).toBe('invalid-input')
      expect(counts(), `${name}: project changed`).toEqual(before)
    }
    store.close()
  })
})
