import type { Migration } from './types'
import { migration0001 } from './0001-initial'

/** Every migration, in order. Add new ones at the end, never edit a released one. */
export const migrations: readonly Migration[] = [migration0001]
export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]!.version
export type { Migration }
