/** Creates the bundled sample project (tracks + snapshots) so a newcomer sees data at once. */
import { existsSync } from 'node:fs'
import { nd } from '../store/arrays'
import { ProjectStore, type OpenOptions } from '../store/project'
import { sampleSnapshots, sampleTracks } from '../engines/synth/sample'

export function createSampleProject(path: string, opts: OpenOptions = {}): ProjectStore {
  if (existsSync(path)) return ProjectStore.open(path, opts)
  const store = ProjectStore.create(path, 'Sample project', opts)
  const tr = sampleTracks()
  const rowsT = tr.track.length
  store.insertDataset({
    name: 'sample tracks',
    kind: 'tracks',
    rows: rowsT,
    entities: new Set(tr.track).size,
    times: new Set(tr.time).size,
    dim: 2,
    units: { space: 'µm', time: 'frame', pixelSize: null, frameInterval: null, frameIntervalUnit: null },
    source: 'bundled sample: two synthetic species (drifters, wanderers)',
    meta: { truthColumn: 'species', labelNames: ['drifters', 'wanderers'] },
    warnings: [],
    arrays: { track: nd(tr.track), time: nd(tr.time), pos: nd(tr.pos, [rowsT, 2]), 'truth/species': nd(tr.species) },
  })
  const sn = sampleSnapshots()
  const rowsS = sn.time.length
  store.insertDataset({
    name: 'sample snapshots',
    kind: 'snapshots',
    rows: rowsS,
    entities: 0,
    times: new Set(sn.time).size,
    dim: 2,
    units: { space: 'a.u.', time: 'day', pixelSize: null, frameInterval: null, frameIntervalUnit: null },
    source: 'bundled sample: two synthetic sub-populations, one drifting, one rotating',
    meta: { truthColumn: 'label', labelNames: ['drifting', 'rotating'] },
    warnings: [],
    arrays: { time: nd(sn.time), pos: nd(sn.pos, [rowsS, 2]), 'truth/label': nd(sn.label) },
  })
  return store
}
