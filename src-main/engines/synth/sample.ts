/**
 * The bundled sample data a newcomer sees on first start: small, synthetic, with ground truth.
 *
 * Tracks: two species of 2-D cells over 60 frames — "drifters" moving right with a persistent
 * velocity, "wanderers" performing a damped random walk around their start.
 * Snapshots: two Gaussian sub-populations at 4 time points, one moving right, one rotating.
 */
import { createRng } from '../stats/random'

export interface SampleTracks {
  track: Int32Array
  time: Float64Array
  pos: Float64Array
  species: Int32Array
  dim: 2
}

export interface SampleSnapshots {
  time: Float64Array
  pos: Float64Array
  label: Int32Array
  dim: 2
}

export function sampleTracks(seed = 7, cellsPerSpecies = 15, frames = 60): SampleTracks {
  const rng = createRng(seed)
  const n = 2 * cellsPerSpecies * frames
  const track = new Int32Array(n)
  const time = new Float64Array(n)
  const pos = new Float64Array(2 * n)
  const species = new Int32Array(n)
  let row = 0
  for (let c = 0; c < 2 * cellsPerSpecies; c++) {
    const s = c < cellsPerSpecies ? 0 : 1
    let x = rng.uniform() * 100
    let y = rng.uniform() * 100
    let vx = s === 0 ? 1.5 : 0
    let vy = 0
    for (let f = 0; f < frames; f++) {
      track[row] = c + 1
      time[row] = f
      pos[2 * row] = x
      pos[2 * row + 1] = y
      species[row] = s
      row++
      if (s === 0) {
        vx = 0.9 * vx + 0.1 * 1.5 + 0.2 * rng.normal()
        vy = 0.9 * vy + 0.2 * rng.normal()
      } else {
        vx = 0.5 * vx + 0.8 * rng.normal()
        vy = 0.5 * vy + 0.8 * rng.normal()
      }
      x += vx
      y += vy
    }
  }
  return { track, time, pos, species, dim: 2 }
}

export function sampleSnapshots(seed = 11, perTime = 80, times = 4): SampleSnapshots {
  const rng = createRng(seed)
  const n = perTime * times
  const time = new Float64Array(n)
  const pos = new Float64Array(2 * n)
  const label = new Int32Array(n)
  let row = 0
  for (let t = 0; t < times; t++) {
    for (let i = 0; i < perTime; i++) {
      const k = i < perTime / 2 ? 0 : 1
      const angle = (t * Math.PI) / 6
      const cx = k === 0 ? -2 + 1.2 * t : 3 * Math.cos(angle)
      const cy = k === 0 ? 0 : 3 * Math.sin(angle)
      time[row] = t
      pos[2 * row] = cx + 0.4 * rng.normal()
      pos[2 * row + 1] = cy + 0.4 * rng.normal()
      label[row] = k
      row++
    }
  }
  return { time, pos, label, dim: 2 }
}
