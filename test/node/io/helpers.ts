import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'fflate'
import { tempDir } from '../helpers/tmp'
import type { NdArray } from '../../../src-main/store/arrays'

export const repoRoot = join(import.meta.dirname, '../../..')

/** A real data file from ../shared/data; fails loudly when the folder is missing (CI has it). */
export function realData(rel: string): string {
  const p = join(repoRoot, '../shared/data', rel)
  if (!existsSync(p)) throw new Error(`Real test data missing: ${p} (expected the shared data folder next to the repository; see shared/data/README.md)`)
  return p
}

/** Writes text to a fresh temp file and returns its path. */
export function writeTemp(name: string, content: string | Uint8Array): string {
  const p = join(tempDir('popdyn-io-'), name)
  writeFileSync(p, content)
  return p
}

export const arr = (a: NdArray | undefined) => Array.from(a!.data as ArrayLike<number>)

export function gunzipText(a: NdArray | undefined): string {
  return new TextDecoder().decode(gunzipSync(a!.data as Uint8Array))
}

/** A .npy file (version 1.0) for a little-endian array. */
export function npy(descr: string, shape: number[], data: ArrayBufferView | string[], opts: { fortran?: boolean } = {}): Uint8Array {
  let body: Uint8Array
  if (Array.isArray(data)) {
    const w = Number(/U(\d+)/.exec(descr)![1])
    const dv = new DataView(new ArrayBuffer(data.length * w * 4))
    data.forEach((s, i) => [...s].forEach((ch, k) => dv.setUint32((i * w + k) * 4, ch.codePointAt(0)!, true)))
    body = new Uint8Array(dv.buffer)
  } else body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`
  const total = 10 + header.length + 1
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n'
  const out = new Uint8Array(10 + header.length + body.length)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
  new DataView(out.buffer).setUint16(8, header.length, true)
  out.set(new TextEncoder().encode(header), 10)
  out.set(body, 10 + header.length)
  return out
}
