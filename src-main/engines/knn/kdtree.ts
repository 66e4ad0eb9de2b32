/**
 * A kd-tree over a fixed point cloud in R^d (d ≤ ~20, n up to ~10^5–10^6) for exact
 * k-nearest-neighbour and fixed-radius queries in the Euclidean norm.
 *
 * Layout: flat typed arrays, no per-node objects. The points are copied once into tree
 * order (`pts`, row-major), so every leaf is a contiguous block of memory; `perm` maps a
 * tree slot back to the caller's point index. Node j covers slots [start[j], end[j]); an
 * inner node splits on coordinate `dim[j]` at `split[j]` (the median of that coordinate in
 * its range: left slots ≤ split ≤ right slots) and its children are `left[j]` and
 * `left[j] + 1`; a leaf has `dim[j] = -1`. The split coordinate is the one of widest spread.
 * Build cost O(n log n · d).
 *
 * Search: depth first, nearer child first, with the incremental rectangle distance of
 * Arya & Mount (1993) — the squared distance from the query to the far child's cell is
 * updated in O(1) per level (as in scipy's cKDTree and nanoflann) — so a k-NN query costs
 * about O(log n + k) distance evaluations for well-spread data in low dimension, degrading
 * gracefully towards brute force as d grows.
 *
 * References: J. L. Bentley, "Multidimensional binary search trees used for associative
 * searching", CACM 18 (1975); S. Arya, D. M. Mount, "Algorithms for fast vector
 * quantization", DCC 1993.
 */
import { invalidInput } from '@shared/errors'
import { checkAborted, type EngineContext } from '../common/context'
import { checkPointCloud, type KnnResult, type PointCloud, type RadiusResult } from './types'

export interface KdTreeOptions {
  /**
   * Maximum number of points in a leaf. Larger leaves mean a shallower tree and more
   * brute-force distance evaluations per visited leaf.
   * @default 12
   */
  leafSize?: number
}

export interface KnnAllOptions {
  /** Leave each point out of its own neighbour list (by index, not by distance). @default true */
  excludeSelf?: boolean
}

export interface RadiusOptions {
  /** Leave each point out of its own neighbour list (by index). Only for `radiusAll`. @default true */
  excludeSelf?: boolean
  /** Sort each row by increasing distance. @default false */
  sort?: boolean
}

/** How often (in queries) the all-points queries check cancellation and report progress. */
const CHECK_EVERY = 8192

export class KdTree {
  /** Number of points. */
  readonly n: number
  /** Dimension. */
  readonly d: number
  readonly leafSize: number
  /** Number of nodes in the tree. */
  readonly nodeCount: number

  /** Points in tree order, row-major n×d. */
  private readonly pts: Float64Array
  /** Tree slot -> original point index. */
  private readonly perm: Int32Array
  private readonly start: Int32Array
  private readonly end: Int32Array
  private readonly left: Int32Array
  private readonly dim: Int32Array
  private readonly split: Float64Array

  // Search scratch (a tree is used by one thread at a time; JS is single-threaded per isolate).
  private readonly off: Float64Array
  private readonly qbuf: Float64Array
  private q: Float64Array
  private qo = 0
  private skip = -1
  private kk = 0
  private size = 0
  private worst = Infinity
  private bestD: Float64Array = new Float64Array(0)
  private bestI: Int32Array = new Int32Array(0)
  private rI: Int32Array = new Int32Array(64)
  private rD: Float64Array = new Float64Array(64)
  private rCount = 0
  /** Depth of radiusPoint visitor callbacks currently running. */
  private visiting = 0

