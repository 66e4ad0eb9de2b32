/**
 * Browser check of the 3-D views (src-renderer/views) in Debian's Chromium via playwright-core,
 * against the stand-alone harness page (src-renderer/views/harness.html: a fake bridge serves
 * synthetic `datasets.points`, no host needed).
 *
 *   node test/e2e/viewer.e2e.mjs [BASE_URL]   without BASE_URL, starts a Vite dev server on a free
 *                                             port (inline config, nothing written) and stops it after
 *
 * `runViewerE2E({ url })` takes the harness URL without query (…/views/harness.html) and returns
 * one result per case. Screenshots go to test-results/viewer.png (2-D tracks by species),
 * viewer-tail.png (5-step tails with heads at mid time), viewer-time-axis.png (time as z), viewer-clouds.png (clouds with a predicted overlay),
 * viewer-hover.png (a track's tooltip), viewer-selected.png (one track selected, the others dimmed) and
 * viewer-features.png (6-feature clouds with GENE4 on x).
 * Never `npx playwright install`: the browser is /usr/bin/chromium (research/stack.md §5).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS, sleep, until } from './shell.e2e.mjs'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const RESULTS_DIR = join(ROOT, 'test-results')


/**
 * Reads the WebGL canvas back (it keeps its drawing buffer) and returns the number of
 * coloured pixels (channel spread > 40: data, not the white background or the grey axes),
 * the number of non-white pixels and a hash of the image.
 */
export async function canvasStats(page) {
  return page.evaluate(() => {
    const c = /** @type {HTMLCanvasElement} */ (document.querySelector('[data-testid=viewer-canvas]'))
    if (!c) return null
    const w = c.width
    const h = c.height
    const cv = document.createElement('canvas')
    cv.width = w
    cv.height = h
    const ctx = cv.getContext('2d')
    if (!ctx) return null
    ctx.drawImage(c, 0, 0)
    const d = ctx.getImageData(0, 0, w, h).data
    let coloured = 0
    let nonWhite = 0
    let hash = 2166136261
    for (let i = 0; i < d.length; i += 4) {
      const r = d[i], g = d[i + 1], b = d[i + 2]
      if (r < 250 || g < 250 || b < 250) nonWhite++
      if (Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++
      hash = Math.imul(hash ^ (r + 3 * g + 7 * b), 16777619) >>> 0
    }
    return { w, h, coloured, nonWhite, hash }
  })
}

/**
 * CSS-pixel position (relative to the page) of a coloured canvas pixel near the middle of the
 * canvas (the scan starts at the centre row and walks outwards), or null.
 */
export async function colouredPixel(page) {
  return page.evaluate(() => {
    const c = /** @type {HTMLCanvasElement} */ (document.querySelector('[data-testid=viewer-canvas]'))
    const w = c.width
    const h = c.height
    const cv = document.createElement('canvas')
    cv.width = w
    cv.height = h
    const ctx = /** @type {CanvasRenderingContext2D} */ (cv.getContext('2d'))
    ctx.drawImage(c, 0, 0)
    const d = ctx.getImageData(0, 0, w, h).data
    const r = c.getBoundingClientRect()
    const sx = r.width / w
    const sy = r.height / h
    for (let k = 0; k < h / 2; k++) {
      for (const y of [Math.floor(h / 2) + k, Math.floor(h / 2) - k]) {
        for (let x = Math.floor(w * 0.2); x < w * 0.7; x++) {
          const i = (y * w + x) * 4
          if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) return { x: r.left + (x + 0.5) * sx, y: r.top + (y + 0.5) * sy }
        }
      }
    }
    return null
  })
}

/**
 * Frame time of the view on the page: for `ms` milliseconds, every animation frame turns the
 * scene a little and renders it (as an orbit drag does), then reads one pixel back so the GPU
 * (or SwiftShader) has finished. Returns the median and 90th percentile of the render+readback
 * time and of the requestAnimationFrame interval, in ms, and the number of frames.
 */
