/** Views of a stored dataset (store/io layout: src-main/io/import/layout.ts) for the engines. */
import { invalidInput } from '@shared/errors'
import type { JobInput } from '../../jobs/protocol'

export interface SnapshotGroups {
  times: number[]
  /** Rows of the dataset at each time, in stored order. */
  rows: Int32Array[]
  /** Positions per time, [n_t, d] row-major. */
  x: Float64Array[]
  d: number
}

export function requireDataset(input: JobInput): NonNullable<JobInput['dataset']> {
  if (!input.dataset) throw invalidInput('This method needs a dataset.')
  return input.dataset
}

/** Groups a snapshot dataset's rows by time point (ascending). */
export function snapshotGroups(input: JobInput): SnapshotGroups {
  const ds = requireDataset(input)
  const time = ds.arrays.time?.data
  const pos = ds.arrays.pos
  if (!time || !pos) throw invalidInput(`Dataset ${ds.id} has no time or position arrays.`)
  const d = pos.shape[1] ?? 1
  const byTime = new Map<number, number[]>()
  for (let i = 0; i < time.length; i++) {
    const t = time[i]!
    let l = byTime.get(t)
    if (!l) byTime.set(t, (l = []))
    l.push(i)
  }
  const times = [...byTime.keys()].sort((a, b) => a - b)
  const rows = times.map((t) => Int32Array.from(byTime.get(t)!))
  const x = rows.map((r) => {
    const out = new Float64Array(r.length * d)
    r.forEach((row, k) => {
      for (let c = 0; c < d; c++) out[k * d + c] = pos.data[row * d + c]!
    })
    return out
  })
  return { times, rows, x, d }
}
