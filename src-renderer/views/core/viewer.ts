/**
 * Viewer3D: the WebGL scene shared by the tracks and clouds views. Framework-free; the Svelte
 * wrappers create one per canvas and call `dispose()` when they unmount.
 *
 * - Render on demand: nothing draws until `invalidate()` (controls, resize and content changes
 *   call it); no permanent animation loop.
 * - `preserveDrawingBuffer` so `toPNG()` (canvas.toDataURL) and pixel reads see the last frame.
 * - OrbitControls: left drag orbits, right drag / shift-drag pans, wheel zooms; 'R' resets the
 *   view to fit the data (also `resetView()` for a button).
 */
import * as THREE from 'three'
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js'
import { buildAxisBox, disposeObject } from './axisBox'
import type { Layout } from './buffers'
import { layoutBounds } from './buffers'
import { fitCamera } from './camera'
import { FrameScheduler } from './scheduler'

export interface ViewerOptions {
  /** Background colour. @default 0xffffff (white, for figures) */
  background?: number
  /** Vertical field of view, degrees. @default 40 */
  fov?: number
  /**
   * Multisample anti-aliasing. Costs about half the frame time of a 10^5-point cloud in software
   * GL (bench/views.ts); point sprites smooth their own edges in the shader, so large clouds can
   * go without. @default true
   */
  antialias?: boolean
}

/** The viewer drawing on each canvas (for diagnostics and the frame-time benchmark). */
const viewers = new WeakMap<HTMLCanvasElement, Viewer3D>()

/** The live Viewer3D on `canvas`, if any. */
export function viewerFor(canvas: HTMLCanvasElement): Viewer3D | undefined {
  return viewers.get(canvas)
}

export class Viewer3D {
  readonly renderer: THREE.WebGLRenderer
  readonly scene = new THREE.Scene()
  readonly camera: THREE.PerspectiveCamera
  private controls: OrbitControls
  private readonly scheduler: FrameScheduler
  private readonly resizeObserver: ResizeObserver | null
  private axisBox: THREE.Group | null = null
  private layout: Layout | null = null
  private readonly onKey = (e: KeyboardEvent) => {
    if ((e.key === 'r' || e.key === 'R') && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault()
      this.resetView()
    }
  }
  private readonly onPointerDown = () => this.canvas.focus({ preventScroll: true })
  private readonly onChange = () => this.invalidate()

