/**
 * The drawable layers: all tracks as ONE LineSegments geometry (plus head markers), a snapshot cloud as ONE Points
 * geometry. They own their GPU resources and free them in `dispose()` (three's `dispose` event
 * fires on each geometry and material, which the tests listen for). Time windows are draw
 * ranges over buffers sorted by time, so moving the slider uploads nothing.
 */
import * as THREE from 'three'
import type { CloudBuffers, TrackBuffers } from './buffers'
import { cloudRangeForTimes, countingOrder, rankRange } from './buffers'

export type Marker = 'disc' | 'ring'

const POINT_VERTEX = /* glsl */ `
attribute vec3 rgb;
uniform float size;
varying vec3 vColor;
void main() {
  vColor = rgb;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
  gl_PointSize = size;
}`

// Round sprites without a texture: cut the square point to a disc (or a ring) in the shader,
// with a soft rim so overlapping points stay distinguishable.
// Colours arrive linear (like LineBasicMaterial's); colorspace_fragment converts to the output space.
const POINT_FRAGMENT = /* glsl */ `
uniform float opacity;
uniform float ring;
varying vec3 vColor;
void main() {
  vec2 p = gl_PointCoord * 2.0 - 1.0;
  float r = length(p);
  if (r > 1.0) discard;
  float a = 1.0 - smoothstep(0.8, 1.0, r);
  if (ring > 0.5) {
    if (r < 0.5) discard;
    a *= smoothstep(0.5, 0.62, r);
  }
  vec3 c = mix(vColor, vColor * 0.55, smoothstep(0.7, 0.95, r) * (1.0 - ring));
  gl_FragColor = vec4(c, a * opacity);
  #include <colorspace_fragment>
}`

/** The round-sprite point material (disc or ring), size in CSS px times the pixel ratio. */
export function pointMaterial(style: CloudStyle, pixelRatio = 1): THREE.ShaderMaterial {
  return new THREE.ShaderMaterial({
    uniforms: {
      size: { value: (style.size ?? 6) * pixelRatio },
      opacity: { value: style.opacity ?? 1 },
      ring: { value: style.marker === 'ring' ? 1 : 0 },
    },
    vertexShader: POINT_VERTEX,
    fragmentShader: POINT_FRAGMENT,
    transparent: true,
    depthWrite: style.marker !== 'ring',
  })
}

export interface CloudStyle {
  /** Point diameter in CSS pixels (no size attenuation). @default 6 */
  size?: number
  /** @default 'disc' */
  marker?: Marker
  /** @default 1 */
  opacity?: number
}

export class CloudsLayer {
  readonly object: THREE.Points
  readonly geometry: THREE.BufferGeometry
  readonly material: THREE.ShaderMaterial

  constructor(private readonly buffers: CloudBuffers, style: CloudStyle = {}, pixelRatio = 1) {
    this.geometry = new THREE.BufferGeometry()
    this.geometry.setAttribute('position', new THREE.BufferAttribute(buffers.positions, 3))
    this.geometry.setAttribute('rgb', new THREE.BufferAttribute(buffers.colors, 3))
    this.material = pointMaterial(style, pixelRatio)
    this.object = new THREE.Points(this.geometry, this.material)
    this.object.name = style.marker === 'ring' ? 'cloud-overlay' : 'cloud'
    this.object.frustumCulled = false
  }

  setColors(colors: Float32Array): void {
    if (colors.length !== this.buffers.positions.length) throw new Error(`expected ${this.buffers.positions.length} colour values, got ${colors.length}`)
    this.geometry.setAttribute('rgb', new THREE.BufferAttribute(colors, 3))
  }

  setPointSize(cssPx: number, pixelRatio = 1): void {
    this.material.uniforms.size.value = cssPx * pixelRatio
  }

  /** Shows the points whose time lies in [tFrom, tTo] (data units); returns how many. */
  setTimes(tFrom: number, tTo: number): number {
    const { start, count } = cloudRangeForTimes(this.buffers, tFrom, tTo)
    this.geometry.setDrawRange(start, count)
    return count
  }

