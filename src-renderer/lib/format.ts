/** Small formatters for the home screen. Plain TypeScript, tested in test/renderer/format.test.ts. */
import type { DatasetSummary, Units } from '@shared/contract'

/**
 * "µm / min". Pixels and frames carry their calibration where it is known:
 * "px (0.65 µm) / frame (5 min)" is read as "a pixel is 0.65 µm, a frame is 5 min".
 */
export function formatUnits(u: Units): string {
  const space = u.space === 'px' && u.pixelSize != null ? `px (${trim(u.pixelSize)} µm)` : u.space
  const time = u.time === 'frame' && u.frameInterval != null ? `frame (${trim(u.frameInterval)}${u.frameIntervalUnit ? ' ' + u.frameIntervalUnit : ''})` : u.time
  return `${space} / ${time}`
}

const trim = (x: number) => String(Number(x.toPrecision(4)))

/** 12345 -> "12,345"; thousands grouped the same way on every machine. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—'
  return Math.round(n).toLocaleString('en-US')
}

/** The "tracks" cell: a count for track data, a dash for snapshots (cells have no identity over time). */
export function formatTracks(d: Pick<DatasetSummary, 'kind' | 'entities'>): string {
  return d.kind === 'tracks' ? formatCount(d.entities) : '—'
}

/** "2026-11-25 09:49" in local time; the input unchanged if it is not a date. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const t = new Date(iso)
  if (Number.isNaN(t.getTime())) return iso
  const p = (n: number) => String(n).padStart(2, '0')
  return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}`
}

/** Method ids as the user knows them. Unknown ids are shown as they are. */
const METHOD_NAMES: Record<string, string> = {
  ensembles: 'OT ensemble separation',
  species: 'WSINDy species',
  jkonet: 'JKOnet',
  ijkonet: 'iJKOnet',
  wlm: 'WLM',
  'bench.backend': 'Backend benchmark',
}

export function methodName(id: string): string {
  return METHOD_NAMES[id] ?? id
}
