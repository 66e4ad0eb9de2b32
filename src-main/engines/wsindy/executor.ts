/**
 * Per-cell work of the WSINDy pipeline as batches of independent tasks, and the hook that runs them
 * (SPEC §4.2; issue 6: "per-cell work runs in parallel").
 *
 * The pipeline (`identifySpecies` / `identifySpeciesAsync`) hands out two kinds of batch:
 * - models:   single-cell models `learnCellModel(data, cell, options.model)` for a list of cells;
 * - validate: ΔV = `validationError(data, w, cell, {...options.validation, stopAbove}).error` for a list
 *             of (w, cell, stopAbove) tasks.
 * Every task is a pure function of the prepared data, the options and the task itself, so running a
 * batch in any order, on any thread, gives bit-identical results; the pipeline only groups into one batch
 * tasks whose inputs do not depend on each other's results, so its decisions are the same whichever
 * executor runs them. Engines stay pure: a worker-thread executor lives outside engines
 * (src-main/workers/pool/wsindy-pool.ts) and is injected through {@link CellExecutor}.
 */
import { throwIfAborted } from '@shared/errors'
import { learnCellModel, type CellModelOptions } from './model'
import { validationError, type ValidationOptions } from './simulate'
import type { CellModel, WsindyData } from './types'

/** One validation simulation: ΔV of coefficients `w` (library order) on focal cell `cell`. */
export interface ValidationTask {
  w: Float64Array
  cell: number
  /** Stop once ΔV is sure to exceed this (the result is then a lower bound above it). Infinity = run fully. */
  stopAbove: number
}

/** Options every task of a run shares (plain data, structured-clone safe). */
export interface CellTaskOptions {
  model?: CellModelOptions
  validation?: ValidationOptions
}

/**
 * Runs batches of independent per-cell tasks; results in task order. `onDone(k)` may be called with the
 * number of tasks finished so far (progress only). An executor should reject with CancelledError once
 * `signal` is aborted (the pipeline also checks it between batches).
 */
export interface CellExecutor {
  models(data: WsindyData, cells: number[], options: CellTaskOptions, onDone?: (done: number) => void, signal?: AbortSignal): Promise<CellModel[]>
  validate(data: WsindyData, tasks: ValidationTask[], options: CellTaskOptions, onDone?: (done: number) => void, signal?: AbortSignal): Promise<Float64Array>
}

/** One single-cell model task (what a worker runs). */
export function runModelTask(data: WsindyData, cell: number, options: CellTaskOptions): CellModel {
  return learnCellModel(data, cell, options.model)
}

/** One validation task (what a worker runs): ΔV of the task's model on its cell. */
export function runValidationTask(data: WsindyData, t: ValidationTask, options: CellTaskOptions): number {
  const o = options.validation
  return validationError(data, t.w, t.cell, t.stopAbove < Infinity ? { ...o, stopAbove: t.stopAbove } : o).error
}

/** The in-thread executor: runs the tasks one after another in this thread. */
export const inThreadExecutor: CellExecutor = {
  async models(data, cells, options, onDone, signal) {
    const out: CellModel[] = []
    for (const i of cells) {
      throwIfAborted(signal)
      out.push(runModelTask(data, i, options))
      onDone?.(out.length)
    }
    return out
  },
  async validate(data, tasks, options, onDone, signal) {
    const out = new Float64Array(tasks.length)
    tasks.forEach((t, q) => {
      if (q % 8 === 0) throwIfAborted(signal)
      out[q] = runValidationTask(data, t, options)
      onDone?.(q + 1)
    })
    return out
  },
}
