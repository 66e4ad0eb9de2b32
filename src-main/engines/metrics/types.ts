/**
 * Value types of the metrics toolkit. Point clouds are the OT toolkit's `PointCloud`
 * ({ data, n, d }, row-major: point i is data[i*d .. i*d + d − 1]).
 */
export type { PointCloud } from '../ot/types'

/** A Gaussian N(mean, cov) in R^d: mean of length d, cov d × d row-major (symmetric PSD). */
export interface Gaussian {
  mean: Float64Array
  cov: Float64Array
  d: number
}
