import * as THREE from 'three'
import { describe, expect, it } from 'vitest'
import { buildAxisBox, disposeObject, type TextFactory } from '../../../src-renderer/views/core/axisBox'
import { buildCloudBuffers, buildTrackBuffers, makeLayout, tailWindow } from '../../../src-renderer/views/core/buffers'
import { CloudsLayer, TracksLayer } from '../../../src-renderer/views/core/layers'
import { FrameScheduler } from '../../../src-renderer/views/core/scheduler'
import { syntheticSnapshots, syntheticTracks } from '../../../src-renderer/views/core/synthetic'

/** Counts three's 'dispose' events on an EventDispatcher (P15: test disposal by listening). */
function disposals(...targets: THREE.EventDispatcher<{ dispose: object }>[]): () => number {
  let n = 0
  for (const t of targets) t.addEventListener('dispose', () => n++)
  return () => n
}

describe('TracksLayer', () => {
  const d = syntheticTracks({ tracks: 10, steps: 8 })

  it('is one LineSegments geometry with every segment, and windows by draw range', () => {
    const layer = new TracksLayer(buildTrackBuffers(d, { colorBy: 'label' }))
    expect(layer.lines).toBeInstanceOf(THREE.LineSegments)
    expect(layer.object.children).toEqual([layer.lines, layer.heads])
    expect(layer.geometry.getIndex()?.count).toBe(2 * 10 * 7)
    expect(layer.geometry.getAttribute('position').count).toBe(80)
    const { lo, hi } = tailWindow(7, 3)
    expect(layer.setRankWindow(lo, hi)).toBe(30)
    expect(layer.geometry.drawRange.count).toBe(60)
    expect(layer.setRankWindow(0, 7)).toBe(70)
    expect(() => layer.setColors(new Float32Array(3))).toThrow(/expected 240 colour values, got 3/)
    layer.dispose()
  })

  it('heads mark every track at the current time, sharing the line buffers', () => {
    const layer = new TracksLayer(buildTrackBuffers(d, { colorBy: 'label' }))
    expect(layer.headGeometry.getAttribute('position')).toBe(layer.geometry.getAttribute('position'))
    layer.setRankWindow(0, 3)
    const { start, count } = layer.headGeometry.drawRange
    expect(count).toBe(10)
    const idx = layer.headGeometry.getIndex()!.array
    for (let k = start; k < start + count; k++) expect(d.time[idx[k]]).toBe(d.time[3 * 10]) // frame-major data: rank 3
    layer.setRankWindow(0, 3, false)
    expect(layer.headGeometry.drawRange.count).toBe(0)
    layer.setColors(new Float32Array(240))
    expect(layer.headGeometry.getAttribute('rgb')).toBe(layer.geometry.getAttribute('color'))
    layer.dispose()
  })

  it('dispose() frees its geometries and materials', () => {
    const layer = new TracksLayer(buildTrackBuffers(d, { colorBy: 'label' }))
    const count = disposals(layer.geometry, layer.material, layer.headGeometry, layer.headMaterial)
    layer.dispose()
    expect(count()).toBe(4)
  })
})

describe('CloudsLayer', () => {
  const d = syntheticSnapshots({ times: 3, perTime: 40 })

  it('draws round point sprites without size attenuation, one time or all', () => {
    const layer = new CloudsLayer(buildCloudBuffers(d, { colorBy: 'time' }), { size: 5, marker: 'ring' }, 2)
    expect(layer.object).toBeInstanceOf(THREE.Points)
    expect(layer.material.uniforms.size.value).toBe(10)
    expect(layer.material.uniforms.ring.value).toBe(1)
    expect(layer.material.fragmentShader).toContain('discard')
    expect(layer.setTimes(1, 1)).toBe(40)
    expect(layer.geometry.drawRange).toEqual({ start: 40, count: 40 })
    expect(layer.setTimes(-Infinity, Infinity)).toBe(120)
    const count = disposals(layer.geometry, layer.material)
    layer.dispose()
    expect(count()).toBe(2)
  })
})

describe('axis box', () => {
  const texts: string[] = []
  const fakeText: TextFactory = (text) => {
    texts.push(text)
    const o = new THREE.Object3D()
    o.name = text
    return o
  }

  it('labels 2-D axes in the data units, no z for flat data', () => {
    texts.length = 0
    const g = buildAxisBox(makeLayout(syntheticTracks({ tracks: 5, steps: 3 })), fakeText)
    expect(texts).toContain('x (µm)')
    expect(texts).toContain('y (µm)')
    expect(texts.some((t) => t.startsWith('z'))).toBe(false)
    const lines = g.getObjectByName('axis-lines') as THREE.LineSegments
    const count = disposals(lines.geometry, lines.material as THREE.Material)
    disposeObject(g)
    expect(count()).toBe(2)
  })

  it('puts time on z with its unit when asked', () => {
    texts.length = 0
    buildAxisBox(makeLayout(syntheticTracks({ tracks: 5, steps: 3 }), true), fakeText)
    expect(texts).toContain('time (min)')
  })
})

describe('FrameScheduler (render on demand)', () => {
  function fakeRaf() {
    const queue = new Map<number, () => void>()
    let id = 0
    return {
      raf: (cb: () => void) => (queue.set(++id, cb), id),
      caf: (i: number) => void queue.delete(i),
      tick: () => {
        const cbs = [...queue.values()]
        queue.clear()
        for (const cb of cbs) cb()
      },
      pending: () => queue.size,
    }
  }

  it('renders nothing until invalidated, and coalesces invalidations into one frame', () => {
    const f = fakeRaf()
    let renders = 0
    const s = new FrameScheduler(() => renders++, f.raf, f.caf)
    f.tick()
    expect(renders).toBe(0)
    s.invalidate()
    s.invalidate()
    s.invalidate()
    expect(f.pending()).toBe(1)
    f.tick()
    expect(renders).toBe(1)
    f.tick()
    expect(renders).toBe(1) // no loop
  })

  it('flush renders now; dispose cancels the pending frame and ignores later calls', () => {
    const f = fakeRaf()
    let renders = 0
    const s = new FrameScheduler(() => renders++, f.raf, f.caf)
    s.invalidate()
    s.flush()
    expect(renders).toBe(1)
    expect(f.pending()).toBe(0)
    s.invalidate()
    s.dispose()
    f.tick()
    s.invalidate()
    f.tick()
    expect(renders).toBe(1)
    expect(s.frames).toBe(1)
  })
})
