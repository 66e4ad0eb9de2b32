/**
 * WSINDy species identification on the paper's artificial populations (paper §4, Tables 2–4; SPEC §4.2):
 * homogeneous X_A (force errors Δf, validation error ΔV), the mixtures X_{A,C}, X_{B,C}, X_{A,B} and
 * X_{A,B,C} long (classification shares CS), and wall seconds per stage.
 *
 * Sizes are reduced (pure TypeScript on a shared 2-core machine; the paper's N = 1000 data generation alone
 * took 5–6 h in MATLAB): N cells in a box of side 2·√(N/1000) (the paper's density), r_ff = box/2 (paper:
 * r_ff = 1 = half of side 2), L = 200 (long: 400) at Δt = 0.13, Euler Δt* = Δt/312, default settings (K = 20,
 * tol 0.25, 50 λ values, 20 GMM restarts, merge rule and leftover assignment on). With `paper` the merge
 * rule and the leftover assignment are switched off (the paper's pipeline).
 * CS(X) = share of the true species X's cells in the found species.
 * Per-cell work (single-cell models, validation simulations) runs in a worker pool of `threads` workers
 * (src-main/workers/pool/wsindy-pool.ts; threads=1: in this thread); the results do not depend on it.
 * `cache=DIR` stores each simulated population in DIR (NAME-N-L-SEED.bin/.json) and reuses it (the
 * simulation is O(N²) per Euler step: ≈ 10 min at N = 500, most of an hour at N = 1000 on this machine).
 * `substeps=S` changes the simulator's Euler sub-steps per Δt (paper 312; used to make N = 1000 affordable).
 * `K=k` sets the model-replacement candidates (paper 20).
 * `verbose` logs each stage with its wall time to stderr.
 * Run: node --import tsx bench/wsindy.ts [quick] [paper] [verbose] [n=N] [seed=S] [threads=T] [cache=DIR] [substeps=S]
 *      [X_A X_BC X_AC X_AB X_ABC_long X_B X_C X_ABC X_AB_long] (names: run only those; the last four only when named)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { cells } from '../src-main/engines/synth/cells'
import type { TrackPanel } from '../src-main/engines/wsindy'
import { prepareWsindy, relativeForceError, TRUE_FORCES, SPECIES_FORCES, type BenchmarkSpecies, type SpeciesConfig } from '../src-main/engines/wsindy'
import { identifySpeciesThreaded } from '../src-main/workers/pool/wsindy-pool'

/** The simulated population, from `cache` when it holds it (written there otherwise). */
function population(name: string, N: number, L: number, species: Partial<Record<BenchmarkSpecies, number>>, box: number, seed: number, cache?: string, substeps = 312): { panel: TrackPanel; truth: { species: string[] }; seconds: number; cached: boolean } {
  const base = cache ? `${cache}/${name}-${N}-${L}-${seed}${substeps === 312 ? '' : `-sub${substeps}`}` : ''
  if (cache && existsSync(`${base}.json`) && existsSync(`${base}.bin`)) {
    const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { n: number; L: number; t0: number; dt: number; species: string[]; simSeconds: number }
    const buf = readFileSync(`${base}.bin`)
    const positions = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
    if (meta.n !== N || meta.L !== L || positions.length !== N * L * 2) throw new Error(`cache ${base}: expected N = ${N}, L = ${L}`)
    return { panel: { n: N, L, t0: meta.t0, dt: meta.dt, positions }, truth: { species: meta.species }, seconds: meta.simSeconds, cached: true }
  }
  const t = performance.now()
  const sim = cells({ n: N, steps: L, species, box, seed, substeps })
  const seconds = (performance.now() - t) / 1000
  if (cache) {
    mkdirSync(cache, { recursive: true })
    const p = sim.panel.positions
    writeFileSync(`${base}.bin`, Buffer.from(p.buffer, p.byteOffset, p.byteLength))
    writeFileSync(`${base}.json`, JSON.stringify({ n: N, L, t0: sim.panel.t0, dt: sim.panel.dt, species: sim.truth.species, simSeconds: seconds, box }))
  }
  return { panel: sim.panel, truth: { species: sim.truth.species }, seconds, cached: false }
}

type Row = Record<string, string | number>

