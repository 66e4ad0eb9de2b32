/**
 * Linear programs through HiGHS (Huangfu & Hall, "Parallelizing the dual revised simplex
 * method", Math. Prog. Comp. 10 (2018)), compiled to WebAssembly by the `highs` package.
 *
 * Problem:  minimise (or maximise) cᵀx + offset
 *           subject to  lower_i ≤ a_iᵀ x ≤ upper_i   for every row i (sparse a_i),
 *                       lb ≤ x ≤ ub                 (default 0 ≤ x < ∞).
 *
 * Two ways to hand the model to HiGHS:
 *  - 'model' (default): the sparse arrays are copied into a persistent HiGHS model
 *    (`highs.createModel`), solved, read back as typed arrays, and the model is disposed.
 *  - 'lp-text': a CPLEX LP-format string is built with array joins and passed to the one-shot
 *    `highs.solve`; the result is read back by variable name. Slower for large models; kept for
 *    debugging (the text can be inspected with `writeLpText`).
 *
 * One HiGHS runtime is loaded per process and cached. HiGHS can throw (e.g. Wasm out of memory)
 * and may leave the runtime unusable after that: on any exception the cached runtime is dropped,
 * a fresh one is loaded, and the solve is retried once; a second failure is returned as
 * status 'error' with the message (never a throw). The solve itself is synchronous and cannot be
 * interrupted: the AbortSignal is checked before and after; use `timeLimit` for long solves.
 */
import highsLoader from 'highs'
import type { EngineContext } from '../common/context'
import { checkAborted } from '../common/context'
import { invalidInput, PopdynError } from '@shared/errors'

type Highs = Awaited<ReturnType<typeof highsLoader>>

/** One sparse constraint row: lower ≤ Σ_k values[k] · x[indices[k]] ≤ upper. */
export interface LpRow {
  indices: ArrayLike<number>
  values: ArrayLike<number>
  /** @default -Infinity */
  lower?: number
  /** @default +Infinity */
  upper?: number
}

/** All rows at once in compressed sparse row form (row i: positions starts[i]..starts[i+1]-1). */
export interface LpCsrRows {
  starts: Int32Array
  indices: Int32Array
  values: Float64Array
  lower: Float64Array
  upper: Float64Array
}

export interface LpModel {
  sense: 'min' | 'max'
  /** Objective coefficients, length n (the number of variables). */
  c: Float64Array
  rows: readonly LpRow[] | LpCsrRows
  /** Variable bounds (a number applies to every variable). @default { lower: 0, upper: Infinity } */
  bounds?: { lower?: Float64Array | number; upper?: Float64Array | number }
  /** Constant added to the objective. @default 0 */
  offset?: number
}

export type LpStatus =
  | 'optimal'
  | 'infeasible'
  | 'unbounded'
  | 'infeasible-or-unbounded'
  | 'time-limit'
  | 'iteration-limit'
  | 'error'

export interface LpOptions {
  /** How the model reaches HiGHS (see the module comment). @default 'model' */
  format?: 'model' | 'lp-text'
  /** HiGHS LP algorithm. @default 'choose' */
  solver?: 'choose' | 'simplex' | 'ipm' | 'pdlp'
  /** HiGHS presolve. @default 'choose' */
  presolve?: 'choose' | 'on' | 'off'
  /** Wall-clock limit for the solve in seconds. @default Infinity */
  timeLimit?: number
  /** Return row duals and reduced costs. @default true */
  duals?: boolean
  /** Reload the HiGHS runtime and retry once after an exception. @default true */
  retryAfterError?: boolean
  /** Further HiGHS options by their native names (e.g. { simplex_strategy: 4 }), applied last. @default {} */
  highsOptions?: Readonly<Record<string, string | number | boolean>>
}

