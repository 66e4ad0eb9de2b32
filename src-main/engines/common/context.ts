/**
 * What every engine call receives besides its problem and config: cancellation and progress.
 * Engines are pure (SPEC §1): no Electron, no database, no file system; they run unchanged in
 * the main process, a worker thread, the CLI and tests.
 */
import { CancelledError } from '@shared/errors'

export interface Progress {
  /** 0..1 of the whole call, where known. */
  fraction: number
  /** Short name of the current stage, e.g. "sinkhorn", "restart 3/10". */
  stage: string
  message?: string
  /** Current objective or loss where the algorithm has one. */
  loss?: number
}

export interface EngineContext {
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

export function checkAborted(ctx: EngineContext | undefined): void {
  if (ctx?.signal?.aborted) throw new CancelledError()
}

/** Status of an iterative solve. Not converging is a result, not an exception (STYLE P7). */
export type SolveStatus = 'converged' | 'max-iterations' | 'numerical-error'

export interface IterationReport {
  converged: boolean
  status: SolveStatus
  iterations: number
  /** Error measured every `every` iterations (the stopping criterion's quantity). */
  errorHistory: number[]
}

export interface FixedPointOptions<S> {
  init: S
  step: (state: S, iter: number) => S
  /** The stopping quantity; computed only every `every` iterations. */
  error: (state: S) => number
  tol: number
  maxIter: number
  minIter?: number
  /** @default 10 */
  every?: number
  ctx?: EngineContext
  stage?: string
}

/**
 * The one loop driver (STYLE P6): every `every` iterations it computes the error, reports
 * progress, checks cancellation, and stops on convergence or on a non-finite error, in which
 * case it returns the last finite state with status 'numerical-error'.
 */
export function runFixedPoint<S>(o: FixedPointOptions<S>): IterationReport & { state: S } {
  const every = Math.max(1, o.every ?? 10)
  const minIter = o.minIter ?? 0
  let state = o.init
  let lastGood = o.init
  const errorHistory: number[] = []
  let iter = 0
  while (iter < o.maxIter) {
    state = o.step(state, iter)
    iter++
    if (iter % every === 0 || iter === o.maxIter) {
      const err = o.error(state)
      if (!Number.isFinite(err)) {
        return { state: lastGood, converged: false, status: 'numerical-error', iterations: iter, errorHistory }
      }
      errorHistory.push(err)
      lastGood = state
      o.ctx?.onProgress?.({ fraction: iter / o.maxIter, stage: o.stage ?? 'iterate', loss: err })
      checkAborted(o.ctx)
      if (iter >= minIter && err <= o.tol) return { state, converged: true, status: 'converged', iterations: iter, errorHistory }
    }
  }
  return { state, converged: false, status: 'max-iterations', iterations: iter, errorHistory }
}
