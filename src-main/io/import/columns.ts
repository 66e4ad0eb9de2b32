/** Column auto-detection and the user's mapping (`--map track=ID,time=T,...`). */
import type { DatasetKind } from '@shared/contract'
import { invalidInput } from '@shared/errors'
import type { Mapping } from './types'

/** Normalised name: lower case, only letters and digits ("POSITION_X" -> "positionx"). */
export const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '')

/** Candidate names per field, best first (normalised). */
const CANDIDATES: Record<'track' | 'time' | 'x' | 'y' | 'z' | 'label' | 'id', string[]> = {
  track: ['trackid', 'track', 'tracknumber', 'trackindex', 'trajectory', 'trajectoryid', 'trajid', 'particle', 'particleid', 'cellid', 'cell', 'tid', 'parentid', 'objectid', 'id'],
  time: ['frame', 'positiont', 't', 'time', 'timepoint', 'frameid', 'slice', 'timeindex', 'day', 'days', 'sample', 'samples', 'samplelabels', 'samplelabel', 'stage'],
  x: ['positionx', 'x', 'posx', 'xum', 'xpx', 'xposition', 'centroidx', 'locationx', 'centerx', 'xcoord', 'x1'],
  y: ['positiony', 'y', 'posy', 'yum', 'ypx', 'yposition', 'centroidy', 'locationy', 'centery', 'ycoord', 'x2'],
  z: ['positionz', 'z', 'posz', 'zum', 'zpx', 'zposition', 'centroidz', 'locationz', 'centerz', 'zcoord', 'x3'],
  label: ['label', 'species', 'celltype', 'type', 'class', 'cluster', 'clusters', 'group', 'condition', 'population', 'truth', 'annotation'],
  id: ['id', 'cellid', 'cell', 'cellindex', 'barcode', 'obsnames', 'index', 'name'],
}

function pick(columns: string[], field: keyof typeof CANDIDATES, taken: Set<string>): string | undefined {
  const byNorm = new Map<string, string>()
  for (const c of columns) if (!byNorm.has(norm(c))) byNorm.set(norm(c), c)
  for (const cand of CANDIDATES[field]) {
    const c = byNorm.get(cand)
    if (c !== undefined && !taken.has(c)) return c
  }
  return undefined
}

/** Feature columns for snapshots: PC1..PCk, then x1..xk / dim1.. / umap1.., then x,y,z. Sorted by index. */
function featureColumns(columns: string[], taken: Set<string>): string[] {
  const families = [/^(?:pc|pca|xpca)_?(\d+)$/i, /^x_?(\d+)$/i, /^(?:dim|comp|component|umap|tsne|phate|emb|embedding|latent|z)_?(\d+)$/i]
  for (const re of families) {
    const hits = columns.filter((c) => !taken.has(c) && re.test(c.trim()))
    if (hits.length >= 1) return hits.sort((a, b) => Number(re.exec(a.trim())![1]) - Number(re.exec(b.trim())![1]))
  }
  const xyz = ['x', 'y', 'z'].map((f) => columns.find((c) => !taken.has(c) && norm(c) === f)).filter((c): c is string => c !== undefined)
  return xyz.length >= 2 ? xyz : []
}

/** Velocity columns matching the features: v_PC1 / dPC1 / velocity_PC1 / v1 / delta_x1 / vx. */
function velocityColumns(columns: string[], features: string[], taken: Set<string>): string[] {
  if (!features.length) return []
  const byNorm = new Map(columns.filter((c) => !taken.has(c)).map((c) => [norm(c), c]))
  const prefixes = ['v', 'd', 'delta', 'velocity', 'vel', 'dot']
  for (const p of prefixes) {
    const hits = features.map((f) => byNorm.get(p + norm(f)))
    if (hits.every((h) => h !== undefined)) return hits as string[]
  }
  // v1..vk / velocity_1.. by the feature's number or position.
  for (const p of prefixes) {
    const hits = features.map((f, i) => {
      const num = /(\d+)$/.exec(f)?.[1] ?? String(i + 1)
      return byNorm.get(p + num)
    })
    if (hits.every((h) => h !== undefined)) return hits as string[]
  }
  return []
}

