/**
 * Parameters of each method, declared once with defaults and one-line meanings; validated at
 * the boundary (UI calls, `popdyn run --set`) before a job starts.
 */
import { z } from 'zod'

export const EnsembleParams = z
  .object({
    /** Number of ensembles K. @default 3 */
    K: z.number().int().min(1).max(10).default(3).describe('number of ensembles (sub-populations) to separate'),
    /** @default 10 */
    restarts: z.number().int().min(1).max(1000).default(10).describe('random restarts; the lowest objective is kept'),
    /** @default false */
    affine: z.boolean().default(false).describe('fit x(t+1) = A x(t) + b instead of A x(t)'),
    /** @default 'auto' */
    solver: z.enum(['auto', 'exact', 'entropic']).default('auto').describe('plan solver: exact LP (small problems) or entropic (large); auto picks by size'),
    /** @default 100 */
    maxIter: z.number().int().min(1).max(10_000).default(100).describe('block-coordinate iterations per restart at most'),
    /** @default 1e-7 */
    tol: z.number().positive().default(1e-7).describe('stop when the relative objective decrease falls below this'),
    /** @default 1e-3 */
    epsRelative: z.number().positive().default(1e-3).describe('entropic mode: regularisation relative to the mean cost'),
  })
  .strict()
export type EnsembleParams = z.infer<typeof EnsembleParams>

export const SpeciesParams = z
  .object({
    /** @default 10 */
    maxSpecies: z.number().int().min(1).max(50).default(10).describe('stop after this many species'),
    /** @default 0.05 */
    acceptError: z.number().positive().max(1).default(0.05).describe('validation error ΔV below which a cell counts as explained'),
    /** @default 1 */
    rFar: z.number().positive().default(1).describe('distance beyond which attraction-repulsion must be attractive or zero (data units)'),
    /** @default 20 */
    gmmRestarts: z.number().int().min(1).max(200).default(20).describe('restarts of the 2-component mixture on log10 ΔV'),
  })
  .strict()
export type SpeciesParams = z.infer<typeof SpeciesParams>

export const METHODS = {
  ensembles: { params: EnsembleParams, title: 'Ensemble separation (OT)', needs: 'snapshots' as const },
  species: { params: SpeciesParams, title: 'Species identification (WSINDy)', needs: 'tracks' as const },
} as const
export type MethodName = keyof typeof METHODS
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[]