  private constructor(points: PointCloud, leafSize: number) {
    const { n, d, data } = points
    this.n = n
    this.d = d
    this.leafSize = leafSize
    const minLeaf = Math.max(1, Math.floor((leafSize + 1) / 2))
    const maxNodes = 2 * Math.ceil(Math.max(n, 1) / minLeaf) + 1
    this.start = new Int32Array(maxNodes)
    this.end = new Int32Array(maxNodes)
    this.left = new Int32Array(maxNodes)
    this.dim = new Int32Array(maxNodes)
    this.split = new Float64Array(maxNodes)
    const idx = new Int32Array(n)
    for (let i = 0; i < n; i++) idx[i] = i
    let count = 1
    // Explicit stack of nodes still to split.
    const stack: number[] = [0]
    this.start[0] = 0
    this.end[0] = n
    const lo = new Float64Array(d)
    const hi = new Float64Array(d)
    while (stack.length > 0) {
      const node = stack.pop()!
      const s = this.start[node]!
      const e = this.end[node]!
      this.dim[node] = -1
      if (e - s <= leafSize) continue
      lo.fill(Infinity)
      hi.fill(-Infinity)
      for (let p = s; p < e; p++) {
        const b = idx[p]! * d
        for (let j = 0; j < d; j++) {
          const v = data[b + j]!
          if (v < lo[j]!) lo[j] = v
          if (v > hi[j]!) hi[j] = v
        }
      }
      let best = 0
      let spread = -1
      for (let j = 0; j < d; j++) {
        if (hi[j]! - lo[j]! > spread) {
          spread = hi[j]! - lo[j]!
          best = j
        }
      }
      if (!(spread > 0)) continue // all points identical: keep as one (large) leaf
      const mid = (s + e) >> 1
      quickselect(idx, data, d, best, s, e - 1, mid)
      this.dim[node] = best
      this.split[node] = data[idx[mid]! * d + best]!
      const l = count
      count += 2
      this.left[node] = l
      this.start[l] = s
      this.end[l] = mid
      this.start[l + 1] = mid
      this.end[l + 1] = e
      stack.push(l + 1, l)
    }
    this.nodeCount = count
    this.perm = idx
    this.pts = new Float64Array(n * d)
    for (let p = 0; p < n; p++) {
      const src = idx[p]! * d
      const dst = p * d
      for (let j = 0; j < d; j++) this.pts[dst + j] = data[src + j]!
    }
    this.off = new Float64Array(d)
    this.qbuf = new Float64Array(d)
    this.q = this.qbuf
  }

  /**
   * Builds a kd-tree on `points` (n×d row-major; the data is copied, so the caller may reuse
   * its array). Throws invalidInput on malformed or non-finite input.
   */
  static build(points: PointCloud, options: KdTreeOptions = {}): KdTree {
    checkPointCloud(points)
    const leafSize = options.leafSize ?? 12
    if (!Number.isInteger(leafSize) || leafSize < 1) {
      throw invalidInput(`leafSize: expected an integer >= 1, got ${leafSize}`)
    }
    return new KdTree(points, leafSize)
  }

  /**
   * k nearest neighbours of every point of the tree's own cloud. Row i of the result lists
   * the neighbours of point i, nearest first. With `excludeSelf` (default) point i is not its
   * own neighbour, but an exact duplicate of it is (at distance 0).
   * Needs k <= n − 1 (or k <= n without `excludeSelf`).
   */
  knnAll(k: number, options: KnnAllOptions = {}, ctx?: EngineContext): KnnResult {
    const excludeSelf = options.excludeSelf ?? true
    this.checkK(k, this.n - (excludeSelf ? 1 : 0), excludeSelf ? 'n − 1' : 'n')
    const { n, d } = this
    const indices = new Int32Array(n * k)
    const distances = new Float64Array(n * k)
    this.q = this.pts
    for (let p = 0; p < n; p++) {
      if (p % CHECK_EVERY === 0 && p > 0) this.tick(ctx, p, 'knn')
      const row = this.perm[p]!
      this.qo = p * d
      this.runKnn(k, excludeSelf ? row : -1)
      this.copyKnn(row, k, indices, distances)
    }
    this.q = this.qbuf
    return { n, k, indices, distances }
  }

  /** k nearest tree points of each row of `queries` (m×d). Needs k <= n. */
  knn(queries: PointCloud, k: number, ctx?: EngineContext): KnnResult {
    checkPointCloud(queries, 'queries')
    this.checkDim(queries.d)
    this.checkK(k, this.n, 'n')
    const m = queries.n
    const indices = new Int32Array(m * k)
    const distances = new Float64Array(m * k)
    this.q = queries.data
    for (let i = 0; i < m; i++) {
      if (i % CHECK_EVERY === 0 && i > 0) this.tick(ctx, i, 'knn', m)
      this.qo = i * this.d
      this.runKnn(k, -1)
      this.copyKnn(i, k, indices, distances)
    }
    this.q = this.qbuf
    return { n: m, k, indices, distances }
  }

