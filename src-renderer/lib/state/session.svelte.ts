/**
 * What the home screen shows: app info, the current project, recent projects, datasets and
 * runs. All of it comes from the contract through `call()`; failures become toasts.
 */
import type { AppInfo, DatasetSummary, ProjectSummary, Ret, RunSummary } from '@shared/contract'
import { call } from '../api'
import { infoNotice } from '../notices'
import { toasts } from './toasts.svelte'

export type RecentProject = Ret<'project.recent'>[number]

class Session {
  info = $state<AppInfo | null>(null)
  project = $state<ProjectSummary | null>(null)
  recent = $state<RecentProject[]>([])
  datasets = $state<DatasetSummary[]>([])
  runs = $state<RunSummary[]>([])
  /** True until the first load finished (or failed). */
  loading = $state(true)
  /** A project is being created or opened. */
  busy = $state(false)

  async init(): Promise<void> {
    this.loading = true
    try {
      const [info, project, recent] = await Promise.all([
        call('app.info', {}),
        call('project.current', {}),
        call('project.recent', {}).catch(() => [] as RecentProject[]),
      ])
      this.info = info
      this.#setProject(project)
      this.recent = recent
    } catch (err) {
      toasts.error(err, 'Start-up')
    } finally {
      this.loading = false
    }
  }

  /** Reloads datasets and runs (after a job ends, an import, ...). */
  async refreshLists(): Promise<void> {
    if (!this.project) return
    try {
      const [datasets, runs] = await Promise.all([call('datasets.list', {}), call('runs.list', {})])
      this.datasets = datasets
      this.runs = runs
    } catch (err) {
      toasts.error(err, 'Refresh')
    }
  }

  async refreshRecent(): Promise<void> {
    try {
      this.recent = await call('project.recent', {})
    } catch {
      // The recent list is a convenience; a failure to read it is not worth a toast.
    }
  }

  /** Opens a project file. Returns true on success. */
  async open(path: string): Promise<boolean> {
    return this.#load(() => call('project.open', { path }), 'Open project', 'Opened')
  }

  /** Creates a project file (and opens it). Returns true on success. */
  async create(path: string, name?: string): Promise<boolean> {
    return this.#load(() => call('project.create', name ? { path, name } : { path }), 'New project', 'Created')
  }

  async #load(op: () => Promise<ProjectSummary>, context: string, verb: string): Promise<boolean> {
    this.busy = true
    try {
      const p = await op()
      this.#setProject(p)
      toasts.show(infoNotice(`${verb} ${p.name}`, p.path, 'success'))
      void this.refreshRecent()
      void this.#refreshInfo()
      return true
    } catch (err) {
      toasts.error(err, context)
      return false
    } finally {
      this.busy = false
    }
  }

  async #refreshInfo() {
    try {
      this.info = await call('app.info', {})
    } catch {
      // Keep the previous info; the status bar is not worth a second toast.
    }
  }

  #setProject(p: ProjectSummary | null) {
    this.project = p
    this.datasets = p?.datasets ?? []
    this.runs = p?.runs ?? []
  }
}

export const session = new Session()