  constructor(
    readonly canvas: HTMLCanvasElement,
    opts: ViewerOptions = {},
  ) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: opts.antialias ?? true, preserveDrawingBuffer: true })
    this.renderer.setPixelRatio(Math.min(2, globalThis.devicePixelRatio || 1))
    this.renderer.setClearColor(opts.background ?? 0xffffff, 1)
    this.camera = new THREE.PerspectiveCamera(opts.fov ?? 40, 1, 0.01, 1000)
    this.controls = this.makeControls()
    this.scheduler = new FrameScheduler(() => this.renderer.render(this.scene, this.camera))
    canvas.tabIndex = 0
    canvas.addEventListener('keydown', this.onKey)
    canvas.addEventListener('pointerdown', this.onPointerDown)
    this.resizeObserver = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => this.resize())
    this.resizeObserver?.observe(canvas)
    this.resize()
    viewers.set(canvas, this)
  }

  private makeControls(): OrbitControls {
    const c = new OrbitControls(this.camera, this.canvas)
    c.enableDamping = false // damping needs a render loop; on-demand rendering has none
    c.screenSpacePanning = true
    c.addEventListener('change', this.onChange)
    return c
  }

  get pixelRatio(): number {
    return this.renderer.getPixelRatio()
  }

  /** Frames drawn so far. */
  get frames(): number {
    return this.scheduler.frames
  }

  invalidate(): void {
    this.scheduler.invalidate()
  }

  /** Matches the drawing buffer to the canvas's CSS size. */
  resize(): void {
    const w = Math.max(1, this.canvas.clientWidth)
    const h = Math.max(1, this.canvas.clientHeight)
    const size = this.renderer.getSize(new THREE.Vector2())
    if (size.x !== w || size.y !== h) {
      this.renderer.setSize(w, h, false)
      this.camera.aspect = w / h
      this.camera.updateProjectionMatrix()
    }
    this.invalidate()
  }

  /**
   * Sets the world frame: rebuilds the axis box and, when `refit` (default) or the first time,
   * fits the camera to it.
   */
  setLayout(layout: Layout, refit = true): void {
    const first = this.layout === null
    const flatChanged = this.layout !== null && this.layout.flat !== layout.flat
    this.layout = layout
    if (this.axisBox) {
      this.scene.remove(this.axisBox)
      disposeObject(this.axisBox)
    }
    this.axisBox = buildAxisBox(layout)
    this.scene.add(this.axisBox)
    if (first || refit || flatChanged) this.resetView()
    this.invalidate()
  }

  add(o: THREE.Object3D): void {
    this.scene.add(o)
    this.invalidate()
  }

  remove(o: THREE.Object3D): void {
    this.scene.remove(o)
    this.invalidate()
  }

  /** Camera back to the fitted view of the current layout's box. */
  resetView(): void {
    if (!this.layout) return
    const fit = fitCamera(layoutBounds(this.layout), this.camera.fov, this.camera.aspect, this.layout.flat)
    const upChanged = !this.camera.up.equals(new THREE.Vector3(...fit.up))
    this.camera.up.set(...fit.up)
    this.camera.position.set(...fit.position)
    this.camera.near = fit.near
    this.camera.far = fit.far
    this.camera.updateProjectionMatrix()
    if (upChanged) {
      // OrbitControls reads camera.up once, when it is made.
      this.controls.removeEventListener('change', this.onChange)
      this.controls.dispose()
      this.controls = this.makeControls()
    }
    this.controls.target.set(...fit.target)
    // Let the user zoom out well past the fit without the far plane clipping the data.
    this.controls.maxDistance = fit.distance * 20
    this.camera.far = fit.far + fit.distance * 20
    this.camera.updateProjectionMatrix()
    this.controls.update()
    this.invalidate()
  }

  /**
   * The camera's projection × view matrix (column-major, 16 numbers) for screen-space picking
   * (core/pick.ts), with the canvas's CSS size.
   */
  viewProjection(): { matrix: number[]; width: number; height: number } {
    this.camera.updateMatrixWorld()
    const m = new THREE.Matrix4().multiplyMatrices(this.camera.projectionMatrix, this.camera.matrixWorldInverse)
    return { matrix: m.elements.slice(), width: Math.max(1, this.canvas.clientWidth), height: Math.max(1, this.canvas.clientHeight) }
  }

  /**
   * The current frame as a PNG data URL (renders first so the image is up to date). With
   * `decorate`, the frame is copied to a 2-D canvas of the same size that `decorate` may draw on
   * (e.g. the legend, core/figure.ts) before encoding.
   */
  toPNG(decorate?: (ctx: CanvasRenderingContext2D, width: number, height: number, pixelRatio: number) => void): string {
    this.scheduler.flush()
    if (!decorate) return this.canvas.toDataURL('image/png')
    const copy = document.createElement('canvas')
    copy.width = this.canvas.width
    copy.height = this.canvas.height
    const ctx = copy.getContext('2d')
    if (!ctx) return this.canvas.toDataURL('image/png')
    ctx.drawImage(this.canvas, 0, 0)
    decorate(ctx, copy.width, copy.height, this.pixelRatio)
    return copy.toDataURL('image/png')
  }

  /** Frees the renderer, the axis box and listeners. Layers are disposed by their owners. */
  dispose(): void {
    if (viewers.get(this.canvas) === this) viewers.delete(this.canvas)
    this.scheduler.dispose()
    this.resizeObserver?.disconnect()
    this.canvas.removeEventListener('keydown', this.onKey)
    this.canvas.removeEventListener('pointerdown', this.onPointerDown)
    this.controls.removeEventListener('change', this.onChange)
    this.controls.dispose()
    if (this.axisBox) disposeObject(this.axisBox)
    this.axisBox = null
    this.renderer.dispose()
    // Release the WebGL context now rather than at GC: browsers cap live contexts (16 in
    // Chromium) and drop the oldest, so views opened and closed in a session would go blank.
    this.renderer.forceContextLoss()
  }
}

/** Triggers a download of a data URL (PNG export). */
export function downloadDataUrl(dataUrl: string, filename: string): void {
  const a = document.createElement('a')
  a.href = dataUrl
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
}
