/**
 * What the user is told when something fails (STYLE P10): errors arrive as data with a kind.
 * - invalid-input, io, numerical: the message is for the user and is shown verbatim;
 * - bug: shown as "Unexpected error" with its message, and logged with its stack;
 * - cancelled: the user asked for it, so nothing is shown.
 * Plain TypeScript (no Svelte) so it can be tested on its own.
 */
import type { ErrorKind, SerializedError } from '@shared/errors'
import { ErrorKind as ErrorKindSchema } from '@shared/errors'

export type NoticeLevel = 'error' | 'warning' | 'info' | 'success'

export interface Notice {
  level: NoticeLevel
  title: string
  message: string
  /** Errors stay until dismissed; everything else hides itself after a few seconds. */
  sticky: boolean
  /** The error kind, when the notice is about an error. */
  kind?: ErrorKind
}

/** Milliseconds before a non-sticky notice hides itself. */
export const AUTO_HIDE_MS = 8000

const TITLES: Record<Exclude<ErrorKind, 'cancelled' | 'bug'>, string> = {
  'invalid-input': 'Invalid input',
  io: 'File error',
  numerical: 'Computation failed',
}

/**
 * Reads the kind and message out of anything a failed call or job can give us: a
 * SerializedError, an Error thrown by `call()` (which carries `kind` and `serialized`), or
 * anything else (treated as a bug).
 */
export function asSerialized(err: unknown): SerializedError {
  if (err && typeof err === 'object') {
    const o = err as Record<string, unknown>
    if (o.serialized && typeof o.serialized === 'object') return asSerialized(o.serialized)
    const kind = ErrorKindSchema.safeParse(o.kind)
    if (kind.success && typeof o.message === 'string') {
      return {
        kind: kind.data,
        name: typeof o.name === 'string' ? o.name : 'Error',
        message: o.message,
        code: typeof o.code === 'string' ? o.code : undefined,
        stack: typeof o.stack === 'string' ? o.stack : undefined,
      }
    }
    if (err instanceof Error) return { kind: 'bug', name: err.name, message: err.message, stack: err.stack }
  }
  return { kind: 'bug', name: 'Error', message: String(err) }
}

/**
 * The notice for a failure, or null when nothing should be shown (cancelled).
 * `context` names what was being done ("Open project", "Benchmark"); it goes into the title,
 * never into the message, so the message stays verbatim.
 */
export function noticeForError(err: unknown, context?: string): Notice | null {
  const e = asSerialized(err)
  if (e.kind === 'cancelled') return null
  if (e.kind === 'bug') {
    return { level: 'error', title: 'Unexpected error', message: e.message || e.name, sticky: true, kind: 'bug' }
  }
  const title = context ? `${context}: ${TITLES[e.kind].toLowerCase()}` : TITLES[e.kind]
  return { level: 'error', title, message: e.message, sticky: true, kind: e.kind }
}

export function infoNotice(title: string, message = '', level: Exclude<NoticeLevel, 'error'> = 'info'): Notice {
  return { level, title, message, sticky: false }
}
