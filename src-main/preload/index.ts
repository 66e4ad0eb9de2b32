/**
 * The sandboxed preload: exposes exactly the contract, nothing more. No npm packages here
 * (a sandboxed preload cannot require them); only `electron` and bundled constants.
 * The renderer gets `invoke(channel, args)` for the contract's channels, one event stream, and
 * `pathForFile(file)` (webUtils) so a file dropped on the import wizard can be inspected.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { CHANNEL_NAMES as channels, CHANNEL_PREFIX, EVENT_CHANNEL } from '@shared/channels'

const allowed = new Set<string>(channels)

contextBridge.exposeInMainWorld('popdyn', {
  mode: 'electron',
  invoke(channel: string, args: unknown) {
    if (!allowed.has(channel)) return Promise.resolve({ ok: false, error: { kind: 'invalid-input', name: 'UnknownChannel', message: `Unknown call "${channel}".` } })
    return ipcRenderer.invoke(CHANNEL_PREFIX + channel, args)
  },
  /** The path on disk of a File the user dropped (Electron only: a browser page cannot know it). */
  pathForFile(file: File): string {
    return webUtils.getPathForFile(file)
  },
  onEvent(listener: (e: unknown) => void) {
    const wrapped = (_: unknown, e: unknown) => listener(e)
    ipcRenderer.on(EVENT_CHANNEL, wrapped)
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, wrapped)
  },
})
