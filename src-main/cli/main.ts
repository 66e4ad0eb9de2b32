/**
 * The `popdyn` command line (SPEC §5). Plain Node; `--json` prints a machine-readable result
 * on stdout; errors print one line on stderr and exit non-zero (1: the input or the data,
 * 2: the command line itself).
 */
import { resolve, join } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { PopdynError, serializeError } from '@shared/errors'
import { APP_NAME, APP_VERSION } from '@shared/version'
import { LATEST_SCHEMA_VERSION, ProjectStore } from '../store/project'
import { initBackend } from '../compute/backend'
import { Session } from '../services/session'
import { createSampleProject } from '../services/sample'
import { packageRoot, settingsDir } from '../services/paths'
import { sourceWorkerSpec } from '../workers/entry'
import { startHost } from '../host/server'
import { formatBench, listBenches, runBenches } from './bench'
import { runCommand } from './run'
import { distanceCommand, METRICS } from './distance'
import { exportLabelsCsv, exportModelJson, exportPredictionsCsv, exportSummaryCsv, writeH5adLabels } from '../io/export/index'
import { formatPredict, predictCommand, PREDICT_ARGS, PREDICT_USAGE } from './predict'
import { synthCommand, GENERATORS } from './synth'
import { formatReportResult, reportCommand, REPORT_USAGE } from './report'
import { formatImportSummary, IMPORT_ARGS, IMPORT_USAGE, importIntoProject, importOptionsFromCli } from '../io/import/index'

class UsageError extends Error {}

const USAGE = `${APP_NAME} ${APP_VERSION}

Usage: popdyn <command> [options]

  new PROJECT                 create a project file (PROJECT.popdyn)
  datasets PROJECT [--json]   list the datasets of a project
  runs PROJECT [--json]       list the runs of a project
${IMPORT_USAGE}
  info [--json]               version, compute backend (and why faster ones were skipped)
  serve [PROJECT] [--port N]  serve the app to a browser on 127.0.0.1 (default: the sample project)
  run PROJECT METHOD --dataset NAME [--set key=value ...] [--seed N] [--json]
                              run a method (ensembles, species, ijkonet, jkonet, wlm) as a recorded run
  export PROJECT RUN (--labels FILE.csv | --summary FILE.csv | --predictions FILE.csv | --model FILE.json | --h5ad OUT.h5ad [--source IN.h5ad])
                              write a run's results (labelled rows in input order, per-label summary, model;
                              --h5ad: a copy of the source .h5ad with the labels and confidence in obs;
                              --report FILE.html|FILE.pdf: the run's report, as popdyn report)
${PREDICT_USAGE}
${REPORT_USAGE}
  synth GENERATOR --out FILE [--set key=value ...] [--seed N]
                              write synthetic data with ground truth (linear-ensembles, cells, boids, potential)
  distance A.csv B.csv [--metric emd|w2|sinkhorn|bw] [--eps E] [--json]
                              compare two point clouds (optional weight column)
  bench [NAME ...] [--quick] [--list] [--json]
                              run the benchmark scripts (bench/*.ts): speed and memory

Options: --json (machine-readable output), --help`

type Out = { stdout: (s: string) => void; stderr: (s: string) => void }
const defaultOut: Out = { stdout: (s) => process.stdout.write(s + '\n'), stderr: (s) => process.stderr.write(s + '\n') }

function parse(argv: string[], options: ParseArgsConfig['options'] = {}) {
  try {
    const r = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { json: { type: 'boolean' }, help: { type: 'boolean' }, ...options } })
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals }
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

function table(rows: Record<string, unknown>[], cols: string[]): string {
  if (!rows.length) return '(none)'
  const cells = [cols, ...rows.map((r) => cols.map((c) => String(r[c] ?? '')))]
  const w = cols.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)))
  return cells.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n')
}

