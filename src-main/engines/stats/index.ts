/**
 * Statistics toolkit: seeded random numbers, moments and quantiles, digamma and log-sum-exp,
 * Kozachenko–Leonenko entropy, k-means++, Gaussian mixtures by EM with BIC, Latin hypercube
 * sampling and PCHIP interpolation. Point clouds are `{ data: Float64Array (n×d row-major), n, d }`
 * (the `PointCloud` of engines/knn and engines/ot).
 */
export { createRng } from './random'
export type { Rng } from './random'
export { mean, variance, quantile, logSumExp, digamma, logUnitBallVolume, adjustedRandIndex } from './basic'
export { klEntropy, gaussianEntropy } from './entropy'
export type { KlEntropyOptions } from './entropy'
export { kmeans, kmeansPlusPlus } from './kmeans'
export type { KMeansConfig, KMeansResult } from './kmeans'
export { fitGmm, gmmPosteriors, compareGmmBic } from './gmm'
export type { CovarianceType, GmmConfig, GmmModel, GmmResult, GmmBicComparison } from './gmm'
export { latinHypercube } from './lhs'
export type { LatinHypercubeOptions } from './lhs'
export { Pchip, pchip } from './pchip'
export type { PchipOptions } from './pchip'
export type { PointCloud } from '../knn'
