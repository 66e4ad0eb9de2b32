import { describe, expect, it } from 'vitest'
import { importFile, inspectFile, type ImportMeta } from '../../../src-main/io/import/index'
import { arr, gunzipText, writeTemp } from './helpers'

const spot = (id: number, frame: number, x: number, y: number) =>
  `      <Spot ID="${id}" name="ID${id}" QUALITY="1.0" POSITION_X="${x}" POSITION_Y="${y}" POSITION_Z="0.0" POSITION_T="${frame * 300}" FRAME="${frame}" RADIUS="2.5" />`
const edge = (a: number, b: number) => `      <Edge SPOT_SOURCE_ID="${a}" SPOT_TARGET_ID="${b}" LINK_COST="1.0" />`

/**
 * Track_0 splits at spot 2 (2 -> 3 and 2 -> 4); Track_1 merges at spot 9 (7 -> 9, 8 -> 9);
 * Track_2 has a gap (frame 2 missing) and one edge written backwards; Track_3 is filtered out;
 * spot 16 is in no track.
 */
export const XML = `<?xml version="1.0" encoding="UTF-8"?>
<TrackMate version="7.11.1">
  <Model spatialunits="micron" timeunits="min">
    <FeatureDeclarations />
    <AllSpots nspots="16">
    <SpotsInFrame frame="0">
${[spot(1, 0, 0, 0), spot(7, 0, 10, 0), spot(8, 0, 12, 0), spot(11, 0, 20, 0), spot(14, 0, 30, 0), spot(16, 0, 40, 0)].join('\n')}
    </SpotsInFrame>
    <SpotsInFrame frame="1">
${[spot(2, 1, 1, 0), spot(9, 1, 11, 1), spot(12, 1, 21, 0), spot(15, 1, 31, 0)].join('\n')}
    </SpotsInFrame>
    <SpotsInFrame frame="2">
${[spot(3, 2, 2, 1), spot(4, 2, 2, -1), spot(10, 2, 11, 2)].join('\n')}
    </SpotsInFrame>
    <SpotsInFrame frame="3">
${[spot(5, 3, 3, 1), spot(6, 3, 3, -1), spot(13, 3, 23, 0)].join('\n')}
    </SpotsInFrame>
    </AllSpots>
    <AllTracks>
      <Track name="Track_0" TRACK_ID="0" NUMBER_SPOTS="6">
${[edge(1, 2), edge(2, 3), edge(2, 4), edge(3, 5), edge(4, 6)].join('\n')}
      </Track>
      <Track name="Track_1" TRACK_ID="1">
${[edge(7, 9), edge(8, 9), edge(9, 10)].join('\n')}
      </Track>
      <Track name="Track_2" TRACK_ID="2">
${[edge(11, 12), edge(13, 12)].join('\n')}
      </Track>
      <Track name="Track_3" TRACK_ID="3">
${edge(14, 15)}
      </Track>
    </AllTracks>
    <FilteredTracks>
      <TrackID TRACK_ID="0" />
      <TrackID TRACK_ID="1" />
      <TrackID TRACK_ID="2" />
    </FilteredTracks>
  </Model>
  <Settings>
    <ImageData filename="movie.tif" width="512" height="512" nslices="1" nframes="4" pixelwidth="0.65" pixelheight="0.65" voxeldepth="1.0" timeinterval="5.0" />
  </Settings>
</TrackMate>
`

