import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

const bin = join(import.meta.dirname, '../../../bin/popdyn.mjs')

/** Runs the real `popdyn` bin with plain Node in `cwd` (POPDYN_HOME = cwd); never throws. */
export async function runCli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [bin, ...args], { cwd, env: { ...process.env, POPDYN_HOME: cwd } })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string }
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}
