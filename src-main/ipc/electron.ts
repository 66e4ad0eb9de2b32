/**
 * Electron IPC: one handler per contract channel, each behind the same checks — the sender
 * must be our own window's main frame loading our own page — then dispatch() validates the
 * arguments and returns the envelope (Electron's rejection would lose everything but the message).
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { CHANNEL_PREFIX, EVENT_CHANNEL, channels } from '@shared/contract'
import type { Session } from '../services/session'
import { dispatch } from './dispatch'

export function senderAllowed(e: IpcMainInvokeEvent, win: BrowserWindow, allowedOrigins: string[]): boolean {
  if (e.sender.id !== win.webContents.id) return false
  const frame = e.senderFrame
  if (!frame || frame !== e.sender.mainFrame) return false
  const url = frame.url
  return allowedOrigins.some((o) => url.startsWith(o))
}

export function registerIpc(session: Session, win: BrowserWindow, allowedOrigins: string[]): () => void {
  for (const c of channels) {
    ipcMain.handle(CHANNEL_PREFIX + c, async (e, args: unknown) => {
      if (!senderAllowed(e, win, allowedOrigins)) {
        return { ok: false, error: { kind: 'invalid-input', name: 'Forbidden', message: 'Call refused: unknown sender.' } }
      }
      return dispatch(session.handlers, c, args)
    })
  }
  const off = session.onJobEvent((ev) => {
    if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, ev)
  })
  return () => {
    off()
    for (const c of channels) ipcMain.removeHandler(CHANNEL_PREFIX + c)
  }
}
