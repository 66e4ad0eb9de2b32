/**
 * The one boundary wrapper: unknown channel -> refused; args parsed with the contract schema
 * (inputs are `unknown`, never `any`); the handler's result or error returned as an envelope.
 * Used by the Electron IPC layer and the headless host alike.
 */
import { z } from 'zod'
import { contract, isChannel, type Channel } from '@shared/contract'
import { serializeError, type Result } from '@shared/errors'
import type { Handlers } from '../services/session'

export function describeZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => `${i.path.length ? i.path.join('.') : 'arguments'}: ${i.message}`)
    .join('; ')
}

export async function dispatch(handlers: Handlers, channel: unknown, args: unknown): Promise<Result<unknown>> {
  if (!isChannel(channel)) {
    return { ok: false, error: { kind: 'invalid-input', name: 'UnknownChannel', message: `Unknown call "${String(channel)}".` } }
  }
  const parsed = contract[channel].args.safeParse(args ?? {})
  if (!parsed.success) {
    return { ok: false, error: { kind: 'invalid-input', name: 'InvalidArguments', message: `Invalid arguments for ${channel}: ${describeZodError(parsed.error)}` } }
  }
  try {
    const handler = handlers[channel as Channel] as (a: unknown) => unknown
    const value = await handler(parsed.data)
    return { ok: true, value }
  } catch (err) {
    const e = serializeError(err)
    if (e.kind === 'bug') console.error(`[popdyn] ${channel} failed:`, err)
    return { ok: false, error: e }
  }
}
