/**
 * The trial library of WSINDy for cells (SPEC §4.2): evaluation of basis functions, of learned
 * forces, the 8-bit force-mode code, plain-text formulas, and the benchmark's true forces.
 */
import { invalidInput } from '@shared/errors'
import type { CellModel, ForceKind, Library, PairKernel } from './types'

export interface LibraryOptions {
  /** @default 'unit' (the reference code; see PairKernel) */
  kernel?: PairKernel
  /** Laguerre scale α; @default 2·ln(1/ε)/rMax ≈ 36 for rMax = 2 (e^{−α rMax/2} ≈ machine ε). */
  alpha?: number
  /** Largest radius the bases must cover (sets α when α is not given). @default 2 */
  rMax?: number
  /** Laguerre indices l = 0..arRadial−1. @default 18 */
  arRadial?: number
  /** Alignment decay exponents l (rate 2^l). @default [−2, …, 5] */
  alignExponents?: number[]
  /** Drag powers l = 0..dragPowers−1. @default 5 */
  dragPowers?: number
}

export function makeLibrary(o: LibraryOptions = {}): Library {
  const rMax = o.rMax ?? 2
  const alpha = o.alpha ?? (2 * Math.log(1 / Number.EPSILON)) / rMax
  const lib: Library = {
    kernel: o.kernel ?? 'unit',
    alpha,
    arModes: 3,
    arRadial: o.arRadial ?? 18,
    alignModes: 3,
    alignExponents: o.alignExponents ?? [-2, -1, 0, 1, 2, 3, 4, 5],
    dragModes: 2,
    dragPowers: o.dragPowers ?? 5,
  }
  if (lib.kernel !== 'displacement' && lib.kernel !== 'unit') throw invalidInput(`kernel: expected 'displacement' or 'unit', got ${String(lib.kernel)}`)
  if (!(alpha > 0)) throw invalidInput(`alpha: expected > 0, got ${alpha}`)
  if (!Number.isInteger(lib.arRadial) || lib.arRadial < 1) throw invalidInput(`arRadial: expected an integer ≥ 1, got ${lib.arRadial}`)
  if (!Number.isInteger(lib.dragPowers) || lib.dragPowers < 1) throw invalidInput(`dragPowers: expected an integer ≥ 1, got ${lib.dragPowers}`)
  if (!lib.alignExponents.length) throw invalidInput('alignExponents: expected at least one exponent, got none')
  return lib
}

/** Column ranges of the three forces. */
export function layout(lib: Library): { ar: number; align: number; drag: number; size: number } {
  const nAr = lib.arModes * lib.arRadial
  const nAl = lib.alignModes * lib.alignExponents.length
  const nDr = lib.dragModes * lib.dragPowers
  return { ar: 0, align: nAr, drag: nAr + nAl, size: nAr + nAl + nDr }
}

/** Force and angular mode of column j. */
export function columnInfo(lib: Library, j: number): { kind: ForceKind; mode: number; radial: number } {
  const L = layout(lib)
  if (j < L.align) return { kind: 'ar', mode: Math.floor(j / lib.arRadial), radial: j % lib.arRadial }
  if (j < L.drag) {
    const k = j - L.align, nl = lib.alignExponents.length
    return { kind: 'align', mode: Math.floor(k / nl), radial: lib.alignExponents[k % nl]! }
  }
  const k = j - L.drag
  return { kind: 'drag', mode: Math.floor(k / lib.dragPowers), radial: k % lib.dragPowers }
}

/** Laguerre-function values L_l(x) e^{−x/2}, l = 0..out.length−1 (three-term recurrence). */
export function laguerreFunctions(x: number, out: Float64Array): Float64Array {
  const e = Math.exp(-x / 2)
  let a = 1, b = 1 - x
  out[0] = e
  if (out.length > 1) out[1] = b * e
  for (let k = 1; k + 1 < out.length; k++) {
    const c = ((2 * k + 1 - x) * b - k * a) / (k + 1)
    a = b
    b = c
    out[k + 1] = c * e
  }
  return out
}

/**
 * Scalar value of a learned force at one argument: f_ar(r, θ) and f_align(r, θ) take the distance r,
 * f_drag(s, θ) the speed s; θ is the angle between the focal cell's heading and the neighbour.
 */