function needProject(positionals: string[], cmd: string): string {
  const p = positionals[0]
  if (!p) throw new UsageError(`${cmd} needs a PROJECT path`)
  return resolve(p)
}

function withStore<T>(path: string, f: (s: ProjectStore) => T): T {
  const s = ProjectStore.open(path)
  try {
    return f(s)
  } finally {
    s.close()
  }
}

export async function main(argv: string[], out: Out = defaultOut): Promise<number> {
  const [cmd, ...rest] = argv
  try {
    switch (cmd) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.stdout(USAGE)
        return cmd === undefined ? 2 : 0
      case '--version':
        out.stdout(APP_VERSION)
        return 0
      case 'new': {
        const { values, positionals } = parse(rest, { name: { type: 'string' } })
        let path = needProject(positionals, 'new')
        if (!/\.popdyn$/i.test(path)) path += '.popdyn'
        const s = ProjectStore.create(path, values.name as string | undefined)
        const info = { path, name: s.info.name, schemaVersion: s.schemaVersion }
        s.close()
        out.stdout(values.json ? JSON.stringify(info) : `Created ${path}`)
        return 0
      }
      case 'datasets': {
        const { values, positionals } = parse(rest)
        const list = withStore(needProject(positionals, 'datasets'), (s) => s.listDatasets())
        if (values.json) out.stdout(JSON.stringify(list))
        else
          out.stdout(
            table(
              list.map((d) => ({ ...d, units: `${d.units.space}, ${d.units.time}`, warnings: d.warnings.length })),
              ['id', 'name', 'kind', 'rows', 'entities', 'times', 'dim', 'units', 'warnings'],
            ),
          )
        return 0
      }
      case 'import': {
        const { values, positionals } = parse(rest, IMPORT_ARGS)
        const project = needProject(positionals, 'import')
        if (!positionals[1]) throw new UsageError('import needs a PROJECT and a FILE')
        if (positionals.length > 2) throw new UsageError(`import takes one FILE, got ${positionals.length - 1}`)
        const opts = importOptionsFromCli(values)
        const store = ProjectStore.open(project)
        try {
          const { datasetId, summary } = await importIntoProject(store, resolve(positionals[1]), opts)
          out.stdout(values.json ? JSON.stringify({ datasetId, ...summary }) : formatImportSummary(summary, datasetId))
        } finally {
          store.close()
        }
        return 0
      }
      case 'runs': {
        const { values, positionals } = parse(rest)
        const list = withStore(needProject(positionals, 'runs'), (s) => s.listRuns())
        if (values.json) out.stdout(JSON.stringify(list))
        else out.stdout(table(list.map((r) => ({ ...r, progress: `${Math.round(r.progress * 100)}%`, seconds: r.seconds?.toFixed(1) ?? '' })), ['id', 'method', 'datasetId', 'status', 'progress', 'seed', 'seconds']))
        return 0
      }
      case 'info': {
        const { values } = parse(rest)
        const backend = await initBackend()
        const info = {
          name: APP_NAME,
          version: APP_VERSION,
          mode: 'cli',
          backend,
          node: process.versions.node,
          platform: `${process.platform}-${process.arch}`,
          schemaVersion: LATEST_SCHEMA_VERSION,
          projectPath: null,
        }
        if (values.json) out.stdout(JSON.stringify(info))
        else {
          out.stdout(`${APP_NAME} ${APP_VERSION} (Node ${info.node}, ${info.platform}, project schema ${LATEST_SCHEMA_VERSION})`)
          out.stdout(`Compute backend: ${backend.name} — ${backend.detail}`)
          for (const s of backend.skipped) out.stdout(`  not used: ${s.name}: ${s.reason}`)
        }
        return 0
      }
      case 'serve': {
        const { values, positionals } = parse(rest, { port: { type: 'string' }, host: { type: 'string' } })
        const port = values.port === undefined ? 0 : Number(values.port)
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer 0..65535, got "${values.port}"`)
        const backend = await initBackend()
        const session = new Session({ mode: 'browser', backend, worker: sourceWorkerSpec(), settingsDir: settingsDir() })
        const store = positionals[0] ? ProjectStore.open(resolve(positionals[0])) : await createSampleProject(join(settingsDir(), 'sample.popdyn'), join(packageRoot, 'resources'))
        await session.adopt(store)
        const host = await startHost({ session, rendererDir: join(packageRoot, 'out/renderer'), port, host: values.host as string | undefined })
        out.stdout(`${APP_NAME} serving at ${host.url}`)
        out.stdout(`Project: ${store.path} — open the address above in a browser; Ctrl+C stops.`)
        await new Promise<void>((r) => {
          process.once('SIGINT', r)
          process.once('SIGTERM', r)
        })
        await host.close()
        await session.close()
        return 0
      }
      case 'run': {
        const { values, positionals } = parse(rest, { dataset: { type: 'string' }, set: { type: 'string', multiple: true }, seed: { type: 'string' } })
        if (positionals.length < 2) throw new UsageError('run needs PROJECT and METHOD')
        const seed = values.seed === undefined ? undefined : Number(values.seed)
        if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0)) throw new UsageError(`--seed must be a non-negative integer, got "${values.seed}"`)
        const r = await runCommand(resolve(positionals[0]!), positionals[1]!, { dataset: values.dataset as string | undefined, sets: (values.set as unknown as string[] | undefined) ?? [], seed, json: Boolean(values.json) }, out.stderr)
        const o = r.output as { run: number; status: string; seconds: number; metrics: Record<string, unknown>; error: { message: string } | null }
        if (values.json) out.stdout(JSON.stringify(r.output))
        else {
          out.stdout(`Run ${o.run}: ${o.status} in ${o.seconds.toFixed(1)} s`)
          for (const [k, v] of Object.entries(o.metrics)) out.stdout(`  ${k}: ${typeof v === 'number' ? Number(v.toPrecision(6)) : JSON.stringify(v)}`)
        }
        if (!r.ok) {
          out.stderr(`popdyn: run ${o.run} ${o.status}${o.error ? `: ${o.error.message}` : ''}`)
          return 1
        }
        return 0
      }
      case 'predict': {
        const { values, positionals } = parse(rest, PREDICT_ARGS)
        const r = await predictCommand(needProject(positionals, 'predict'), values)
        out.stdout(values.json ? JSON.stringify(r) : formatPredict(r))
        return 0
      }
      case 'export': {
        const { values, positionals } = parse(rest, { labels: { type: 'string' }, summary: { type: 'string' }, model: { type: 'string' }, report: { type: 'string' }, predictions: { type: 'string' }, h5ad: { type: 'string' }, source: { type: 'string' } })
        if (positionals.length < 2) throw new UsageError('export needs PROJECT and RUN (a run id from popdyn runs)')
        const runId = Number(positionals[1])
        if (!Number.isInteger(runId) || runId < 1) throw new UsageError(`RUN must be a run id (a positive integer), got "${positionals[1]}"`)
        const targets = (['labels', 'summary', 'model', 'predictions', 'h5ad'] as const).filter((k) => values[k])
        if (!targets.length && !values.report) throw new UsageError('export needs one of --labels FILE.csv, --summary FILE.csv, --predictions FILE.csv, --model FILE.json, --h5ad OUT.h5ad, --report FILE.html|FILE.pdf')
        if (values.source && !values.h5ad) throw new UsageError('--source goes with --h5ad (where the original .h5ad is now)')
        const written: { file: string }[] = []
        const s = ProjectStore.open(resolve(positionals[0]!))
        try {
          for (const k of targets) {
            const f = resolve(values[k] as string)
            if (k === 'h5ad') written.push(await writeH5adLabels(s, runId, f, { source: values.source as string | undefined }))
            else written.push(k === 'labels' ? exportLabelsCsv(s, runId, f) : k === 'summary' ? exportSummaryCsv(s, runId, f) : k === 'predictions' ? exportPredictionsCsv(s, runId, f) : exportModelJson(s, runId, f))
          }
        } finally {
          s.close()
        }
        const report = values.report ? await reportCommand(positionals[0]!, runId, values.report as string, false) : null
        const all = [...written, ...(report ? [report] : [])]
        out.stdout(values.json ? JSON.stringify(all) : all.map((w) => `Wrote ${w.file}`).join('\n'))
        return 0
      }
      case 'report': {
        const { values, positionals } = parse(rest, { out: { type: 'string' }, overwrite: { type: 'boolean' } })
        if (positionals.length < 2) throw new UsageError('report needs PROJECT and RUN (a run id from popdyn runs)')
        const runId = Number(positionals[1])
        if (!Number.isInteger(runId) || runId < 1) throw new UsageError(`RUN must be a run id (a positive integer), got "${positionals[1]}"`)
        if (!values.out) throw new UsageError('report needs --out FILE.html|FILE.pdf')
        const r = await reportCommand(positionals[0]!, runId, values.out as string, Boolean(values.overwrite))
        out.stdout(values.json ? JSON.stringify(r) : formatReportResult(r))
        return 0
      }
      case 'synth': {
        const { values, positionals } = parse(rest, { out: { type: 'string' }, set: { type: 'string', multiple: true }, seed: { type: 'string' } })
        const gen = positionals[0]
        if (!gen) throw new UsageError(`synth needs a GENERATOR (${Object.keys(GENERATORS).join(', ')})`)
        if (!values.out) throw new UsageError('synth needs --out FILE')
        const r = await synthCommand(gen, resolve(values.out as string), (values.set as unknown as string[] | undefined) ?? [], values.seed === undefined ? 0 : Number(values.seed))
        out.stdout(values.json ? JSON.stringify(r) : `Wrote ${r.file} (${r.rows} rows) and ground truth ${r.truth}`)
        return 0
      }
      case 'distance': {
        const { values, positionals } = parse(rest, { metric: { type: 'string' }, eps: { type: 'string' } })
        if (positionals.length !== 2) throw new UsageError('distance needs two CSV files A and B')
        const eps = values.eps === undefined ? undefined : Number(values.eps)
        if (eps !== undefined && !(eps > 0)) throw new UsageError(`--eps must be a positive number, got "${values.eps}"`)
        const r = await distanceCommand(resolve(positionals[0]!), resolve(positionals[1]!), (values.metric as string | undefined) ?? 'emd', eps)
        out.stdout(values.json ? JSON.stringify(r) : `${r.metric}: ${Number(r.value.toPrecision(10))}  (${r.a.n} vs ${r.b.n} points, d = ${r.a.d}, ${r.seconds.toFixed(2)} s)`)
        return 0
      }
      case 'bench': {
        const { values, positionals } = parse(rest, { quick: { type: 'boolean' }, list: { type: 'boolean' } })
        if (values.list) {
          out.stdout(values.json ? JSON.stringify(listBenches()) : listBenches().join('\n'))
          return 0
        }
        const r = await runBenches(positionals, Boolean(values.quick), (s) => out.stderr(s))
        if (values.json) out.stdout(JSON.stringify(r))
        else {
          out.stdout(`Machine: ${r.machine}; backend: ${r.backend}; ${r.date}\n`)
          for (const b of r.results) out.stdout(formatBench(b) + '\n')
        }
        return 0
      }
      default:
        throw new UsageError(`unknown command "${cmd}"`)
    }
  } catch (err) {
    if (err instanceof UsageError) {
      out.stderr(`popdyn: ${err.message} (popdyn --help lists the commands)`)
      return 2
    }
    const e = serializeError(err)
    out.stderr(`popdyn: ${e.message}`)
    if (e.kind === 'bug' && !(err instanceof PopdynError) && e.stack) out.stderr(e.stack)
    return 1
  }
}