  dispose(): void {
    this.geometry.dispose()
    this.material.dispose()
  }
}

/**
 * All tracks as one LineSegments geometry, plus a Points "head" marker at each track's position
 * at the current time. Heads share the line geometry's position and colour buffers (uploaded
 * once); their own index lists vertices sorted by time, so the current time is a draw range.
 */
export class TracksLayer {
  readonly object: THREE.Group
  readonly lines: THREE.LineSegments
  readonly geometry: THREE.BufferGeometry
  readonly material: THREE.LineBasicMaterial
  readonly heads: THREE.Points
  readonly headGeometry: THREE.BufferGeometry
  readonly headMaterial: THREE.ShaderMaterial
  private readonly headOffsets: Uint32Array

  constructor(
    private readonly buffers: TrackBuffers,
    opts: { headSize?: number; pixelRatio?: number } = {},
  ) {
    const position = new THREE.BufferAttribute(buffers.positions, 3)
    const color = new THREE.BufferAttribute(buffers.colors, 3)
    this.geometry = new THREE.BufferGeometry()
    this.geometry.setAttribute('position', position)
    this.geometry.setAttribute('color', color)
    this.geometry.setIndex(new THREE.BufferAttribute(buffers.segments.index, 1))
    this.material = new THREE.LineBasicMaterial({ vertexColors: true })
    this.lines = new THREE.LineSegments(this.geometry, this.material)
    this.lines.name = 'tracks'
    // The box is known from the layout; skip three's O(n) bounding-sphere pass.
    this.lines.frustumCulled = false

    const byRank = countingOrder(buffers.time.rank, buffers.time.times.length)
    this.headOffsets = byRank.offsets
    this.headGeometry = new THREE.BufferGeometry()
    this.headGeometry.setAttribute('position', position)
    this.headGeometry.setAttribute('rgb', color)
    this.headGeometry.setIndex(new THREE.BufferAttribute(byRank.order, 1))
    this.headGeometry.setDrawRange(0, 0)
    this.headMaterial = pointMaterial({ size: opts.headSize ?? 5, marker: 'disc' }, opts.pixelRatio ?? 1)
    this.heads = new THREE.Points(this.headGeometry, this.headMaterial)
    this.heads.name = 'track-heads'
    this.heads.frustumCulled = false

    this.object = new THREE.Group()
    this.object.add(this.lines, this.heads)
  }

  /** Number of segments in the whole geometry. */
  get segmentCount(): number {
    return this.buffers.segments.segRank.length
  }

  /** Replaces the per-vertex colours ([n, 3] linear RGB, same vertex order). */
  setColors(colors: Float32Array): void {
    if (colors.length !== this.buffers.positions.length) throw new Error(`expected ${this.buffers.positions.length} colour values, got ${colors.length}`)
    const color = new THREE.BufferAttribute(colors, 3)
    this.geometry.setAttribute('color', color)
    this.headGeometry.setAttribute('rgb', color)
  }

  /**
   * Shows the segments whose later end has a time rank in [lo, hi] and, when `heads`, a marker
   * on every point at rank `hi`; returns the number of segments shown.
   */
  setRankWindow(lo: number, hi: number, heads = true): number {
    const { start, count } = rankRange(this.buffers.segments.segRank, lo, hi)
    this.geometry.setDrawRange(2 * start, 2 * count)
    const r = Math.min(Math.max(hi, 0), this.headOffsets.length - 2)
    if (heads && r >= 0) this.headGeometry.setDrawRange(this.headOffsets[r], this.headOffsets[r + 1] - this.headOffsets[r])
    else this.headGeometry.setDrawRange(0, 0)
    return count
  }

  dispose(): void {
    this.geometry.dispose()
    this.material.dispose()
    this.headGeometry.dispose()
    this.headMaterial.dispose()
  }
}
