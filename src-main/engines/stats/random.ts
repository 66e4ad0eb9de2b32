/**
 * Seeded random numbers, so every run is reproducible from its seed.
 *
 * Generator: xoshiro128** (Blackman & Vigna, 2018; 128-bit state, period 2^128 − 1), state
 * initialised from the 32-bit seed by SplitMix32. Uniforms in [0, 1) use 53 random bits
 * (two outputs). Normals by the Marsaglia polar method. Permutations by Fisher–Yates.
 * Same seed -> same sequence on every platform (only 32-bit integer arithmetic is used).
 */
export interface Rng {
  /** Uniform in [0, 1), 53-bit resolution. */
  uniform(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  /** Standard normal N(0, 1). */
  normal(): number
  /** Fills a new Float64Array of length n with N(mean, sd²). */
  normals(n: number, mean?: number, sd?: number): Float64Array
  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array
  /** A new independent generator derived from this one (for restarts, workers). */
  fork(): Rng
  /** Raw 32-bit output. */
  nextU32(): number
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0

export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`)
  const sm = splitmix32(Math.floor(seed) >>> 0)
  let a = sm(), b = sm(), c = sm(), d = sm()
  if ((a | b | c | d) === 0) a = 1
  let spare: number | null = null

  const nextU32 = () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0
    const t = (b << 9) >>> 0
    c ^= a; d ^= b; b ^= c; a ^= d
    c ^= t
    d = rotl(d, 11)
    return result
  }
  const uniform = () => ((nextU32() >>> 5) * 67108864 + (nextU32() >>> 6)) / 9007199254740992
  const rng: Rng = {
    nextU32,
    uniform,
    int(n) {
      if (!(n >= 1)) throw new Error(`int(n) needs n >= 1, got ${n}`)
      return Math.floor(uniform() * n)
    },
    normal() {
      if (spare !== null) {
        const s = spare
        spare = null
        return s
      }
      let u: number, v: number, s: number
      do {
        u = 2 * uniform() - 1
        v = 2 * uniform() - 1
        s = u * u + v * v
      } while (s >= 1 || s === 0)
      const m = Math.sqrt((-2 * Math.log(s)) / s)
      spare = v * m
      return u * m
    },
    normals(n, mean = 0, sd = 1) {
      const out = new Float64Array(n)
      for (let i = 0; i < n; i++) out[i] = mean + sd * rng.normal()
      return out
    },
    permutation(n) {
      const p = new Int32Array(n)
      for (let i = 0; i < n; i++) p[i] = i
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(uniform() * (i + 1))
        const t = p[i]!
        p[i] = p[j]!
        p[j] = t
      }
      return p
    },
    fork() {
      return createRng(nextU32() ^ nextU32())
    },
  }
  return rng
}
