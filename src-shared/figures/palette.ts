/**
 * Colour maps shared by the 3-D views (src-renderer/views/core) and the 2-D figures (SVG, app and
 * report), as pure functions returning RGB in [0, 1].
 *
 * Categorical (species, labels, tracks): Okabe–Ito first (colour-blind safe, Okabe & Ito 2008,
 * https://jfly.uni-koeln.de/color/), black moved last so that it reads as "the eighth group",
 * then matplotlib's tab20. Indices past the end wrap around: with 10^5 tracks, neighbouring
 * track ids still get different colours, which is what "colour by track" is for.
 *
 * Sequential (time): viridis (van der Walt & Smith, matplotlib), sampled at 11 stops and
 * interpolated linearly — perceptually uniform and readable in grey scale.
 */

export type RGB = readonly [number, number, number]

function hex(h: string): RGB {
  const v = Number.parseInt(h.slice(1), 16)
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255]
}

/** Okabe–Ito, with black last. */
export const OKABE_ITO: readonly RGB[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'].map(hex)

/** matplotlib tab20 (pairs of dark/light). */
export const TAB20: readonly RGB[] = [
  '#1f77b4', '#aec7e8', '#ff7f0e', '#ffbb78', '#2ca02c', '#98df8a', '#d62728', '#ff9896', '#9467bd', '#c5b0d5',
  '#8c564b', '#c49c94', '#e377c2', '#f7b6d2', '#7f7f7f', '#c7c7c7', '#bcbd22', '#dbdb8d', '#17becf', '#9edae5',
].map(hex)

/** The categorical palette: Okabe–Ito (8) then tab20 (20), 28 colours. */
export const CATEGORICAL: readonly RGB[] = [...OKABE_ITO, ...TAB20]

/** Colour of category `i` (any integer; negatives and out-of-range wrap). Grey for NaN. */
export function categorical(i: number): RGB {
  if (!Number.isFinite(i)) return [0.6, 0.6, 0.6]
  const n = CATEGORICAL.length
  return CATEGORICAL[((Math.trunc(i) % n) + n) % n]
}

const VIRIDIS_STOPS: readonly RGB[] = ['#440154', '#482475', '#414487', '#355f8d', '#2a788e', '#21918c', '#22a884', '#44bf70', '#7ad151', '#bddf26', '#fde725'].map(hex)

/** Viridis at `t` in [0, 1] (clamped; NaN gives the low end). */
export function viridis(t: number): RGB {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0
  const s = x * (VIRIDIS_STOPS.length - 1)
  const i = Math.min(VIRIDIS_STOPS.length - 2, Math.floor(s))
  const f = s - i
  const a = VIRIDIS_STOPS[i]
  const b = VIRIDIS_STOPS[i + 1]
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]
}

/** CSS `rgb(...)` string of an RGB triple, for legends. */
export function toCss(c: RGB): string {
  return `rgb(${Math.round(c[0] * 255)}, ${Math.round(c[1] * 255)}, ${Math.round(c[2] * 255)})`
}

/**
 * sRGB (what the palettes and CSS use) to linear RGB (what three.js expects in vertex colours
 * with its default colour management; the renderer converts back to sRGB on output).
 */
export function srgbToLinear(c: RGB): RGB {
  const f = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
  return [f(c[0]), f(c[1]), f(c[2])]
}

/** `#rrggbb` of an RGB triple (SVG fill/stroke). */
export function toHex(c: RGB): string {
  return '#' + c.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255).toString(16).padStart(2, '0')).join('')
}

/** Hex colour of category `i` in the shared categorical palette (same as the 3-D views). */
export function categoricalHex(i: number): string {
  return toHex(categorical(i))
}
