/**
 * Axis box: the edges of the layout's box, tick marks and tick labels in the data's units
 * (e.g. "x (µm)"), built from the pure tick helpers. Labels are canvas-texture sprites made in
 * code (no assets); `makeText` is injectable so the geometry part can be built in Node tests.
 */
import * as THREE from 'three'
import type { Layout } from './buffers'
import { toWorld } from './buffers'
import { axisTitle, formatTick, niceTicks } from './ticks'

export type TextFactory = (text: string, height: number, opts?: { bold?: boolean }) => THREE.Object3D

/** A sprite whose texture is the text drawn on a 2-D canvas; `height` in world units. */
export const canvasText: TextFactory = (text, height, opts) => {
  const px = 48
  const canvas = document.createElement('canvas')
  const ctx = canvas.getContext('2d')
  if (!ctx) throw new Error('2-D canvas unavailable for axis labels')
  const font = `${opts?.bold ? '600 ' : ''}${px}px system-ui, sans-serif`
  ctx.font = font
  const w = Math.ceil(ctx.measureText(text).width) + 8
  canvas.width = w
  canvas.height = px + 12
  ctx.font = font
  ctx.fillStyle = '#333'
  ctx.textBaseline = 'middle'
  ctx.fillText(text, 4, canvas.height / 2)
  const tex = new THREE.CanvasTexture(canvas)
  tex.colorSpace = THREE.SRGBColorSpace
  tex.minFilter = THREE.LinearFilter
  const mat = new THREE.SpriteMaterial({ map: tex, transparent: true, depthWrite: false })
  const sprite = new THREE.Sprite(mat)
  sprite.scale.set((height * canvas.width) / canvas.height, height, 1)
  return sprite
}

/**
 * Builds the box. Ticks go on three visible edges (for the default front-right view): x along
 * the front-bottom edge, y along the right-bottom edge, z up the front-left edge.
 */
export function buildAxisBox(layout: Layout, makeText: TextFactory = canvasText): THREE.Group {
  const g = new THREE.Group()
  g.name = 'axis-box'
  const [X, Y, Z] = layout.axes
  const x0 = X.worldMin, x1 = X.worldMax, y0 = Y.worldMin, y1 = Y.worldMax, z0 = Z.worldMin, z1 = Z.worldMax
  const size = Math.max(x1 - x0, y1 - y0, z1 - z0) || 1
  const tick = size * 0.02
  const textH = size * 0.045
  const edges: number[] = []
  const seg = (a: number[], b: number[]) => edges.push(...a, ...b)
  // Bottom rectangle, and for 3-D the top rectangle and the verticals.
  const rect = (z: number) => {
    seg([x0, y0, z], [x1, y0, z]); seg([x1, y0, z], [x1, y1, z]); seg([x1, y1, z], [x0, y1, z]); seg([x0, y1, z], [x0, y0, z])
  }
  rect(z0)
  if (!layout.flat) {
    rect(z1)
    for (const [x, y] of [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]) seg([x, y, z0], [x, y, z1])
  }
  const labels: { text: string; at: number[]; bold?: boolean }[] = []
  const axisTicks = (a: 0 | 1 | 2) => {
    const ax = layout.axes[a]
    if (ax.dataMax === ax.dataMin && ax.worldMax === ax.worldMin) return
    for (const v of niceTicks(ax.dataMin, ax.dataMax, 5)) {
      const w = toWorld(ax, v)
      if (a === 0) { seg([w, y0, z0], [w, y0 - tick, z0]); labels.push({ text: formatTick(v), at: [w, y0 - 3 * tick, z0] }) }
      if (a === 1) { seg([x1, w, z0], [x1 + tick, w, z0]); labels.push({ text: formatTick(v), at: [x1 + 3.5 * tick, w, z0] }) }
      if (a === 2) { seg([x0, y0, w], [x0 - tick, y0 - tick, w]); labels.push({ text: formatTick(v), at: [x0 - 3 * tick, y0 - 3 * tick, w] }) }
    }
    const mid = (ax.worldMin + ax.worldMax) / 2
    const title = axisTitle(ax.name, ax.unit)
    if (a === 0) labels.push({ text: title, at: [mid, y0 - 7 * tick, z0], bold: true })
    if (a === 1) labels.push({ text: title, at: [x1 + 12 * tick, mid, z0], bold: true })
    if (a === 2) labels.push({ text: title, at: [x0 - 7 * tick, y0 - 7 * tick, mid], bold: true })
  }
  axisTicks(0)
  axisTicks(1)
  if (!layout.flat) axisTicks(2)
  const geom = new THREE.BufferGeometry()
  geom.setAttribute('position', new THREE.Float32BufferAttribute(edges, 3))
  const lines = new THREE.LineSegments(geom, new THREE.LineBasicMaterial({ color: 0x888888 }))
  lines.name = 'axis-lines'
  g.add(lines)
  for (const l of labels) {
    const t = makeText(l.text, l.bold ? textH * 1.1 : textH, { bold: l.bold })
    t.position.set(l.at[0], l.at[1], l.at[2])
    g.add(t)
  }
  return g
}

/** Disposes every geometry, material and texture under `root`. */
export function disposeObject(root: THREE.Object3D): void {
  root.traverse((o) => {
    const m = o as THREE.Mesh
    if (m.geometry) m.geometry.dispose()
    const mats = m.material ? (Array.isArray(m.material) ? m.material : [m.material]) : []
    for (const mat of mats) {
      for (const v of Object.values(mat)) if (v instanceof THREE.Texture) v.dispose()
      mat.dispose()
    }
  })
}