export interface LpResult {
  status: LpStatus
  /** Primal solution, length n (zeros when HiGHS gave none). */
  x: Float64Array
  /** cᵀx + offset (NaN when there is no solution). */
  objective: number
  /**
   * As HiGHS reports them, in the model's own sense: rows[i] is the shadow price of row i,
   * ∂(optimal objective)/∂(its active bound) (e.g. −1 for `min −x s.t. x ≤ 2`, +1 for
   * `max x s.t. x ≤ 2`); cols[j] the reduced cost of variable j (c_j − Σ_i rows[i] A_ij).
   * For 'lp-text' a ranged row's two halves are summed. Present only when status is 'optimal'.
   */
  duals?: { rows: Float64Array; cols: Float64Array }
  /** HiGHS status text or the exception message when status is 'error'. */
  message: string
  format: 'model' | 'lp-text'
  timings: { buildSeconds: number; solveSeconds: number; readSeconds: number }
  /** Simplex iterations of this solve ('model' format only; −1 when unknown). */
  iterations: number
}

let highsPromise: Promise<Highs> | null = null

/** The process-wide HiGHS runtime (loaded on first use). */
export function getHighs(): Promise<Highs> {
  if (!highsPromise) {
    highsPromise = highsLoader().catch((e: unknown) => {
      highsPromise = null
      throw e
    })
  }
  return highsPromise
}

/** Drop the cached runtime (the next solve loads a fresh one). */
export function resetHighs(): void {
  highsPromise = null
}

const now = () => performance.now() / 1000

interface Normalized {
  n: number
  nRows: number
  starts: Int32Array
  indices: Int32Array
  values: Float64Array
  rowLower: Float64Array
  rowUpper: Float64Array
  colLower: Float64Array
  colUpper: Float64Array
}

/** Validate and convert to CSR with explicit bounds. */
function normalize(model: LpModel): Normalized {
  if (model.sense !== 'min' && model.sense !== 'max') throw invalidInput(`expected sense 'min' or 'max', got ${String(model.sense)}`)
  const c = model.c
  if (!(c instanceof Float64Array)) throw invalidInput(`expected c as a Float64Array, got ${typeof c}`)
  const n = c.length
  for (let j = 0; j < n; j++) if (!Number.isFinite(c[j])) throw invalidInput(`expected finite objective coefficients, got ${c[j]} at index ${j}`)
  const colLower = new Float64Array(n)
  const colUpper = new Float64Array(n).fill(Infinity)
  const bl = model.bounds?.lower, bu = model.bounds?.upper
  if (typeof bl === 'number') colLower.fill(bl)
  else if (bl) {
    if (bl.length !== n) throw invalidInput(`expected bounds.lower of length ${n}, got ${bl.length}`)
    colLower.set(bl)
  }
  if (typeof bu === 'number') colUpper.fill(bu)
  else if (bu) {
    if (bu.length !== n) throw invalidInput(`expected bounds.upper of length ${n}, got ${bu.length}`)
    colUpper.set(bu)
  }
  for (let j = 0; j < n; j++) {
    if (Number.isNaN(colLower[j]) || Number.isNaN(colUpper[j]) || colLower[j] === Infinity || colUpper[j] === -Infinity) {
      throw invalidInput(`expected bounds with lower < ∞ and upper > −∞, got [${colLower[j]}, ${colUpper[j]}] for variable ${j}`)
    }
  }
  let starts: Int32Array, indices: Int32Array, values: Float64Array, rowLower: Float64Array, rowUpper: Float64Array
  if (Array.isArray(model.rows)) {
    const rows = model.rows as readonly LpRow[]
    let nnz = 0
    for (let i = 0; i < rows.length; i++) {
      if (rows[i].indices.length !== rows[i].values.length) {
        throw invalidInput(`expected row ${i} to have as many values as indices, got ${rows[i].values.length} and ${rows[i].indices.length}`)
      }
      nnz += rows[i].indices.length
    }
    starts = new Int32Array(rows.length + 1)
    indices = new Int32Array(nnz)
    values = new Float64Array(nnz)
    rowLower = new Float64Array(rows.length)
    rowUpper = new Float64Array(rows.length)
    let pos = 0
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]
      for (let k = 0; k < r.indices.length; k++) {
        indices[pos] = r.indices[k]
        values[pos] = r.values[k]
        pos++
      }
      starts[i + 1] = pos
      rowLower[i] = r.lower ?? -Infinity
      rowUpper[i] = r.upper ?? Infinity
    }
  } else {
    const r = model.rows as LpCsrRows
    if (!(r.starts instanceof Int32Array) || r.starts.length < 1) throw invalidInput(`expected rows.starts as an Int32Array of length nRows + 1, got ${typeof r.starts}`)
    const nRows = r.starts.length - 1
    if (r.lower.length !== nRows || r.upper.length !== nRows) {
      throw invalidInput(`expected rows.lower and rows.upper of length ${nRows}, got ${r.lower.length} and ${r.upper.length}`)
    }
    if (r.starts[0] !== 0 || r.starts[nRows] !== r.indices.length || r.indices.length !== r.values.length) {
      throw invalidInput(`expected starts[0] = 0 and starts[nRows] = indices.length = values.length, got ${r.starts[0]}, ${r.starts[nRows]}, ${r.indices.length}, ${r.values.length}`)
    }
    for (let i = 0; i < nRows; i++) {
      if (r.starts[i + 1] < r.starts[i]) throw invalidInput(`expected non-decreasing rows.starts, got ${r.starts[i]} then ${r.starts[i + 1]} at row ${i}`)
    }
    ;({ starts, indices, values } = r)
    rowLower = r.lower
    rowUpper = r.upper
  }
  for (let k = 0; k < indices.length; k++) {
    const j = indices[k]
    if (!(j >= 0 && j < n) || !Number.isInteger(j)) throw invalidInput(`expected column indices in [0, ${n}), got ${j}`)
    if (!Number.isFinite(values[k])) throw invalidInput(`expected finite constraint coefficients, got ${values[k]}`)
  }
  for (let i = 0; i < rowLower.length; i++) {
    if (Number.isNaN(rowLower[i]) || Number.isNaN(rowUpper[i]) || rowLower[i] === Infinity || rowUpper[i] === -Infinity) {
      throw invalidInput(`expected row bounds with lower < ∞ and upper > −∞, got [${rowLower[i]}, ${rowUpper[i]}] for row ${i}`)
    }
  }
  return { n, nRows: rowLower.length, starts, indices, values, rowLower, rowUpper, colLower, colUpper }
}

