export type { EnsembleConfig, EnsembleProblem, EnsembleResult, EnsembleRestart, Snapshot, PlanSolver } from './types'
export { separateEnsembles, ENSEMBLE_DEFAULTS } from './solve'
export { fitLinear } from './dynamics'
export { matchEnsembles, relativeParameterError, labelAccuracy } from './evaluate'
