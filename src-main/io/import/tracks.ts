/**
 * From parsed observations to the stored tracks layout (see layout.ts): sort by (track, time),
 * refuse duplicates and single-time data, find the base time step, gaps and irregular steps,
 * apply the gap / irregular policies, and count short tracks. Every finding becomes a warning;
 * nothing is dropped silently.
 */
import { invalidInput } from '@shared/errors'
import { nd, type NdArray } from '../../store/arrays'
import { ARRAYS } from './layout'
import type { GapPolicy, IrregularPolicy } from './types'
import { GrowF64, GrowI32, naturalCompare, percent } from './util'

export interface TrackRows {
  n: number
  d: number
  /** Code of each row's track in `trackNames`. */
  trackCode: Int32Array
  trackNames: string[]
  time: Float64Array
  /** [n, d] row-major. */
  pos: Float64Array
  label?: Int32Array
  rowOrder: Int32Array
  /** Where row i came from, for messages ("line 12", "spot ID 4711"). */
  where: (i: number) => string
}

export interface TrackBuildOptions {
  file: string
  trackColumn: string
  timeColumn: string
  gaps: GapPolicy
  irregular: IrregularPolicy
  tol: number
  shortTrack: number
  /** Segment ids already fixed by the caller (TrackMate XML splits), original id per track name. */
  segmentOf?: Record<string, string>
}

export interface TrackBuild {
  arrays: Record<string, NdArray>
  trackIds: string[]
  segmentOf: Record<string, string>
  /** Distinct original tracks (before gap splitting). */
  tracks: number
  segments: number
  rows: number
  timeValues: number[]
  countsPerTime: number[]
  warnings: string[]
  qc: Record<string, unknown>
}

const fmt = (t: number) => (Number.isInteger(t) ? String(t) : String(Number(t.toPrecision(6))))

/** Sort order by (track rank, time, input order): bucket by track, then sort each bucket by time. */
function sortRows(r: TrackRows, rank: Int32Array, ntr: number): { order: Int32Array; start: Int32Array } {
  const start = new Int32Array(ntr + 1)
  for (let i = 0; i < r.n; i++) start[rank[r.trackCode[i]!]! + 1]!++
  for (let k = 0; k < ntr; k++) start[k + 1]! += start[k]!
  const fill = start.slice(0, ntr)
  const order = new Int32Array(r.n)
  for (let i = 0; i < r.n; i++) order[fill[rank[r.trackCode[i]!]!]!++] = i
  for (let k = 0; k < ntr; k++) {
    const a = start[k]!
    const b = start[k + 1]!
    let sorted = true
    for (let j = a + 1; j < b; j++)
      if (r.time[order[j]!]! < r.time[order[j - 1]!]!) {
        sorted = false
        break
      }
    if (!sorted) {
      const seg = Array.from(order.subarray(a, b)).sort((x, y) => r.time[x]! - r.time[y]! || x - y)
      order.set(seg, a)
    }
  }
  return { order, start }
}

/** The most common positive step (rounded to 9 significant digits), the time grid's step. */
function baseStep(steps: Float64Array, m: number): number {
  const counts = new Map<number, number>()
  for (let i = 0; i < m; i++) {
    const v = steps[i]!
    const s = Number.isInteger(v) ? v : Number(v.toPrecision(9))
    counts.set(s, (counts.get(s) ?? 0) + 1)
  }
  let best = 0
  let bestC = -1
  for (const [s, c] of counts) if (c > bestC || (c === bestC && s < best)) [best, bestC] = [s, c]
  return best
}

