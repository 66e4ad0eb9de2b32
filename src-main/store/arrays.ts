/** Typed arrays with a shape, as stored in artifact blobs and sent between workers. */
export type DType = 'float64' | 'float32' | 'int32' | 'uint32' | 'uint8'
export type TypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array

export interface NdArray {
  dtype: DType
  shape: number[]
  data: TypedArray
}

const ctors = {
  float64: Float64Array,
  float32: Float32Array,
  int32: Int32Array,
  uint32: Uint32Array,
  uint8: Uint8Array,
} as const

export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float64Array) return 'float64'
  if (a instanceof Float32Array) return 'float32'
  if (a instanceof Int32Array) return 'int32'
  if (a instanceof Uint32Array) return 'uint32'
  return 'uint8'
}

export function nd(data: TypedArray, shape: number[] = [data.length]): NdArray {
  const n = shape.reduce((p, s) => p * s, 1)
  if (n !== data.length) throw new Error(`shape [${shape.join(', ')}] needs ${n} values, array has ${data.length}`)
  return { dtype: dtypeOf(data), shape, data }
}

export function toBlob(a: NdArray): Buffer {
  return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)
}

export function fromBlob(dtype: DType, shape: number[], blob: Uint8Array): NdArray {
  const C = ctors[dtype]
  // Copy into a fresh, aligned buffer: SQLite blobs have no alignment guarantee.
  const copy = new Uint8Array(blob.byteLength)
  copy.set(blob)
  const data = new C(copy.buffer, 0, blob.byteLength / C.BYTES_PER_ELEMENT)
  return nd(data, shape)
}
