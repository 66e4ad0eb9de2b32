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
    epsRelative: z.number().positive().default(2e-5).describe('entropic mode: regularisation relative to the mean cost (smaller: sharper plans, more sweeps)'),
    /** @default 'auto' */
    entropicNeighbours: z
      .union([z.literal('auto'), z.number().int().min(0).max(1000)])
      .default('auto')
      .describe("entropic mode: keep each plan on each particle's N nearest predicted targets (memory grows with N, not N²); 0 = every pair; auto = every pair up to ~500 particles per time point, else 16"),
    /** @default false */
    chooseK: z.boolean().default(false).describe('choose K by the objective elbow: fit K = 1..maxK and keep the K after the largest drop (evidence in the run)'),
    /** @default 5 */
    maxK: z.number().int().min(2).max(10).default(5).describe('largest K tried when chooseK is on'),
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
    /** @default 0.1 */
    mergeTolerance: z.number().min(0).max(1).default(0.1).describe('merge over-split species: same force-mode code and force laws closer than this (relative L2), or one model explains both (0 = never merge)'),
    /** @default false */
    fillGaps: z.boolean().default(false).describe('fill missing frames inside a track by PCHIP interpolation (otherwise a gap is an error)'),
  })
  .strict()
export type SpeciesParams = z.infer<typeof SpeciesParams>

const lr = (d: number) => z.number().positive().max(1).default(d)
export const IjkonetParams = z
  .object({
    variant: z.enum(['ijkonet', 'ijkonet-v', 'ijkonet-tv']).default('ijkonet').describe('free energy: all terms, potential only, or time-varying potential'),
    epochs: z.number().int().min(1).max(100_000).default(200).describe('training epochs (early stopping on a validation split)'),
    tau: z.number().positive().default(1).describe('JKO time step between snapshots'),
    lrEnergy: lr(1e-3).describe('Adam learning rate of the energy'),
    lrMap: lr(1e-3).describe('Adam learning rate of the transport map'),
    valFraction: z.number().min(0).max(0.5).default(0.2).describe('fraction of every snapshot held out for validation (best epoch kept; 0 = none)'),
    noiseGuard: z.boolean().default(true).describe('scale the learned energy (0 = no motion … 1) by the validation EMD, so sampling noise between snapshots is not fitted as motion'),
  })
  .strict()
export const JkonetParams = z
  .object({
    method: z.enum(['jkonet', 'forward']).default('jkonet').describe('JKO step through an ICNN, or the forward-method baseline'),
    epochs: z.number().int().min(1).max(100_000).default(100).describe('training epochs'),
    tau: z.number().positive().default(1).describe('JKO time step between snapshots'),
    teacherForcing: z.boolean().default(true).describe('start each step from the observed snapshot'),
  })
  .strict()
export const WlmParams = z
  .object({
    epochs: z.number().int().min(1).max(1_000_000).default(500).describe('training epochs'),
    lr: lr(1e-3).describe('Adam learning rate'),
    friction: z.number().min(0).default(1).describe('friction γ (initial value when learned): 0 inertial; ≳ 10/Δt (Δt = snapshot gap) starts overdamped, for populations that move by gradient flow / diffusion'),
    learnFriction: z.boolean().default(true).describe('learn γ'),
    initialVelocity: z.enum(['zero', 'ot', 'data']).default('ot').describe('initial velocities: zero, estimated by OT between the first two snapshots, or the dataset velocity columns'),
    holdout: z.number().finite().optional().describe('time of one snapshot to leave out: trained without it, then predicted from the snapshot before it and scored (W1)'),
    emaWarmup: z.number().gt(1).default(10).describe('weight averaging: the EMA decay at step k is min(0.999, (1+k)/(w+k)); smaller w averages over more of the run'),
  })
  .strict()

export const METHODS = {
  ensembles: { params: EnsembleParams, title: 'Ensemble separation (OT)', needs: 'snapshots' as const },
  species: { params: SpeciesParams, title: 'Species identification (WSINDy)', needs: 'tracks' as const },
  ijkonet: { params: IjkonetParams, title: 'Dynamics fitting (iJKOnet)', needs: 'snapshots' as const },
  jkonet: { params: JkonetParams, title: 'Dynamics fitting (JKOnet)', needs: 'snapshots' as const },
  wlm: { params: WlmParams, title: 'Population mechanics (WLM)', needs: 'snapshots' as const },
} as const
export type MethodName = keyof typeof METHODS
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[]
