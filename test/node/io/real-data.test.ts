import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { importFile, inspectFile, type ImportMeta } from '../../../src-main/io/import/index'
import { arr, gunzipText, realData } from './helpers'

const meta = (r: { dataset: { meta?: Record<string, unknown> } }) => r.dataset.meta as unknown as ImportMeta

describe('real data in ../shared/data', () => {
  it('CMSO Ba/F3 TrackMate tracks: 373 tracks, 4,489 rows, frames 0-143; gaps split or kept', async () => {
    const p = realData('cmso_baf3_trackmate/baf3_well2B_tracks.csv')
    const r = await importFile(p, { spaceUnit: 'um' })
    expect(r.summary).toMatchObject({ kind: 'tracks', rows: 4489, tracks: 373, timePoints: 144, dim: 2 })
    expect(r.summary.units.space).toBe('µm')
    expect(r.summary.segments).toBeGreaterThan(373)
    expect(r.summary.warnings.join(' ')).toMatch(/Gaps: 89 gaps .* in 89 of 373 tracks/)
    expect(meta(r).timeValues[0]).toBe(0)
    expect(meta(r).timeValues.at(-1)).toBe(143)
    // first stored row is track "1" at frame 0 (the file's first data line)
    expect(arr(r.dataset.arrays.pos).slice(0, 2)).toEqual([197.6454, 156.2554])
    expect(gunzipText(r.dataset.arrays['source/raw.gz'])).toBe(readFileSync(p, 'utf8'))
    const kept = await importFile(p, { gaps: 'keep' })
    expect(kept.dataset.entities).toBe(373)
    expect(meta(kept).trackIds).toHaveLength(373)
    // rowOrder is a permutation of the file's records
    expect([...arr(kept.dataset.arrays.rowOrder)].sort((a, b) => a - b)).toEqual(Array.from({ length: 4489 }, (_, i) => i))
  })

  it('EB 5-PC snapshots: 5 time points x 550 cells; equal to the first 5 of the 100-PC file', async () => {
    const r5 = await importFile(realData('eb_moon2019_nlsb_subset/eb_pca5_snapshots.csv'))
    expect(r5.summary).toMatchObject({ kind: 'snapshots', rows: 2750, timePoints: 5, dim: 5 })
    expect(meta(r5).countsPerTime).toEqual([550, 550, 550, 550, 550])
    expect(meta(r5).labelNames).toEqual(['day00-03', 'day06-09', 'day12-15', 'day18-21', 'day24-27'])
    const r100 = await importFile(realData('eb_moon2019_nlsb_subset/eb_pca100_snapshots.csv'), { components: 5 })
    expect(r100.summary.dim).toBe(5)
    expect(arr(r100.dataset.arrays.pos)).toEqual(arr(r5.dataset.arrays.pos))
  })

  it('Weinreb 2-D: 3 time points with 1,429 / 3,781 / 5,788 cells', async () => {
    const r = await importFile(realData('weinreb_hematopoiesis_2d/weinreb_2d_snapshots.csv'))
    expect(r.summary).toMatchObject({ rows: 10998, timePoints: 3, dim: 2 })
    expect(meta(r).countsPerTime).toEqual([1429, 3781, 5788])
    expect(meta(r).labelNames).toEqual(['day2', 'day4', 'day6'])
  })

  it('ocean vortex with velocities: 9 x 111, v1/v2 detected', async () => {
    const r = await importFile(realData('ocean_hycom_gulf_vortex/small_vortex_snapshots_with_velocity.csv'))
    expect(r.summary).toMatchObject({ rows: 999, timePoints: 9, dim: 2, mapping: { velocity: ['v1', 'v2'] } })
  })

  it('inspect guesses kind and mapping from the head', async () => {
    const t = await inspectFile(realData('cmso_baf3_trackmate/baf3_well2B_tracks.csv'))
    expect(t).toMatchObject({ format: 'csv', kindGuess: 'tracks', columns: ['track_id', 't', 'x', 'y'], mappingGuess: { track: 'track_id', time: 't', x: 'x', y: 'y' }, rowCountEstimate: 4489, problems: [] })
    expect(t.preview).toHaveLength(20)
    expect(t.preview[0]).toEqual(['1', '0', '197.6454', '156.2554'])
    const s = await inspectFile(realData('eb_moon2019_nlsb_subset/eb_pca100_snapshots.csv'), { previewRows: 3 })
    expect(s.kindGuess).toBe('snapshots')
    expect(s.mappingGuess.features).toHaveLength(100)
    expect(s.preview).toHaveLength(3)
    // the file is larger than the 256 KiB head: an estimate within 5% of the 2,750 rows
    expect(Math.abs(s.rowCountEstimate - 2750) / 2750).toBeLessThan(0.05)
  })
})
