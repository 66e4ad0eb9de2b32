/** Where settings and the sample project live outside Electron (CLI, browser mode). */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export function settingsDir(): string {
  if (process.env.POPDYN_HOME) return process.env.POPDYN_HOME
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config')
  return join(base, 'popdyn-studio')
}

/** The package root (where package.json, out/ and resources/ are), from the source tree. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url))
