import { SaxesParser } from 'saxes'
import { describe, expect, it } from 'vitest'
import { categorical, categoricalHex, heatmap, histogram, htmlTable, linePlot, logDomain, marchingSquares, niceDomain, plainFigure, renderFigure, scatterPlot, toHex, type FigureSpec } from '@shared/figures/index'
import { createRng } from '../../../src-main/engines/stats/random'

interface Node {
  name: string
  attributes: Record<string, string>
  text: string
}

/** Parses an SVG/HTML fragment as XML (throws on malformed markup) and returns its elements. */
function parse(xml: string): Node[] {
  const nodes: Node[] = []
  const stack: Node[] = []
  const p = new SaxesParser()
  p.on('error', (e) => {
    throw e
  })
  p.on('opentag', (t) => {
    const n = { name: t.name, attributes: t.attributes as Record<string, string>, text: '' }
    nodes.push(n)
    stack.push(n)
  })
  p.on('text', (s) => {
    for (const n of stack) n.text += s
  })
  p.on('closetag', () => void stack.pop())
  p.write(xml).close()
  return nodes
}

const byClass = (nodes: Node[], cls: string) => nodes.filter((n) => (n.attributes.class ?? '').split(' ').includes(cls))
const ticks = (nodes: Node[], axis: 'x' | 'y') => byClass(nodes, `${axis}-tick`).map((n) => Number(n.text))

