import type { Migration } from './types'

/**
 * Projects, datasets, runs, artifacts (typed-array blobs) and labels.
 * STRICT tables; JSON columns hold small structured values (params, units, metrics),
 * never bulk numbers (those go to artifacts).
 */
export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE project (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by_version TEXT NOT NULL
      ) STRICT;

      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('tracks', 'snapshots')),
        rows INTEGER NOT NULL,
        entities INTEGER NOT NULL,
        times INTEGER NOT NULL,
        dim INTEGER NOT NULL,
        units TEXT NOT NULL,
        source TEXT NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}',
        warnings TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER REFERENCES datasets(id) ON DELETE CASCADE,
        method TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
        progress REAL NOT NULL DEFAULT 0,
        stage TEXT NOT NULL DEFAULT '',
        seed INTEGER,
        software_version TEXT NOT NULL,
        backend TEXT NOT NULL,
        metrics TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        seconds REAL
      ) STRICT;
      CREATE INDEX runs_by_dataset ON runs(dataset_id);
      CREATE INDEX runs_by_status ON runs(status);

      CREATE TABLE artifacts (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER REFERENCES datasets(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        dtype TEXT NOT NULL CHECK (dtype IN ('float64', 'float32', 'int32', 'uint32', 'uint8')),
        shape TEXT NOT NULL,
        data BLOB NOT NULL,
        created_at TEXT NOT NULL,
        CHECK ((dataset_id IS NULL) != (run_id IS NULL))
      ) STRICT;
      CREATE UNIQUE INDEX artifacts_by_dataset ON artifacts(dataset_id, name) WHERE dataset_id IS NOT NULL;
      CREATE UNIQUE INDEX artifacts_by_run ON artifacts(run_id, name) WHERE run_id IS NOT NULL;

      CREATE TABLE labels (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        row_index INTEGER NOT NULL,
        label TEXT NOT NULL,
        confidence REAL,
        PRIMARY KEY (run_id, row_index)
      ) STRICT, WITHOUT ROWID;
    `)
  },
}
