import { afterEach, describe, expect, it } from 'vitest'
import { initBackend, resetBackendForTests, tf } from '../../../src-main/compute/backend'

afterEach(() => resetBackendForTests())

const missing = (pkg: string) => {
  const e = new Error(`Cannot find module '${pkg}'`) as Error & { code: string }
  e.code = 'MODULE_NOT_FOUND'
  throw e
}

describe('compute backend selection', () => {
  it('falls back to wasm when the native packages are absent, and says why each was skipped', async () => {
    const b = await initBackend({ load: missing })
    expect(b.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(b.detail).toMatch(/WebAssembly/)
    expect(b.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow'])
    expect(b.skipped[0]!.reason).toMatch(/tfjs-node-gpu: not installed/)
  })

  it('explains a native package installed without its library', async () => {
    const b = await initBackend({
      load: () => {
        throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: x')
      },
    })
    expect(b.name).toBe('wasm')
    expect(b.skipped[0]!.reason).toMatch(/without its native library/)
  })

  it('honours a forced backend and records that the faster ones were skipped on request', async () => {
    const b = await initBackend({ prefer: 'cpu', load: missing })
    expect(b.name).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
    expect(b.skipped.map((s) => s.reason)).toEqual(['skipped: POPDYN_BACKEND=cpu', 'skipped: POPDYN_BACKEND=cpu', 'skipped: POPDYN_BACKEND=cpu'])
  })

  it('chooses once per process', async () => {
    const a = initBackend({ load: missing })
    const b = initBackend({ prefer: 'cpu' })
    expect(await a).toBe(await b)
  })

  it('the wasm backend computes second-order gradients (what WLM needs)', async () => {
    await initBackend({ load: missing })
    const d2 = tf.grad((x: tf.Tensor) => tf.grad((y: tf.Tensor) => y.pow(3).sum())(x).sum())
    const v = await d2(tf.tensor1d([2])).data()
    expect(v[0]).toBeCloseTo(12, 4)
  })
})
