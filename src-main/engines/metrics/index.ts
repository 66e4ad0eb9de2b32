/**
 * Metrics (SPEC §3): Gaussian fits, Bures–Wasserstein distance, B-UVP, L2-UVP of learned
 * potentials, relative L2 errors of functions on grids. (EMD lives in engines/ot.)
 */
export type { Gaussian, PointCloud } from './types'
export { gaussianFit, bw2, bw2Clouds, bUvp, bUvpClouds } from './gaussian'
export type { GaussianFitOptions } from './gaussian'
export { l2Uvp, relativeL2 } from './uvp'
export type { L2UvpInput } from './uvp'
