/** A dataset's points for the 3-D views, subsampled so the renderer stays fast and IPC stays small. */
import type { DatasetPoints } from '@shared/contract'
import type { ProjectStore } from '../store/project'

/**
 * Subsampling keeps whole tracks (tracks) or an even share of every time point (snapshots),
 * chosen by a fixed stride so the same dataset always shows the same points.
 */
export function datasetPoints(store: ProjectStore, id: number, maxPoints: number): DatasetPoints {
  const ds = store.getDataset(id)
  const get = (name: string) => store.getArtifact({ datasetId: id }, name)
  const pos = get('pos')
  const time = get('time')
  const track = get('track')
  const label = get('label') ?? get(`truth/${String(ds.meta.truthColumn ?? '')}`)
  const n = time?.data.length ?? 0
  const d = ds.dim
  let keep: number[]
  if (n <= maxPoints) keep = Array.from({ length: n }, (_, i) => i)
  else if (ds.kind === 'tracks' && track) {
    const ntracks = new Set(track.data).size
    const stride = Math.ceil(n / maxPoints)
    const chosen = new Set<number>()
    for (let t = 0; t < ntracks; t += stride) chosen.add(t)
    keep = []
    const ids = [...new Set(track.data)].sort((a, b) => a - b)
    const allowed = new Set(ids.filter((_, i) => chosen.has(i)))
    for (let i = 0; i < n; i++) if (allowed.has(track.data[i]!)) keep.push(i)
  } else {
    const stride = n / maxPoints
    keep = Array.from({ length: maxPoints }, (_, k) => Math.floor(k * stride))
  }
  const out: DatasetPoints = {
    id,
    kind: ds.kind,
    dim: d,
    units: ds.units,
    totalPoints: n,
    points: keep.length,
    pos: new Array(keep.length * d),
    time: new Array(keep.length),
    track: track ? new Array(keep.length) : [],
    label: label ? new Array(keep.length) : [],
    labelNames: Array.isArray(ds.meta.labelNames) ? (ds.meta.labelNames as string[]) : label ? [...new Set(label.data)].sort((a, b) => a - b).map(String) : [],
    featureNames: featureNamesOf(ds.meta, d),
    trackIds: track && Array.isArray(ds.meta.trackIds) ? (ds.meta.trackIds as unknown[]).map(String) : [],
  }
  keep.forEach((i, k) => {
    for (let j = 0; j < d; j++) out.pos[k * d + j] = pos!.data[i * d + j]!
    out.time[k] = time!.data[i]!
    if (track) out.track[k] = track.data[i]!
    if (label) out.label[k] = label.data[i]!
  })
  return out
}

/** Feature names from the import mapping, only when there is one per column (npz stores the array's name there). */
function featureNamesOf(meta: Record<string, unknown>, d: number): string[] {
  const cols = meta.columns as { features?: unknown } | undefined
  const f = cols?.features
  return Array.isArray(f) && f.length === d ? f.map(String) : []
}