export async function run(opts: {
  quick?: boolean
  only?: string[]
  n?: number
  paper?: boolean
  seed?: number
  /** Worker threads for the per-cell work (1 = this thread). @default os.availableParallelism() */
  threads?: number
  /** Folder caching the simulated populations. @default none */
  cache?: string
  /** Euler sub-steps per observation interval of the simulated populations. @default 312 (paper) */
  substeps?: number
  /** Log each stage (and every 60 s) with its wall time to stderr. @default false */
  verbose?: boolean
  /** Model-replacement validation cells per model. @default 20 (paper) */
  K?: number
}): Promise<{ name: string; rows: Row[]; notes?: string }> {
  const threads = Math.max(1, opts.threads ?? availableParallelism())
  const N = opts.n ?? (opts.quick ? 40 : 100)
  const box = 2 * Math.sqrt(N / 1000)
  const experiments: [string, Partial<Record<BenchmarkSpecies, number>>, number][] = [
    ['X_A', { A: 1 }, 200],
    ['X_BC', { B: 1, C: 1 }, 200],
    ['X_AC', { A: 1, C: 1 }, 200],
  ]
  if (!opts.quick) experiments.push(['X_AB', { A: 1, B: 1 }, 200], ['X_ABC_long', { A: 1, B: 1, C: 1 }, 400])
  // Run only when named (the default list stays as above): the rest of the paper's Tables 2–4.
  const extra: [string, Partial<Record<BenchmarkSpecies, number>>, number][] = [
    ['X_B', { B: 1 }, 200],
    ['X_C', { C: 1 }, 200],
    ['X_ABC', { A: 1, B: 1, C: 1 }, 200],
    ['X_AB_long', { A: 1, B: 1 }, 400],
  ]
  for (const e of extra) if (opts.only?.includes(e[0])) experiments.push(e)
  const config: SpeciesConfig = { seed: 1, ...(opts.K ? { replacement: { K: opts.K } } : {}), ...(opts.paper ? { mergeTolerance: 0, mergeErrorRatio: 0, assignLeftovers: false } : {}) }
  const rows: Row[] = []
  for (const [name, species, L] of experiments) {
    if (opts.only?.length && !opts.only.includes(name)) continue
    const sim = population(name, N, L, species, box, opts.seed ?? 11, opts.cache, opts.substeps)
    const simS = sim.seconds
    let t = performance.now()
    const data = prepareWsindy(sim.panel, { rFar: box / 2 })
    const prepS = (performance.now() - t) / 1000
    t = performance.now()
    const load0 = loadavg()[0]!
    let stage = '', lastLog = 0
    const t1 = performance.now()
    const ctx = opts.verbose
      ? {
          onProgress: (p: { fraction: number; stage: string; message?: string }) => {
            const s = (performance.now() - t1) / 1000
            if (p.stage !== stage || s - lastLog > 60) {
              stage = p.stage
              lastLog = s
              console.error(`[${name} N=${N} threads=${threads}] ${s.toFixed(1)} s  ${p.stage} ${p.message ?? ''} (${(100 * p.fraction).toFixed(1)}%, load ${loadavg()[0]!.toFixed(1)})`)
            }
          },
        }
      : undefined
    const res = await identifySpeciesThreaded(threads, data, config, ctx)
    const totalS = (performance.now() - t) / 1000
    const load1 = loadavg()[0]!
    const present = Object.keys(species) as BenchmarkSpecies[]
    const totals = Object.fromEntries(present.map((s) => [s, sim.truth.species.filter((x) => x === s).length]))
    let correct = 0
    for (const sp of res.species) {
      const cnt: Record<string, number> = {}
      for (const i of sp.cells) cnt[sim.truth.species[i]!] = (cnt[sim.truth.species[i]!] ?? 0) + 1
      const major = (Object.entries(cnt).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'A') as BenchmarkSpecies
      correct += cnt[major] ?? 0
      const f = SPECIES_FORCES[major]
      const err = (k: 'ar' | 'align' | 'drag') =>
        f[k] ? +relativeForceError(data.lib, sp.w, k, k === 'drag' ? (s) => TRUE_FORCES.drag(s) : TRUE_FORCES[k], { sMax: data.sMax }).toFixed(4) : '—'
      const row: Row = { exp: name, N, L, species: sp.index + 1, rule: sp.rule + (sp.mergedFrom ? `+${sp.mergedFrom.length} merged` : ''), code: sp.codeString, cells: sp.cells.length, majority: major }
      for (const s of present) row[`CS(${s})`] = +((cnt[s] ?? 0) / totals[s]!).toFixed(3)
      Object.assign(row, { df_ar: err('ar'), df_align: err('align'), df_drag: err('drag'), dV: +sp.meanValidationError.toFixed(4) })
      rows.push(row)
    }
    const tm = res.timings
    rows.push({
      exp: name,
      N,
      L,
      species: 'summary',
      cells: [...res.labels].filter((l) => l < 0).length + ' unclassified',
      rule: res.stop,
      majority: `acc ${(correct / N).toFixed(3)}`,
      code: `m ${data.m} p ${data.p}`,
      threads,
      load: `${load0.toFixed(1)}→${load1.toFixed(1)}`,
      sim_s: +simS.toFixed(1) + (sim.cached ? ' (cached)' : ''),
      prepare_s: +prepS.toFixed(1),
      models_s: +tm.modelsSeconds.toFixed(1),
      replacement_s: +tm.replacementSeconds.toFixed(1),
      validation_s: +tm.validationSeconds.toFixed(1),
      validations: tm.validations,
      pipeline_s: +totalS.toFixed(1),
      s_per_model: +(tm.modelsSeconds / N).toFixed(3),
      s_per_validation: +(tm.validationSeconds / tm.validations).toFixed(4),
      merged: res.mergeChecks.filter((c) => c.merged).length,
      leftovers: res.leftoversAssigned,
    })
  }
  return {
    name: 'wsindy',
    rows,
    notes:
      `N = ${N}, box ${box.toFixed(3)}, L = 200 (long: 400), threads ${threads}${opts.K ? `, K = ${opts.K}` : ''}${opts.substeps ? `, Euler Δt/${opts.substeps}` : ''}${opts.paper ? ', paper pipeline (no merge, no leftovers)' : ''}. Paper (N = 1000): X_A Δf < 4%, ΔV ≈ 1%; X_AC, X_BC fully separated; ` +
      'X_ABC long ≥ 94% per species; 5–10 s per model, 10–30 s per validation simulation (MATLAB, 8 cores).',
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (k: string) => Number(process.argv.find((a) => a.startsWith(k + '='))?.slice(k.length + 1)) || undefined
  const cache = process.argv.find((a) => a.startsWith('cache='))?.slice(6)
  run({ quick: process.argv.includes('quick'), paper: process.argv.includes('paper'), verbose: process.argv.includes('verbose'), only: process.argv.slice(2).filter((a) => a.startsWith('X_')), n: arg('n'), seed: arg('seed'), threads: arg('threads'), substeps: arg('substeps'), K: arg('K'), cache }).then((r) => {
    console.table(r.rows)
    console.log(r.notes)
  })
}
