/**
 * Exact nearest-neighbour search among a few hundred points (the seeding sample of one snapshot,
 * or the predictions A x_t of one hypothesis): the points sorted along their first coordinate; a
 * query scans outwards from its place in that order and stops on each side as soon as the gap in
 * the first coordinate alone exceeds the best squared distance so far. It returns the point a scan
 * of all points in index order returns (the lowest index among equally near points), with the
 * squared distance summed the same way, so it replaces that scan bit for bit (issue 5: the
 * trajectory chains and mutual-pair refits of hypotheses.ts run ~10⁶ queries on 100 points).
 *
 * The buffers are reused by `set` (typed arrays of more than 64 bytes are slow to allocate, and
 * the mutual pairs sort the predictions of every hypothesis and transition anew).
 */
export class SortedPoints {
  /** Original index of the s-th point in sorted order. */
  order: Int32Array
  /** First coordinate of the s-th point in sorted order. */
  keys: Float64Array
  /** Points in sorted order, row-major. */
  xs: Float64Array
  n = 0
  /** Result of the last query: original index of the nearest point (−1 when none within the bound) and its squared distance. */
  index = -1
  dist2 = Infinity
  private count: Int32Array
  private bucket: Int32Array

  constructor(
    x: Float64Array,
    n: number,
    readonly d: number,
  ) {
    this.order = new Int32Array(n)
    this.keys = new Float64Array(n)
    this.xs = new Float64Array(n * d)
    this.count = new Int32Array(n + 1)
    this.bucket = new Int32Array(n)
    this.set(x, n)
  }

  /** Replaces the points by the n points of x (row-major, dimension d). */
  set(x: Float64Array, n: number): this {
    const d = this.d
    if (this.order.length < n) {
      this.order = new Int32Array(n)
      this.keys = new Float64Array(n)
      this.xs = new Float64Array(n * d)
      this.count = new Int32Array(n + 1)
      this.bucket = new Int32Array(n)
    }
    this.n = n
    const { order, keys, xs } = this
    let lo = Infinity, hi = -Infinity
    for (let i = 0; i < n; i++) {
      const k = x[i * d]!
      if (k < lo) lo = k
      if (k > hi) hi = k
    }
    if (hi > lo) {
      // Bucket pass (monotone in the key), then insertion sort by (key, index) of the nearly sorted order.
      const scale = n / (hi - lo)
      const count = this.count.fill(0, 0, n + 1), bucket = this.bucket
      for (let i = 0; i < n; i++) {
        let b = Math.floor((x[i * d]! - lo) * scale)
        if (b > n - 1) b = n - 1
        bucket[i] = b
        count[b + 1]!++
      }
      for (let b = 0; b < n; b++) count[b + 1]! += count[b]!
      for (let i = 0; i < n; i++) order[count[bucket[i]!]!++] = i
      for (let s = 1; s < n; s++) {
        const i = order[s]!, k = x[i * d]!
        let r = s - 1
        for (; r >= 0; r--) {
          const j = order[r]!, kj = x[j * d]!
          if (kj < k || (kj === k && j < i)) break
          order[r + 1] = j
        }
        order[r + 1] = i
      }
    } else for (let i = 0; i < n; i++) order[i] = i
    for (let s = 0; s < n; s++) {
      const i = order[s]!
      keys[s] = x[i * d]!
      for (let c = 0; c < d; c++) xs[s * d + c] = x[i * d + c]!
    }
    return this
  }