/** Solve an LP with HiGHS. Solver outcomes (infeasible, limits, HiGHS exceptions) are statuses, not throws. */
export async function solveLp(model: LpModel, options: LpOptions = {}, ctx?: EngineContext): Promise<LpResult> {
  const format = options.format ?? 'model'
  const t0 = now()
  const norm = normalize(model)
  checkAborted(ctx)
  ctx?.onProgress?.({ fraction: 0, stage: 'lp' })
  if (norm.n === 0) {
    // No variables: feasible iff every row's range contains 0.
    let feasible = true
    for (let i = 0; i < norm.nRows; i++) if (norm.rowLower[i] > 0 || norm.rowUpper[i] < 0) feasible = false
    return {
      status: feasible ? 'optimal' : 'infeasible',
      x: new Float64Array(0),
      objective: feasible ? (model.offset ?? 0) : NaN,
      duals: feasible ? { rows: new Float64Array(norm.nRows), cols: new Float64Array(0) } : undefined,
      message: 'no variables',
      format,
      timings: { buildSeconds: now() - t0, solveSeconds: 0, readSeconds: 0 },
      iterations: 0,
    }
  }
  const attempts = options.retryAfterError === false ? 1 : 2
  let lastError = ''
  for (let attempt = 0; attempt < attempts; attempt++) {
    const highs = await getHighs()
    try {
      const res = format === 'model' ? solveWithModel(highs, norm, model, options, t0) : solveWithText(highs, norm, model, options, t0)
      checkAborted(ctx)
      ctx?.onProgress?.({ fraction: 1, stage: 'lp', loss: res.objective })
      return res
    } catch (e) {
      if (e instanceof PopdynError) throw e // cancellation
      // A Wasm abort or out-of-memory may leave the runtime in a bad state: reload it.
      resetHighs()
      lastError = e instanceof Error ? e.message : String(e)
    }
  }
  return {
    status: 'error',
    x: new Float64Array(norm.n),
    objective: NaN,
    message: `HiGHS failed: ${lastError}`,
    format,
    timings: { buildSeconds: now() - t0, solveSeconds: 0, readSeconds: 0 },
    iterations: -1,
  }
}

