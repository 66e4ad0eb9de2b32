/** The bundled sample files (resources/sample/*.csv) as text, from the sample generators. */
import { sampleSnapshots, sampleTracks } from './sample'

const r = (v: number) => String(Math.round(v * 1000) / 1000)

export function sampleTracksCsv(): string {
  const t = sampleTracks()
  const names = ['drifter', 'wanderer']
  const lines = ['track,frame,x,y,species']
  for (let i = 0; i < t.track.length; i++) lines.push(`${t.track[i]},${t.time[i]},${r(t.pos[2 * i]!)},${r(t.pos[2 * i + 1]!)},${names[t.species[i]!]}`)
  return lines.join('\n') + '\n'
}

export function sampleSnapshotsCsv(): string {
  const s = sampleSnapshots()
  const names = ['drifting', 'rotating']
  const lines = ['day,x,y,population']
  for (let i = 0; i < s.time.length; i++) lines.push(`${s.time[i]},${r(s.pos[2 * i]!)},${r(s.pos[2 * i + 1]!)},${names[s.label[i]!]}`)
  return lines.join('\n') + '\n'
}
