/** Small helpers shared by the importers: growable typed arrays, gzip sink, hashing, sorting, units. */
import { createHash, type Hash } from 'node:crypto'
import { statSync } from 'node:fs'
import { basename } from 'node:path'
import { totalmem } from 'node:os'
import { Gzip } from 'fflate'
import { invalidInput } from '@shared/errors'
import type { DatasetUnits } from './layout'
import type { ImportOptions } from './types'

/** A Float64Array that doubles when full. */
export class GrowF64 {
  data: Float64Array
  length = 0
  constructor(cap = 1024) {
    this.data = new Float64Array(cap)
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2)
      next.set(this.data)
      this.data = next
    }
    this.data[this.length++] = v
  }
  toArray(): Float64Array {
    return this.data.slice(0, this.length)
  }
}

/** An Int32Array that doubles when full. */
export class GrowI32 {
  data: Int32Array
  length = 0
  constructor(cap = 1024) {
    this.data = new Int32Array(cap)
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2)
      next.set(this.data)
      this.data = next
    }
    this.data[this.length++] = v
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length)
  }
}

/** Interns strings to dense int codes in order of first appearance. */
export class Interner {
  readonly map = new Map<string, number>()
  readonly names: string[] = []
  code(s: string): number {
    let c = this.map.get(s)
    if (c === undefined) {
      c = this.names.length
      this.map.set(s, c)
      this.names.push(s)
    }
    return c
  }
}

/**
 * Streams bytes into gzip (fflate) and a sha256 at once; `finish()` gives both. Level 1: the
 * raw table is kept for exports, and speed matters more than the last 20 % of size (fflate's
 * AsyncGzip on a worker thread measured ~15 % faster on 2 shared cores but ~60 MiB more peak RSS).
 */
export class RawSink {
  private chunks: Uint8Array[] = []
  private gz: Gzip
  private hash: Hash = createHash('sha256')
  bytes = 0
  constructor(level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 1) {
    this.gz = new Gzip({ level }, (chunk) => this.chunks.push(chunk))
  }
  push(b: Uint8Array): void {
    this.bytes += b.length
    this.hash.update(b)
    this.gz.push(b, false)
  }
  async finish(): Promise<{ gz: Uint8Array; sha256: string }> {
    this.gz.push(new Uint8Array(0), true)
    const total = this.chunks.reduce((s, c) => s + c.length, 0)
    const out = new Uint8Array(total)
    let o = 0
    for (const c of this.chunks) {
      out.set(c, o)
      o += c.length
    }
    this.chunks = []
    return { gz: out, sha256: this.hash.digest('hex') }
  }
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex')
}

/** Natural order: "day2" < "day10", "Day 0-3" < "Day 6-9"; numbers compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+(?:\.\d+)?)|(\D+)/g
  const pa = a.match(re) ?? []
  const pb = b.match(re) ?? []
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!
    const y = pb[i]!
    const nx = /^\d/.test(x)
    const ny = /^\d/.test(y)
    if (nx && ny) {
      const d = Number(x) - Number(y)
      if (d !== 0) return d
    } else if (x !== y) return x.toLowerCase() < y.toLowerCase() ? -1 : x.toLowerCase() > y.toLowerCase() ? 1 : x < y ? -1 : 1
  }
  return pa.length - pb.length
}

/** Parses a CSV cell as a number: finite numbers only; '' / 'NaN' / 'Inf' give NaN / ±Infinity for the caller to report. */
export function parseNum(s: string): number {
  if (s === '') return NaN
  const v = Number(s)
  if (!Number.isNaN(v)) return v
  const t = s.trim()
  if (t === '') return NaN
  const v2 = Number(t)
  if (!Number.isNaN(v2)) return v2
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity
  return NaN
}

/** Why a cell is not a usable number, or null. */
export function badNumber(raw: string, v: number): string | null {
  if (Number.isFinite(v)) return null
  const t = raw.trim()
  if (t === '') return 'an empty value'
  if (/^nan$/i.test(t) || /^na$/i.test(t)) return `NaN ("${t}")`
  if (/inf/i.test(t)) return `an infinite value ("${t}")`
  return `a non-numeric value "${t.length > 40 ? t.slice(0, 40) + '…' : t}"`
}

export function fileLabel(path: string): string {
  return `"${basename(path)}"`
}

