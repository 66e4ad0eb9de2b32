/**
 * Streaming CSV/TSV reader: reads the file once in 1 MiB chunks, hashes and gzips the bytes as
 * they pass (for `source/raw.gz`), sniffs the delimiter (papaparse) and the header lines
 * (TrackMate exports have 4: keys, names, short names, units) and hands every data record to a
 * callback with its 1-based line number. Only one chunk of text is held at a time.
 *
 * Records are lines: a quoted field may contain the delimiter but not a line break (refused
 * with the line number).
 */
import { createReadStream } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import Papa from 'papaparse'
import { invalidInput, throwIfAborted } from '@shared/errors'
import { norm } from './columns'
import { fileLabel, parseNum, RawSink } from './util'

export interface DelimitedHeader {
  delimiter: string
  columns: string[]
  /** The header lines as in the file (without line breaks). */
  headerLines: string[]
  /** TrackMate units row ("(micron)", "(sec)"), if the file has one, aligned with columns. */
  unitsRow: string[] | null
}

/** TrackMate feature keys that mark a TrackMate spot/track table. */
const TRACKMATE_KEYS = new Set(['TRACK_ID', 'POSITION_X', 'POSITION_Y', 'POSITION_T', 'FRAME', 'SPOT_SOURCE_ID'])

export function sniffDelimiter(lines: string[]): string {
  const sample = lines.slice(0, 10).join('\n')
  if (lines[0]?.includes('\t')) return '\t'
  const r = Papa.parse<string[]>(sample, { preview: 10, delimitersToGuess: [',', '\t', ';', '|'] })
  return r.meta.delimiter || ','
}

export function splitLine(line: string, delimiter: string): string[] {
  if (line.endsWith('\r')) line = line.slice(0, -1)
  if (!line.includes('"')) return line.split(delimiter)
  const r = Papa.parse<string[]>(line, { delimiter })
  return r.data[0] ?? ['']
}

/** Works out the header from the first non-blank lines. `lines` are the first up to 5 non-blank lines. */
export function detectHeader(lines: string[]): DelimitedHeader {
  const first = lines[0] ?? ''
  const delimiter = sniffDelimiter(lines)
  const columns = splitLine(first.replace(/^\uFEFF/, ''), delimiter).map((c) => c.trim())
  const headerLines = [first.replace(/\r$/, '')]
  let unitsRow: string[] | null = null
  const tmCol = columns.findIndex((c) => TRACKMATE_KEYS.has(c))
  if (tmCol >= 0) {
    // TrackMate >= 7 writes up to three more header lines (name, short name, units): a line whose
    // value under a numeric TrackMate key is not a number is a header line.
    const numericCols = columns.map((c, i) => (TRACKMATE_KEYS.has(c) ? i : -1)).filter((i) => i >= 0)
    for (let k = 1; k < Math.min(4, lines.length); k++) {
      const f = splitLine(lines[k]!, delimiter)
      const isHeader = numericCols.every((i) => {
        const v = (f[i] ?? '').trim()
        return v === '' || !Number.isFinite(parseNum(v))
      })
      if (!isHeader) break
      headerLines.push(lines[k]!.replace(/\r$/, ''))
      if (f.some((v) => /^\(.*\)$/.test(v.trim()))) unitsRow = f.map((v) => v.trim().replace(/^\((.*)\)$/, '$1'))
    }
  }
  return { delimiter, columns, headerLines, unitsRow }
}

export interface ReadResult {
  header: DelimitedHeader
  records: number
  lines: number
  gz: Uint8Array
  sha256: string
  bytes: number
}

/**
 * Reads `path`, calling `onHeader` once and then `onRecord(fields, line, record)` for every
 * non-blank data line (line: 1-based in the file; record: 0-based data record index).
 * Throws invalidInput for an empty file or a file with a header but no data.
 */
export async function readDelimited(
  path: string,
  size: number,
  onHeader: (h: DelimitedHeader) => void,
  onRecord: (fields: string[], line: number, record: number) => void,
  opts: { signal?: AbortSignal; onProgress?: (f: number) => void } = {},
): Promise<ReadResult> {
  const sink = new RawSink()
  const decoder = new StringDecoder('utf8')
  let carry = ''
  let lineNo = 0
  let records = 0
  let header: DelimitedHeader | null = null
  let headerLeft = 0
  const pending: { text: string; line: number }[] = []
  let delimiter = ','

  const handleData = (text: string, line: number) => {
    if (text.trim() === '') return
    if ((text.match(/"/g)?.length ?? 0) % 2 === 1)
      throw invalidInput(`${fileLabel(path)} line ${line}: a quoted field is not closed on its line (fields with line breaks are not supported).`)
    onRecord(splitLine(text, delimiter), line, records++)
  }
  const resolveHeader = () => {
    header = detectHeader(pending.map((p) => p.text))
    delimiter = header.delimiter
    headerLeft = header.headerLines.length
    onHeader(header)
    const rest = pending.splice(0)
    for (const p of rest) {
      if (headerLeft > 0) {
        headerLeft--
        continue
      }
      handleData(p.text, p.line)
    }
  }
  const handleLine = (text: string) => {
    lineNo++
    if (header) return handleData(text, lineNo)
    if (text.trim() === '') return
    pending.push({ text, line: lineNo })
    if (pending.length >= 5) resolveHeader()
  }

  let read = 0
  const stream = createReadStream(path, { highWaterMark: 1 << 20 })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    throwIfAborted(opts.signal)
    sink.push(chunk)
    read += chunk.length
    const text = carry + decoder.write(chunk)
    let start = 0
    let nl = text.indexOf('\n', start)
    while (nl >= 0) {
      handleLine(text.slice(start, nl))
      start = nl + 1
      nl = text.indexOf('\n', start)
    }
    carry = text.slice(start)
    opts.onProgress?.(Math.min(1, read / Math.max(1, size)))
  }
  carry += decoder.end()
  if (carry.length) handleLine(carry)
  if (!header && pending.length) resolveHeader()
  if (!header) throw invalidInput(`${fileLabel(path)} is empty: no header line and no data.`, 'empty')
  if (records === 0) throw invalidInput(`${fileLabel(path)} has a header (${(header as DelimitedHeader).columns.length} columns) but no data rows.`, 'empty')
  const { gz, sha256 } = await sink.finish()
  return { header, records, lines: lineNo, gz, sha256, bytes: read }
}

/** The unit of a column from a TrackMate units row, if any. */
export function unitOf(h: DelimitedHeader, column: string | undefined): string | null {
  if (!h.unitsRow || column === undefined) return null
  const i = h.columns.findIndex((c) => norm(c) === norm(column))
  const u = i >= 0 ? h.unitsRow[i] : undefined
  return u ? u : null
}
