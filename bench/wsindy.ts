/**
 * WSINDy species identification on the paper's artificial populations (paper §4, Tables 2–4; SPEC §4.2):
 * homogeneous X_A (force errors Δf, validation error ΔV) and the mixtures X_{A,C}, X_{B,C} (classification
 * shares CS), plus seconds per single-cell model and per validation simulation.
 *
 * Sizes are reduced (pure TypeScript on a shared 2-core machine; the paper's N = 1000 data generation alone
 * took 5–6 h in MATLAB): N cells in a box of side 2·√(N/1000) (the paper's density), r_ff = box/2 (paper:
 * r_ff = 1 = half of side 2), L = 200 (X_ABC long: 400) at Δt = 0.13, Euler Δt* = Δt/312, default settings (K = 20,
 * tol 0.25, 50 λ values, 20 GMM restarts). CS(X) = share of the true species X's cells in the found species.
 * Run: node --import tsx bench/wsindy.ts [quick] [n=N] [X_A X_BC X_AC X_ABC_long]  (names: run only those)
 */
import { cells } from '../src-main/engines/synth/cells'
import { identifySpecies, prepareWsindy, relativeForceError, TRUE_FORCES, SPECIES_FORCES, type BenchmarkSpecies } from '../src-main/engines/wsindy'

type Row = Record<string, string | number>

export async function run(opts: { quick?: boolean; only?: string[]; n?: number }): Promise<{ name: string; rows: Row[]; notes?: string }> {
  const N = opts.n ?? (opts.quick ? 40 : 100)
  const box = 2 * Math.sqrt(N / 1000)
  const experiments: [string, Partial<Record<BenchmarkSpecies, number>>, number][] = [
    ['X_A', { A: 1 }, 200],
    ['X_BC', { B: 1, C: 1 }, 200],
    ['X_AC', { A: 1, C: 1 }, 200],
  ]
  if (!opts.quick) experiments.push(['X_ABC_long', { A: 1, B: 1, C: 1 }, 400])
  const rows: Row[] = []
  for (const [name, species, L] of experiments) {
    if (opts.only?.length && !opts.only.includes(name)) continue
    let t = performance.now()
    const sim = cells({ n: N, steps: L, species, box, seed: 11 })
    const simS = (performance.now() - t) / 1000
    const data = prepareWsindy(sim.panel, { rFar: box / 2 })
    t = performance.now()
    const res = identifySpecies(data, { seed: 1 })
    const totalS = (performance.now() - t) / 1000
    const present = Object.keys(species) as BenchmarkSpecies[]
    const totals = Object.fromEntries(present.map((s) => [s, sim.truth.species.filter((x) => x === s).length]))
    for (const sp of res.species) {
      const cnt: Record<string, number> = {}
      for (const i of sp.cells) cnt[sim.truth.species[i]!] = (cnt[sim.truth.species[i]!] ?? 0) + 1
      const major = (Object.entries(cnt).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'A') as BenchmarkSpecies
      const f = SPECIES_FORCES[major]
      const err = (k: 'ar' | 'align' | 'drag') =>
        f[k] ? +relativeForceError(data.lib, sp.w, k, k === 'drag' ? (s) => TRUE_FORCES.drag(s) : TRUE_FORCES[k], { sMax: data.sMax }).toFixed(4) : '—'
      const row: Row = { exp: name, N, L, species: sp.index + 1, rule: sp.rule, code: sp.codeString, cells: sp.cells.length, majority: major }
      for (const s of present) row[`CS(${s})`] = +((cnt[s] ?? 0) / totals[s]!).toFixed(3)
      Object.assign(row, { df_ar: err('ar'), df_align: err('align'), df_drag: err('drag'), dV: +sp.meanValidationError.toFixed(4) })
      Object.assign(row, {
        s_per_model: +(res.timings.modelsSeconds / N).toFixed(3),
        s_per_validation: +(res.timings.validationSeconds / res.timings.validations).toFixed(4),
        sim_s: +simS.toFixed(1),
        pipeline_s: +totalS.toFixed(1),
      })
      rows.push(row)
    }
    rows.push({ exp: name, N, L, species: 'unclassified', cells: [...res.labels].filter((l) => l < 0).length, rule: res.stop })
  }
  return {
    name: 'wsindy',
    rows,
    notes:
      `N = ${N}, box ${box.toFixed(3)}, L = 200 (long: 400). Paper (N = 1000): X_A Δf < 4%, ΔV ≈ 1%; X_AC, X_BC fully separated; ` +
      'X_ABC long ≥ 94% per species; 5–10 s per model, 10–30 s per validation simulation (MATLAB, 8 cores).',
  }
}

if (import.meta.url === `file://${process.argv[1]}`) run({ quick: process.argv.includes('quick'), only: process.argv.slice(2).filter((a) => a.startsWith('X_')), n: Number(process.argv.find((a) => a.startsWith('n='))?.slice(2)) || undefined }).then((r) => {
  console.table(r.rows)
  console.log(r.notes)
})