export async function measureFrameTimes(page, ms = 2000) {
  return page.evaluate(async (duration) => {
    const c = /** @type {HTMLCanvasElement} */ (document.querySelector('[data-testid=viewer-canvas]'))
    const v = /** @type {any} */ (window).harnessViewerFor?.(c)
    if (!v) throw new Error('no viewer on the canvas (harness page only)')
    const gl = v.renderer.getContext()
    const px = new Uint8Array(4)
    const render = []
    const interval = []
    let last = performance.now()
    const end = last + duration
    await new Promise((resolve) => {
      const frame = (now) => {
        interval.push(now - last)
        last = now
        const t0 = performance.now()
        v.scene.rotation.z += 0.01
        v.renderer.render(v.scene, v.camera)
        gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px)
        render.push(performance.now() - t0)
        if (now < end) requestAnimationFrame(frame)
        else resolve(undefined)
      }
      requestAnimationFrame(frame)
    })
    v.scene.rotation.z = 0
    v.invalidate()
    interval.shift()
    const q = (a, p) => {
      const s = [...a].sort((x, y) => x - y)
      return s[Math.min(s.length - 1, Math.floor(p * s.length))]
    }
    return { frames: render.length, renderMedianMs: q(render, 0.5), renderP90Ms: q(render, 0.9), intervalMedianMs: q(interval, 0.5), intervalP90Ms: q(interval, 0.9) }
  }, ms)
}

/**
 * @param {{ url: string, chromium?: string }} opts  harness URL (…/views/harness.html); browser binary
 *   @default '/usr/bin/chromium'
 * @returns {Promise<{ name: string, ok: boolean, error?: string }[]>}
 */