describe('TrackMate XML', () => {
  it('builds tracks from edges, cuts at splits/merges and gaps, reports each, reads units', async () => {
    const r = await importFile(writeTemp('tm.xml', XML), { shortTrack: 1 })
    const m = r.dataset.meta as unknown as ImportMeta
    expect(r.summary).toMatchObject({ kind: 'tracks', format: 'trackmate-xml', rows: 13, tracks: 3, segments: 8, timePoints: 4, dim: 2 })
    expect(r.summary.units).toEqual({ space: 'µm', time: 'frame', pixelSize: null, frameInterval: 5, frameIntervalUnit: 'min' })
    expect(m.trackIds).toEqual(['Track_0:1', 'Track_0:2', 'Track_0:3', 'Track_1:1', 'Track_1:2', 'Track_1:3', 'Track_2', 'Track_2:2'])
    expect(m.segmentOf).toMatchObject({ 'Track_0:2': 'Track_0', 'Track_1:3': 'Track_1', 'Track_2:2': 'Track_2' })
    // Track_0:1 = spots 1,2; Track_1:3 = spots 9,10 (the merged segment); Track_2 = 11,12 then 13 after the gap.
    const track = arr(r.dataset.arrays.track)
    const pos = arr(r.dataset.arrays.pos)
    const rowsOf = (k: number) => track.flatMap((t, i) => (t === k ? [i] : []))
    expect(rowsOf(0).map((i) => pos.slice(2 * i, 2 * i + 2))).toEqual([[0, 0], [1, 0]])
    expect(rowsOf(5).map((i) => pos.slice(2 * i, 2 * i + 2))).toEqual([[11, 1], [11, 2]])
    expect(rowsOf(6).map((i) => arr(r.dataset.arrays.time)[i])).toEqual([0, 1])
    expect(rowsOf(7).map((i) => pos[2 * i])).toEqual([23])
    const w = r.summary.warnings.join('\n')
    expect(w).toMatch(/1 split and 1 merge in 2 tracks \(e\.g\. "Track_0", "Track_1"\)\. Policy split/)
    expect(w).toMatch(/1 of 4 tracks \(2 spots\) are not in FilteredTracks/)
    expect(w).toMatch(/1 of 16 spots belong to no track/)
    expect(w).toMatch(/Gaps: 1 gap \(1 missing time point\) in 1 of 7 tracks, e\.g\. track "Track_2" from t=1 to t=3 \(spot ID 13\); tracks were split .*ids like "Track_2:2"/)
    // rowOrder points at the spot's position in the file; the synthesized table has one line per spot.
    const raw = gunzipText(r.dataset.arrays['source/raw.gz']).trim().split('\n')
    expect(raw).toHaveLength(17)
    expect(raw[0]).toBe('ID,TRACK,FRAME,POSITION_T,POSITION_X,POSITION_Y,POSITION_Z')
    const ro = arr(r.dataset.arrays.rowOrder)
    expect(raw[1 + ro[0]!]).toBe('1,Track_0,0,0,0,0,0')
    expect(m.source.synthesized).toBe(true)
  })

  it('names the spot and attribute for bad values and refuses XML that is not TrackMate', async () => {
    await expect(importFile(writeTemp('b.xml', XML.replace('POSITION_X="21"', 'POSITION_X="abc"')))).rejects.toThrow(/"b\.xml" line \d+: spot ID 12 \(Model\/AllSpots\), attribute POSITION_X: "abc" is not a finite number\./)
    await expect(importFile(writeTemp('c.xml', XML.replace(edge(9, 10), edge(9, 99))))).rejects.toThrow('"c.xml": track "Track_1" (Model/AllTracks) has an edge to spot ID 99, which is not in Model/AllSpots.')
    await expect(importFile(writeTemp('d.xml', '<?xml version="1.0"?><root><a/></root>'))).rejects.toThrow('"d.xml" is XML but not a TrackMate file')
    await expect(importFile(writeTemp('e.xml', '<?xml version="1.0"?><TrackMate><Model>'))).rejects.toThrow(/"e\.xml" is not well-formed XML/)
  })

  it('inspects the head: units, spot count, first spots', async () => {
    const i = await inspectFile(writeTemp('tm.xml', XML))
    expect(i).toMatchObject({ format: 'trackmate-xml', kindGuess: 'tracks', rowCountEstimate: 16, units: { space: 'µm', time: 'frame' }, problems: [] })
    expect(i.preview[1]).toEqual(['1', '0', '0', '0', '0.0'])
    expect(i.columns).toContain('POSITION_X')
  })
})