export function evaluateForce(lib: Library, w: ArrayLike<number>, kind: ForceKind, arg: number, theta: number): number {
  const L = layout(lib)
  let s = 0
  if (kind === 'ar') {
    const R = laguerreFunctions(lib.alpha * arg, new Float64Array(lib.arRadial))
    for (let n = 0; n < lib.arModes; n++) {
      const c = Math.cos(n * theta)
      for (let l = 0; l < lib.arRadial; l++) s += w[L.ar + n * lib.arRadial + l]! * c * R[l]!
    }
  } else if (kind === 'align') {
    const ne = lib.alignExponents.length
    for (let n = 0; n < lib.alignModes; n++) {
      const c = 1 + Math.cos(n * theta)
      for (let l = 0; l < ne; l++) s += w[L.align + n * ne + l]! * c * Math.exp(-Math.pow(2, lib.alignExponents[l]!) * arg)
    }
  } else {
    for (let n = 0; n < lib.dragModes; n++) {
      const c = 1 + Math.cos(n * theta)
      for (let l = 0; l < lib.dragPowers; l++) s += w[L.drag + n * lib.dragPowers + l]! * c * Math.pow(arg, l)
    }
  }
  return s
}

/**
 * The 8-bit force-mode code: bit (7 − k) is set when any coefficient of group k is non-zero, groups
 * k = 0..7 being ar n = 0, 1, 2; align n = 0, 1, 2; drag n = 0, 1 (paper §3 (b)). Read left to right
 * as a binary string, e.g. species A of the benchmark is "10101010" (ar cos0 + cos2θ, align 1 + cos θ,
 * drag |v|).
 */
export function modeCode(lib: Library, w: ArrayLike<number>): number {
  let code = 0
  for (let j = 0; j < w.length; j++) {
    if (w[j] === 0) continue
    const { kind, mode } = columnInfo(lib, j)
    const group = kind === 'ar' ? mode : kind === 'align' ? 3 + mode : 6 + mode
    code |= 1 << (7 - group)
  }
  return code
}

export const codeString = (code: number): string => code.toString(2).padStart(8, '0')

/** Which forces a mode code switches on. */
export function codeForces(code: number): { ar: boolean; align: boolean; drag: boolean } {
  return { ar: (code & 0b11100000) !== 0, align: (code & 0b00011100) !== 0, drag: (code & 0b00000011) !== 0 }
}

const fmt = (x: number) => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(3))

/** Plain-text formulas of the three learned forces ("0" for a force that is switched off). */
export function formulas(lib: Library, w: ArrayLike<number>): { ar: string; align: string; drag: string } {
  const terms: Record<ForceKind, string[]> = { ar: [], align: [], drag: [] }
  for (let j = 0; j < w.length; j++) {
    const c = w[j]!
    if (c === 0) continue
    const { kind, mode, radial } = columnInfo(lib, j)
    const ang = kind === 'ar' ? (mode === 0 ? '' : ` cos(${mode === 1 ? '' : mode}θ)`) : mode === 0 ? ' 2' : ` (1 + cos(${mode === 1 ? '' : mode}θ))`
    const rad =
      kind === 'ar'
        ? ` L_${radial}(${fmt(lib.alpha)} r) exp(−${fmt(lib.alpha / 2)} r)`
        : kind === 'align'
          ? ` exp(−${fmt(Math.pow(2, radial))} r)`
          : radial === 0
            ? ''
            : radial === 1
              ? ' |v|'
              : ` |v|^${radial}`
    terms[kind].push(`${fmt(c)}${ang}${rad}`)
  }
  const join = (t: string[]) => (t.length ? t.join(' + ').replace(/\+ -/g, '− ') : '0')
  const kernel = lib.kernel === 'unit' ? '(x_i − x_j)/r_ij' : '(x_i − x_j)'
  return {
    ar: `f_ar(r, θ) = ${join(terms.ar)}   [acts along ${kernel}; positive = repulsion]`,
    align: `f_align(r, θ) = ${join(terms.align)}   [acts on (v_i − v_j)]`,
    drag: `f_drag(|v|, θ) = ${join(terms.drag)}   [acts on v_i]`,
  }
}