describe('ticks', () => {
  it('nice domains cover the data with 1-2-5 steps', () => {
    const rng = createRng(7)
    for (let k = 0; k < 200; k++) {
      const a = (rng.uniform() - 0.5) * 10 ** (rng.uniform() * 8 - 4)
      const b = a + rng.uniform() * 10 ** (rng.uniform() * 8 - 4)
      const d = niceDomain(a, b)
      expect(d.ticks[0]).toBeLessThanOrEqual(a)
      expect(d.ticks.at(-1)!).toBeGreaterThanOrEqual(b)
      expect(d.ticks.length).toBeGreaterThanOrEqual(2)
      expect(d.ticks.length).toBeLessThanOrEqual(12)
      const step = d.ticks[1]! - d.ticks[0]!
      const m = step / 10 ** Math.floor(Math.log10(step) + 1e-9)
      expect([1, 2, 5, 10].some((x) => Math.abs(m - x) < 1e-6)).toBe(true)
    }
    expect(niceDomain(0.13, 0.87).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
    expect(niceDomain(3, 3).ticks[0]).toBeLessThanOrEqual(3)
    expect(logDomain(0.004, 250)).toMatchObject({ min: 0.001, max: 1000 })
  })
})

describe('line plot', () => {
  it('parses as XML, draws one vertex per data point, and its ticks cover the data', () => {
    const loss = Array.from({ length: 50 }, (_, i) => 3 * Math.exp(-i / 10) + 0.1)
    const svg = linePlot({ title: 'Training loss <& "quoted">', x: { label: 'epoch' }, y: { label: 'loss' }, series: [{ name: 'train', x: loss.map((_, i) => i + 1), y: loss }, { name: 'validation', x: [1, 25, 50], y: [3, 0.5, 0.2], dashed: true }] })
    const nodes = parse(svg)
    expect(nodes[0]!.name).toBe('svg')
    expect(nodes[0]!.attributes.xmlns).toBe('http://www.w3.org/2000/svg')
    const lines = byClass(nodes, 'line')
    expect(lines).toHaveLength(2)
    expect(lines[0]!.attributes.points!.trim().split(/\s+/)).toHaveLength(50)
    expect(lines[1]!.attributes.points!.trim().split(/\s+/)).toHaveLength(3)
    const xt = ticks(nodes, 'x')
    const yt = ticks(nodes, 'y')
    expect(xt[0]).toBeLessThanOrEqual(1)
    expect(xt.at(-1)!).toBeGreaterThanOrEqual(50)
    expect(yt[0]).toBeLessThanOrEqual(Math.min(...loss))
    expect(yt.at(-1)!).toBeGreaterThanOrEqual(3.1)
    // Title escaped, legend with both series.
    expect(byClass(nodes, 'fig-title')[0]!.text).toBe('Training loss <& "quoted">')
    expect(byClass(nodes, 'legend-entry')).toHaveLength(2)
    // Every vertex lies inside the plot frame.
    const frame = byClass(nodes, 'frame')[0]!.attributes
    const [fx, fy, fw, fh] = ['x', 'y', 'width', 'height'].map((k) => Number(frame[k]))
    for (const p of lines[0]!.attributes.points!.trim().split(/\s+/)) {
      const [x, y] = p.split(',').map(Number)
      expect(x).toBeGreaterThanOrEqual(fx! - 1e-6)
      expect(x).toBeLessThanOrEqual(fx! + fw! + 1e-6)
      expect(y).toBeGreaterThanOrEqual(fy! - 1e-6)
      expect(y).toBeLessThanOrEqual(fy! + fh! + 1e-6)
    }
  })

  it('puts units in axis titles and supports a log y axis over powers of ten', () => {
    const nodes = parse(linePlot({ x: { label: 'r', unit: 'µm' }, y: { label: 'loss', scale: 'log' }, series: [{ name: 'a', x: [0, 1, 2], y: [0.003, 0.2, 40] }] }))
    expect(byClass(nodes, 'x-title')[0]!.text).toBe('r (µm)')
    const yt = ticks(nodes, 'y')
    expect(yt[0]).toBeLessThanOrEqual(0.003)
    expect(yt.at(-1)!).toBeGreaterThanOrEqual(40)
    for (const t of yt) expect(Math.log10(t) % 1).toBeCloseTo(0, 9)
    expect(() => linePlot({ x: { label: 'x' }, y: { label: 'y', scale: 'log' }, series: [{ name: 'a', x: [0, 1], y: [-1, 2] }] })).toThrow(/log axis needs positive values/)
  })

  it('refuses NaN and mismatched series clearly', () => {
    expect(() => linePlot({ x: { label: 'epoch' }, y: { label: 'loss' }, series: [{ name: 'loss', x: [1, 2, 3], y: [1, Number.NaN, 3] }] })).toThrow(/series "loss" y: expected finite numbers, got NaN at index 1/)
    expect(() => linePlot({ x: { label: 'x' }, y: { label: 'y' }, series: [{ name: 's', x: [1, 2], y: [1] }] })).toThrow(/same length, got 2 and 1/)
    expect(() => linePlot({ x: { label: 'x' }, y: { label: 'y' }, series: [] })).toThrow(/at least one series/)
  })
})

describe('histogram with mixture components', () => {
  it('bars hold every value, density integrates to 1, components are drawn and ticks cover the data', () => {
    const rng = createRng(3)
    const v = Array.from({ length: 400 }, (_, i) => (i < 250 ? -2 + 0.3 * rng.normal() : 0.5 + 0.5 * rng.normal()))
    const svg = histogram({ title: 'Round 1', values: v, bins: 20, x: { label: 'log10 ΔV' }, components: [{ weight: 0.625, mean: -2, sd: 0.3 }, { weight: 0.375, mean: 0.5, sd: 0.5, label: 'unexplained' }], markers: [{ at: Math.log10(0.05), label: 'accept' }] })
    const nodes = parse(svg)
    const bars = byClass(nodes, 'bar')
    expect(bars).toHaveLength(20)
    expect(bars.reduce((s, b) => s + Number(b.attributes['data-count']), 0)).toBe(400)
    expect(byClass(nodes, 'component')).toHaveLength(2)
    expect(byClass(nodes, 'mixture')).toHaveLength(1)
    expect(byClass(nodes, 'legend-entry').map((n) => n.text)).toEqual(['component 1', 'unexplained', 'mixture'])
    const xt = ticks(nodes, 'x')
    expect(xt[0]).toBeLessThanOrEqual(Math.min(...v))
    expect(xt.at(-1)!).toBeGreaterThanOrEqual(Math.max(...v))
    // Density: bar area sums to 1 in data units (heights read back through the y ticks).
    const yt = ticks(nodes, 'y')
    const yTicks = byClass(nodes, 'y-tick').map((n) => Number(n.attributes.y))
    const perPx = (yt.at(-1)! - yt[0]!) / (yTicks[0]! - yTicks.at(-1)!)
    const w = (Math.max(...v) - Math.min(...v)) / 20
    const area = bars.reduce((s, b) => s + Number(b.attributes.height) * perPx * w, 0)
    expect(area).toBeCloseTo(1, 1)
    expect(() => histogram({ values: [1, Number.POSITIVE_INFINITY], x: { label: 'v' } })).toThrow(/histogram values: expected finite numbers, got Infinity at index 1/)
    expect(() => histogram({ values: [1, 2], x: { label: 'v' }, components: [{ weight: 1, mean: 0, sd: 0 }] })).toThrow(/component 1/)
  })
})

describe('scatter', () => {
  it('one circle per point coloured by label with the shared palette and a legend', () => {
    const rng = createRng(11)
    const n = 300
    const data = new Float64Array(n * 3)
    const cat = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      cat[i] = i % 3
      data[i * 3] = cat[i]! * 5 + rng.normal()
      data[i * 3 + 1] = rng.normal()
      data[i * 3 + 2] = 99
    }
    const nodes = parse(scatterPlot({ points: { data, n, d: 3 }, category: cat, categories: ['E1', 'E2', 'E3'], x: { label: 'x1', unit: 'µm' }, y: { label: 'x2', unit: 'µm' } }))
    const pts = byClass(nodes, 'pt')
    expect(pts).toHaveLength(n)
    for (let k = 0; k < 3; k++) expect(pts.filter((p) => p.attributes.fill === categoricalHex(k))).toHaveLength(100)
    expect(categoricalHex(0)).toBe(toHex(categorical(0)))
    expect(categoricalHex(0)).toBe('#0072b2') // Okabe–Ito blue, the 3-D views' first colour
    expect(byClass(nodes, 'legend-entry').map((e) => e.text)).toEqual(['E1', 'E2', 'E3'])
    const xt = ticks(nodes, 'x')
    let lo = Infinity, hi = -Infinity
    for (let i = 0; i < n; i++) (lo = Math.min(lo, data[i * 3]!)), (hi = Math.max(hi, data[i * 3]!))
    expect(xt[0]).toBeLessThanOrEqual(lo)
    expect(xt.at(-1)!).toBeGreaterThanOrEqual(hi)
    // Subsampling keeps the count honest.
    const sub = parse(scatterPlot({ points: { data, n, d: 3 }, x: { label: 'a' }, y: { label: 'b' }, maxPoints: 50 }))
    expect(byClass(sub, 'pt')).toHaveLength(50)
    expect(sub[0]!.attributes['data-total']).toBe('300')
  })

  it('refuses bad input clearly', () => {
    expect(() => scatterPlot({ points: { data: [1, 2, Number.NaN, 4], n: 2, d: 2 }, x: { label: 'a' }, y: { label: 'b' } })).toThrow(/scatter points: expected finite numbers, got NaN at index 2/)
    expect(() => scatterPlot({ points: { data: [1, 2, 3], n: 3, d: 1 }, x: { label: 'a' }, y: { label: 'b' } })).toThrow(/at least 2 features, got 1/)
    expect(() => scatterPlot({ points: { data: [1, 2, 3, 4], n: 2, d: 2 }, category: [0, 5], categories: ['a', 'b'], x: { label: 'a' }, y: { label: 'b' } })).toThrow(/category of point 1/)
  })
})

