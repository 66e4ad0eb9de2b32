import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { migrate } from '../../../src-main/store/project'

describe('migration 0001-initial', () => {
  it('creates STRICT tables with the expected columns and constraints', () => {
    const db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    expect(migrate(db, 1)).toBe(1)
    expect(db.pragma('user_version', { simple: true })).toBe(1)
    const tables = db.prepare(`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all()
    expect(tables).toEqual([
      { name: 'artifacts', strict: 1 },
      { name: 'datasets', strict: 1 },
      { name: 'labels', strict: 1 },
      { name: 'project', strict: 1 },
      { name: 'runs', strict: 1 },
    ])
    const cols = (t: string) => db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t)
    expect(cols('runs')).toEqual(expect.arrayContaining(['method', 'params', 'status', 'progress', 'seed', 'software_version', 'backend', 'error', 'started_at', 'finished_at', 'seconds']))
    // STRICT: a text in an INTEGER column is refused.
    expect(() => db.prepare(`INSERT INTO datasets (name, kind, rows, entities, times, dim, units, source, created_at) VALUES ('a', 'tracks', 'many', 0, 0, 2, '{}', 's', 'now')`).run()).toThrow(/cannot store TEXT value in INTEGER column/)
    // CHECK: unknown kinds and statuses are refused.
    expect(() => db.prepare(`INSERT INTO datasets (name, kind, rows, entities, times, dim, units, source, created_at) VALUES ('a', 'movies', 1, 0, 0, 2, '{}', 's', 'now')`).run()).toThrow(/CHECK constraint failed/)
    expect(() => db.prepare(`INSERT INTO runs (method, status, software_version, backend, created_at) VALUES ('m', 'sleeping', 'v', 'b', 'now')`).run()).toThrow(/CHECK constraint failed/)
    // An artifact belongs to exactly one owner.
    expect(() => db.prepare(`INSERT INTO artifacts (name, dtype, shape, data, created_at) VALUES ('x', 'float64', '[1]', x'00', 'now')`).run()).toThrow(/CHECK constraint failed/)
    // Foreign keys are enforced.
    expect(() => db.prepare(`INSERT INTO runs (dataset_id, method, status, software_version, backend, created_at) VALUES (77, 'm', 'queued', 'v', 'b', 'now')`).run()).toThrow(/FOREIGN KEY/)
  })

  it('serves the hot queries from indexes', () => {
    const db = new Database(':memory:')
    migrate(db, 1)
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ')
    expect(plan(`SELECT dtype, shape, data FROM artifacts WHERE dataset_id = 1 AND name = 'pos'`)).toMatch(/USING INDEX artifacts_by_dataset/)
    expect(plan(`SELECT dtype, shape, data FROM artifacts WHERE run_id = 1 AND name = 'A'`)).toMatch(/USING INDEX artifacts_by_run/)
    expect(plan(`SELECT label, confidence FROM labels WHERE run_id = 1 ORDER BY row_index`)).toMatch(/USING PRIMARY KEY/)
    expect(plan(`SELECT id FROM runs WHERE status IN ('running', 'queued')`)).toMatch(/USING (COVERING )?INDEX runs_by_status/)
  })

  it('is idempotent: migrating twice changes nothing', () => {
    const db = new Database(':memory:')
    migrate(db)
    const schema = db.prepare('SELECT sql FROM sqlite_schema ORDER BY name').pluck().all()
    migrate(db)
    expect(db.prepare('SELECT sql FROM sqlite_schema ORDER BY name').pluck().all()).toEqual(schema)
  })
})
