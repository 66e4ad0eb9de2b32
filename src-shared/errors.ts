/**
 * Errors cross every process boundary (worker -> main, main -> renderer, host -> browser)
 * as data with a kind, never as a thrown object whose fields get lost on the way.
 *
 * - invalid-input: the user's input or file is wrong; the message is shown verbatim.
 * - numerical: the computation failed (NaN, no convergence where convergence is required).
 * - io: a file or the project store could not be read or written.
 * - cancelled: the user cancelled; never shown as a failure.
 * - bug: anything unexpected; logged with its stack.
 */
import { z } from 'zod'

export const ErrorKind = z.enum(['invalid-input', 'numerical', 'io', 'cancelled', 'bug'])
export type ErrorKind = z.infer<typeof ErrorKind>

export const SerializedError = z.object({
  kind: ErrorKind,
  name: z.string(),
  message: z.string(),
  code: z.string().optional(),
  stack: z.string().optional(),
})
export type SerializedError = z.infer<typeof SerializedError>

/** An error whose kind is known where it is thrown. */
export class PopdynError extends Error {
  readonly kind: ErrorKind
  readonly code?: string
  constructor(kind: ErrorKind, message: string, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PopdynError'
    this.kind = kind
    this.code = options?.code
  }
}

export const invalidInput = (message: string, code?: string) => new PopdynError('invalid-input', message, { code })
export const ioError = (message: string, cause?: unknown, code?: string) => new PopdynError('io', message, { cause, code })
export const numericalError = (message: string, code?: string) => new PopdynError('numerical', message, { code })

export class CancelledError extends PopdynError {
  constructor(message = 'Cancelled') {
    super('cancelled', message)
    this.name = 'CancelledError'
  }
}

/** Throws CancelledError if the signal has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError()
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof PopdynError) {
    return { kind: err.kind, name: err.name, message: err.message, code: err.code, stack: err.stack }
  }
  if (err && typeof err === 'object' && 'name' in err && (err as Error).name === 'AbortError') {
    return { kind: 'cancelled', name: 'CancelledError', message: 'Cancelled' }
  }
  const parsed = SerializedError.safeParse(err)
  if (parsed.success) return parsed.data
  if (err instanceof Error) return { kind: 'bug', name: err.name, message: err.message, stack: err.stack }
  return { kind: 'bug', name: 'Error', message: String(err) }
}

export function deserializeError(e: SerializedError): PopdynError {
  const err = e.kind === 'cancelled' ? new CancelledError(e.message) : new PopdynError(e.kind, e.message, { code: e.code })
  if (e.stack) err.stack = e.stack
  return err
}

/** The envelope every contract call returns: a value, or an error as data. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: SerializedError }