export function defaultMaxBytes(): number {
  return Math.min(2 * 2 ** 30, Math.floor(totalmem() / 4))
}

function fmtBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(2)} GiB`
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toFixed(1)} KiB`
  return `${b} bytes`
}

/** Size of the file; refuses files over the memory limit or missing files. */
export function checkFile(path: string, opts: ImportOptions): number {
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw invalidInput(`${fileLabel(path)} is not a file.`, 'not-a-file')
    size = st.size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw invalidInput(`${fileLabel(path)}: the file does not exist (${path}).`, 'not-found')
    throw err
  }
  const limit = opts.maxBytes ?? defaultMaxBytes()
  if (size > limit)
    throw invalidInput(
      `${fileLabel(path)} is ${fmtBytes(size)}, larger than the import memory limit of ${fmtBytes(limit)} (maxBytes / --max-mb). Split the file or raise the limit if this machine has the memory.`,
      'too-large',
    )
  if (size === 0) throw invalidInput(`${fileLabel(path)} is empty (0 bytes).`, 'empty')
  return size
}

const SPACE: Record<string, string> = { um: 'µm', µm: 'µm', μm: 'µm', micron: 'µm', microns: 'µm', micrometer: 'µm', micrometre: 'µm', px: 'px', pixel: 'px', pixels: 'px', 'a.u.': 'a.u.', au: 'a.u.', nm: 'nm', mm: 'mm' }
const TIME: Record<string, string> = { frame: 'frame', frames: 'frame', s: 's', sec: 's', secs: 's', second: 's', seconds: 's', min: 'min', mins: 'min', minute: 'min', minutes: 'min', h: 'h', hr: 'h', hour: 'h', hours: 'h', day: 'day', days: 'day', d: 'day', index: 'index' }

/** Normalises a space unit name ("micron" -> "µm"), or null if unknown. */
export function normSpaceUnit(u: string | undefined | null): string | null {
  if (!u) return null
  return SPACE[u.trim().replace(/^\(|\)$/g, '').toLowerCase()] ?? null
}

export function normTimeUnit(u: string | undefined | null): string | null {
  if (!u) return null
  return TIME[u.trim().replace(/^\(|\)$/g, '').toLowerCase()] ?? null
}

/**
 * Final units: user options win over what the file says, which wins over the defaults.
 * Returns the units and warnings (px without pixel size, frame without interval).
 */
export function resolveUnits(opts: ImportOptions, fromFile: Partial<DatasetUnits>, defaults: { space: string; time: string }): { units: DatasetUnits; warnings: string[] } {
  const warnings: string[] = []
  const space = normSpaceUnit(opts.spaceUnit) ?? fromFile.space ?? defaults.space
  const time = (opts.timeUnit ? normTimeUnit(opts.timeUnit) : null) ?? fromFile.time ?? defaults.time
  if (opts.pixelSize !== undefined && !(opts.pixelSize > 0)) throw invalidInput(`Pixel size must be a positive number of µm per pixel, got ${opts.pixelSize}.`)
  if (opts.frameInterval !== undefined && !(opts.frameInterval > 0)) throw invalidInput(`Frame interval must be a positive number, got ${opts.frameInterval}.`)
  const pixelSize = space === 'px' ? (opts.pixelSize ?? fromFile.pixelSize ?? null) : null
  const frameInterval = time === 'frame' ? (opts.frameInterval ?? fromFile.frameInterval ?? null) : null
  const frameIntervalUnit = frameInterval !== null ? (opts.frameInterval !== undefined ? (opts.frameIntervalUnit ?? 's') : (fromFile.frameIntervalUnit ?? 's')) : null
  if (space === 'px' && pixelSize === null) warnings.push('Positions are in pixels and no pixel size was given (--pixel-size): speeds and forces will be in px, not µm.')
  if (time === 'frame' && frameInterval === null && defaults.time === 'frame') warnings.push('Time is in frames and no frame interval was given (--frame-interval): rates will be per frame.')
  return { units: { space, time, pixelSize, frameInterval, frameIntervalUnit }, warnings }
}

export function percent(a: number, b: number): string {
  const p = (100 * a) / b
  return p >= 10 || p === 0 ? `${Math.round(p)}%` : `${p.toFixed(1)}%`
}