  /**
   * k nearest tree points of one query point `q` (length d), nearest first. `exclude` is a
   * point index to leave out (e.g. the query's own index), or -1.
   */
  knnPoint(q: ArrayLike<number>, k: number, exclude = -1): { indices: Int32Array; distances: Float64Array } {
    this.setQuery(q)
    this.checkK(k, this.n - (exclude >= 0 && exclude < this.n ? 1 : 0), 'the number of candidate points')
    this.runKnn(k, exclude)
    const indices = new Int32Array(k)
    const distances = new Float64Array(k)
    this.copyKnn(0, k, indices, distances)
    return { indices, distances }
  }

  /**
   * All pairs within Euclidean distance r (closed ball: distance <= r) among the tree's own
   * points, as compressed rows (row i = neighbours of point i). Cost ~ n·(log n + neighbours).
   */
  radiusAll(r: number, options: RadiusOptions = {}, ctx?: EngineContext): RadiusResult {
    this.checkRadius(r)
    const excludeSelf = options.excludeSelf ?? true
    const { n, d } = this
    // Queries run in tree order for locality; rows are gathered per original index.
    const rowStart = new Int32Array(n)
    const rowLen = new Int32Array(n)
    let accI: Int32Array = new Int32Array(Math.max(16, n))
    let accD: Float64Array = new Float64Array(Math.max(16, n))
    let total = 0
    this.q = this.pts
    for (let p = 0; p < n; p++) {
      if (p % CHECK_EVERY === 0 && p > 0) this.tick(ctx, p, 'radius')
      const row = this.perm[p]!
      this.qo = p * d
      this.runRadius(r * r, excludeSelf ? row : -1)
      const c = this.rCount
      if (total + c > accI.length) {
        const cap = Math.max(2 * accI.length, total + c)
        accI = growI(accI, cap)
        accD = growF(accD, cap)
      }
      rowStart[row] = total
      rowLen[row] = c
      accI.set(this.rI.subarray(0, c), total)
      for (let t = 0; t < c; t++) accD[total + t] = Math.sqrt(this.rD[t]!)
      total += c
    }
    this.q = this.qbuf
    const offsets = new Int32Array(n + 1)
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + rowLen[i]!
    const indices = new Int32Array(total)
    const distances = new Float64Array(total)
    for (let i = 0; i < n; i++) {
      indices.set(accI.subarray(rowStart[i]!, rowStart[i]! + rowLen[i]!), offsets[i]!)
      distances.set(accD.subarray(rowStart[i]!, rowStart[i]! + rowLen[i]!), offsets[i]!)
    }
    const out = { n, offsets, indices, distances }
    if (options.sort) sortRows(out)
    return out
  }

  /** Tree points within distance r (closed ball) of each row of `queries` (m×d), compressed rows. */
  radius(queries: PointCloud, r: number, options: Omit<RadiusOptions, 'excludeSelf'> = {}, ctx?: EngineContext): RadiusResult {
    checkPointCloud(queries, 'queries')
    this.checkDim(queries.d)
    this.checkRadius(r)
    const m = queries.n
    const offsets = new Int32Array(m + 1)
    let accI: Int32Array = new Int32Array(Math.max(16, m))
    let accD: Float64Array = new Float64Array(Math.max(16, m))
    let total = 0
    this.q = queries.data
    for (let i = 0; i < m; i++) {
      if (i % CHECK_EVERY === 0 && i > 0) this.tick(ctx, i, 'radius', m)
      this.qo = i * this.d
      this.runRadius(r * r, -1)
      const c = this.rCount
      if (total + c > accI.length) {
        const cap = Math.max(2 * accI.length, total + c)
        accI = growI(accI, cap)
        accD = growF(accD, cap)
      }
      accI.set(this.rI.subarray(0, c), total)
      for (let t = 0; t < c; t++) accD[total + t] = Math.sqrt(this.rD[t]!)
      total += c
      offsets[i + 1] = total
    }
    this.q = this.qbuf
    const out = { n: m, offsets, indices: accI.slice(0, total), distances: accD.slice(0, total) }
    if (options.sort) sortRows(out)
    return out
  }