const STATUS_BY_CODE: Record<number, LpStatus> = {
  7: 'optimal',
  8: 'infeasible',
  9: 'infeasible-or-unbounded',
  10: 'unbounded',
  13: 'time-limit',
  14: 'iteration-limit',
}

const STATUS_BY_TEXT: Record<string, LpStatus> = {
  Optimal: 'optimal',
  Infeasible: 'infeasible',
  'Primal infeasible or unbounded': 'infeasible-or-unbounded',
  Unbounded: 'unbounded',
  'Time limit reached': 'time-limit',
  'Iteration limit reached': 'iteration-limit',
}

function highsOptions(options: LpOptions): Record<string, string | number | boolean> {
  const o: Record<string, string | number | boolean> = { output_flag: false }
  if (options.solver) o.solver = options.solver
  if (options.presolve) o.presolve = options.presolve
  if (options.timeLimit !== undefined && Number.isFinite(options.timeLimit)) o.time_limit = options.timeLimit
  return { ...o, ...options.highsOptions }
}

type HighsModel = ReturnType<Highs['createModel']>

function buildModel(highs: Highs, norm: Normalized, sense: 'min' | 'max', c: Float64Array, offset: number): HighsModel {
  const { n, nRows } = norm
  return highs.createModel({
    numCols: n,
    numRows: nRows,
    sense: sense === 'max' ? highs.constants.objectiveSense.maximize : highs.constants.objectiveSense.minimize,
    offset,
    colCost: c,
    colLower: norm.colLower,
    colUpper: norm.colUpper,
    rowLower: norm.rowLower,
    rowUpper: norm.rowUpper,
    matrix: { format: 'csr', numRows: nRows, numCols: n, starts: norm.starts, indices: norm.indices, values: norm.values },
  })
}

/** Run an already built HiGHS model and read the result back (options must be set). */
function runModel(hm: HighsModel, n: number, options: LpOptions, t0: number, t1: number): LpResult {
  const run = hm.run()
  const t2 = now()
  const code = run.modelStatus as number
  let status: LpStatus = STATUS_BY_CODE[code] ?? 'error'
  // An empty model (no rows) is solved by bounds: HiGHS reports 'empty' (6) with a valid solution.
  if (code === 6) status = 'optimal'
  const hasSolution = status === 'optimal' || status === 'time-limit' || status === 'iteration-limit'
  const x = new Float64Array(n)
  let duals: LpResult['duals']
  let objective = NaN
  if (hasSolution) {
    const sol = hm.getSolution()
    x.set(sol.colValue)
    objective = hm.getObjectiveValue()
    if (options.duals !== false && status === 'optimal') duals = { rows: sol.rowDual.slice(), cols: sol.colDual.slice() }
  }
  let iterations = -1
  try {
    iterations = Number(hm.info.get('simplex_iteration_count'))
  } catch {
    // not available for this solver
  }
  return {
    status,
    x,
    objective,
    duals,
    message: `HiGHS model status ${code}`,
    format: 'model',
    timings: { buildSeconds: t1 - t0, solveSeconds: t2 - t1, readSeconds: now() - t2 },
    iterations,
  }
}

function solveWithModel(highs: Highs, norm: Normalized, model: LpModel, options: LpOptions, t0: number): LpResult {
  const hm = buildModel(highs, norm, model.sense, model.c, model.offset ?? 0)
  try {
    hm.options.set(highsOptions(options))
    return runModel(hm, norm.n, options, t0, now())
  } finally {
    hm.dispose()
  }
}

// ---------------------------------------------------------------------------------------------
// Persistent sessions (warm starts)

/**
 * An LP kept alive inside HiGHS between solves, for sequences of LPs with the same constraint
 * matrix (e.g. block coordinate descent where only the costs change): after `setCosts` or
 * `setBounds`, `solve` restarts the simplex from the previous optimal basis.
 * Call `dispose()` when done (HiGHS memory is not garbage collected).
 */
