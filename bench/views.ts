/**
 * Speed of the 3-D views' buffer builders (src-renderer/views/core), the CPU side of drawing
 * tracks and clouds: full track build (world positions, colours, segment index sorted by time),
 * a colour-only rebuild, a time-window query (binary search -> draw range), and a cloud build.
 * Target from research/user-needs.md item 10: 10^5 tracks / 10^6 vertices in under 1 s.
 * Then, where /usr/bin/chromium exists (POPDYN_CHROMIUM overrides), the frame time of the real
 * views in headless Chromium: the harness page (src-renderer/views/harness.html, served by Vite)
 * with 10^5 cloud points (and, without --quick, 10^6 track vertices); for 2 s (5 s) every animation
 * frame turns the scene and renders it, reading one pixel back so the frame is finished
 * (measureFrameTimes in test/e2e/viewer.e2e.mjs). Headless Chromium here has no GPU: WebGL runs
 * on SwiftShader (software), so these are CPU-rendering numbers, a pessimistic bound.
 * Run: node --import tsx bench/views.ts [--quick]
 */
import { existsSync } from 'node:fs'
import * as THREE from 'three'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildCloudBuffers, buildTrackBuffers, layoutBounds, rankRange, tailWindow, vertexColors } from '../src-renderer/views/core/buffers'
import { fitCamera } from '../src-renderer/views/core/camera'
import { pickSegment, pickSegmentScreen, projectAll } from '../src-renderer/views/core/pick'
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
    // Hover: one screen-space pick over every segment (what a pointer move costs at the last time).
    const fit = fitCamera(layoutBounds(b.layout), 40, 960 / 575, b.layout.flat)
    const viewProj = lookAtProjection(fit.position, fit.target, fit.up, 40, 960 / 575, fit.near, fit.far)
    const nSeg = b.segments.segRank.length
    pickSegment(b.positions, b.segments.index, 0, nSeg, viewProj, 960, 575, 480, 287)
    t0 = performance.now()
    for (let i = 0; i < 5; i++) pickSegment(b.positions, b.segments.index, 0, nSeg, viewProj, 960, 575, 300 + 50 * i, 287)
    const pick = Math.round(((performance.now() - t0) / 5) * 10) / 10
    // The view's path: project every vertex once per camera pose, then scan distances per move.
    t0 = performance.now()
    const screen = projectAll(b.positions, viewProj, 960, 575)
    const project = ms(t0)
    t0 = performance.now()
    for (let i = 0; i < 5; i++) pickSegmentScreen(screen, b.segments.index, 0, nSeg, 300 + 50 * i, 287)
    const pickCached = Math.round(((performance.now() - t0) / 5) * 10) / 10
    const centreHit = pickSegment(b.positions, b.segments.index, 0, nSeg, viewProj, 960, 575, 480, 287, 20) !== null
    rows.push({
      task: `tracks ${tracks} x ${steps}`,
      vertices: tracks * steps,
      segments: b.segments.segRank.length,
      build_ms: build,
      recolour_ms: recolour,
      window_query_us: window,
      hover_pick_ms: pick,
      hover_project_ms: project,
      hover_pick_cached_ms: pickCached,
      check: shown > 0 && centreHit ? 'ok' : shown > 0 ? 'no pick at the centre' : 'empty',
    })
  }
  for (const perTime of opts.quick ? [20_000] : [20_000, 200_000]) {
    const d = syntheticSnapshots({ times: 5, perTime, dim: 3 })
    buildCloudBuffers(d, { colorBy: 'time' })
    const t0 = performance.now()
    const c = buildCloudBuffers(d, { colorBy: 'time' })
    rows.push({ task: `clouds 5 x ${perTime}`, vertices: c.positions.length / 3, build_ms: ms(t0) })
  }
  // The browser part needs the dev tree (Vite, the harness page, playwright-core): skipped, with
  // the reason in the notes, where any of it is missing.
  const browser = await frameTimes(opts).catch((e: unknown) => ({ rows: [], note: `Frame times skipped: ${e instanceof Error ? e.message : String(e)}` }))
  rows.push(...browser.rows)
  return {
    name: 'views',
    rows,
    notes: `CPU buffer builds for the three.js views; target < 1000 ms at 10^6 track vertices. ${browser.note}`,
  }
}

