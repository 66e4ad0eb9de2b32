/**
 * Shapes shared by the kd-tree and its callers.
 *
 * `PointCloud` is the OT toolkit's (`engines/ot/types.ts`): n points in R^d stored row-major,
 * point i at `data[i*d .. i*d + d)`, `data.length === n·d`.
 */
import { invalidInput } from '@shared/errors'
import type { PointCloud } from '../ot/types'

export type { PointCloud }

/** k nearest neighbours of q query points, row-major q×k, nearest first. */
export interface KnnResult {
  /** Number of query rows. */
  n: number
  k: number
  /** Original indices (into the tree's point cloud), length n·k. */
  indices: Int32Array
  /** Euclidean distances (not squared), ascending within each row, length n·k. */
  distances: Float64Array
}

/**
 * Neighbours within a radius, in compressed-row form: the neighbours of query i are
 * `indices[offsets[i] .. offsets[i+1])` with Euclidean distances in the same slots.
 */
export interface RadiusResult {
  /** Number of query rows. */
  n: number
  /** Length n + 1, offsets[0] = 0. */
  offsets: Int32Array
  indices: Int32Array
  /** Euclidean distances (not squared). */
  distances: Float64Array
}

/** Throws invalidInput unless `p` is a well-formed, finite point cloud. */
export function checkPointCloud(p: PointCloud, what = 'points'): void {
  if (!p || !(p.data instanceof Float64Array)) {
    throw invalidInput(`${what}: expected { data: Float64Array, n, d }, got ${p === null ? 'null' : typeof p?.data}`)
  }
  if (!Number.isInteger(p.n) || p.n < 0 || !Number.isInteger(p.d) || p.d < 1) {
    throw invalidInput(`${what}: expected integer n >= 0 and d >= 1, got n = ${p.n}, d = ${p.d}`)
  }
  if (p.data.length !== p.n * p.d) {
    throw invalidInput(`${what}: expected data.length = n·d = ${p.n * p.d}, got ${p.data.length}`)
  }
  for (let i = 0; i < p.data.length; i++) {
    if (!Number.isFinite(p.data[i]!)) {
      throw invalidInput(`${what}: expected finite coordinates, got ${p.data[i]} at point ${Math.floor(i / p.d)}, coordinate ${i % p.d}`)
    }
  }
}
