/**
 * TrackMate XML (`Model/AllSpots` + `AllTracks`), streamed with saxes: spots are kept in typed
 * arrays, edges per track; tracks are built from the edges. Splits (a spot with two successors)
 * and merges (two predecessors) are reported and, by the only policy so far ("split"), each
 * track is cut into linear segments at them; segment -> track is kept in `meta.segmentOf`.
 * Spots in no track and tracks outside `FilteredTracks` are counted in warnings, never dropped
 * silently. Units come from `Model@spatialunits` / `Model@timeunits`; time is the FRAME index
 * with the frame interval from `Settings/ImageData@timeinterval` (or POSITION_T / FRAME).
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { SaxesParser, type SaxesTagPlain } from 'saxes'
import { invalidInput, throwIfAborted } from '@shared/errors'
import { csvCell, finishDataset } from './dataset'
import type { DatasetUnits } from './layout'
import { buildTracks } from './tracks'
import type { ImportOptions, ImportResult } from './types'
import { checkFile, fileLabel, GrowF64, GrowI32, Interner, naturalCompare, normSpaceUnit, normTimeUnit, RawSink, resolveUnits } from './util'

interface Parsed {
  spaceUnit: string | null
  timeUnit: string | null
  timeInterval: number | null
  spotIds: string[]
  spotIndex: Map<string, number>
  frame: GrowF64
  t: GrowF64
  x: GrowF64
  y: GrowF64
  z: GrowF64
  trackNames: string[]
  trackIdAttr: string[]
  edgeTrack: GrowI32
  edgeSrc: GrowI32
  edgeDst: GrowI32
  filtered: Set<string> | null
  sha256: string
  bytes: number
}

async function parseXml(path: string, size: number, opts: ImportOptions): Promise<Parsed> {
  const file = fileLabel(path)
  const p: Parsed = {
    spaceUnit: null,
    timeUnit: null,
    timeInterval: null,
    spotIds: [],
    spotIndex: new Map(),
    frame: new GrowF64(),
    t: new GrowF64(),
    x: new GrowF64(),
    y: new GrowF64(),
    z: new GrowF64(),
    trackNames: [],
    trackIdAttr: [],
    edgeTrack: new GrowI32(),
    edgeSrc: new GrowI32(),
    edgeDst: new GrowI32(),
    filtered: null,
    sha256: '',
    bytes: 0,
  }
  const pendingEdges: [number, string, string][] = []
  const parser = new SaxesParser()
  let sawModel = false
  let sawRoot = false
  let inFiltered = false
  let curTrack = -1
  const attrNum = (tag: SaxesTagPlain, name: string, where: string, required: boolean): number => {
    const raw = tag.attributes[name]
    if (raw === undefined) {
      if (!required) return 0
      throw invalidInput(`${file}: ${where} has no ${name} attribute (line ${parser.line}).`, 'missing-column')
    }
    const v = Number(raw)
    if (!Number.isFinite(v) || raw.trim() === '') throw invalidInput(`${file} line ${parser.line}: ${where}, attribute ${name}: "${raw}" is not a finite number.`, 'bad-value')
    return v
  }
  parser.on('opentag', (tag) => {
    const t = tag as SaxesTagPlain
    switch (t.name) {
      case 'TrackMate':
        sawRoot = true
        break
      case 'Model':
        sawModel = true
        p.spaceUnit = t.attributes.spatialunits ?? null
        p.timeUnit = t.attributes.timeunits ?? null
        break
      case 'Spot': {
        const id = t.attributes.ID
        if (id === undefined) throw invalidInput(`${file} line ${parser.line}: a Spot (Model/AllSpots) has no ID attribute.`, 'missing-column')
        const where = `spot ID ${id} (Model/AllSpots)`
        p.spotIndex.set(id, p.spotIds.length)
        p.spotIds.push(id)
        p.x.push(attrNum(t, 'POSITION_X', where, true))
        p.y.push(attrNum(t, 'POSITION_Y', where, true))
        p.z.push(attrNum(t, 'POSITION_Z', where, false))
        p.frame.push(attrNum(t, 'FRAME', where, true))
        p.t.push(attrNum(t, 'POSITION_T', where, false))
        break
      }
      case 'Track':
        curTrack = p.trackNames.length
        p.trackNames.push(t.attributes.name ?? `Track_${t.attributes.TRACK_ID ?? curTrack}`)
        p.trackIdAttr.push(t.attributes.TRACK_ID ?? String(curTrack))
        break
      case 'Edge': {
        const s = t.attributes.SPOT_SOURCE_ID
        const d = t.attributes.SPOT_TARGET_ID
        if (s === undefined || d === undefined)
          throw invalidInput(`${file} line ${parser.line}: an Edge of track "${p.trackNames[curTrack]}" (Model/AllTracks) lacks SPOT_SOURCE_ID or SPOT_TARGET_ID.`, 'missing-column')
        pendingEdges.push([curTrack, s, d])
        break
      }
      case 'FilteredTracks':
        inFiltered = true
        p.filtered = new Set()
        break
      case 'TrackID':
        if (inFiltered && t.attributes.TRACK_ID !== undefined) p.filtered!.add(t.attributes.TRACK_ID)
        break
      case 'ImageData':
        if (t.attributes.timeinterval !== undefined && Number(t.attributes.timeinterval) > 0) p.timeInterval = Number(t.attributes.timeinterval)
        break
    }
  })
  parser.on('closetag', (tag) => {
    if (tag.name === 'FilteredTracks') inFiltered = false
  })
  let parseError: Error | null = null
  parser.on('error', (e) => {
    parseError ??= e
  })
  const hash = createHash('sha256')
  let read = 0
  const stream = createReadStream(path, { encoding: undefined, highWaterMark: 1 << 20 })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    throwIfAborted(opts.signal)
    hash.update(chunk)
    read += chunk.length
    parser.write(chunk.toString('utf8'))
    if (parseError) throw invalidInput(`${file} is not well-formed XML: ${(parseError as Error).message}`, 'bad-xml')
    opts.onProgress?.(read / Math.max(1, size))
  }
  parser.close()
  if (parseError) throw invalidInput(`${file} is not well-formed XML: ${(parseError as Error).message}`, 'bad-xml')
  if (!sawRoot || !sawModel) throw invalidInput(`${file} is XML but not a TrackMate file (no TrackMate/Model element).`, 'not-trackmate')
  for (const [tr, s, d] of pendingEdges) {
    const a = p.spotIndex.get(s)
    const b = p.spotIndex.get(d)
    if (a === undefined || b === undefined)
      throw invalidInput(`${file}: track "${p.trackNames[tr]}" (Model/AllTracks) has an edge to spot ID ${a === undefined ? s : d}, which is not in Model/AllSpots.`, 'bad-value')
    p.edgeTrack.push(tr)
    p.edgeSrc.push(a)
    p.edgeDst.push(b)
  }
  p.sha256 = hash.digest('hex')
  p.bytes = read
  return p
}

export async function importTrackmateXml(path: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const size = checkFile(path, opts)
  const file = fileLabel(path)
  const p = await parseXml(path, size, opts)
  const nspots = p.spotIds.length
  if (!nspots) throw invalidInput(`${file}: Model/AllSpots has no spots.`, 'empty')
  const ntr = p.trackNames.length
  if (!ntr) throw invalidInput(`${file}: Model/AllTracks has no tracks (${nspots} spots, no edges); track the spots in TrackMate first.`, 'empty')
  const warnings: string[] = []
  const useTrack = p.trackIdAttr.map((id) => !p.filtered || p.filtered.has(id))
  const excluded = useTrack.filter((u) => !u).length

  // Graph per spot: successors / predecessors (edges oriented forward in time).
  const ne = p.edgeTrack.length
  const outDeg = new Int32Array(nspots)
  const inDeg = new Int32Array(nspots)
  const next = new Int32Array(nspots).fill(-1)
  const spotTrack = new Int32Array(nspots).fill(-1)
  const inExcluded = new Uint8Array(nspots)
  for (let e = 0; e < ne; e++) {
    const tr = p.edgeTrack.data[e]!
    if (!useTrack[tr]) {
      inExcluded[p.edgeSrc.data[e]!] = 1
      inExcluded[p.edgeDst.data[e]!] = 1
      continue
    }
    let a = p.edgeSrc.data[e]!
    let b = p.edgeDst.data[e]!
    if (p.frame.data[a]! > p.frame.data[b]!) [a, b] = [b, a]
    outDeg[a]!++
    inDeg[b]!++
    next[a] = b
    spotTrack[a] = tr
    spotTrack[b] = tr
  }
  let splits = 0
  let merges = 0
  const eventTracks = new Set<number>()
  for (let s = 0; s < nspots; s++) {
    if (outDeg[s]! > 1) {
      splits++
      eventTracks.add(spotTrack[s]!)
    }
    if (inDeg[s]! > 1) {
      merges++
      eventTracks.add(spotTrack[s]!)
    }
  }
  // Linear segments: start at spots whose predecessor count is not 1 or whose predecessor branches.
  const predBranches = new Uint8Array(nspots)
  for (let e = 0; e < ne; e++) {
    if (!useTrack[p.edgeTrack.data[e]!]) continue
    let a = p.edgeSrc.data[e]!
    let b = p.edgeDst.data[e]!
    if (p.frame.data[a]! > p.frame.data[b]!) [a, b] = [b, a]
    if (outDeg[a]! > 1) predBranches[b] = 1
  }
  // successors for branching spots
  const succ = new Map<number, number[]>()
  for (let e = 0; e < ne; e++) {
    if (!useTrack[p.edgeTrack.data[e]!]) continue
    let a = p.edgeSrc.data[e]!
    let b = p.edgeDst.data[e]!
    if (p.frame.data[a]! > p.frame.data[b]!) [a, b] = [b, a]
    if (outDeg[a]! > 1) succ.set(a, [...(succ.get(a) ?? []), b])
  }
  const segOfSpot = new Int32Array(nspots).fill(-1)
  const segTrack: number[] = []
  const segStartFrame: number[] = []
  const segSpots: number[][] = []
  for (let s = 0; s < nspots; s++) {
    if (spotTrack[s] === -1 || !(inDeg[s] !== 1 || predBranches[s])) continue
    const seg = segTrack.length
    segTrack.push(spotTrack[s]!)
    segStartFrame.push(p.frame.data[s]!)
    const spots: number[] = []
    let cur = s
    for (;;) {
      segOfSpot[cur] = seg
      spots.push(cur)
      if (outDeg[cur] !== 1) break
      const nx = next[cur]!
      if (inDeg[nx] !== 1) break
      cur = nx
    }
    segSpots.push(spots)
  }
  // Spots on a cycle or otherwise unreached are not expected in TrackMate output; report them.
  let unreached = 0
  for (let s = 0; s < nspots; s++) if (spotTrack[s] !== -1 && segOfSpot[s] === -1) unreached++
  if (unreached) warnings.push(`${unreached} spots in tracks could not be ordered into segments (cyclic links?) and were not imported.`)
  let inNoTrack = 0
  let excludedSpots = 0
  for (let s = 0; s < nspots; s++)
    if (spotTrack[s] === -1) {
      if (inExcluded[s]) excludedSpots++
      else inNoTrack++
    }
  if (excluded)
    warnings.push(`${excluded} of ${ntr} tracks (${excludedSpots} spots) are not in FilteredTracks (hidden by TrackMate's track filters) and were not imported.`)
  if (inNoTrack) warnings.push(`${inNoTrack} of ${nspots} spots belong to no track and were not imported.`)

  // Segment names: the track name, or "name:k" (k by start frame) for tracks cut at splits/merges.
  const segsOfTrack = new Map<number, number[]>()
  segTrack.forEach((tr, seg) => segsOfTrack.set(tr, [...(segsOfTrack.get(tr) ?? []), seg]))
  const segName: string[] = new Array(segTrack.length)
  const segmentOf: Record<string, string> = {}
  for (const [tr, segs] of segsOfTrack) {
    if (segs.length === 1) segName[segs[0]!] = p.trackNames[tr]!
    else {
      segs.sort((a, b) => segStartFrame[a]! - segStartFrame[b]! || a - b)
      segs.forEach((seg, k) => {
        segName[seg] = `${p.trackNames[tr]}:${k + 1}`
        segmentOf[segName[seg]!] = p.trackNames[tr]!
      })
    }
  }
  if (splits || merges) {
    const ex = [...eventTracks].slice(0, 5).map((t) => `"${p.trackNames[t]}"`).join(', ')
    warnings.push(
      `TrackMate track splits and merges: ${splits} split${splits === 1 ? '' : 's'} and ${merges} merge${merges === 1 ? '' : 's'} in ${eventTracks.size} tracks (e.g. ${ex}). Policy split: those tracks were cut into linear segments at each event (${Object.keys(segmentOf).length} segments, ids like "${Object.keys(segmentOf)[0]}"; meta.segmentOf maps a segment to its track).`,
    )
  }

  // Rows.
  const d = Array.from(p.z.data.subarray(0, nspots)).some((v) => v !== 0) ? 3 : 2
  const names = new Interner()
  const rows = segSpots.reduce((c, s) => c + s.length, 0)
  const trackCode = new Int32Array(rows)
  const time = new Float64Array(rows)
  const pos = new Float64Array(rows * d)
  const rowOrder = new Int32Array(rows)
  let i = 0
  const segOrder = segSpots.map((_, k) => k).sort((a, b) => naturalCompare(segName[a]!, segName[b]!))
  for (const seg of segOrder)
    for (const s of segSpots[seg]!) {
      trackCode[i] = names.code(segName[seg]!)
      time[i] = p.frame.data[s]!
      pos[i * d] = p.x.data[s]!
      pos[i * d + 1] = p.y.data[s]!
      if (d === 3) pos[i * d + 2] = p.z.data[s]!
      rowOrder[i] = s
      i++
    }
  if (!rows) throw invalidInput(`${file}: no spots in the imported tracks.`, 'empty')

  // Units.
  const fromFile: Partial<DatasetUnits> = { time: 'frame' }
  const su = normSpaceUnit(p.spaceUnit)
  if (su) fromFile.space = su
  const tu = normTimeUnit(p.timeUnit)
  let interval = p.timeInterval
  if (interval === null)
    for (let s = 0; s < nspots; s++)
      if (p.frame.data[s]! > 0 && p.t.data[s]! > 0) {
        interval = Number((p.t.data[s]! / p.frame.data[s]!).toPrecision(12))
        break
      }
  if (tu && tu !== 'frame' && interval !== null && interval > 0) {
    fromFile.frameInterval = interval
    fromFile.frameIntervalUnit = tu
  }
  const { units, warnings: uw } = resolveUnits(opts, fromFile, { space: 'px', time: 'frame' })

  const spotIdOf = (k: number) => p.spotIds[k]!
  const tb = buildTracks(
    { n: rows, d, trackCode, trackNames: names.names, time, pos, rowOrder, where: (r) => `spot ID ${spotIdOf(rowOrder[r]!)}` },
    {
      file,
      trackColumn: 'Model/AllTracks/Track',
      timeColumn: 'FRAME',
      gaps: opts.gaps ?? 'split',
      irregular: opts.irregular ?? 'keep',
      tol: opts.stepTolerance ?? 0.05,
      shortTrack: opts.shortTrack ?? 10,
      segmentOf,
    },
  )

  // The spot table as CSV, one line per spot in file order, for exports.
  const sink = new RawSink()
  const enc = new TextEncoder()
  const header = 'ID,TRACK,FRAME,POSITION_T,POSITION_X,POSITION_Y,POSITION_Z'
  sink.push(enc.encode(header + '\n'))
  let buf = ''
  for (let s = 0; s < nspots; s++) {
    const tr = spotTrack[s]!
    buf += `${csvCell(p.spotIds[s]!)},${tr >= 0 ? csvCell(p.trackNames[tr]!) : ''},${p.frame.data[s]},${p.t.data[s]},${p.x.data[s]},${p.y.data[s]},${p.z.data[s]}\n`
    if (buf.length > 1 << 20) {
      sink.push(enc.encode(buf))
      buf = ''
    }
  }
  sink.push(enc.encode(buf))
  const { gz } = await sink.finish()
  const raw = { gz, sha256: p.sha256, bytes: p.bytes, delimiter: ',', header: [header], records: nspots, synthesized: true }
  const columns = { track: 'Model/AllTracks/Track (edges)', time: 'Spot@FRAME', x: 'Spot@POSITION_X', y: 'Spot@POSITION_Y', ...(d === 3 ? { z: 'Spot@POSITION_Z' } : {}) }
  const result = finishDataset({
    path,
    format: 'trackmate-xml',
    kind: 'tracks',
    opts,
    units,
    dim: d,
    columns,
    raw,
    tracks: tb,
    warnings: [...uw, ...warnings],
    qc: { splits, merges, spotsInNoTrack: inNoTrack, tracksFilteredOut: excluded, trackmateTracks: ntr - excluded },
  })
  result.summary.tracks = segsOfTrack.size
  return result
}
