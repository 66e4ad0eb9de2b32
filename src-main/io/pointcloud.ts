/**
 * A point cloud from a small CSV/TSV (for `popdyn distance`): every numeric column is a
 * coordinate, except a column named weight / w / mass, which gives the weights.
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import Papa from 'papaparse'
import { invalidInput, ioError } from '@shared/errors'
import type { PointCloud } from '../engines/ot/index'

export function readPointCloud(path: string): { cloud: PointCloud; weights: Float64Array | null; columns: string[] } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw ioError(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err)
  }
  const name = basename(path)
  const parsed = Papa.parse<string[]>(text.trim(), { skipEmptyLines: true, delimiter: '' })
  const rows = parsed.data
  if (rows.length < 2) throw invalidInput(`${name}: expected a header line and at least one point, found ${rows.length} line(s)`)
  const header = rows[0]!.map((h) => h.trim())
  const wCol = header.findIndex((h) => /^(weight|w|mass)$/i.test(h))
  const cols = header.map((_, c) => c).filter((c) => c !== wCol)
  const n = rows.length - 1
  const d = cols.length
  if (d < 1) throw invalidInput(`${name}: no coordinate columns (header: ${header.join(', ')})`)
  const data = new Float64Array(n * d)
  const weights = wCol >= 0 ? new Float64Array(n) : null
  for (let i = 0; i < n; i++) {
    const r = rows[i + 1]!
    if (r.length !== header.length) throw invalidInput(`${name}, line ${i + 2}: expected ${header.length} fields, got ${r.length}`)
    cols.forEach((c, k) => {
      const v = Number(r[c])
      if (r[c]!.trim() === '' || !Number.isFinite(v)) throw invalidInput(`${name}, line ${i + 2}, column "${header[c]}": expected a finite number, got "${r[c]}"`)
      data[i * d + k] = v
    })
    if (weights) {
      const w = Number(r[wCol])
      if (!(w >= 0) || !Number.isFinite(w)) throw invalidInput(`${name}, line ${i + 2}, column "${header[wCol]}": expected a weight ≥ 0, got "${r[wCol]}"`)
      weights[i] = w
    }
  }
  return { cloud: { data, n, d }, weights, columns: cols.map((c) => header[c]!) }
}
