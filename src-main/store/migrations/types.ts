import type Database from 'better-sqlite3'

export interface Migration {
  /** Schema version after this migration; migrations are numbered 1, 2, 3, ... without gaps. */
  version: number
  name: string
  /** Runs inside a transaction opened by the migrator. */
  up(db: Database.Database): void
}
