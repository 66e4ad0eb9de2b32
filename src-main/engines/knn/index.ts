/**
 * Exact nearest-neighbour search in R^d (d ≤ ~20) with a flat-array kd-tree: k-NN queries
 * (optionally excluding each point itself) and fixed-radius neighbour lists for cut-off
 * neighbour sums. See `kdtree.ts` for the algorithm and references.
 */
export { KdTree, buildKdTree } from './kdtree'
export type { KdTreeOptions, KnnAllOptions, RadiusOptions } from './kdtree'
export { checkPointCloud } from './types'
export type { PointCloud, KnnResult, RadiusResult } from './types'
