/**
 * Job handler: WSINDy species identification on a tracks dataset (2-D, tracks on one time grid; tracks may
 * start and end at different times, gaps inside a track are filled by PCHIP only when `fillGaps` is set;
 * tracks shorter than the test-function support are reported and labelled unclassified).
 */
import { SpeciesParams } from '@shared/methods'
import { invalidInput } from '@shared/errors'
import { availableParallelism } from 'node:os'
import { panelFromTracks } from '../../engines/wsindy/index'
import { identifySpeciesThreaded } from '../pool/wsindy-pool'
import { speciesFigureArrays } from '../../io/report/species'
import type { Handler } from '../handlers'
import { requireDataset } from './dataset'

export const speciesHandler: Handler = async (input, ctx) => {
  const p = SpeciesParams.parse(input.params)
  const ds = requireDataset(input)
  const track = ds.arrays.track?.data
  const time = ds.arrays.time?.data
  const pos = ds.arrays.pos
  if (!track || !time || !pos) throw invalidInput(`Dataset ${ds.id} has no track, time or position arrays.`)
  if (ds.dim !== 2) throw invalidInput(`Species identification needs 2-D tracks; this dataset has ${ds.dim} dimensions.`)
  const n = time.length
  const x = new Float64Array(n)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    x[i] = pos.data[2 * i]!
    y[i] = pos.data[2 * i + 1]!
  }
  const panel = panelFromTracks({ trackId: track, time, x, y }, { partial: true, fillGaps: p.fillGaps })
  const t0 = performance.now()
  const config = { maxSpecies: p.maxSpecies, acceptError: p.acceptError, gmmRestarts: p.gmmRestarts, mergeTolerance: p.mergeTolerance, ...(p.mergeTolerance > 0 ? {} : { mergeErrorRatio: 0 }), prepare: { rFar: p.rFar }, seed: input.seed ?? 0 }
  const engineCtx = { signal: ctx.signal, onProgress: (q: { fraction: number; stage: string; message?: string }) => ctx.progress(q.fraction, q.stage, q.message ?? '') }
  // Per-cell work (models, validation simulations) in a worker pool: same result, wall time / threads.
  const threads = speciesThreads(panel.n)
  if (threads > 1) ctx.log(`species: ${threads} worker threads for the per-cell work`)
  const r = await identifySpeciesThreaded(threads, panel, config, engineCtx)
  // Panel cells are the sorted distinct track indices; label every row of a track with its cell's species.
  const ids = Array.from(new Set(Array.from(track))).sort((a, b) => a - b)
  const cellOf = new Map(ids.map((id, i) => [id, i]))
  const label: string[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const s = r.labels[cellOf.get(track[i]!)!]!
    label[i] = s >= 0 ? `S${s + 1}` : 'unclassified'
  }
  return {
    metrics: {
      species: r.species.map((s) => ({ label: `S${s.index + 1}`, cells: s.cells.length, code: s.codeString, meanValidationError: s.meanValidationError, formulas: s.formulas })),
      unclassified: Array.from(r.labels).filter((l) => l < 0).length,
      tooShort: { tracks: r.tooShort.length, trackIds: r.tooShort.map((i) => panel.ids[i]!), minLength: 2 * r.data.m + 1 },
      gapsFilled: panel.filled,
      stop: r.stop,
      cells: panel.n ?? ids.length,
      seconds: (performance.now() - t0) / 1000,
      timings: r.timings,
      threads,
    },
    labels: { label },
    summary: { species: r.species.length },
    // GMM rounds (log10 ΔV + mixture) and force-law curves, drawn by the report and the Figures panel.
    arrays: speciesFigureArrays(r),
  }
}

/**
 * Worker threads for the per-cell work: POPDYN_WSINDY_THREADS if set, else os.availableParallelism() for
 * 100 cells or more (smaller runs take seconds; starting workers would not pay). 1 = this thread. The pool's
 * workers start from TypeScript source (tsx bootstrap), or in the bundled app from the 'wsindy-worker'
 * entry next to the bundled job worker.
 */
export function speciesThreads(cells: number): number {
  const env = Number(process.env.POPDYN_WSINDY_THREADS)
  if (Number.isInteger(env) && env >= 1) return env
  return cells >= 100 ? Math.max(1, availableParallelism()) : 1
}
