/**
 * From parsed cells to the stored snapshots layout (see layout.ts): resolve times (numbers, or
 * labels ordered naturally or by the user), sort stably by time, and refuse data with one time
 * point or a time point with fewer than 2 cells.
 */
import { invalidInput } from '@shared/errors'
import { nd, type NdArray } from '../../store/arrays'
import { ARRAYS } from './layout'
import { naturalCompare } from './util'

export interface SnapshotRows {
  n: number
  d: number
  /** Code of each row's time value in `timeNames` (the raw text / number as a string). */
  timeCode: Int32Array
  timeNames: string[]
  /** [n, d] */
  pos: Float64Array
  /** [n, d] */
  velocity?: Float64Array
  label?: Int32Array
  rowOrder: Int32Array
  where: (i: number) => string
}

export interface SnapshotBuild {
  arrays: Record<string, NdArray>
  timeLabels?: string[]
  timeValues: number[]
  countsPerTime: number[]
  warnings: string[]
}

export function buildSnapshots(r: SnapshotRows, o: { file: string; timeColumn: string; timeOrder?: string[] }): SnapshotBuild {
  const warnings: string[] = []
  const { n, d } = r
  const Tn = r.timeNames.length
  const asNum = r.timeNames.map((s) => Number(s.trim()))
  const numeric = !o.timeOrder && asNum.every((v, i) => Number.isFinite(v) && r.timeNames[i]!.trim() !== '')
  let value: number[]
  let timeLabels: string[] | undefined
  if (numeric) value = asNum
  else {
    let ordered: string[]
    if (o.timeOrder) {
      const missing = r.timeNames.filter((s) => !o.timeOrder!.includes(s))
      if (missing.length)
        throw invalidInput(`${o.file}: time labels ${missing.map((s) => `"${s}"`).join(', ')} in column "${o.timeColumn}" are not in the given time order (${o.timeOrder.map((s) => `"${s}"`).join(', ')}).`)
      ordered = o.timeOrder.filter((s) => r.timeNames.includes(s))
    } else ordered = [...r.timeNames].sort(naturalCompare)
    timeLabels = ordered
    const rankOf = new Map(ordered.map((s, i) => [s, i]))
    value = r.timeNames.map((s) => rankOf.get(s)!)
  }
  // Group codes by value ("1" and "1.0" are the same time), rank groups by value; stable counting sort.
  const uniq = [...new Set(value)].sort((a, b) => a - b)
  const T = uniq.length
  const rankOfValue = new Map(uniq.map((v, k) => [v, k]))
  const rank = new Int32Array(Tn)
  const nameOfRank: string[] = new Array(T)
  for (let c = 0; c < Tn; c++) {
    rank[c] = rankOfValue.get(value[c]!)!
    nameOfRank[rank[c]!] ??= r.timeNames[c]!
  }
  const counts = new Int32Array(T)
  const firstRow = new Int32Array(T).fill(-1)
  for (let i = 0; i < n; i++) {
    const k = rank[r.timeCode[i]!]!
    counts[k]!++
    if (firstRow[k] === -1) firstRow[k] = i
  }
  if (T < 2)
    throw invalidInput(
      `${o.file}: only one time point (${nameOfRank[0] === undefined ? 'none' : `"${nameOfRank[0]}"`} in column "${o.timeColumn}"); snapshot data needs at least two time points. Check the time column mapping.`,
      'single-time',
    )
  for (let k = 0; k < T; k++)
    if (counts[k]! < 2)
      throw invalidInput(`${o.file}: time point "${nameOfRank[k]}" (column "${o.timeColumn}") has only ${counts[k]} cell (${r.where(firstRow[k]!)}); each time point needs at least 2 cells.`, 'too-few-cells')
  const start = new Int32Array(T + 1)
  for (let k = 0; k < T; k++) start[k + 1] = start[k]! + counts[k]!
  const order = new Int32Array(n)
  const fill = start.slice(0, T)
  for (let i = 0; i < n; i++) order[fill[rank[r.timeCode[i]!]!]!++] = i
  const time = new Float64Array(n)
  const pos = new Float64Array(n * d)
  const vel = r.velocity ? new Float64Array(n * d) : null
  const label = r.label ? new Int32Array(n) : null
  const rowOrder = new Int32Array(n)
  for (let j = 0; j < n; j++) {
    const i = order[j]!
    time[j] = value[r.timeCode[i]!]!
    pos.set(r.pos.subarray(i * d, i * d + d), j * d)
    if (vel) vel.set(r.velocity!.subarray(i * d, i * d + d), j * d)
    if (label) label[j] = r.label![i]!
    rowOrder[j] = r.rowOrder[i]!
  }
  const timeValues = uniq
  if (numeric && T >= 3) {
    const steps = timeValues.slice(1).map((v, i) => v - timeValues[i]!)
    const lo = Math.min(...steps)
    const hi = Math.max(...steps)
    if (hi - lo > 0.05 * hi) warnings.push(`Time points are unevenly spaced (steps from ${lo} to ${hi}); methods use the actual times.`)
  }
  const arrays: Record<string, NdArray> = { [ARRAYS.time]: nd(time), [ARRAYS.pos]: nd(pos, [n, d]), [ARRAYS.rowOrder]: nd(rowOrder) }
  if (vel) arrays[ARRAYS.velocity] = nd(vel, [n, d])
  if (label) arrays[ARRAYS.label] = nd(label)
  return { arrays, timeLabels, timeValues, countsPerTime: Array.from(counts), warnings }
}