/** The benchmark's true forces (paper §4; SPEC §4.2). */
export const TRUE_FORCES = {
  ar: (r: number, theta: number) => (15 + 10 * Math.cos(2 * theta)) * (Math.exp(-20 * r) - 0.25 * Math.exp(-10 * r)),
  align: (r: number, theta: number) => -(8 + 8 * Math.cos(theta)) * Math.exp(-8 * r),
  drag: (s: number) => -5 * s,
  text: {
    ar: 'f_ar*(r, θ) = (15 + 10 cos 2θ)(e^{−20r} − 0.25 e^{−10r})',
    align: 'f_align*(r, θ) = −(8 + 8 cos θ) e^{−8r}',
    drag: 'f_drag*(s) = −5 s',
  },
} as const

/** The benchmark species: which forces act on a focal cell of each species. */
export const SPECIES_FORCES = {
  A: { ar: true, align: true, drag: true },
  B: { ar: true, align: false, drag: true },
  C: { ar: false, align: true, drag: true },
} as const
export type BenchmarkSpecies = keyof typeof SPECIES_FORCES

export interface ForceErrorOptions {
  /** Radii r ∈ [0, rMax] on `radii` points. @default 2, 201 */
  rMax?: number
  radii?: number
  /** Speeds s ∈ [0, sMax] for drag. @default 0.2 */
  sMax?: number
  /** @default [0, π/4, π/2, 3π/4, π] */
  angles?: number[]
}

/**
 * Relative L2 error Δf = ‖f̂ − f*‖/‖f*‖ of a learned force against a reference over the grid
 * r ∈ [0, rMax] (speed s ∈ [0, sMax] for drag) × θ ∈ angles (paper Tables 2–4). When the
 * reference is identically zero, the learned force's own norm is returned.
 */
export function relativeForceError(
  lib: Library,
  w: ArrayLike<number>,
  kind: ForceKind,
  reference: (arg: number, theta: number) => number,
  o: ForceErrorOptions = {},
): number {
  const angles = o.angles ?? [0, Math.PI / 4, Math.PI / 2, (3 * Math.PI) / 4, Math.PI]
  const K = o.radii ?? 201
  const top = kind === 'drag' ? o.sMax ?? 0.2 : o.rMax ?? 2
  let num = 0, den = 0
  for (const th of angles) {
    for (let k = 0; k < K; k++) {
      const a = (top * k) / (K - 1)
      const f = evaluateForce(lib, w, kind, a, th), g = reference(a, th)
      num += (f - g) ** 2
      den += g * g
    }
  }
  return den > 0 ? Math.sqrt(num / den) : Math.sqrt(num / (angles.length * K))
}

/**
 * Symmetric relative L2 distance between two learned forces of the same kind on the grid of
 * {@link relativeForceError}: ‖f₁ − f₂‖ / max(‖f₁‖, ‖f₂‖) (0 when both vanish).
 */
export function forceDistance(lib: Library, w1: ArrayLike<number>, w2: ArrayLike<number>, kind: ForceKind, o: ForceErrorOptions = {}): number {
  const angles = o.angles ?? [0, Math.PI / 4, Math.PI / 2, (3 * Math.PI) / 4, Math.PI]
  const K = o.radii ?? 201
  const top = kind === 'drag' ? o.sMax ?? 0.2 : o.rMax ?? 2
  let d = 0, n1 = 0, n2 = 0
  for (const th of angles) {
    for (let k = 0; k < K; k++) {
      const a = (top * k) / (K - 1)
      const f = evaluateForce(lib, w1, kind, a, th), g = evaluateForce(lib, w2, kind, a, th)
      d += (f - g) ** 2
      n1 += f * f
      n2 += g * g
    }
  }
  const den = Math.max(n1, n2)
  return den > 0 ? Math.sqrt(d / den) : 0
}

export function modelSummary(lib: Library, m: Pick<CellModel, 'w' | 'code'>): { code: string; formulas: ReturnType<typeof formulas> } {
  return { code: codeString(m.code), formulas: formulas(lib, m.w) }
}
