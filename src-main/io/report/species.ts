/**
 * The arrays a species run needs for its report figures, from the engine's result: per round the
 * validation errors (log10 ΔV) and the two-component mixture fitted to them, per species the
 * learned force laws sampled on a grid (θ = 0: neighbour straight ahead). The species worker
 * stores these with the run (`arrays: speciesFigureArrays(result)`); the report reads them by name:
 *
 * - `rounds/<k>/log10dV`  float64 [m]    log10 ΔV of the cells still unlabelled in round k (1-based)
 * - `rounds/<k>/gmm`      float64 [2, 3] rows (weight, mean, sd) of the mixture on log10 ΔV
 * - `forceLaw/<S>/r`      float64 [n]    distances 0..r_max (data units); `forceLaw/<S>/ar`, `.../align` at those r
 * - `forceLaw/<S>/speed`  float64 [n]    speeds 0..s_max; `forceLaw/<S>/drag` at those speeds
 *
 * `<S>` is the species label the worker writes (`S1`, `S2`, …).
 */
import { evaluateForce } from '../../engines/wsindy/index'
import type { SpeciesResult } from '../../engines/wsindy/index'
import { nd, type NdArray } from '../../store/arrays'

/** @param samples grid points per force law @default 101 */
export function speciesFigureArrays(r: Pick<SpeciesResult, 'rounds' | 'species' | 'data'>, samples = 101): Record<string, NdArray> {
  const out: Record<string, NdArray> = {}
  r.rounds.forEach((round, k) => {
    const v = Float64Array.from(round.errors, (e) => Math.log10(e)).filter(Number.isFinite)
    out[`rounds/${k + 1}/log10dV`] = nd(v)
    if (round.gmm) {
      const g = round.gmm
      out[`rounds/${k + 1}/gmm`] = nd(Float64Array.of(g.weights[0], g.means[0], g.sds[0], g.weights[1], g.means[1], g.sds[1]), [2, 3])
    }
  })
  const lib = r.data.lib
  const rMax = Number.isFinite(r.data.rMax) && r.data.rMax > 0 ? r.data.rMax : 1
  const sMax = Number.isFinite(r.data.sMax) && r.data.sMax > 0 ? r.data.sMax : 1
  const grid = (max: number) => Float64Array.from({ length: samples }, (_, i) => (max * i) / (samples - 1))
  for (const s of r.species) {
    const name = `forceLaw/S${s.index + 1}`
    const rs = grid(rMax)
    const speeds = grid(sMax)
    out[`${name}/r`] = nd(rs)
    out[`${name}/ar`] = nd(Float64Array.from(rs, (x) => evaluateForce(lib, s.w, 'ar', x, 0)))
    out[`${name}/align`] = nd(Float64Array.from(rs, (x) => evaluateForce(lib, s.w, 'align', x, 0)))
    out[`${name}/speed`] = nd(speeds)
    out[`${name}/drag`] = nd(Float64Array.from(speeds, (x) => evaluateForce(lib, s.w, 'drag', x, 0)))
  }
  return out
}