  /**
   * Calls `visit(index, distance)` for every tree point within distance r (closed ball) of
   * `q` (length d), in no particular order, except the point `exclude` (or none if -1).
   * Allocation-free in steady state (the hot path for neighbour sums with a cut-off); `visit`
   * may itself query the tree.
   * Returns the number of points visited.
   */
  radiusPoint(q: ArrayLike<number>, r: number, visit: (index: number, distance: number) => void, exclude = -1): number {
    this.setQuery(q)
    this.checkRadius(r)
    this.runRadius(r * r, exclude)
    const c = this.rCount
    const ids = this.rI
    const ds = this.rD
    // `visit` may query this tree again; runRadius then switches to fresh buffers (see there).
    this.visiting++
    try {
      for (let t = 0; t < c; t++) visit(ids[t]!, Math.sqrt(ds[t]!))
    } finally {
      this.visiting--
    }
    return c
  }

  // ---------------------------------------------------------------- internals

  private runKnn(k: number, skip: number): void {
    if (this.bestD.length < k) {
      this.bestD = new Float64Array(k)
      this.bestI = new Int32Array(k)
    }
    this.kk = k
    this.size = 0
    this.worst = Infinity
    this.skip = skip
    this.off.fill(0)
    this.knnRec(0, 0)
  }

  private knnRec(node: number, rd: number): void {
    const dm = this.dim[node]!
    if (dm < 0) {
      const { pts, q, d, perm } = this
      const qo = this.qo
      const e = this.end[node]!
      if (d < 6) {
        for (let p = this.start[node]!; p < e; p++) {
          const b = p * d
          let s = 0
          for (let j = 0; j < d; j++) {
            const t = pts[b + j]! - q[qo + j]!
            s += t * t
          }
          if (s < this.worst) {
            const id = perm[p]!
            if (id !== this.skip) this.insert(s, id)
          }
        }
        return
      }
      // Higher d: stop summing a candidate's distance as soon as it exceeds the k-th best.
      for (let p = this.start[node]!; p < e; p++) {
        const b = p * d
        const w = this.worst
        let s = 0
        let j = 0
        for (; j < d; j++) {
          const t = pts[b + j]! - q[qo + j]!
          s += t * t
          if (s >= w) break
        }
        if (j === d) {
          const id = perm[p]!
          if (id !== this.skip) this.insert(s, id)
        }
      }
      return
    }
    const diff = this.q[this.qo + dm]! - this.split[node]!
    const l = this.left[node]!
    const near = diff <= 0 ? l : l + 1
    this.knnRec(near, rd)
    const old = this.off[dm]!
    const rdFar = rd - old * old + diff * diff
    if (rdFar < this.worst) {
      this.off[dm] = diff
      this.knnRec(near === l ? l + 1 : l, rdFar)
      this.off[dm] = old
    }
  }

  /** Sorted insertion into the current best-k list (k is small; O(k) per accepted point). */
  private insert(s: number, id: number): void {
    const bestD = this.bestD
    const bestI = this.bestI
    const k = this.kk
    let i = this.size < k ? this.size++ : k - 1
    while (i > 0 && bestD[i - 1]! > s) {
      bestD[i] = bestD[i - 1]!
      bestI[i] = bestI[i - 1]!
      i--
    }
    bestD[i] = s
    bestI[i] = id
    if (this.size === k) this.worst = bestD[k - 1]!
  }

  private copyKnn(row: number, k: number, indices: Int32Array, distances: Float64Array): void {
    const o = row * k
    for (let t = 0; t < k; t++) {
      indices[o + t] = this.bestI[t]!
      distances[o + t] = Math.sqrt(this.bestD[t]!)
    }
  }

  private runRadius(r2: number, skip: number): void {
    if (this.visiting > 0) {
      // Called from inside a radiusPoint visitor: leave the outer call's result buffers intact.
      this.rI = new Int32Array(64)
      this.rD = new Float64Array(64)
    }
    this.rCount = 0
    this.worst = r2
    this.skip = skip
    this.off.fill(0)
    this.radiusRec(0, 0)
  }

