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
 * Run: node --import tsx bench/wsindy.ts [quick] [paper] [n=N] [seed=S] [X_A X_BC X_AC X_AB X_ABC_long]
 * (names: run only those)
 */
import { cells } from '../src-main/engines/synth/cells'
import { identifySpecies, prepareWsindy, relativeForceError, TRUE_FORCES, SPECIES_FORCES, type BenchmarkSpecies, type SpeciesConfig } from '../src-main/engines/wsindy'

type Row = Record<string, string | number>

export async function run(opts: { quick?: boolean; only?: string[]; n?: number; paper?: boolean; seed?: number }): Promise<{ name: string; rows: Row[]; notes?: string }> {
  const N = opts.n ?? (opts.quick ? 40 : 100)
  const box = 2 * Math.sqrt(N / 1000)
  const experiments: [string, Partial<Record<BenchmarkSpecies, number>>, number][] = [
    ['X_A', { A: 1 }, 200],
    ['X_BC', { B: 1, C: 1 }, 200],
    ['X_AC', { A: 1, C: 1 }, 200],
  ]
  if (!opts.quick) experiments.push(['X_AB', { A: 1, B: 1 }, 200], ['X_ABC_long', { A: 1, B: 1, C: 1 }, 400])
  const config: SpeciesConfig = { seed: 1, ...(opts.paper ? { mergeTolerance: 0, mergeErrorRatio: 0, assignLeftovers: false } : {}) }
  const rows: Row[] = []
  for (const [name, species, L] of experiments) {
    if (opts.only?.length && !opts.only.includes(name)) continue
    let t = performance.now()
    const sim = cells({ n: N, steps: L, species, box, seed: opts.seed ?? 11 })
    const simS = (performance.now() - t) / 1000
    t = performance.now()
    const data = prepareWsindy(sim.panel, { rFar: box / 2 })
    const prepS = (performance.now() - t) / 1000
    t = performance.now()
    const res = identifySpecies(data, config)
    const totalS = (performance.now() - t) / 1000
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
      sim_s: +simS.toFixed(1),
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
      `N = ${N}, box ${box.toFixed(3)}, L = 200 (long: 400)${opts.paper ? ', paper pipeline (no merge, no leftovers)' : ''}. Paper (N = 1000): X_A Δf < 4%, ΔV ≈ 1%; X_AC, X_BC fully separated; ` +
      'X_ABC long ≥ 94% per species; 5–10 s per model, 10–30 s per validation simulation (MATLAB, 8 cores).',
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (k: string) => Number(process.argv.find((a) => a.startsWith(k + '='))?.slice(k.length + 1)) || undefined
  run({ quick: process.argv.includes('quick'), paper: process.argv.includes('paper'), only: process.argv.slice(2).filter((a) => a.startsWith('X_')), n: arg('n'), seed: arg('seed') }).then((r) => {
    console.table(r.rows)
    console.log(r.notes)
  })
}
