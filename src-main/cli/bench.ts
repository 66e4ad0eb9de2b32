/**
 * `popdyn bench [NAME] [--quick] [--json]`: runs the benchmark scripts in bench/*.ts. Each
 * exports `run({ quick }) -> { name, rows, notes? }`; speed and memory targets are checked
 * here, never by timed unit tests.
 */
import { existsSync, readdirSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { invalidInput } from '@shared/errors'
import { initBackend } from '../compute/backend'
import { packageRoot } from '../services/paths'

export interface BenchResult {
  name: string
  rows: Record<string, string | number>[]
  notes?: string
}

export function listBenches(): string[] {
  const dir = join(packageRoot, 'bench')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort()
}

export function machine(): string {
  const c = cpus()
  return `${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`
}

export async function runBenches(names: string[], quick: boolean, log: (s: string) => void): Promise<{ machine: string; backend: string; date: string; results: BenchResult[] }> {
  const all = listBenches()
  const chosen = names.length ? names : all
  for (const n of chosen) if (!all.includes(n)) throw invalidInput(`No benchmark "${n}". Available: ${all.join(', ') || '(none)'}.`)
  const backend = await initBackend()
  const results: BenchResult[] = []
  for (const n of chosen) {
    log(`running ${n}${quick ? ' (quick)' : ''} ...`)
    const mod = (await import(pathToFileURL(join(packageRoot, 'bench', `${n}.ts`)).href)) as { run: (o: { quick?: boolean }) => Promise<BenchResult> }
    results.push(await mod.run({ quick }))
  }
  return { machine: machine(), backend: `${backend.name} (${backend.detail})`, date: new Date().toISOString().slice(0, 10), results }
}

export function formatBench(r: BenchResult): string {
  const cols = [...new Set(r.rows.flatMap((x) => Object.keys(x)))]
  const cells = [cols, ...r.rows.map((x) => cols.map((c) => (typeof x[c] === 'number' ? fmt(x[c] as number) : String(x[c] ?? ''))))]
  const w = cols.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)))
  const lines = cells.map((row) => '| ' + row.map((c, i) => c.padEnd(w[i]!)).join(' | ') + ' |')
  lines.splice(1, 0, '|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|')
  return `### ${r.name}\n\n${lines.join('\n')}${r.notes ? `\n\n${r.notes}` : ''}`
}

function fmt(x: number): string {
  if (Number.isInteger(x)) return String(x)
  const a = Math.abs(x)
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? x.toExponential(3) : x.toPrecision(4)
}