/** Perspective projection × view of a camera at `eye` looking at `target` (column-major, as three.js stores it). */
function lookAtProjection(eye: number[], target: number[], up: number[], fovDeg: number, aspect: number, near: number, far: number): number[] {
  const cam = new THREE.PerspectiveCamera(fovDeg, aspect, near, far)
  cam.up.set(up[0], up[1], up[2])
  cam.position.set(eye[0], eye[1], eye[2])
  cam.lookAt(target[0], target[1], target[2])
  cam.updateMatrixWorld()
  return new THREE.Matrix4().multiplyMatrices(cam.projectionMatrix, cam.matrixWorldInverse).elements.slice()
}

/** Frame times in headless Chromium (software GL); no rows when Chromium is missing. */
async function frameTimes(opts: { quick?: boolean }): Promise<{ rows: Record<string, string | number>[]; note: string }> {
  const executablePath = process.env.POPDYN_CHROMIUM ?? '/usr/bin/chromium'
  if (!existsSync(executablePath)) return { rows: [], note: `Frame times skipped: ${executablePath} not found.` }
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  const e2e = await import(pathToFileURL(join(root, 'test/e2e/viewer.e2e.mjs')).href)
  const shell = await import(pathToFileURL(join(root, 'test/e2e/shell.e2e.mjs')).href)
  const { chromium } = await import('playwright-core')
  const server = await e2e.startHarnessServer()
  const b = await chromium.launch({ executablePath, headless: true, args: shell.CHROMIUM_ARGS })
  const rows: Record<string, string | number>[] = []
  let renderer = ''
  try {
    const page = await b.newPage({ viewport: { width: 1000, height: 700 } })
    // [harness id, label, measuring window ms]: slow frames get a longer window.
    const cases: [number, string, number][] = [[6, 'clouds 5 x 20000 (10^5 points)', 2000]]
    if (!opts.quick) cases.push([4, 'tracks 10^5 x 10 (10^6 vertices)', 5000])
    for (const [id, task, window] of cases) {
      await page.goto(`${server.url}?id=${id}`)
      await page.waitForSelector('[data-testid=viewer][data-state=ready] [data-testid=viewer-canvas]', { timeout: 60_000 })
      await page.waitForTimeout(500)
      renderer ||= await page.evaluate(() => {
        const gl = document.createElement('canvas').getContext('webgl2')
        const ext = gl?.getExtension('WEBGL_debug_renderer_info')
        return gl ? String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)) : 'no WebGL2'
      })
      const size = await page.$eval('[data-testid=viewer-canvas]', (c) => `${(c as HTMLCanvasElement).width}x${(c as HTMLCanvasElement).height}`)
      await e2e.measureFrameTimes(page, 500) // warm-up (the first frame uploads the buffers)
      const m = await e2e.measureFrameTimes(page, window)
      rows.push({
        task: `frame: ${task}`,
        canvas: size,
        frames: m.frames,
        render_median_ms: Math.round(m.renderMedianMs * 10) / 10,
        render_p90_ms: Math.round(m.renderP90Ms * 10) / 10,
        raf_interval_median_ms: Math.round(m.intervalMedianMs * 10) / 10,
      })
    }
  } finally {
    await b.close()
    await server.close()
  }
  return { rows, note: `Frame times: headless Chromium, WebGL renderer "${renderer}" (software GL, no GPU).` }
}

if (import.meta.url === `file://${process.argv[1]}`)
  run({ quick: process.argv.includes('--quick') }).then((r) => {
    console.table(r.rows)
    if (r.notes) console.log(r.notes)
  })
