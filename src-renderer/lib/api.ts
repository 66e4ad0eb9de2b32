/**
 * The renderer's client for the one contract (src-shared/contract.ts).
 *
 * In the Electron window the preload exposes `window.popdyn` (invoke + onEvent). In browser
 * mode (`popdyn serve`) the same calls go over HTTP (POST /api/<channel>) and events arrive
 * over a WebSocket (/events), both authorised by the per-session token the host printed in
 * the URL (?token=...). Components import `api` and `onJobEvent` and never know which.
 */
import type { Args, Channel, JobEvent, PopdynApi, Ret } from '@shared/contract'
import { channels } from '@shared/contract'
import type { Result } from '@shared/errors'

export interface Bridge {
  invoke(channel: string, args: unknown): Promise<unknown>
  onEvent(listener: (e: unknown) => void): () => void
  mode: 'electron' | 'browser'
}

declare global {
  interface Window {
    popdyn?: Bridge
  }
}

function browserBridge(): Bridge {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem('popdyn-token', fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(null, '', url.toString())
  }
  const token = fromUrl ?? sessionStorage.getItem('popdyn-token') ?? ''
  const listeners = new Set<(e: unknown) => void>()
  let socket: WebSocket | null = null
  let retry = 500
  const connect = () => {
    const wsUrl = new URL('/events', window.location.href)
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:'
    wsUrl.searchParams.set('token', token)
    socket = new WebSocket(wsUrl)
    socket.onopen = () => (retry = 500)
    socket.onmessage = (m) => {
      let e: unknown
      try {
        e = JSON.parse(String(m.data))
      } catch {
        return
      }
      for (const l of listeners) l(e)
    }
    socket.onclose = () => {
      socket = null
      setTimeout(connect, retry)
      retry = Math.min(retry * 2, 8000)
    }
  }
  connect()
  return {
    mode: 'browser',
    async invoke(channel, args) {
      const res = await fetch(`/api/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-popdyn-token': token },
        body: JSON.stringify(args ?? {}),
      })
      if (res.headers.get('content-type')?.startsWith('application/json')) return res.json()
      // The host refuses some requests in plain text (wrong token, forbidden host): say so plainly.
      const text = (await res.text()).slice(0, 300)
      const kind = res.status === 401 || res.status === 403 ? 'io' : 'bug'
      return { ok: false, error: { kind, name: `HTTP ${res.status}`, message: res.status === 401 ? `The session token was refused (${text}). Open the address printed by "popdyn serve" again.` : text } }
    },
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

export const bridge: Bridge = typeof window !== 'undefined' && window.popdyn ? window.popdyn : browserBridge()

export const api = Object.fromEntries(
  channels.map((c) => [c, (args: unknown) => bridge.invoke(c, args ?? {}) as Promise<Result<unknown>>]),
) as PopdynApi

/** Calls a channel and throws the serialised error (with its kind) when the call failed. */
export async function call<C extends Channel>(channel: C, args: Args<C>): Promise<Ret<C>> {
  const r = (await api[channel](args)) as Result<Ret<C>>
  if (!r.ok) throw Object.assign(new Error(r.error.message), { kind: r.error.kind, serialized: r.error })
  return r.value
}

export function onJobEvent(listener: (e: JobEvent) => void): () => void {
  return bridge.onEvent((e) => listener(e as JobEvent))
}