  /** First position in sorted order whose key is ≥ q0. */
  private lowerBound(q0: number): number {
    const keys = this.keys
    let lo = 0, hi = this.n
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (keys[mid]! < q0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /**
   * Nearest point to q[o .. o + d) among those with squared distance ≤ bound (all when the bound
   * is infinite); sets `index` (−1 when there is none) and `dist2`, and returns `index`.
   */
  query(q: Float64Array, o = 0, bound = Infinity): number {
    const { n, d, keys, xs, order } = this
    const q0 = q[o]!
    const lo = this.lowerBound(q0)
    let best = bound
    let bi = 0x7fffffff
    if (d === 2) {
      const q1 = q[o + 1]!
      for (let s = lo; s < n; s++) {
        const a = keys[s]! - q0
        const aa = a * a
        if (aa > best) break
        const b = xs[2 * s + 1]! - q1
        const e = aa + b * b
        const j = order[s]!
        if (e < best || (e === best && j < bi)) (best = e), (bi = j)
      }
      for (let s = lo - 1; s >= 0; s--) {
        const a = keys[s]! - q0
        const aa = a * a
        if (aa > best) break
        const b = xs[2 * s + 1]! - q1
        const e = aa + b * b
        const j = order[s]!
        if (e < best || (e === best && j < bi)) (best = e), (bi = j)
      }
    } else
      for (let side = 0; side < 2; side++)
        for (let s = side ? lo - 1 : lo; side ? s >= 0 : s < n; side ? s-- : s++) {
          if ((keys[s]! - q0) ** 2 > best) break
          let e = 0
          for (let c = 0; c < d; c++) e += (xs[s * d + c]! - q[o + c]!) ** 2
          const j = order[s]!
          if (e < best || (e === best && j < bi)) (best = e), (bi = j)
        }
    if (bi === 0x7fffffff) {
      this.index = -1
      this.dist2 = Infinity
    } else {
      this.index = bi
      this.dist2 = best
    }
    return this.index
  }

  /**
   * The k nearest points to q[o .. o + d), ordered by squared distance and then by index (what
   * keeping the k best of a scan in index order gives, a later point entering only when strictly
   * nearer): indices into `outJ`, squared distances into `outR` (Infinity past the last one found).
   */
  nearestK(q: Float64Array, o: number, k: number, outR: Float64Array, outJ: Int32Array): void {
    const { n, d, keys, xs, order } = this
    for (let r = 0; r < k; r++) (outR[r] = Infinity), (outJ[r] = 0x7fffffff)
    const q0 = q[o]!
    const lo = this.lowerBound(q0)
    if (d === 2) {
      const q1 = q[o + 1]!
      for (let s = lo; s < n; s++) {
        const a = keys[s]! - q0
        const aa = a * a
        if (aa > outR[k - 1]!) break
        const b = xs[2 * s + 1]! - q1
        insertK(aa + b * b, order[s]!, k, outR, outJ)
      }
      for (let s = lo - 1; s >= 0; s--) {
        const a = keys[s]! - q0
        const aa = a * a
        if (aa > outR[k - 1]!) break
        const b = xs[2 * s + 1]! - q1
        insertK(aa + b * b, order[s]!, k, outR, outJ)
      }
      return
    }
    for (let side = 0; side < 2; side++)
      for (let s = side ? lo - 1 : lo; side ? s >= 0 : s < n; side ? s-- : s++) {
        if ((keys[s]! - q0) ** 2 > outR[k - 1]!) break
        let e = 0
        for (let c = 0; c < d; c++) e += (xs[s * d + c]! - q[o + c]!) ** 2
        insertK(e, order[s]!, k, outR, outJ)
      }
  }
}

/** Inserts (e, j) into the k best so far (ordered by e, then j), unless it is not among them; never an infinite e. */
function insertK(e: number, j: number, k: number, outR: Float64Array, outJ: Int32Array): void {
  const last = outR[k - 1]!
  if (!(e < last || (e === last && j < outJ[k - 1]! && e < Infinity))) return
  let r = k - 1
  while (r > 0 && (outR[r - 1]! > e || (outR[r - 1]! === e && outJ[r - 1]! > j))) (outR[r] = outR[r - 1]!), (outJ[r] = outJ[r - 1]!), r--
  outR[r] = e
  outJ[r] = j
}
