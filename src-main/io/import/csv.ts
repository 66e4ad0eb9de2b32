/** Tracks and snapshots from CSV/TSV (any column names; TrackMate spot tables with their units row). */
import type { DatasetKind } from '@shared/contract'
import { invalidInput } from '@shared/errors'
import { findColumn, guessMapping, listColumns, norm } from './columns'
import { finishDataset } from './dataset'
import { readDelimited, unitOf, type DelimitedHeader } from './delimited'
import type { DatasetUnits } from './layout'
import { buildSnapshots } from './snapshots'
import { buildTracks } from './tracks'
import type { ImportOptions, ImportResult, Mapping } from './types'
import { badNumber, checkFile, fileLabel, GrowF64, GrowI32, Interner, normSpaceUnit, normTimeUnit, parseNum, resolveUnits } from './util'

/** The mapping to use: the user's fields over the guessed ones. */
export function effectiveMapping(columns: string[], opts: ImportOptions): { kind: DatasetKind; mapping: Mapping } {
  const user = opts.mapping ?? {}
  const userTrack = user.track !== undefined
  const g = guessMapping(columns, opts.kind ?? (userTrack ? 'tracks' : undefined))
  // A TrackMate "LABEL" column is the spot name, not a class label.
  if (g.mapping.label && norm(g.mapping.label) === 'label' && columns.includes('POSITION_X')) delete g.mapping.label
  const mapping: Mapping = { ...g.mapping, ...user }
  if (opts.components !== undefined) {
    if (!Number.isInteger(opts.components) || opts.components < 1) throw invalidInput(`--components must be a positive integer, got ${opts.components}.`)
  }
  return { kind: g.kind, mapping }
}

interface Col {
  field: string
  name: string
  index: number
}

function need(path: string, columns: string[], field: string, name: string | undefined, user: boolean): Col {
  if (name === undefined)
    throw invalidInput(`${fileLabel(path)}: no column found for ${field}; columns found: ${listColumns(columns)}. Map it with --map ${field}=COLUMN.`, 'missing-column')
  const index = findColumn(columns, name)
  if (index < 0)
    throw invalidInput(`${fileLabel(path)}: missing column "${name}" for ${field}${user ? ' (from --map)' : ''}; columns found: ${listColumns(columns)}.`, 'missing-column')
  return { field, name: columns[index]!, index }
}

