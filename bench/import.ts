/**
 * Import speed and memory: a generated tracks CSV (1,000 tracks x 1,000 frames = 1,000,000 rows,
 * 2-D `track,t,x,y`, ~33 MiB: the benchmark), a snapshots CSV (1,000,000 cells x 5 PCs) and a wide snapshots CSV
 * (100,000 cells x 50 PCs, 5 time points, ~55 MB), each imported in a fresh child process so its
 * peak RSS is the import's alone (read + parse + QC + gzip of the raw file), then written to a
 * project in one transaction. `--quick`: 100,000 rows (wide: 20,000).
 * POPDYN_BENCH_IMPORT_KINDS=wide (comma list of tracks, snapshots, wide) runs only those.
 * Run: node --import tsx bench/import.ts [--quick]
 */
import { execFileSync } from 'node:child_process'
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

type Kind = 'tracks' | 'snapshots' | 'wide'
/** Features of the wide snapshot table. */
const WIDE = 50

async function writeCsv(path: string, kind: Kind, rows: number): Promise<void> {
  const out = createWriteStream(path)
  const put = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())))
  let seed = 12345
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5
  let buf =
    kind === 'tracks'
      ? 'track,t,x,y\n'
      : kind === 'wide'
        ? `time,${Array.from({ length: WIDE }, (_, j) => `PC${j + 1}`).join(',')},label\n`
        : 'time,PC1,PC2,PC3,PC4,PC5,label\n'
  if (kind === 'tracks') {
    const frames = Math.min(1000, rows / 100)
    for (let k = 0; k < rows / frames; k++) {
      let x = rnd() * 1000
      let y = rnd() * 1000
      for (let f = 0; f < frames; f++) {
        x += rnd()
        y += rnd()
        buf += `${k + 1},${f},${x.toFixed(4)},${y.toFixed(4)}\n`
        if (buf.length > 1 << 20) {
          await put(buf)
          buf = ''
        }
      }
    }
  } else if (kind === 'wide') {
    for (let i = 0; i < rows; i++) {
      const t = i % 5
      let line = String(t)
      // Variance falling with the component, as in a PCA table.
      for (let j = 0; j < WIDE; j++) line += `,${((rnd() * 20) / (j + 1) + (j === 0 ? t : 0)).toFixed(5)}`
      buf += `${line},${i % 3 ? 'a' : 'b'}\n`
      if (buf.length > 1 << 20) {
        await put(buf)
        buf = ''
      }
    }
  } else {
    for (let i = 0; i < rows; i++) {
      const t = i % 5
      buf += `${t},${(rnd() + t).toFixed(6)},${rnd().toFixed(6)},${rnd().toFixed(6)},${rnd().toFixed(6)},${rnd().toFixed(6)},${i % 3 ? 'a' : 'b'}\n`
      if (buf.length > 1 << 20) {
        await put(buf)
        buf = ''
      }
    }
  }
  await put(buf)
  await new Promise<void>((r) => out.end(() => r()))
}

/** Child side: import one file into a fresh project, print timings and peak RSS as JSON. */
async function child(file: string, project: string): Promise<void> {
  const { importFile } = await import('../src-main/io/import/index')
  const { ProjectStore } = await import('../src-main/store/project')
  const rss0 = process.memoryUsage().rss
  const t0 = performance.now()
  const r = await importFile(file, { shortTrack: 1 })
  const t1 = performance.now()
  const s = ProjectStore.create(project)
  s.insertDataset(r.dataset)
  s.close()
  const t2 = performance.now()
  const raw = r.dataset.arrays['source/raw.gz']!.data.byteLength
  process.stdout.write(
    JSON.stringify({ importS: (t1 - t0) / 1000, storeS: (t2 - t1) / 1000, peakRssMiB: process.resourceUsage().maxRSS / 1024, startRssMiB: rss0 / 2 ** 20, rows: r.summary.rows, rawGzMiB: raw / 2 ** 20 }),
  )
}

export async function run(opts: { quick?: boolean }) {
  const kinds = (process.env.POPDYN_BENCH_IMPORT_KINDS?.split(',') ?? ['tracks', 'snapshots', 'wide']) as Kind[]
  const dir = mkdtempSync(join(tmpdir(), 'popdyn-bench-import-'))
  const out: Record<string, string | number>[] = []
  try {
    for (const kind of kinds) {
      const rows = kind === 'wide' ? (opts.quick ? 20_000 : 100_000) : opts.quick ? 100_000 : 1_000_000
      const file = join(dir, `${kind}.csv`)
      await writeCsv(file, kind, rows)
      const mb = statSync(file).size / 2 ** 20
      const res = JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
          cwd: root,
          env: { ...process.env, POPDYN_BENCH_IMPORT_CHILD: file, POPDYN_BENCH_PROJECT: join(dir, `${kind}.popdyn`) },
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        }),
      )
      out.push({
        kind: kind === 'wide' ? `snapshots x ${WIDE}` : kind === 'snapshots' ? 'snapshots x 5' : kind,
        rows: res.rows,
        'file MiB': Number(mb.toFixed(1)),
        'import s': Number(res.importS.toFixed(2)),
        'rows/s': Math.round(res.rows / res.importS),
        'store s': Number(res.storeS.toFixed(2)),
        'peak RSS MiB': Math.round(res.peakRssMiB),
        'RSS at start MiB': Math.round(res.startRssMiB),
        'raw.gz MiB': Number(res.rawGzMiB.toFixed(1)),
      })
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { name: 'import CSV (streaming)', rows: out, notes: 'each import in a fresh child process; peak RSS includes Node + tsx startup (see RSS at start)' }
}

if (process.env.POPDYN_BENCH_IMPORT_CHILD) await child(process.env.POPDYN_BENCH_IMPORT_CHILD, process.env.POPDYN_BENCH_PROJECT!)
else if (import.meta.url === `file://${process.argv[1]}`) run({ quick: process.argv.includes('--quick') }).then((r) => console.table(r.rows))
