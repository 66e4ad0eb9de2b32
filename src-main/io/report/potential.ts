/**
 * The learned potential of a JKOnet / iJKOnet run on a 2-D grid, evaluated from the weights the
 * run stored (`weights/<name>` artifacts): the model is rebuilt with the run's parameters and
 * its weights set. Cheap (one forward pass over the grid). Data with more than 2 features are
 * shown on the plane of the first two, the others held at their mean.
 *
 * WLM learns a population energy U(X) of the whole set of particles, not a pointwise potential,
 * so it has no surface to draw here; the caller says so in the report.
 */
import type { Grid } from '@shared/figures/index'
import type { ProjectStore } from '../../store/project'

export interface PotentialSurface {
  grid: Grid
  /** What was drawn, e.g. "V̂ (learned potential)". */
  quantity: string
  /** Features held at their mean (d > 2). */
  slice: string | null
}

/** Evaluates the run's potential on an `n × n` grid over `range`; returns null (with the reason) when it cannot. */
export async function potentialSurface(
  store: ProjectStore,
  run: { id: number; method: string; params: Record<string, unknown>; seed: number | null },
  cloud: { data: Float64Array; n: number; d: number; times: number },
  n = 41,
): Promise<{ surface: PotentialSurface | null; note: string }> {
  if (run.method !== 'jkonet' && run.method !== 'ijkonet') return { surface: null, note: '' }
  if (run.method === 'jkonet' && run.params.method === 'forward') return { surface: null, note: 'The forward-method baseline learns a map, not an energy: there is no potential to draw.' }
  if (cloud.d < 2) return { surface: null, note: 'The data have one feature: the potential is not drawn as a surface.' }
  const state: Record<string, Float32Array> = {}
  for (const a of store.listArtifacts({ runId: run.id })) {
    if (!a.name.startsWith('weights/')) continue
    state[a.name.slice('weights/'.length)] = Float32Array.from(store.getArtifact({ runId: run.id }, a.name)!.data)
  }
  if (!Object.keys(state).length) return { surface: null, note: 'This run stored no weights, so the learned potential cannot be evaluated.' }
  const { initBackend } = await import('../../compute/backend')
  await initBackend()
  const { d } = cloud
  const mean = new Float64Array(d)
  const lo = [Infinity, Infinity], hi = [-Infinity, -Infinity]
  for (let i = 0; i < cloud.n; i++)
    for (let c = 0; c < d; c++) {
      const v = cloud.data[i * d + c]!
      mean[c]! += v / cloud.n
      if (c < 2) {
        lo[c] = Math.min(lo[c]!, v)
        hi[c] = Math.max(hi[c]!, v)
      }
    }
  const pad = (c: number) => 0.05 * (hi[c]! - lo[c]! || 1)
  const x: [number, number] = [lo[0]! - pad(0), hi[0]! + pad(0)]
  const y: [number, number] = [lo[1]! - pad(1), hi[1]! + pad(1)]
  const pts = new Float64Array(n * n * d)
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      const k = j * n + i
      for (let c = 0; c < d; c++) pts[k * d + c] = mean[c]!
      pts[k * d] = x[0] + ((x[1] - x[0]) * i) / (n - 1)
      pts[k * d + 1] = y[0] + ((y[1] - y[0]) * j) / (n - 1)
    }
  const grid = { data: pts, n: n * n, d }
  let values: Float64Array
  let quantity: string
  if (run.method === 'jkonet') {
    const { JkonetModel } = await import('../../engines/jko/index')
    const m = new JkonetModel(d, { method: 'jkonet', seed: run.seed ?? 0 })
    try {
      m.setState(state)
      values = m.energy(grid)
    } finally {
      m.dispose()
    }
    quantity = 'learned energy E'
  } else {
    const { IjkonetModel } = await import('../../engines/jko/index')
    const variant = (run.params.variant as 'ijkonet' | 'ijkonet-v' | 'ijkonet-tv' | undefined) ?? 'ijkonet'
    const m = new IjkonetModel(d, cloud.times, { variant, seed: run.seed ?? 0 })
    try {
      m.setState(state)
      values = m.potential(grid, 0)
    } finally {
      m.dispose()
    }
    quantity = variant === 'ijkonet-tv' ? 'learned potential V (first time point)' : 'learned potential V'
  }
  if (!values.every(Number.isFinite)) return { surface: null, note: 'The learned potential is not finite on the data range (the training diverged?).' }
  return {
    surface: { grid: { nx: n, ny: n, values, x, y }, quantity, slice: d > 2 ? `features 3–${d} held at their mean` : null },
    note: '',
  }
}
