/**
 * The bundled sample project a newcomer sees on first start: resources/sample/*.csv (small
 * synthetic tracks and snapshots with known sub-populations) imported by the real importers,
 * so the sample behaves like any user file (units, export in input order, ...).
 */
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { importIntoProject } from '../io/import/index'
import { ProjectStore, type OpenOptions } from '../store/project'

export async function createSampleProject(path: string, resourcesDir: string, opts: OpenOptions = {}): Promise<ProjectStore> {
  if (existsSync(path)) return ProjectStore.open(path, opts)
  const store = ProjectStore.create(path, 'Sample project', opts)
  try {
    await importIntoProject(store, join(resourcesDir, 'sample/sample-tracks.csv'), {
      kind: 'tracks',
      name: 'sample tracks',
      mapping: { track: 'track', time: 'frame', x: 'x', y: 'y', label: 'species' },
      spaceUnit: 'µm',
      timeUnit: 'frame',
      frameInterval: 5,
      frameIntervalUnit: 'min',
    })
    await importIntoProject(store, join(resourcesDir, 'sample/sample-snapshots.csv'), {
      kind: 'snapshots',
      name: 'sample snapshots',
      mapping: { time: 'day', features: ['x', 'y'], label: 'population' },
      spaceUnit: 'a.u.',
      timeUnit: 'day',
    })
  } catch (err) {
    // Never leave a half-made sample behind: the next start would open it as it is.
    store.close()
    rmSync(path, { force: true })
    rmSync(path + '-wal', { force: true })
    rmSync(path + '-shm', { force: true })
    throw err
  }
  return store
}