export function buildTracks(r: TrackRows, o: TrackBuildOptions): TrackBuild {
  const warnings: string[] = []
  const { n, d } = r
  const names = r.trackNames
  const ntr = names.length
  const byName = Array.from({ length: ntr }, (_, i) => i).sort((a, b) => naturalCompare(names[a]!, names[b]!))
  const rank = new Int32Array(ntr)
  byName.forEach((code, k) => (rank[code] = k))
  const { order, start } = sortRows(r, rank, ntr)

  // Single time point / duplicates.
  let tmin = Infinity
  let tmax = -Infinity
  for (let i = 0; i < n; i++) {
    if (r.time[i]! < tmin) tmin = r.time[i]!
    if (r.time[i]! > tmax) tmax = r.time[i]!
  }
  if (!(tmax > tmin))
    throw invalidInput(`${o.file}: every row has the same time (${fmt(tmin)} in column "${o.timeColumn}"): a single time point, so there is no motion to learn. Tracks need at least two time points.`, 'single-time')
  let dups = 0
  let firstDup = ''
  const steps = new Float64Array(Math.max(1, n))
  let m = 0
  for (let k = 0; k < ntr; k++) {
    for (let j = start[k]! + 1; j < start[k + 1]!; j++) {
      const a = order[j - 1]!
      const b = order[j]!
      const dt = r.time[b]! - r.time[a]!
      if (dt === 0) {
        if (!dups)
          firstDup = `track "${names[byName[k]!]}" has two rows at time ${fmt(r.time[a]!)} (${r.where(a)} and ${r.where(b)}; columns "${o.trackColumn}", "${o.timeColumn}")`
        dups++
      } else steps[m++] = dt
    }
  }
  if (dups)
    throw invalidInput(
      `${o.file}: duplicate (track, time): ${firstDup}${dups > 1 ? `, and ${dups - 1} more duplicate${dups > 2 ? 's' : ''}` : ''}. Each track may have one observation per time point; check the track column mapping or remove the duplicates.`,
      'duplicate',
    )

  // Time steps: base step, gaps (regular multiples >= 2), irregular steps.
  const base = m ? baseStep(steps, m) : 1
  const tol = o.tol
  let gapCount = 0
  let gapTracks = 0
  let missing = 0
  let irregular = 0
  let firstGap = ''
  let firstIrr = ''
  for (let k = 0; k < ntr; k++) {
    let has = false
    for (let j = start[k]! + 1; j < start[k + 1]!; j++) {
      const a = order[j - 1]!
      const b = order[j]!
      const q = (r.time[b]! - r.time[a]!) / base
      const rq = Math.round(q)
      if (Math.abs(q - rq) > tol || rq === 0) {
        if (!irregular) firstIrr = `track "${names[byName[k]!]}" from t=${fmt(r.time[a]!)} to t=${fmt(r.time[b]!)} (${r.where(b)})`
        irregular++
      } else if (rq >= 2) {
        if (!gapCount) firstGap = `track "${names[byName[k]!]}" from t=${fmt(r.time[a]!)} to t=${fmt(r.time[b]!)} (${r.where(b)})`
        gapCount++
        missing += rq - 1
        has = true
      }
    }
    if (has) gapTracks++
  }
  if (irregular)
    warnings.push(
      `Irregular time steps: ${irregular} of ${m} steps (${percent(irregular, m)}) are not a multiple of the base step ${fmt(base)} (tolerance ${Math.round(tol * 100)}%), e.g. ${firstIrr}. ` +
        (o.irregular === 'resample' ? `Tracks were resampled onto a grid of step ${fmt(base)} by linear interpolation.` : 'Kept as they are (choose resample to put tracks on a regular grid).'),
    )

  // Output, track by track, applying the policies.
  const outTrack = new GrowI32(n + 16)
  const outTime = new GrowF64(n + 16)
  const outPos = new GrowF64(n * d + 16)
  const outLabel = r.label ? new GrowI32(n + 16) : null
  const outRow = new GrowI32(n + 16)
  const trackIds: string[] = []
  const segmentOf: Record<string, string> = { ...(o.segmentOf ?? {}) }
  let interpolated = 0
  let resampled = 0
  let firstSplitId: string | undefined

  const pushRow = (seg: number, i: number) => {
    outTrack.push(seg)
    outTime.push(r.time[i]!)
    for (let c = 0; c < d; c++) outPos.push(r.pos[i * d + c]!)
    outLabel?.push(r.label![i]!)
    outRow.push(r.rowOrder[i]!)
  }
  const pushSynth = (seg: number, t: number, a: number, b: number) => {
    const w = (t - r.time[a]!) / (r.time[b]! - r.time[a]!)
    outTrack.push(seg)
    outTime.push(t)
    for (let c = 0; c < d; c++) outPos.push((1 - w) * r.pos[a * d + c]! + w * r.pos[b * d + c]!)
    outLabel?.push(r.label![a]!)
    outRow.push(-1)
  }

  for (let k = 0; k < ntr; k++) {
    const id = names[byName[k]!]!
    const a0 = start[k]!
    const b0 = start[k + 1]!
    // Segments [from, to) in sorted order, cut at gaps when the policy is split.
    const cuts: number[] = [a0]
    if (o.gaps === 'split')
      for (let j = a0 + 1; j < b0; j++) {
        const q = (r.time[order[j]!]! - r.time[order[j - 1]!]!) / base
        if (Math.abs(q - Math.round(q)) <= tol && Math.round(q) >= 2) cuts.push(j)
      }
    cuts.push(b0)
    for (let s = 0; s + 1 < cuts.length; s++) {
      const segId = s === 0 ? id : `${id}:${s + 1}`
      if (s === 1) firstSplitId ??= segId
      if (cuts.length > 2 || o.segmentOf?.[id] !== undefined) segmentOf[segId] = o.segmentOf?.[id] ?? id
      const seg = trackIds.length
      trackIds.push(segId)
      const from = cuts[s]!
      const to = cuts[s + 1]!
      if (o.irregular === 'resample' && to - from >= 2) {
        const t0 = r.time[order[from]!]!
        const t1 = r.time[order[to - 1]!]!
        const steps = Math.floor((t1 - t0) / base + tol)
        let j = from
        for (let g = 0; g <= steps; g++) {
          const t = t0 + g * base
          while (j + 1 < to && r.time[order[j + 1]!]! <= t + tol * base) j++
          const ia = order[j]!
          if (Math.abs(r.time[ia]! - t) <= tol * base) pushRow(seg, ia)
          else if (j + 1 < to) {
            pushSynth(seg, t, ia, order[j + 1]!)
            resampled++
          } else pushRow(seg, ia)
        }
        continue
      }
      for (let j = from; j < to; j++) {
        if (o.gaps === 'interpolate' && j > from) {
          const ia = order[j - 1]!
          const ib = order[j]!
          const q = (r.time[ib]! - r.time[ia]!) / base
          const rq = Math.round(q)
          if (Math.abs(q - rq) <= tol && rq >= 2)
            for (let g = 1; g < rq; g++) {
              pushSynth(seg, r.time[ia]! + (g * (r.time[ib]! - r.time[ia]!)) / rq, ia, ib)
              interpolated++
            }
        }
        pushRow(seg, order[j]!)
      }
    }
  }
  if (gapCount) {
    const what =
      o.gaps === 'split'
        ? `tracks were split at each gap into separate segments (${trackIds.length} segments from ${ntr} tracks; ids like "${firstSplitId}")`
        : o.gaps === 'interpolate'
          ? `${interpolated} missing positions were filled by linear interpolation (rowOrder -1)`
          : 'gaps were kept (choose split or interpolate)'
    warnings.push(`Gaps: ${gapCount} gap${gapCount > 1 ? 's' : ''} (${missing} missing time point${missing > 1 ? 's' : ''}) in ${gapTracks} of ${ntr} tracks, e.g. ${firstGap}; ${what}.`)
  }
  if (resampled) warnings.push(`${resampled} positions were interpolated by resampling.`)

  // Short tracks.
  const rows = outTrack.length
  const segLen = new Int32Array(trackIds.length)
  for (let i = 0; i < rows; i++) segLen[outTrack.data[i]!]!++
  let short = 0
  for (const l of segLen) if (l < o.shortTrack) short++
  if (short)
    warnings.push(`${percent(short, trackIds.length)} of tracks (${short} of ${trackIds.length}) are shorter than ${o.shortTrack} observations; methods that need long tracks may skip them.`)

  // Counts per time point.
  const tcount = new Map<number, number>()
  for (let i = 0; i < rows; i++) tcount.set(outTime.data[i]!, (tcount.get(outTime.data[i]!) ?? 0) + 1)
  const timeValues = [...tcount.keys()].sort((a, b) => a - b)

  const arrays: Record<string, NdArray> = {
    [ARRAYS.track]: nd(outTrack.toArray()),
    [ARRAYS.time]: nd(outTime.toArray()),
    [ARRAYS.pos]: nd(outPos.toArray(), [rows, d]),
    [ARRAYS.rowOrder]: nd(outRow.toArray()),
  }
  if (outLabel) arrays[ARRAYS.label] = nd(outLabel.toArray())
  return {
    arrays,
    trackIds,
    segmentOf,
    tracks: ntr,
    segments: trackIds.length,
    rows,
    timeValues,
    countsPerTime: timeValues.map((t) => tcount.get(t)!),
    warnings,
    qc: { baseStep: base, steps: m, gaps: gapCount, missingTimePoints: missing, tracksWithGaps: gapTracks, irregularSteps: irregular, shortTracks: short, interpolated, resampled, gapPolicy: o.gaps, irregularPolicy: o.irregular },
  }
}