/** Guesses a mapping for the given kind (or the kind itself) from column names. */
export function guessMapping(columns: string[], kind?: DatasetKind): { kind: DatasetKind; mapping: Mapping } {
  const taken = new Set<string>()
  const take = (c: string | undefined) => {
    if (c !== undefined) taken.add(c)
    return c
  }
  const track = pick(columns, 'track', taken)
  // A generic "id"/"cell" column means tracks only next to plain x/y columns (snapshots tables
  // carry cell ids next to PC1.. / x1.. features).
  const generic = track !== undefined && ['id', 'cell', 'cellid', 'objectid'].includes(norm(track))
  const plainXY = ['x', 'y'].every((f) => columns.some((c) => ['x', 'positionx', 'posx', 'xum', 'xpx', 'centroidx', 'locationx'].map((p) => p.replace('x', f)).includes(norm(c))))
  const guessKind: DatasetKind = kind ?? (track !== undefined && (!generic || plainXY) ? 'tracks' : 'snapshots')
  const m: Mapping = {}
  if (guessKind === 'tracks') {
    m.track = take(track)
    m.time = take(pick(columns, 'time', taken))
    m.x = take(pick(columns, 'x', taken))
    m.y = take(pick(columns, 'y', taken))
    m.z = take(pick(columns, 'z', taken))
    m.label = take(pick(columns, 'label', taken))
  } else {
    m.time = take(pick(columns, 'time', taken))
    // a label that is just the time's text (EB: time + label "day00-03") is still a label column.
    m.label = take(pick(columns, 'label', taken))
    const feats = featureColumns(columns, taken)
    feats.forEach((f) => taken.add(f))
    m.features = feats
    m.velocity = velocityColumns(columns, feats, taken)
    const id = pick(columns, 'id', taken)
    if (id !== undefined) m.id = take(id)
  }
  for (const k of Object.keys(m) as (keyof Mapping)[]) if (m[k] === undefined || (Array.isArray(m[k]) && !(m[k] as string[]).length && k === 'velocity')) delete m[k]
  return { kind: guessKind, mapping: m }
}

/**
 * Parses `--map track=ID,time=T,features=PC1;PC2;PC3` (lists separated by ';' or '|').
 * Unknown fields are refused with the list of known ones.
 */
export function parseMapping(spec: string): Mapping {
  const known = ['track', 'time', 'x', 'y', 'z', 'label', 'id', 'features', 'velocity']
  const m: Mapping = {}
  for (const part of spec.split(',')) {
    if (!part.trim()) continue
    const eq = part.indexOf('=')
    if (eq < 0) throw invalidInput(`--map expects field=column pairs separated by commas (e.g. track=TRACK_ID,time=FRAME), got "${part}".`)
    const field = part.slice(0, eq).trim()
    const col = part.slice(eq + 1).trim()
    if (!known.includes(field)) throw invalidInput(`--map: unknown field "${field}"; fields are ${known.join(', ')}.`)
    if (field === 'features' || field === 'velocity') (m as Record<string, string[]>)[field] = col.split(/[;|]/).map((s) => s.trim()).filter(Boolean)
    else (m as Record<string, string>)[field] = col
  }
  return m
}

/** Resolves a user-given column name against the file's columns: exact, then case/punctuation-insensitive. */
export function findColumn(columns: string[], name: string): number {
  let i = columns.indexOf(name)
  if (i >= 0) return i
  i = columns.findIndex((c) => c.trim() === name.trim())
  if (i >= 0) return i
  return columns.findIndex((c) => norm(c) === norm(name) && norm(name) !== '')
}

export function listColumns(columns: string[]): string {
  const shown = columns.slice(0, 30).map((c) => `"${c}"`)
  return shown.join(', ') + (columns.length > 30 ? `, … (${columns.length} in all)` : '')
}
