/**
 * Stand-alone page for the 3-D views (no server): a fake bridge answers `datasets.points` with
 * synthetic data, then DatasetViewer is mounted. Serve src-renderer with Vite and open
 * /views/harness.html?id=N: 1 = 2-D tracks (with file track ids), 2 = 3-D tracks, 3 = snapshot clouds (with a
 * predicted overlay when &overlay=1), 4 = 10^5 tracks / 10^6 vertices, 5 = snapshot clouds with 6
 * named features (GENE1..GENE6), 6 = 10^5 cloud points (frame-time benchmark), 99 = an error.
 * `window.harnessViewerFor(canvas)` gives the Viewer3D on a canvas (bench/views.ts).
 */
import type { DatasetPoints } from '@shared/contract'
import type { Result } from '@shared/errors'
import { syntheticSnapshots, syntheticTracks } from './core/synthetic'
import { viewerFor } from './core/viewer'

const params = new URLSearchParams(location.search)
const id = Number(params.get('id') ?? '1')

function dataset(id: number): (DatasetPoints & { featureNames?: string[]; trackIds?: string[] }) | null {
  // Dataset 1 carries the file's own track ids (TRACK_1000..TRACK_1149) for the tooltip.
  if (id === 1) return { ...syntheticTracks({ tracks: 150, steps: 40, dim: 2, species: 3 }), id, trackIds: Array.from({ length: 150 }, (_, i) => `TRACK_${1000 + i}`) }
  if (id === 2) return { ...syntheticTracks({ tracks: 120, steps: 40, dim: 3, species: 4 }), id }
  if (id === 3) return { ...syntheticSnapshots({ times: 5, perTime: 2000, dim: 3 }), id }
  if (id === 4) return { ...syntheticTracks({ tracks: 100_000, steps: 10, dim: 2, species: 5 }), id }
  if (id === 5) return { ...syntheticSnapshots({ times: 4, perTime: 1500, dim: 6 }), id, featureNames: ['GENE1', 'GENE2', 'GENE3', 'GENE4', 'GENE5', 'GENE6'] }
  if (id === 6) return { ...syntheticSnapshots({ times: 5, perTime: 20_000, dim: 3 }), id }
  return null
}

// Must be set before lib/api.ts is first imported: it picks its bridge at module load.
window.popdyn = {
  mode: 'electron',
  async invoke(channel: string, args: unknown): Promise<Result<unknown>> {
    await new Promise((r) => setTimeout(r, 50)) // let the loading state show
    if (channel !== 'datasets.points') return { ok: false, error: { kind: 'bug', name: 'Error', message: `harness: no ${channel}` } as never }
    const d = dataset((args as { id: number }).id)
    if (!d) return { ok: false, error: { kind: 'not_found', name: 'NotFound', message: `no dataset ${(args as { id: number }).id}` } as never }
    return { ok: true, value: d }
  },
  onEvent: () => () => {},
}

;(window as unknown as { harnessViewerFor: typeof viewerFor }).harnessViewerFor = viewerFor

const target = document.getElementById('app')
if (!target) throw new Error('harness.html has no #app')
const { mount, unmount } = await import('svelte')
const { default: DatasetViewer } = await import('./DatasetViewer.svelte')
const overlay = id === 3 && params.get('overlay') === '1' ? syntheticSnapshots({ times: 5, perTime: 300, dim: 3, seed: 9, shift: 0.8 }) : null
let app = mount(DatasetViewer, { target, props: { datasetId: id, overlay } })

// For the lifetime check in test/e2e/viewer.e2e.mjs: unmount and mount another dataset.
;(window as unknown as { harnessShow: (id: number) => Promise<void> }).harnessShow = async (next: number) => {
  await unmount(app)
  app = mount(DatasetViewer, { target, props: { datasetId: next, overlay: null } })
}