export interface LpSession {
  readonly n: number
  readonly nRows: number
  /** Replace all objective coefficients (length n). */
  setCosts(c: Float64Array): void
  /** Replace all variable bounds (length n each). */
  setBounds(lower: Float64Array, upper: Float64Array): void
  /** Replace all row bounds (length nRows each). */
  setRowBounds(lower: Float64Array, upper: Float64Array): void
  /**
   * Solve the current LP, warm-started from the last basis. After a HiGHS exception the session
   * rebuilds its model on a freshly loaded runtime and retries once (cold); a second failure is
   * returned as status 'error'.
   */
  solve(ctx?: EngineContext): Promise<LpResult>
  dispose(): void
}

/** Create a persistent LP session (format 'model' only; `options.format` is ignored). */
export async function createLpSession(model: LpModel, options: LpOptions = {}): Promise<LpSession> {
  const norm = normalize(model)
  const c = model.c.slice()
  const offset = model.offset ?? 0
  let highs = await getHighs()
  let hm: HighsModel | null = null
  let disposed = false
  const ensureModel = () => {
    if (!hm) {
      hm = buildModel(highs, norm, model.sense, c, offset)
      hm.options.set(highsOptions(options))
    }
    return hm
  }
  const drop = () => {
    try {
      hm?.dispose()
    } catch {
      // the runtime may be broken; nothing to free then
    }
    hm = null
  }
  const checkLength = (name: string, a: Float64Array, len: number) => {
    if (!(a instanceof Float64Array) || a.length !== len) throw invalidInput(`expected ${name} as a Float64Array of length ${len}, got ${a?.length}`)
  }
  const all = (len: number) => ({ kind: 'range' as const, from: 0, to: len - 1 })
  return {
    n: norm.n,
    nRows: norm.nRows,
    setCosts(cNew) {
      checkLength('c', cNew, norm.n)
      for (let j = 0; j < norm.n; j++) if (!Number.isFinite(cNew[j])) throw invalidInput(`expected finite objective coefficients, got ${cNew[j]} at index ${j}`)
      c.set(cNew)
      if (hm && norm.n > 0) hm.changeColsCost(all(norm.n), c)
    },
    setBounds(lower, upper) {
      checkLength('lower', lower, norm.n)
      checkLength('upper', upper, norm.n)
      norm.colLower.set(lower)
      norm.colUpper.set(upper)
      if (hm && norm.n > 0) hm.changeColsBounds(all(norm.n), norm.colLower, norm.colUpper)
    },
    setRowBounds(lower, upper) {
      checkLength('lower', lower, norm.nRows)
      checkLength('upper', upper, norm.nRows)
      norm.rowLower = lower.slice()
      norm.rowUpper = upper.slice()
      if (hm && norm.nRows > 0) hm.changeRowsBounds(all(norm.nRows), norm.rowLower, norm.rowUpper)
    },
    async solve(ctx) {
      if (disposed) throw invalidInput('expected a live LP session, got one that was disposed')
      checkAborted(ctx)
      let lastError = ''
      for (let attempt = 0; attempt < 2; attempt++) {
        const t0 = now()
        try {
          const m = ensureModel()
          const res = runModel(m, norm.n, options, t0, now())
          checkAborted(ctx)
          return res
        } catch (e) {
          if (e instanceof PopdynError) throw e
          lastError = e instanceof Error ? e.message : String(e)
          drop()
          resetHighs()
          highs = await getHighs()
        }
      }
      return {
        status: 'error',
        x: new Float64Array(norm.n),
        objective: NaN,
        message: `HiGHS failed: ${lastError}`,
        format: 'model',
        timings: { buildSeconds: 0, solveSeconds: 0, readSeconds: 0 },
        iterations: -1,
      }
    },
    dispose() {
      disposed = true
      drop()
    },
  }
}

// ---------------------------------------------------------------------------------------------
// CPLEX LP text

const fmt = (v: number) => (v === Infinity ? '+inf' : v === -Infinity ? '-inf' : String(v))

/**
 * CPLEX LP-format text of the model: variables x0..x{n-1}, rows r0.. (a ranged row i becomes
 * r{i} (≥ lower) and q{i} (≤ upper)). Built from string parts joined once, with line breaks
 * every 8 terms. Every variable is listed in Bounds so that it exists even when unused.
 */
export function writeLpText(model: LpModel): string {
  return buildLpText(normalize(model), model)
}

