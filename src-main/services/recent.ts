/** Recently opened projects, kept in the user's settings folder (not in any project). */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export interface RecentEntry {
  path: string
  name: string
  openedAt: string
}

export class RecentProjects {
  private readonly file: string
  constructor(settingsDir: string, private readonly max = 12) {
    this.file = join(settingsDir, 'recent-projects.json')
  }

  list(): RecentEntry[] {
    try {
      const v = JSON.parse(readFileSync(this.file, 'utf8'))
      return Array.isArray(v) ? v.filter((e) => e && typeof e.path === 'string') : []
    } catch {
      return []
    }
  }

  add(path: string, name: string): void {
    const rest = this.list().filter((e) => e.path !== path)
    const next = [{ path, name, openedAt: new Date().toISOString() }, ...rest].slice(0, this.max)
    mkdirSync(dirname(this.file), { recursive: true })
    const tmp = `${this.file}.tmp`
    writeFileSync(tmp, JSON.stringify(next, null, 2))
    renameSync(tmp, this.file) // atomic: a crash never leaves a half-written list
  }
}