describe('heat map and contours', () => {
  it('one cell per grid value; contours of a radial bowl are circles of the right radius', () => {
    const nx = 41, ny = 41
    const values = new Float64Array(nx * ny)
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) values[j * nx + i] = (-2 + i * 0.1) ** 2 + (-2 + j * 0.1) ** 2
    const grid = { nx, ny, values, x: [-2, 2] as [number, number], y: [-2, 2] as [number, number] }
    const nodes = parse(heatmap({ title: 'Potential', grid, x: { label: 'x' }, y: { label: 'y' }, value: { label: 'V' } }))
    expect(byClass(nodes, 'cell')).toHaveLength(nx * ny)
    expect(byClass(nodes, 'contour')).toHaveLength(1)
    const segs = marchingSquares(grid, 1)
    expect(segs.length).toBeGreaterThan(20)
    for (const [a, b] of segs) for (const [x, y] of [a, b]) expect(Math.hypot(x, y)).toBeCloseTo(1, 1)
    expect(() => heatmap({ grid: { ...grid, values: Float64Array.from(values, (v, i) => (i === 7 ? Number.NaN : v)) }, x: { label: 'x' }, y: { label: 'y' }, value: { label: 'V' } })).toThrow(/heat map values: expected finite numbers, got NaN at index 7/)
  })
})

describe('table', () => {
  it('escapes text, formats numbers and parses as XML', () => {
    const html = htmlTable({ caption: 'A_k', columns: [{ key: 'k', label: 'ensemble' }, { key: 'v', label: 'value <1>' }], rows: [{ k: 'E1 & E2', v: 0.123456789 }, { k: 'E3', v: null }] })
    const nodes = parse(html)
    const tds = nodes.filter((n) => n.name === 'td').map((n) => n.text)
    expect(tds).toEqual(['E1 & E2', '0.1235', 'E3', '—'])
    expect(nodes.filter((n) => n.name === 'th').map((n) => n.text)).toEqual(['ensemble', 'value <1>'])
  })
})

describe('figure specs (what the app receives over the contract)', () => {
  it('render the same SVG after a JSON round trip of the plain spec (typed arrays become arrays)', () => {
    const spec: FigureSpec = { kind: 'scatter', title: 't = 1', points: { data: Float64Array.of(0, 1, 2, 3, 4, 5), n: 3, d: 2 }, category: Int32Array.of(0, 1, 1), categories: ['observed', 'predicted'], hollow: [false, true], x: { label: 'x' }, y: { label: 'y' } }
    const wire = JSON.parse(JSON.stringify(plainFigure(spec))) as FigureSpec
    expect(Array.isArray((wire as { points: { data: unknown } }).points.data)).toBe(true)
    expect(renderFigure(wire)).toBe(renderFigure(spec))
    expect(renderFigure({ kind: 'line', x: { label: 'a' }, y: { label: 'b' }, series: [{ name: 's', x: [1, 2], y: [3, 4] }] })).toBe(linePlot({ x: { label: 'a' }, y: { label: 'b' }, series: [{ name: 's', x: [1, 2], y: [3, 4] }] }))
    expect(() => renderFigure({ kind: 'pie' } as unknown as FigureSpec)).toThrow(/expected kind line, histogram, scatter or heatmap, got pie/)
  })
})
