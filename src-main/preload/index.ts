/**
 * The sandboxed preload: exposes exactly the contract, nothing more. No npm packages here
 * (a sandboxed preload cannot require them); only `electron` and bundled constants.
 * The renderer gets `invoke(channel, args)` for the contract's channels and one event stream.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { CHANNEL_NAMES as channels, CHANNEL_PREFIX, EVENT_CHANNEL } from '@shared/channels'

const allowed = new Set<string>(channels)

contextBridge.exposeInMainWorld('popdyn', {
  mode: 'electron',
  invoke(channel: string, args: unknown) {
    if (!allowed.has(channel)) return Promise.resolve({ ok: false, error: { kind: 'invalid-input', name: 'UnknownChannel', message: `Unknown call "${channel}".` } })
    return ipcRenderer.invoke(CHANNEL_PREFIX + channel, args)
  },
  onEvent(listener: (e: unknown) => void) {
    const wrapped = (_: unknown, e: unknown) => listener(e)
    ipcRenderer.on(EVENT_CHANNEL, wrapped)
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, wrapped)
  },
})
