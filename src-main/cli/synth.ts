/** `popdyn synth GENERATOR --out FILE`: synthetic data with ground truth for every benchmark. */
import { writeFileSync, renameSync } from 'node:fs'
import { invalidInput } from '@shared/errors'
import { linearEnsembles } from '../engines/synth/linear-ensembles'
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
