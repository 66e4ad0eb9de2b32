/**
 * Speed of the 3-D views' buffer builders (src-renderer/views/core), the CPU side of drawing
 * tracks and clouds: full track build (world positions, colours, segment index sorted by time),
 * a colour-only rebuild, a time-window query (binary search -> draw range), and a cloud build.
 * Target from research/user-needs.md item 10: 10^5 tracks / 10^6 vertices in under 1 s.
 * GPU upload and drawing are not measured here (they need a browser; see test/e2e/viewer.e2e.mjs).
 * Run: node --import tsx bench/views.ts
 */
import { buildCloudBuffers, buildTrackBuffers, rankRange, tailWindow, vertexColors } from '../src-renderer/views/core/buffers'
import { syntheticSnapshots, syntheticTracks } from '../src-renderer/views/core/synthetic'

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10

export async function run(opts: { quick?: boolean }): Promise<{ name: string; rows: Record<string, string | number>[]; notes?: string }> {
  const rows: Record<string, string | number>[] = []
  const sizes = opts.quick ? [10_000, 100_000] : [10_000, 100_000, 200_000]
  for (const tracks of sizes) {
    const steps = 10
    const d = syntheticTracks({ tracks, steps, dim: 2, species: 5, seed: 3 })
    buildTrackBuffers(d, { colorBy: 'label' }) // warm-up (JIT)
    let t0 = performance.now()
    const b = buildTrackBuffers(d, { colorBy: 'label' })
    const build = ms(t0)
    t0 = performance.now()
    vertexColors(d, 'time', b.time)
    const recolour = ms(t0)
    t0 = performance.now()
    let shown = 0
    for (let i = 0; i < 1000; i++) {
      const { lo, hi } = tailWindow(i % steps, 3)
      shown += rankRange(b.segments.segRank, lo, hi).count
    }
    const window = Math.round(((performance.now() - t0) / 1000) * 1e6) / 1e3
    rows.push({
      task: `tracks ${tracks} x ${steps}`,
      vertices: tracks * steps,
      segments: b.segments.segRank.length,
      build_ms: build,
      recolour_ms: recolour,
      window_query_us: window,
      check: shown > 0 ? 'ok' : 'empty',
    })
  }
  for (const perTime of opts.quick ? [20_000] : [20_000, 200_000]) {
    const d = syntheticSnapshots({ times: 5, perTime, dim: 3 })
    buildCloudBuffers(d, { colorBy: 'time' })
    const t0 = performance.now()
    const c = buildCloudBuffers(d, { colorBy: 'time' })
    rows.push({ task: `clouds 5 x ${perTime}`, vertices: c.positions.length / 3, build_ms: ms(t0) })
  }
  return { name: 'views', rows, notes: 'CPU buffer builds for the three.js views; target < 1000 ms at 10^6 track vertices' }
}

if (import.meta.url === `file://${process.argv[1]}`) run({}).then((r) => console.table(r.rows))
