/** `popdyn synth GENERATOR --out FILE`: synthetic data with ground truth for every benchmark. */
import { writeFileSync, renameSync } from 'node:fs'
import { invalidInput } from '@shared/errors'
import { linearEnsembles } from '../engines/synth/linear-ensembles'
import { cells } from '../engines/synth/cells'
import { boids } from '../engines/synth/boids'
import { jkonetStarData, jkonetTaskData, JKONET_STAR_POTENTIALS } from '../engines/synth/potentials'
import { jkonetTrajectoryData } from '../engines/jko/index'
import type { PointCloud } from '../engines/ot/index'
import { parseSets } from './run'

type Generator = (sets: Record<string, unknown>, seed: number) => { csv: string; rows: number; truth: unknown }

const num = (v: unknown, name: string, def: number): number => {
  if (v === undefined) return def
  const n = Number(v)
  if (!Number.isFinite(n)) throw invalidInput(`--set ${name} expects a number, got ${JSON.stringify(v)}`)
  return n
}

export const GENERATORS: Record<string, Generator> = {
  /** K ensembles with linear dynamics (paper 000 §IV): snapshot CSV, rows shuffled within each time. */
  'linear-ensembles': (s, seed) => {
    const sizes = s.sizes === undefined ? [20, 30, 50] : Array.isArray(s.sizes) ? s.sizes.map(Number) : String(s.sizes).split(/[;,]/).map(Number)
    const data = linearEnsembles({ sizes, d: num(s.d, 'd', 2), times: num(s.times, 'times', 5), noiseVariance: num(s.noise, 'noise', 1e-2), seed })
    const lines = [['time', ...Array.from({ length: data.d }, (_, c) => `x${c + 1}`)].join(',')]
    data.snapshots.forEach((x, t) => {
      for (let i = 0; i < x.length / data.d; i++) lines.push([t, ...Array.from(x.subarray(i * data.d, (i + 1) * data.d), (v) => v.toPrecision(10))].join(','))
    })
    return {
      csv: lines.join('\n') + '\n',
      rows: lines.length - 1,
      truth: { generator: 'linear-ensembles', seed, sizes, d: data.d, noiseVariance: num(s.noise, 'noise', 1e-2), A: data.A.map((a) => Array.from(a)), labels: data.labels.map((l) => Array.from(l)), particle: data.particle.map((p) => Array.from(p)) },
    }
  },
}

function snapshotCsv(times: number[], clouds: PointCloud[], velocities?: PointCloud[]): { csv: string; rows: number } {
  const d = clouds[0]!.d
  const feat = Array.from({ length: d }, (_, c) => `x${c + 1}`)
  const head = ['time', ...feat, ...(velocities ? feat.map((f) => `v_${f}`) : [])]
  const lines = [head.join(',')]
  clouds.forEach((cl, t) => {
    for (let i = 0; i < cl.n; i++) {
      const row: (string | number)[] = [times[t]!, ...Array.from(cl.data.subarray(i * d, (i + 1) * d), (v) => v.toPrecision(8))]
      if (velocities) row.push(...Array.from(velocities[t]!.data.subarray(i * d, (i + 1) * d), (v) => v.toPrecision(8)))
      lines.push(row.join(','))
    }
  })
  return { csv: lines.join('\n') + '\n', rows: lines.length - 1 }
}

Object.assign(GENERATORS, {
  /** Tracked cells with the WSINDy benchmark forces (paper 002 §4): species A/B/C in any shares. */
  cells: (s: Record<string, unknown>, seed: number) => {
    const shares: Record<string, number> = {}
    for (const sp of ['A', 'B', 'C']) if (s[sp] !== undefined) shares[sp] = num(s[sp], sp, 1)
    const data = cells({ n: num(s.n, 'n', 100), steps: num(s.steps, 'steps', 200), dt: num(s.dt, 'dt', 0.13), box: num(s.box, 'box', 2), positionNoise: num(s.noise, 'noise', 0), species: Object.keys(shares).length ? shares : { A: 1 }, seed })
    const t = data.tracks
    const lines = ['track,time,x,y']
    for (let i = 0; i < t.trackId.length; i++) lines.push(`${t.trackId[i]},${t.time[i]!.toPrecision(8)},${t.x[i]!.toPrecision(10)},${t.y[i]!.toPrecision(10)}`)
    return { csv: lines.join('\n') + '\n', rows: lines.length - 1, truth: { generator: 'cells', seed, species: data.truth.species, kernel: data.truth.kernel } }
  },
  /** Boids (separation / alignment / cohesion / boundary; WLM paper): snapshots with velocities. */
  boids: (s: Record<string, unknown>, seed: number) => {
    const data = boids({ n: num(s.n, 'n', 200), steps: num(s.steps, 'steps', 50), dt: num(s.dt, 'dt', 0.5), seed })
    const r = snapshotCsv(data.times, data.positions, data.velocities)
    return { ...r, truth: { generator: 'boids', seed, dt: data.dt } }
  },
  /** Snapshots under a JKOnet* benchmark potential (unpaired), or a JKOnet paper task (quadratic / styblinski, line / semicircle / spiral). */
  potential: (s: Record<string, unknown>, seed: number) => {
    const name = String(s.potential ?? 'quadratic')
    const tasks = ['quadratic-task', 'styblinski-task', 'line-task', 'semicircle-task', 'spiral-task']
    const data =
      name === 'quadratic-task' || name === 'styblinski-task'
        ? jkonetTaskData(name.replace('-task', '') as 'quadratic' | 'styblinski', { n: num(s.n, 'n', 250), seed })
        : name === 'line-task' || name === 'semicircle-task' || name === 'spiral-task'
          ? { ...jkonetTrajectoryData(name.replace('-task', '') as 'line' | 'semicircle' | 'spiral', { n: num(s.n, 'n', 250), noise: num(s.noise, 'noise', 1), seed }), dt: 1 }
        : (() => {
            if (!(JKONET_STAR_POTENTIALS as readonly string[]).includes(name))
              throw invalidInput(`--set potential expects one of ${[...JKONET_STAR_POTENTIALS, ...tasks].join(', ')}, got "${name}"`)
            return jkonetStarData({ potential: name as never, n: num(s.n, 'n', 500), steps: num(s.steps, 'steps', 5), dt: num(s.dt, 'dt', 0.01), beta: num(s.beta, 'beta', 0), seed })
          })()
    const r = snapshotCsv(data.times, data.snapshots)
    return { ...r, truth: { generator: 'potential', potential: name, seed, dt: data.dt } }
  },
} satisfies Record<string, Generator>)

export async function synthCommand(name: string, out: string, sets: string[], seed: number) {
  const g = GENERATORS[name]
  if (!g) throw invalidInput(`Unknown generator "${name}". Generators: ${Object.keys(GENERATORS).join(', ')}.`)
  if (!Number.isInteger(seed) || seed < 0) throw invalidInput(`--seed must be a non-negative integer, got ${seed}`)
  const r = g(parseSets(sets), seed)
  const truth = out.replace(/\.(csv|tsv)$/i, '') + '.truth.json'
  // Write next to the target and rename, so a failure never leaves half a file.
  writeFileSync(out + '.tmp', r.csv)
  writeFileSync(truth + '.tmp', JSON.stringify(r.truth))
  renameSync(out + '.tmp', out)
  renameSync(truth + '.tmp', truth)
  return { file: out, truth, rows: r.rows }
}