export async function runViewerE2E({ url, chromium: executablePath = '/usr/bin/chromium' }) {
  /** @type {{ name: string, ok: boolean, error?: string }[]} */
  const results = []
  mkdirSync(RESULTS_DIR, { recursive: true })
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, acceptDownloads: true })
  const page = await context.newPage()
  const consoleErrors = []
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  page.on('pageerror', (e) => consoleErrors.push(String(e)))
  const step = async (name, fn) => {
    try {
      await fn()
      results.push({ name, ok: true })
    } catch (e) {
      results.push({ name, ok: false, error: e instanceof Error ? e.message : String(e) })
    }
  }
  const open = async (query) => {
    await page.goto(`${url}${query}`)
    await page.waitForSelector('[data-testid=viewer][data-state=ready]', { timeout: 30_000 })
    await page.waitForSelector('[data-testid=viewer-canvas]')
  }

  let first = null
  await step('tracks viewer renders a non-blank canvas', async () => {
    await open('?id=1')
    first = await until(async () => {
      const s = await canvasStats(page)
      return s && s.coloured > 500 ? s : null
    }, 15_000, 'coloured pixels on the canvas')
    if (consoleErrors.length) throw new Error(`console errors: ${consoleErrors.join(' | ')}`)
  })

  const setSliderToEnd = () =>
    page.$eval('[data-testid=time-slider]', (el) => {
      const s = /** @type {HTMLInputElement} */ (el)
      s.value = s.max
      s.dispatchEvent(new Event('input', { bubbles: true }))
    })

  let hoveredTrack = null
  let hoverAt = null
  await step('hovering a track shows a tooltip with its id, label, time range and units', async () => {
    hoverAt = await colouredPixel(page)
    if (!hoverAt) throw new Error('no coloured pixel to hover')
    await page.mouse.move(hoverAt.x, hoverAt.y)
    const tip = page.getByTestId('track-tooltip')
    await tip.waitFor({ timeout: 5_000 })
    const text = (await tip.textContent()) ?? ''
    const m = /track TRACK_(\d+)/.exec(text)
    if (!m) throw new Error(`tooltip without the file's track id: ${text}`)
    hoveredTrack = `TRACK_${m[1]}`
    // Harness dataset 1: 150 tracks (file ids TRACK_1000..TRACK_1149), species A..C, times 0..19.5 min.
    if (!(Number(m[1]) >= 1000 && Number(m[1]) < 1150)) throw new Error(`track id out of range: ${text}`)
    if (!/species [ABC]/.test(text)) throw new Error(`tooltip without the label: ${text}`)
    if (!/0 min – 19\.5 min/.test(text)) throw new Error(`tooltip without the time range in min: ${text}`)
    if (!/x = .*y = .*µm/.test(text)) throw new Error(`tooltip without the values: ${text}`)
    await page.screenshot({ path: join(RESULTS_DIR, 'viewer-hover.png') })
    await page.mouse.move(5, 5) // off the canvas
    await until(async () => (await tip.count()) === 0, 5_000, 'the tooltip gone when the pointer leaves')
  })

  await step('clicking a track selects it (others dimmed); Esc clears', async () => {
    if (!hoverAt) throw new Error('no hovered track from the previous case')
    const before = await canvasStats(page)
    await page.mouse.click(hoverAt.x, hoverAt.y)
    const sel = page.getByTestId('track-selection')
    await sel.waitFor({ timeout: 5_000 })
    const text = (await sel.textContent()) ?? ''
    if (!text.includes(`track ${hoveredTrack}`)) throw new Error(`selected "${text}", hovered track ${hoveredTrack}`)
    const dimmed = await until(async () => {
      const s = await canvasStats(page)
      return s && before && s.hash !== before.hash && s.coloured < before.coloured / 3 ? s : null
    }, 5_000, 'the other tracks dimmed (far fewer coloured pixels)')
    if (dimmed.coloured < 5) throw new Error('the selected track is not drawn in colour')
    await page.screenshot({ path: join(RESULTS_DIR, 'viewer-selected.png') })
    await page.keyboard.press('Escape')
    await until(async () => (await sel.count()) === 0, 5_000, 'the selection cleared by Esc')
    await until(async () => (await canvasStats(page))?.hash === before?.hash, 5_000, 'the picture as before the selection')
    await page.mouse.move(5, 5)
  })

  await step('play advances the time slider and pause stops it', async () => {
    const value = page.getByTestId('time-value')
    const start = (await value.textContent())?.trim()
    const before = await canvasStats(page)
    await page.selectOption('[data-testid=play-speed]', '30')
    await page.click('[data-testid=play]')
    const seen = new Set()
    await until(async () => {
      seen.add((await value.textContent())?.trim())
      return seen.size >= 4
    }, 5_000, 'four different times while playing')
    if (seen.has(start) && seen.size < 4) throw new Error(`time did not move from ${start}`)
    await page.click('[data-testid=play]')
    const stopped = (await value.textContent())?.trim()
    await new Promise((r) => setTimeout(r, 400))
    if ((await value.textContent())?.trim() !== stopped) throw new Error('time still moving after pause')
    if ((await canvasStats(page))?.hash === before?.hash) throw new Error('the picture did not change while playing')
    await setSliderToEnd()
    await until(async () => (await canvasStats(page))?.hash === before?.hash, 5_000, 'the last frame again')
  })

  await step('colour-by change re-renders', async () => {
    const before = await canvasStats(page)
    const options = await page.$$eval('[data-testid=color-by] option', (os) => os.map((o) => o.value))
    const current = await page.$eval('[data-testid=color-by]', (s) => /** @type {HTMLSelectElement} */ (s).value)
    const other = options.find((o) => o !== current)
    if (!other) throw new Error(`only one colour choice: ${options}`)
    await page.selectOption('[data-testid=color-by]', other)
    await until(async () => (await canvasStats(page))?.hash !== before?.hash, 5_000, `re-render after colour by ${other}`)
    await page.selectOption('[data-testid=color-by]', 'time')
    await until(async () => (await canvasStats(page))?.hash !== before?.hash, 5_000, 're-render after colour by time')
  })

  await step('time slider at the first frame hides the tracks', async () => {
    const all = await canvasStats(page)
    await page.$eval('[data-testid=time-slider]', (el) => {
      const s = /** @type {HTMLInputElement} */ (el)
      s.value = '0'
      s.dispatchEvent(new Event('input', { bubbles: true }))
    })
    const atStart = await until(async () => {
      const s = await canvasStats(page)
      return s && all && s.coloured < all.coloured / 4 ? s : null
    }, 5_000, 'fewer coloured pixels at t = 0')
    await page.$eval('[data-testid=time-slider]', (el) => {
      const s = /** @type {HTMLInputElement} */ (el)
      s.value = s.max
      s.dispatchEvent(new Event('input', { bubbles: true }))
    })
    await until(async () => ((await canvasStats(page))?.coloured ?? 0) > atStart.coloured * 2, 5_000, 'tracks back at the last time')
  })

  await step('orbit changes the view; R and the reset button restore it', async () => {
    const home = await canvasStats(page)
    const box = await page.locator('[data-testid=viewer-canvas]').boundingBox()
    if (!box) throw new Error('no canvas box')
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 40, { steps: 5 })
    await page.mouse.up()
    await until(async () => (await canvasStats(page))?.hash !== home?.hash, 5_000, 'view changed after drag')
    await page.keyboard.press('r')
    await until(async () => (await canvasStats(page))?.hash === home?.hash, 5_000, 'view restored by R')
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
    await page.mouse.wheel(0, -400)
    await until(async () => (await canvasStats(page))?.hash !== home?.hash, 5_000, 'view changed after zoom')
    await page.click('[data-testid=reset-view]')
    await until(async () => (await canvasStats(page))?.hash === home?.hash, 5_000, 'view restored by the button')
  })

  await step('save PNG downloads a PNG of the canvas', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.click('[data-testid=save-png]')])
    const name = download.suggestedFilename()
    if (!name.endsWith('.png')) throw new Error(`file name ${name}`)
    const path = join(RESULTS_DIR, 'viewer-export.png')
    await download.saveAs(path)
    const { readFileSync } = await import('node:fs')
    const bytes = readFileSync(path)
    const head = bytes.subarray(0, 8).toString('hex')
    if (head !== '89504e470d0a1a0a') throw new Error(`not a PNG: ${head}`)
    // The PNG holds the picture (preserveDrawingBuffer), not a blank frame: decode it in the page.
    // The legend (HTML beside the canvas) is drawn into the PNG, top right.
    const png = await page.evaluate(async (b64) => {
      const img = new Image()
      img.src = `data:image/png;base64,${b64}`
      await img.decode()
      const cv = document.createElement('canvas')
      cv.width = img.width
      cv.height = img.height
      const ctx = /** @type {CanvasRenderingContext2D} */ (cv.getContext('2d'))
      ctx.drawImage(img, 0, 0)
      const d = ctx.getImageData(0, 0, img.width, img.height).data
      let coloured = 0
      let legend = 0
      for (let i = 0; i < d.length; i += 4) {
        if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) <= 40) continue
        coloured++
        const x = (i / 4) % img.width
        const y = Math.floor(i / 4 / img.width)
        if (x > img.width - 240 && y < 80) legend++
      }
      return { w: img.width, h: img.height, coloured, legend }
    }, bytes.toString('base64'))
    const live = await canvasStats(page)
    if (png.w !== live?.w || png.h !== live?.h) throw new Error(`PNG ${png.w}x${png.h}, canvas ${live?.w}x${live?.h}`)
    // Colour by time here: the legend's viridis bar is 160 x 10 px; the data are the canvas's.
    if (png.legend < 1200) throw new Error(`no legend bar in the PNG's top right: ${png.legend} coloured pixels there`)
    if (Math.abs(png.coloured - png.legend - live.coloured) > live.coloured * 0.1) throw new Error(`PNG has ${png.coloured} coloured pixels (${png.legend} in the legend), the canvas ${live.coloured}`)
  })

  await step('screenshot test-results/viewer.png', async () => {
    await page.selectOption('[data-testid=color-by]', 'label')
    await sleep(300)
    await page.screenshot({ path: join(RESULTS_DIR, 'viewer.png') })
  })

  await step('a tail of 5 steps at mid time shows short tracks with heads', async () => {
    const all = await canvasStats(page)
    await page.fill('[data-testid=tail-length]', '5')
    await page.$eval('[data-testid=time-slider]', (el) => {
      const s = /** @type {HTMLInputElement} */ (el)
      s.value = String(Math.floor(Number(s.max) / 2))
      s.dispatchEvent(new Event('input', { bubbles: true }))
    })
    await until(async () => {
      const s = await canvasStats(page)
      return s && all && s.coloured > 200 && s.coloured < all.coloured * 0.8 ? s : null
    }, 5_000, 'a shorter, non-empty picture')
    await page.screenshot({ path: join(RESULTS_DIR, 'viewer-tail.png') })
    await page.fill('[data-testid=tail-length]', '0')
    await page.$eval('[data-testid=time-slider]', (el) => {
      const s = /** @type {HTMLInputElement} */ (el)
      s.value = s.max
      s.dispatchEvent(new Event('input', { bubbles: true }))
    })
  })

  await step('time as the third axis re-renders 2-D tracks in 3-D', async () => {
    const flat = await canvasStats(page)
    await page.check('[data-testid=time-as-axis]')
    await until(async () => {
      const s = await canvasStats(page)
      return s && s.hash !== flat?.hash && s.coloured > 500
    }, 10_000, 'a new non-blank frame with time as z')
    await sleep(200)
    await page.screenshot({ path: join(RESULTS_DIR, 'viewer-time-axis.png') })
  })

  await step('snapshot clouds with a predicted overlay render', async () => {
    await open('?id=3&overlay=1')
    await until(async () => ((await canvasStats(page))?.coloured ?? 0) > 2000, 15_000, 'coloured pixels on the clouds canvas')
    await page.screenshot({ path: join(RESULTS_DIR, 'viewer-clouds.png') })
  })

  await step('choosing features for x/y/z changes the clouds of a 6-feature dataset', async () => {
    await open('?id=5')
    const base = await until(async () => {
      const s = await canvasStats(page)
      return s && s.coloured > 1000 ? s : null
    }, 15_000, 'coloured pixels on the 6-feature clouds')
    const names = await page.$$eval('[data-testid=axis-x] option', (os) => os.map((o) => o.textContent?.trim()))
    if (names.join(',') !== 'GENE1,GENE2,GENE3,GENE4,GENE5,GENE6') throw new Error(`x choices: ${names}`)
    await page.selectOption('[data-testid=axis-x]', { label: 'GENE4' })
    const swapped = await until(async () => {
      const s = await canvasStats(page)
      return s && s.hash !== base.hash && s.coloured > 1000 ? s : null
    }, 10_000, 'a new picture with GENE4 on x')
    await page.screenshot({ path: join(RESULTS_DIR, 'viewer-features.png') })
    await page.selectOption('[data-testid=axis-z]', { label: '(none)' })
    await until(async () => {
      const s = await canvasStats(page)
      return s && s.hash !== swapped.hash && s.coloured > 1000
    }, 10_000, 'a new (flat) picture with no z feature')
    await page.selectOption('[data-testid=axis-x]', { label: 'GENE1' })
    await page.selectOption('[data-testid=axis-z]', { label: 'GENE3' })
    await until(async () => (await canvasStats(page))?.hash === base.hash, 10_000, 'the first picture back with GENE1, GENE2, GENE3')
    const y = await page.$eval('[data-testid=axis-y]', (s) => /** @type {HTMLSelectElement} */ (s).selectedOptions[0].textContent)
    if (y !== 'GENE2') throw new Error(`y shows ${y}`)
  })

  await step('clouds: play shows one time point after another', async () => {
    const value = page.getByTestId('time-value')
    if ((await value.textContent())?.trim() !== 'all') throw new Error('expected all times at first')
    await page.selectOption('[data-testid=play-speed]', '8')
    await page.click('[data-testid=play]')
    const seen = new Set()
    await until(async () => {
      const t = (await value.textContent())?.trim()
      if (t && t !== 'all') seen.add(t)
      return seen.size >= 3
    }, 5_000, 'three time points while playing')
    await page.click('[data-testid=play]')
    if (![...seen].every((t) => / day$/.test(t))) throw new Error(`times: ${[...seen]}`)
  })

  await step('mounting and unmounting views 24 times releases their WebGL contexts', async () => {
    const before = consoleErrors.length
    const warnings = []
    const onConsole = (m) => {
      if (/too many active webgl contexts|context lost/i.test(m.text())) warnings.push(m.text())
    }
    page.on('console', onConsole)
    for (let i = 0; i < 24; i++) {
      await page.evaluate((id) => /** @type {any} */ (window).harnessShow(id), i % 2 ? 1 : 3)
      await page.waitForSelector('[data-testid=viewer][data-state=ready] [data-testid=viewer-canvas]', { timeout: 15_000 })
    }
    page.off('console', onConsole)
    const canvases = await page.$$eval('canvas', (cs) => cs.length)
    if (canvases !== 1) throw new Error(`${canvases} canvases left in the page`)
    await until(async () => ((await canvasStats(page))?.coloured ?? 0) > 500, 10_000, 'the last view still renders')
    if (warnings.length) throw new Error(`WebGL warnings: ${warnings.slice(0, 2).join(' | ')}`)
    if (consoleErrors.length > before) throw new Error(`console errors: ${consoleErrors.slice(before).join(' | ')}`)
  })

  await step('a failing load shows the error', async () => {
    await page.goto(`${url}?id=99`)
    const text = await page.locator('[data-testid=viewer-error]').textContent({ timeout: 10_000 })
    if (!text?.includes('no dataset 99')) throw new Error(`error text: ${text}`)
  })

  if (first) console.log(`canvas ${first.w}x${first.h}: ${first.coloured} coloured, ${first.nonWhite} non-white pixels`)
  await browser.close()
  return results
}

/** Starts Vite on the harness with an inline config (no file written); returns { url, close }. */
export async function startHarnessServer() {
  const { createServer } = await import('vite')
  const { svelte } = await import('@sveltejs/vite-plugin-svelte')
  const server = await createServer({
    configFile: false,
    root: join(ROOT, 'src-renderer'),
    resolve: { alias: { '@shared': join(ROOT, 'src-shared') } },
    plugins: [svelte({ configFile: join(ROOT, 'svelte.config.js') })],
    server: { host: '127.0.0.1', port: 0 },
    logLevel: 'warn',
  })
  await server.listen()
  const addr = server.httpServer?.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return { url: `http://127.0.0.1:${port}/views/harness.html`, close: () => server.close() }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const given = process.argv[2]
  const srv = given ? null : await startHarnessServer()
  const url = given ?? srv.url
  let failed = 0
  try {
    const results = await runViewerE2E({ url })
    for (const r of results) {
      console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.error ? `: ${r.error}` : ''}`)
      if (!r.ok) failed++
    }
    console.log(`${results.length - failed} passed, ${failed} failed`)
  } finally {
    await srv?.close()
  }
  process.exit(failed ? 1 : 0)
}
