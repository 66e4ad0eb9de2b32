/**
 * The toast list. Errors stay until dismissed; other notices hide after AUTO_HIDE_MS.
 * Identical notices shown while one is still up are merged (a count), so a failing
 * refresh loop cannot bury the screen.
 */
import { AUTO_HIDE_MS, noticeForError, type Notice } from '../notices'

export interface Toast extends Notice {
  id: number
  count: number
}

class Toasts {
  items = $state<Toast[]>([])
  #next = 1
  #timers = new Map<number, ReturnType<typeof setTimeout>>()

  show(n: Notice): number {
    const same = this.items.find((t) => t.level === n.level && t.title === n.title && t.message === n.message)
    if (same) {
      same.count += 1
      this.#arm(same)
      return same.id
    }
    const t: Toast = { ...n, id: this.#next++, count: 1 }
    this.items.push(t)
    this.#arm(t)
    return t.id
  }

  /** Shows a failure (nothing for a cancellation); logs bugs with their stack. */
  error(err: unknown, context?: string): void {
    const n = noticeForError(err, context)
    if (!n) return
    if (n.kind === 'bug') console.error(context ?? 'Unexpected error', err)
    this.show(n)
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id))
    this.#timers.delete(id)
    this.items = this.items.filter((t) => t.id !== id)
  }

  #arm(t: Toast) {
    if (t.sticky) return
    clearTimeout(this.#timers.get(t.id))
    this.#timers.set(t.id, setTimeout(() => this.dismiss(t.id), AUTO_HIDE_MS))
  }
}

export const toasts = new Toasts()
