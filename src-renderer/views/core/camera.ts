/**
 * Camera fitting as a pure function: where to put a perspective camera so the whole of `bounds`
 * is in view. The bounding sphere must fit both the vertical and the horizontal field of view.
 */
import type { Bounds } from './buffers'

export interface CameraFit {
  position: [number, number, number]
  target: [number, number, number]
  up: [number, number, number]
  near: number
  far: number
  /** Distance from target to camera. */
  distance: number
}

/**
 * @param bounds world bounds of what must be visible
 * @param fovDeg vertical field of view in degrees
 * @param aspect width / height of the canvas
 * @param flat 2-D data in the x-y plane: look straight down the z axis @default false
 * @param margin extra room around the sphere (1 = tight) @default 1.15
 */
export function fitCamera(bounds: Bounds, fovDeg: number, aspect: number, flat = false, margin = 1.15): CameraFit {
  const target: [number, number, number] = [0, 1, 2].map((a) => (bounds.min[a] + bounds.max[a]) / 2) as [number, number, number]
  const dx = bounds.max[0] - bounds.min[0]
  const dy = bounds.max[1] - bounds.min[1]
  const dz = bounds.max[2] - bounds.min[2]
  let radius = Math.sqrt(dx * dx + dy * dy + dz * dz) / 2
  if (!(radius > 0)) radius = 1
  const vHalf = (fovDeg * Math.PI) / 360
  const hHalf = Math.atan(Math.tan(vHalf) * Math.max(aspect, 1e-6))
  const distance = (margin * radius) / Math.sin(Math.min(vHalf, hHalf))
  // 3-D: a three-quarter view from the front right, z up (the time axis rises).
  const dir = flat ? [0, 0, 1] : normalize([1, -1.4, 0.9])
  const position: [number, number, number] = [target[0] + dir[0] * distance, target[1] + dir[1] * distance, target[2] + dir[2] * distance]
  const up: [number, number, number] = flat ? [0, 1, 0] : [0, 0, 1]
  return { position, target, up, near: Math.max(distance - 2 * radius * margin, distance / 1000), far: distance + 4 * radius * margin, distance }
}

function normalize(v: number[]): number[] {
  const l = Math.hypot(...v)
  return v.map((x) => x / l)
}

/** True when the bounding sphere of `bounds` lies inside the camera's view cone (for tests). */
export function sphereInView(fit: CameraFit, bounds: Bounds, fovDeg: number, aspect: number): boolean {
  const c = [0, 1, 2].map((a) => (bounds.min[a] + bounds.max[a]) / 2)
  const r = Math.hypot(bounds.max[0] - bounds.min[0], bounds.max[1] - bounds.min[1], bounds.max[2] - bounds.min[2]) / 2
  const d = Math.hypot(c[0] - fit.position[0], c[1] - fit.position[1], c[2] - fit.position[2])
  const vHalf = (fovDeg * Math.PI) / 360
  const hHalf = Math.atan(Math.tan(vHalf) * aspect)
  return r <= d * Math.sin(Math.min(vHalf, hHalf)) + 1e-9 && fit.near <= d - r && fit.far >= d + r
}