export async function importCsv(path: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const size = checkFile(path, opts)
  const file = fileLabel(path)
  let kind: DatasetKind = 'tracks'
  let header: DelimitedHeader | null = null
  let cols: Record<string, Col | undefined> = {}
  let feat: Col[] = []
  let velo: Col[] = []
  let d = 0
  let ncol = 0
  const lines = new GrowI32(4096)
  const rowOrder = new GrowI32(4096)
  const tracks = new Interner()
  const times = new Interner()
  const labels = new Interner()
  const trackCode = new GrowI32(4096)
  const timeCode = new GrowI32(4096)
  const timeNum = new GrowF64(4096)
  const labelCode = new GrowI32(4096)
  const pos = new GrowF64(8192)
  const vel = new GrowF64(8192)
  let posTCol = -1
  let noTrack = 0
  let firstNoTrack = 0
  let frameInterval: number | null = null

  const num = (f: string[], c: Col, line: number): number => {
    const raw = f[c.index] ?? ''
    const v = parseNum(raw)
    if (!Number.isFinite(v)) throw invalidInput(`${file} line ${line}, column "${c.name}" (${c.field}): ${badNumber(raw, v)}, expected a finite number.`, 'bad-value')
    return v
  }

  const onHeader = (h: DelimitedHeader) => {
    header = h
    ncol = h.columns.length
    const em = effectiveMapping(h.columns, opts)
    kind = em.kind
    const m = em.mapping
    const u = opts.mapping ?? {}
    if (kind === 'tracks') {
      cols = {
        track: need(path, h.columns, 'track', m.track, u.track !== undefined),
        time: need(path, h.columns, 'time', m.time, u.time !== undefined),
      }
      const x = need(path, h.columns, 'x', m.x, u.x !== undefined)
      const y = need(path, h.columns, 'y', m.y, u.y !== undefined)
      feat = [x, y]
      if (m.z !== undefined) feat.push(need(path, h.columns, 'z', m.z, u.z !== undefined))
      if (m.label !== undefined) cols.label = need(path, h.columns, 'label', m.label, u.label !== undefined)
      posTCol = cols.time!.name === 'FRAME' ? h.columns.indexOf('POSITION_T') : -1
    } else {
      cols = { time: need(path, h.columns, 'time', m.time, u.time !== undefined) }
      if (m.label !== undefined) cols.label = need(path, h.columns, 'label', m.label, u.label !== undefined)
      if (m.id !== undefined) cols.id = need(path, h.columns, 'id', m.id, u.id !== undefined)
      const fs = m.features ?? []
      if (!fs.length)
        throw invalidInput(`${file}: no feature columns found (PC1..PCd, x1..xd or x/y); columns found: ${listColumns(h.columns)}. Map them with --map features=COL1;COL2.`, 'missing-column')
      feat = fs.map((f) => need(path, h.columns, 'features', f, u.features !== undefined))
      velo = (m.velocity ?? []).map((f) => need(path, h.columns, 'velocity', f, u.velocity !== undefined))
      if (velo.length && velo.length !== feat.length)
        throw invalidInput(
          `${file}: inconsistent dimensions: ${velo.length} velocity columns (${velo.map((c) => c.name).join(', ')}) for ${feat.length} feature columns (${feat.map((c) => c.name).join(', ')}).`,
          'dimension',
        )
      if (opts.components !== undefined) {
        if (opts.components > feat.length) throw invalidInput(`${file}: --components ${opts.components} asked, but only ${feat.length} feature columns (${feat.map((c) => c.name).join(', ')}).`, 'dimension')
        feat = feat.slice(0, opts.components)
        velo = velo.slice(0, opts.components)
      }
    }
    d = feat.length
    if (kind === 'tracks' && (d < 2 || d > 3)) throw invalidInput(`${file}: tracks need 2 or 3 position columns, got ${d}.`, 'dimension')
  }

  const onRecord = (f: string[], line: number, record: number) => {
    if (f.length !== ncol && !(f.length > ncol && f.slice(ncol).every((v) => v.trim() === '')))
      throw invalidInput(`${file} line ${line} has ${f.length} fields but the header has ${ncol} columns (inconsistent rows; delimiter "${header!.delimiter === '\t' ? '\\t' : header!.delimiter}").`, 'dimension')
    if (kind === 'tracks') {
      const id = (f[cols.track!.index] ?? '').trim()
      if (id === '' || id === 'None' || id === 'NA') {
        // TrackMate spot tables list spots outside any track with an empty / "None" TRACK_ID.
        if (!noTrack++) firstNoTrack = line
        return
      }
      lines.push(line)
      rowOrder.push(record)
      trackCode.push(tracks.code(id))
      const t = num(f, cols.time!, line)
      timeNum.push(t)
      if (frameInterval === null && posTCol >= 0 && t > 0) {
        const pt = parseNum(f[posTCol] ?? '')
        if (Number.isFinite(pt) && pt > 0) frameInterval = pt / t
      }
    } else {
      lines.push(line)
      rowOrder.push(record)
      const t = (f[cols.time!.index] ?? '').trim()
      if (t === '') throw invalidInput(`${file} line ${line}, column "${cols.time!.name}" (time): an empty value, expected a time or a time label.`, 'bad-value')
      if (/^[+-]?(nan|inf|infinity)$/i.test(t)) throw invalidInput(`${file} line ${line}, column "${cols.time!.name}" (time): ${badNumber(t, parseNum(t))}, expected a finite time.`, 'bad-value')
      timeCode.push(times.code(t))
    }
    for (const c of feat) pos.push(num(f, c, line))
    for (const c of velo) vel.push(num(f, c, line))
    if (cols.label) labelCode.push(labels.code((f[cols.label.index] ?? '').trim()))
  }

  const read = await readDelimited(path, size, onHeader, onRecord, opts)
  const h = header! as DelimitedHeader
  const n = lines.length
  if (n === 0) throw invalidInput(`${file}: none of the ${read.records} rows has a track id (column "${cols.track!.name}"); nothing to import.`, 'empty')
  const where = (i: number) => `line ${lines.data[i]}`
  const raw = { gz: read.gz, sha256: read.sha256, bytes: read.bytes, delimiter: h.delimiter, header: h.headerLines, records: read.records, synthesized: false }
  const columns: Record<string, string | string[]> = {}
  for (const [k, c] of Object.entries(cols)) if (c) columns[k] = c.name
  const labelNames = cols.label ? labels.names : undefined

  if (kind === 'tracks') {
    const fromFile: Partial<DatasetUnits> = {}
    const su = normSpaceUnit(unitOf(h, feat[0]!.name))
    if (su) fromFile.space = su
    const tu = cols.time!.name === 'FRAME' || /frame/i.test(cols.time!.name) ? 'frame' : normTimeUnit(unitOf(h, cols.time!.name))
    if (tu) fromFile.time = tu
    if (tu === 'frame' && frameInterval !== null) {
      fromFile.frameInterval = Number((frameInterval as number).toPrecision(12))
      fromFile.frameIntervalUnit = normTimeUnit(unitOf(h, 'POSITION_T')) ?? 's'
    }
    const { units, warnings: uw } = resolveUnits(opts, fromFile, { space: 'a.u.', time: 'frame' })
    if (noTrack) uw.push(`${noTrack} of ${read.records} rows have no track id (column "${cols.track!.name}" empty or "None", first at line ${firstNoTrack}) and were not imported.`)
    if (units.space === 'a.u.') uw.unshift('Space unit unknown (the file does not say; give --space-unit um|px): positions are stored in a.u.')
    feat.forEach((c, k) => (columns[['x', 'y', 'z'][k]!] = c.name))
    const tb = buildTracks(
      { n, d, trackCode: trackCode.data, trackNames: tracks.names, time: timeNum.data, pos: pos.data, label: cols.label ? labelCode.data : undefined, rowOrder: rowOrder.data, where },
      { file, trackColumn: cols.track!.name, timeColumn: cols.time!.name, gaps: opts.gaps ?? 'split', irregular: opts.irregular ?? 'keep', tol: opts.stepTolerance ?? 0.05, shortTrack: opts.shortTrack ?? 10 },
    )
    return finishDataset({ path, format: 'csv', kind, opts, units, dim: d, columns, raw, tracks: tb, labelNames, labelColumn: cols.label?.name, warnings: uw })
  }
  columns.features = feat.map((c) => c.name)
  if (velo.length) columns.velocity = velo.map((c) => c.name)
  const sb = buildSnapshots(
    {
      n,
      d,
      timeCode: timeCode.data,
      timeNames: times.names,
      pos: pos.data,
      velocity: velo.length ? vel.data : undefined,
      label: cols.label ? labelCode.data : undefined,
      rowOrder: rowOrder.data,
      where,
    },
    { file, timeColumn: cols.time!.name, timeOrder: opts.timeOrder },
  )
  const tname = norm(cols.time!.name)
  const guessTime = tname.startsWith('day') ? 'day' : tname.startsWith('hour') ? 'h' : 'index'
  const { units } = resolveUnits(opts, {}, { space: 'a.u.', time: sb.timeLabels ? 'index' : guessTime })
  return finishDataset({ path, format: 'csv', kind, opts, units, dim: d, columns, raw, snapshots: sb, labelNames, labelColumn: cols.label?.name, warnings: [] })
}
