import { describe, expect, it } from 'vitest'
import { canOutput, defaultOutputPath, exportChoices, svgDataUrl, svgSize } from '../../src-renderer/lib/runOutputs'
import { linePlot } from '@shared/figures/index'

describe('run outputs (Export… / Report… / Save figure)', () => {
  it('offers the exports that exist for each method', () => {
    expect(exportChoices('ensembles').map((c) => c.value)).toEqual(['labels', 'summary', 'h5ad', 'model'])
    expect(exportChoices('species').map((c) => c.value)).toEqual(['labels', 'summary', 'h5ad', 'model'])
    for (const m of ['ijkonet', 'jkonet', 'wlm']) expect(exportChoices(m).map((c) => c.value)).toEqual(['predictions', 'model'])
  })

  it('only finished runs with a dataset write results', () => {
    expect(canOutput({ status: 'done', datasetId: 1 })).toBe(true)
    expect(canOutput({ status: 'running', datasetId: 1 })).toBe(false)
    expect(canOutput({ status: 'failed', datasetId: 1 })).toBe(false)
    expect(canOutput({ status: 'done', datasetId: null })).toBe(false)
  })

  it('suggests a file next to the project', () => {
    expect(defaultOutputPath('/home/me/exp/migration.popdyn', 3, 'report', 'html')).toBe('/home/me/exp/migration-run3-report.html')
    expect(defaultOutputPath('C:\\data\\p.popdyn', 1, 'labels', 'csv')).toBe('C:\\data\\p-run1-labels.csv')
    expect(defaultOutputPath(null, 2, 'model', 'json')).toBe('popdyn-run2-model.json')
  })

  it('reads a figure’s size and encodes it as a data URL that decodes back to the same SVG', () => {
    const svg = linePlot({ width: 500, height: 250, title: 'loss & "x" #1', x: { label: 'epoch' }, y: { label: 'loss' }, series: [{ name: 'a', x: [1, 2], y: [3, 1] }] })
    expect(svgSize(svg)).toEqual({ width: 500, height: 250 })
    const url = svgDataUrl(svg)
    expect(url.startsWith('data:image/svg+xml;charset=utf-8,')).toBe(true)
    expect(decodeURIComponent(url.slice(url.indexOf(',') + 1))).toBe(svg)
  })
})
