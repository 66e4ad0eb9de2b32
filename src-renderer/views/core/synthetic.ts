/**
 * Small synthetic datasets in the `DatasetPoints` shape, for the harness page, tests and
 * benchmarks (no server). Seeded; plain arrays of numbers as the contract sends them.
 */
import type { DatasetPoints } from '@shared/contract'

/** Mulberry32: tiny seeded uniform generator in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Random-walk tracks of `species` kinds (each drifts in its own direction), `steps` frames each.
 * Points are emitted frame-major (all tracks at t=0, then t=1, ...) as importers often do.
 * @param opts.dim 2 or 3 @default 2
 * @param opts.species @default 3
 * @param opts.seed @default 1
 */
export function syntheticTracks(opts: { tracks: number; steps: number; dim?: number; species?: number; seed?: number }): DatasetPoints {
  const dim = opts.dim ?? 2
  const species = opts.species ?? 3
  const r = rng(opts.seed ?? 1)
  const n = opts.tracks * opts.steps
  const pos = new Array<number>(n * dim)
  const time = new Array<number>(n)
  const track = new Array<number>(n)
  const label = new Array<number>(n)
  const cur = new Float64Array(opts.tracks * dim)
  const side = 100 * Math.sqrt(opts.tracks / 50)
  for (let k = 0; k < cur.length; k++) cur[k] = (r() - 0.5) * side
  for (let s = 0; s < opts.steps; s++) {
    for (let j = 0; j < opts.tracks; j++) {
      const i = s * opts.tracks + j
      const sp = j % species
      const ang = (2 * Math.PI * sp) / species
      for (let a = 0; a < dim; a++) {
        const drift = a === 0 ? Math.cos(ang) : a === 1 ? Math.sin(ang) : 0.3 * (sp - 1)
        if (s > 0) cur[j * dim + a] += 2 * drift + (r() - 0.5) * 3
        pos[i * dim + a] = cur[j * dim + a]
      }
      time[i] = s * 0.5
      track[i] = j
      label[i] = sp
    }
  }
  return {
    id: 0,
    kind: 'tracks',
    dim,
    units: { space: 'µm', time: 'min', pixelSize: null, frameInterval: null, frameIntervalUnit: null },
    totalPoints: n,
    points: n,
    pos,
    time,
    track,
    label,
    labelNames: Array.from({ length: species }, (_, i) => `species ${String.fromCharCode(65 + i)}`),
    featureNames: [],
    trackIds: [],
  }
}

/**
 * Snapshot clouds: `perTime` cells at each of `times` days, two populations moving apart.
 * `shift` offsets every point (for a fake "predicted" overlay).
 */
export function syntheticSnapshots(opts: { times: number; perTime: number; dim?: number; seed?: number; shift?: number }): DatasetPoints {
  const dim = opts.dim ?? 3
  const r = rng(opts.seed ?? 2)
  const n = opts.times * opts.perTime
  const pos = new Array<number>(n * dim)
  const time = new Array<number>(n)
  const label = new Array<number>(n)
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r())
  for (let t = 0; t < opts.times; t++) {
    for (let j = 0; j < opts.perTime; j++) {
      const i = t * opts.perTime + j
      const g = j % 2
      for (let a = 0; a < dim; a++) {
        const centre = a === 0 ? (g ? 1 : -1) * t * 1.5 : a === 1 ? t * 0.8 : 0
        pos[i * dim + a] = centre + gauss() * (1 + 0.2 * t) + (opts.shift ?? 0)
      }
      time[i] = t
      label[i] = g
    }
  }
  return {
    id: 0,
    kind: 'snapshots',
    dim,
    units: { space: 'a.u.', time: 'day', pixelSize: null, frameInterval: null, frameIntervalUnit: null },
    totalPoints: n,
    points: n,
    pos,
    time,
    track: [],
    label,
    labelNames: ['ensemble 1', 'ensemble 2'],
    featureNames: [],
    trackIds: [],
  }
}
