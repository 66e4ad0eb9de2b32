import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh temporary folder per call. */
export function tempDir(prefix = 'popdyn-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}
