import { describe, expect, it } from 'vitest'
import { CATEGORICAL, OKABE_ITO, categorical, srgbToLinear, toCss, viridis } from '../../../src-renderer/views/core/colormaps'

const key = (c: readonly number[]) => c.map((v) => Math.round(v * 255)).join(',')

describe('categorical palette', () => {
  it('starts with Okabe–Ito and has 28 distinct colours', () => {
    expect(categorical(0)).toEqual(OKABE_ITO[0])
    expect(toCss(categorical(0))).toBe('rgb(0, 114, 178)') // Okabe–Ito blue
    expect(toCss(categorical(1))).toBe('rgb(213, 94, 0)') // vermillion
    expect(new Set(CATEGORICAL.map(key)).size).toBe(28)
  })

  it('is deterministic and wraps around (also for negatives)', () => {
    expect(categorical(5)).toEqual(categorical(5))
    expect(categorical(28)).toEqual(categorical(0))
    expect(categorical(-1)).toEqual(categorical(27))
    expect(categorical(Number.NaN)).toEqual([0.6, 0.6, 0.6])
  })

  it('neighbouring ids differ (colour by track)', () => {
    for (let i = 0; i < 200; i++) expect(key(categorical(i))).not.toBe(key(categorical(i + 1)))
  })
})

describe('viridis', () => {
  it('hits the published endpoints and the middle', () => {
    expect(toCss(viridis(0))).toBe('rgb(68, 1, 84)') // #440154
    expect(toCss(viridis(1))).toBe('rgb(253, 231, 37)') // #fde725
    expect(toCss(viridis(0.5))).toBe('rgb(33, 145, 140)') // #21918c
  })

  it('clamps and gets brighter monotonically (luminance)', () => {
    expect(viridis(-3)).toEqual(viridis(0))
    expect(viridis(7)).toEqual(viridis(1))
    const lum = (c: readonly number[]) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    let prev = -1
    for (let t = 0; t <= 1.0001; t += 0.05) {
      const l = lum(viridis(t))
      expect(l).toBeGreaterThan(prev)
      prev = l
    }
  })
})

describe('srgbToLinear', () => {
  it('keeps 0 and 1 and darkens the middle (0.5 -> 0.214)', () => {
    expect(srgbToLinear([0, 1, 0.5])[0]).toBe(0)
    expect(srgbToLinear([0, 1, 0.5])[1]).toBeCloseTo(1, 12)
    expect(srgbToLinear([0, 1, 0.5])[2]).toBeCloseTo(0.214, 3)
  })
})