  private radiusRec(node: number, rd: number): void {
    const dm = this.dim[node]!
    if (dm < 0) {
      const { pts, q, d, perm } = this
      const qo = this.qo
      const r2 = this.worst
      const e = this.end[node]!
      for (let p = this.start[node]!; p < e; p++) {
        const b = p * d
        let s = 0
        for (let j = 0; j < d; j++) {
          const t = pts[b + j]! - q[qo + j]!
          s += t * t
        }
        if (s <= r2) {
          const id = perm[p]!
          if (id === this.skip) continue
          if (this.rCount === this.rI.length) {
            this.rI = growI(this.rI, 2 * this.rI.length)
            this.rD = growF(this.rD, 2 * this.rD.length)
          }
          this.rI[this.rCount] = id
          this.rD[this.rCount++] = s
        }
      }
      return
    }
    const diff = this.q[this.qo + dm]! - this.split[node]!
    const l = this.left[node]!
    const near = diff <= 0 ? l : l + 1
    this.radiusRec(near, rd)
    const old = this.off[dm]!
    const rdFar = rd - old * old + diff * diff
    if (rdFar <= this.worst) {
      this.off[dm] = diff
      this.radiusRec(near === l ? l + 1 : l, rdFar)
      this.off[dm] = old
    }
  }

  private setQuery(q: ArrayLike<number>): void {
    if (!q || q.length !== this.d) throw invalidInput(`query point: expected length d = ${this.d}, got ${q?.length}`)
    for (let j = 0; j < this.d; j++) {
      const v = q[j]!
      if (!Number.isFinite(v)) throw invalidInput(`query point: expected finite coordinates, got ${v} at coordinate ${j}`)
      this.qbuf[j] = v
    }
    this.q = this.qbuf
    this.qo = 0
  }

  private checkDim(d: number): void {
    if (d !== this.d) throw invalidInput(`queries: expected dimension d = ${this.d} (the tree's), got ${d}`)
  }

  private checkK(k: number, max: number, maxName: string): void {
    if (!Number.isInteger(k) || k < 1 || k > max) {
      throw invalidInput(`k: expected an integer with 1 <= k <= ${maxName} = ${max}, got ${k}`)
    }
  }

  private checkRadius(r: number): void {
    if (!(r >= 0) || !Number.isFinite(r)) throw invalidInput(`radius: expected a finite number >= 0, got ${r}`)
  }

  private tick(ctx: EngineContext | undefined, done: number, stage: string, total = this.n): void {
    ctx?.onProgress?.({ fraction: done / total, stage })
    checkAborted(ctx)
  }
}

/** Builds a kd-tree; see {@link KdTree}. */
export function buildKdTree(points: PointCloud, options?: KdTreeOptions): KdTree {
  return KdTree.build(points, options)
}

/**
 * Hoare quickselect on idx[lo..hi] (inclusive) by coordinate `dim`, so that idx[k] holds the
 * k-th smallest value, everything before it is <= and everything after it is >=.
 */
function quickselect(idx: Int32Array, data: Float64Array, d: number, dim: number, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const a = data[idx[lo]! * d + dim]!
    const b = data[idx[(lo + hi) >> 1]! * d + dim]!
    const c = data[idx[hi]! * d + dim]!
    // median of three as pivot value
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b
    let i = lo
    let j = hi
    while (i <= j) {
      while (data[idx[i]! * d + dim]! < pivot) i++
      while (data[idx[j]! * d + dim]! > pivot) j--
      if (i <= j) {
        const t = idx[i]!
        idx[i] = idx[j]!
        idx[j] = t
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return
  }
}

function growI(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap)
  b.set(a)
  return b
}

function growF(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap)
  b.set(a)
  return b
}

/** Sorts each compressed row by increasing distance, in place. */
function sortRows(r: RadiusResult): void {
  for (let i = 0; i < r.n; i++) {
    const s = r.offsets[i]!
    const e = r.offsets[i + 1]!
    if (e - s < 2) continue
    const order = Array.from({ length: e - s }, (_, t) => s + t)
    order.sort((x, y) => r.distances[x]! - r.distances[y]! || r.indices[x]! - r.indices[y]!)
    const ids = order.map((t) => r.indices[t]!)
    const ds = order.map((t) => r.distances[t]!)
    r.indices.set(ids, s)
    r.distances.set(ds, s)
  }
}