function buildLpText(norm: Normalized, model: LpModel): string {
  const { n, nRows, starts, indices, values, rowLower, rowUpper, colLower, colUpper } = norm
  const parts: string[] = []
  const pushTerm = (coef: number, j: number, count: number) => {
    if (count > 0 && count % 8 === 0) parts.push('\n ')
    parts.push(coef < 0 ? ` - ${-coef} x${j}` : ` + ${coef} x${j}`)
  }
  parts.push(model.sense === 'max' ? 'Maximize\n obj:' : 'Minimize\n obj:')
  let terms = 0
  for (let j = 0; j < n; j++) {
    if (model.c[j] !== 0) pushTerm(model.c[j], j, terms++)
  }
  if (terms === 0) parts.push(n > 0 ? ' 0 x0' : '')
  const offset = model.offset ?? 0
  if (offset !== 0) parts.push(offset < 0 ? ` - ${-offset}` : ` + ${offset}`)
  parts.push('\nSubject To\n')
  const emitRow = (name: string, i: number, op: string, rhs: number) => {
    parts.push(' ', name, ':')
    let cnt = 0
    for (let k = starts[i]; k < starts[i + 1]; k++) pushTerm(values[k], indices[k], cnt++)
    if (cnt === 0) parts.push(' 0 x0')
    parts.push(' ', op, ' ', fmt(rhs), '\n')
  }
  for (let i = 0; i < nRows; i++) {
    const lo = rowLower[i], hi = rowUpper[i]
    if (lo === hi) emitRow(`r${i}`, i, '=', lo)
    else {
      if (lo > -Infinity) emitRow(`r${i}`, i, '>=', lo)
      if (hi < Infinity) emitRow(lo > -Infinity ? `q${i}` : `r${i}`, i, '<=', hi)
    }
  }
  parts.push('Bounds\n')
  for (let j = 0; j < n; j++) {
    const lo = colLower[j], hi = colUpper[j]
    if (lo === hi) parts.push(' x', String(j), ' = ', fmt(lo), '\n')
    else parts.push(' ', fmt(lo), ' <= x', String(j), ' <= ', fmt(hi), '\n')
  }
  parts.push('End\n')
  return parts.join('')
}

function solveWithText(highs: Highs, norm: Normalized, model: LpModel, options: LpOptions, t0: number): LpResult {
  const text = buildLpText(norm, model)
  const t1 = now()
  const sol = highs.solve(text, highsOptions(options) as Parameters<Highs['solve']>[1])
  const t2 = now()
  const status: LpStatus = STATUS_BY_TEXT[sol.Status] ?? (sol.Status === 'Empty' ? 'optimal' : 'error')
  const n = norm.n
  const x = new Float64Array(n)
  let duals: LpResult['duals']
  const hasSolution = status === 'optimal' || status === 'time-limit' || status === 'iteration-limit'
  if (hasSolution) {
    const cols = sol.Columns as Record<string, { Primal: number; Dual?: number }>
    const colDual = new Float64Array(n)
    for (let j = 0; j < n; j++) {
      const col = cols['x' + j]
      if (col) {
        x[j] = col.Primal
        colDual[j] = col.Dual ?? 0
      } else {
        // A variable the reader dropped (in no row and not in the objective): any feasible value is optimal.
        x[j] = Math.min(Math.max(0, norm.colLower[j]), norm.colUpper[j])
      }
    }
    if (options.duals !== false && status === 'optimal') {
      const rowDual = new Float64Array(norm.nRows)
      const rowsOut = sol.Rows as { Name: string; Dual?: number }[]
      for (const r of rowsOut) {
        const idx = Number(r.Name.slice(1))
        if (Number.isInteger(idx) && idx >= 0 && idx < norm.nRows) rowDual[idx] += r.Dual ?? 0
      }
      duals = { rows: rowDual, cols: colDual }
    }
  }
  return {
    status,
    x,
    objective: hasSolution ? sol.ObjectiveValue : NaN,
    duals,
    message: sol.Status,
    format: 'lp-text',
    timings: { buildSeconds: t1 - t0, solveSeconds: t2 - t1, readSeconds: now() - t2 },
    iterations: -1,
  }
}
