/** `popdyn import` helpers: command-line values -> ImportOptions, and the printed summary. */
import { invalidInput } from '@shared/errors'
import { parseMapping } from './columns'
import type { ImportOptions, ImportSummary } from './types'

export const IMPORT_USAGE = `  import PROJECT FILE [--kind tracks|snapshots] [--name NAME] [--map field=column,...]
         [--space-unit um|px --pixel-size S] [--time-unit frame|s|min|h|day --frame-interval S]
         [--gaps split|interpolate|keep] [--irregular keep|resample] [--components K]
         [--time-order L1;L2;...] [--max-mb M] [--json]
                              import tracks (CSV/TSV, TrackMate XML) or snapshots (CSV/TSV, .h5ad, .npz)`

/** parseArgs option table for `import`. */
export const IMPORT_ARGS = {
  kind: { type: 'string' },
  name: { type: 'string' },
  map: { type: 'string' },
  'space-unit': { type: 'string' },
  'pixel-size': { type: 'string' },
  'time-unit': { type: 'string' },
  'frame-interval': { type: 'string' },
  gaps: { type: 'string' },
  irregular: { type: 'string' },
  components: { type: 'string' },
  'time-order': { type: 'string' },
  'max-mb': { type: 'string' },
} as const

function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined
  if (!allowed.includes(v as T)) throw invalidInput(`--${flag} must be one of ${allowed.join(', ')}, got "${v}".`)
  return v as T
}

function positive(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const x = Number(v)
  if (!Number.isFinite(x) || x <= 0) throw invalidInput(`--${flag} must be a positive number, got "${v}".`)
  return x
}

/** "30", "30s", "2.5min", "1h", "1day" -> value and unit (seconds by default). */
export function parseInterval(v: string): { value: number; unit: 's' | 'min' | 'h' | 'day' } {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*(s|sec|min|h|hr|day|d)?\s*$/i.exec(v)
  const x = m ? Number(m[1]) : NaN
  if (!m || !(x > 0)) throw invalidInput(`--frame-interval must be a positive number with an optional unit (e.g. 30s, 2.5min, 1h), got "${v}".`)
  const u = (m[2] ?? 's').toLowerCase()
  return { value: x, unit: u === 'sec' ? 's' : u === 'hr' ? 'h' : u === 'd' ? 'day' : (u as 's' | 'min' | 'h' | 'day') }
}

export function importOptionsFromCli(values: Record<string, string | boolean | undefined>): ImportOptions {
  const s = (k: string) => values[k] as string | undefined
  const opts: ImportOptions = {}
  opts.kind = oneOf('kind', s('kind'), ['tracks', 'snapshots'] as const)
  if (s('name') !== undefined) opts.name = s('name')
  if (s('map') !== undefined) opts.mapping = parseMapping(s('map')!)
  opts.spaceUnit = oneOf('space-unit', s('space-unit'), ['um', 'µm', 'px', 'a.u.'] as const)
  opts.pixelSize = positive('pixel-size', s('pixel-size'))
  opts.timeUnit = oneOf('time-unit', s('time-unit'), ['frame', 's', 'min', 'h', 'day', 'index'] as const)
  if (s('frame-interval') !== undefined) {
    const fi = parseInterval(s('frame-interval')!)
    opts.frameInterval = fi.value
    opts.frameIntervalUnit = fi.unit
  }
  opts.gaps = oneOf('gaps', s('gaps'), ['split', 'interpolate', 'keep'] as const)
  opts.irregular = oneOf('irregular', s('irregular'), ['keep', 'resample'] as const)
  const k = s('components')
  if (k !== undefined) {
    if (!/^\d+$/.test(k) || Number(k) < 1) throw invalidInput(`--components must be a positive integer, got "${k}".`)
    opts.components = Number(k)
  }
  if (s('time-order') !== undefined) opts.timeOrder = s('time-order')!.split(/[;|]/).map((x) => x.trim()).filter(Boolean)
  const mb = positive('max-mb', s('max-mb'))
  if (mb !== undefined) opts.maxBytes = Math.floor(mb * 2 ** 20)
  for (const key of Object.keys(opts) as (keyof ImportOptions)[]) if (opts[key] === undefined) delete opts[key]
  return opts
}

export function formatImportSummary(s: ImportSummary, datasetId: number): string {
  const u = s.units
  const space = u.space === 'px' && u.pixelSize ? `px (${u.pixelSize} µm/px)` : u.space
  const time = u.time === 'frame' && u.frameInterval ? `frame (${u.frameInterval} ${u.frameIntervalUnit ?? 's'}/frame)` : u.time
  const lines = [
    `Imported "${s.name}" (dataset ${datasetId}): ${s.kind} from ${s.format}`,
    `  rows ${s.rows}${s.kind === 'tracks' ? `, tracks ${s.tracks}${s.segments !== s.tracks ? ` (${s.segments} segments)` : ''}` : ''}, time points ${s.timePoints}, dim ${s.dim}`,
    `  units: space ${space}, time ${time}`,
    `  columns: ${Object.entries(s.mapping)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? (v.length > 4 ? `${v.slice(0, 3).join(';')};…(${v.length})` : v.join(';')) : v}`)
      .join(', ')}`,
  ]
  if (s.warnings.length) lines.push(`  warnings (${s.warnings.length}):`, ...s.warnings.map((w) => `  - ${w}`))
  return lines.join('\n')
}
