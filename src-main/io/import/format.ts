/** Which importer reads a file. */
import { closeSync, openSync, readSync } from 'node:fs'
import { extname } from 'node:path'
import type { ImportFormat } from './layout'

/** The file's format, from its first bytes, else its extension. */
export function detectFormat(path: string): ImportFormat {
  const head = Buffer.alloc(64)
  let got = 0
  try {
    const fd = openSync(path, 'r')
    try {
      got = readSync(fd, head, 0, 64, 0)
    } finally {
      closeSync(fd)
    }
  } catch {
    // checkFile reports missing files with a clear message
  }
  const h = head.subarray(0, got)
  if (h[0] === 0x50 && h[1] === 0x4b) return 'npz'
  if (h[0] === 0x89 && h.subarray(1, 4).toString('latin1') === 'HDF') return 'h5ad'
  const text = h.toString('utf8').replace(/^\uFEFF/, '').trimStart()
  if (text.startsWith('<?xml') || text.startsWith('<TrackMate')) return 'trackmate-xml'
  const ext = extname(path).toLowerCase()
  if (ext === '.npz') return 'npz'
  if (ext === '.h5ad' || ext === '.h5') return 'h5ad'
  if (ext === '.xml') return 'trackmate-xml'
  return 'csv'
}

