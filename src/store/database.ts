import type { Knex } from 'knex';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { TidemarkError } from '../errors.js';
import { loadKnex } from './knex.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  knex: Knex;
  dialect: Dialect;
  url: string;
  /**
   * SQLite: a second connection for reads that must never queue behind the write connection
   * (/health while a write waits for another process's lock). Opened on first use.
   */
  reader?: Knex;
}

const require = createRequire(import.meta.url);
let pgTypesSet = false;

/** The pg driver loads with the first PostgreSQL database, not with every SQLite command. */
function preparePg(): void {
  if (pgTypesSet) return;
  const pg = require('pg') as typeof import('pg');
  // int8 (counts, change sequences) as numbers: sequences stay far below 2^53.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  pgTypesSet = true;
}

export const DEFAULT_DB_URL = 'sqlite:./tidemark.db';

/** How long a write waits for the database's lock before it is `busy` (TIDEMARK_DB_BUSY_MS, default 10 s). */
export function busyMs(): number {
  const n = Number(process.env.TIDEMARK_DB_BUSY_MS);
  return Number.isInteger(n) && n > 0 ? n : 10000;
}

/** Opens `sqlite:PATH` (embedded default) or `postgres://...` with the same knex API. */
export function openDatabase(url: string = process.env.TIDEMARK_DB ?? DEFAULT_DB_URL): Database {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (!path) throw new TidemarkError('invalid', `--db ${url}: no file path after "sqlite:"`);
    if (path !== ':memory:') {
      mkdirSync(dirname(resolve(path)), { recursive: true });
      // Created readable by its owner only (SQLite gives its -wal and -shm files the same mode):
      // it holds peer tokens and password hashes.
      if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    }
    // WAL lets readers (the HTTP feed) run beside the writer; busy_timeout rides out a second
    // process (a CLI import while the daemon serves). 8 MB of page cache instead of
    // better-sqlite3's 16 MB: a 1,000,000-record import then peaks under 200 MB RSS, and was no
    // slower (docs/formats.md, "Memory"). The WAL is folded back into the database every 10,000
    // pages (40 MB) instead of SQLite's 1,000: a page of 1,000 received records dirties more than
    // 1,000 pages of the random-uuid indexes, so every commit paid a checkpoint (two fsyncs and a
    // copy of each page); receiving 100,000 records took 24 s instead of 16 s
    // (docs/sync-protocol.md, "Where the time goes").
    const knex = sqliteKnex(path, 1, [
      'journal_mode = WAL',
      'synchronous = NORMAL',
      `busy_timeout = ${busyMs()}`,
      `cache_size = -${Number(process.env.TIDEMARK_SQLITE_CACHE_KB ?? 8000)}`,
      'wal_autocheckpoint = 10000',
    ]);
    // In WAL mode a reader never waits for a writer; the short busy timeout covers a checkpoint.
    const reader = path === ':memory:' ? undefined : sqliteKnex(path, 0, ['busy_timeout = 200']);
    return { knex, dialect: 'sqlite', url, reader };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    preparePg();
    const knex = loadKnex()({
      client: 'pg',
      connection: url,
      pool: {
        min: 0,
        max: 8,
        // As SQLite's busy timeout: a write that waits longer for a lock fails as busy (503).
        afterCreate(conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
          conn.query(`SET lock_timeout = ${busyMs()}`, (err) => done(err, conn));
        },
      },
    });
    return { knex, dialect: 'postgres', url };
  }
  throw new TidemarkError('invalid', `--db ${url}: expected sqlite:PATH or postgres://...`);
}

/** One connection to a SQLite file (better-sqlite3 is synchronous: a pool of one), set up by `pragmas`. */
function sqliteKnex(path: string, min: 0 | 1, pragmas: string[]): Knex {
  return loadKnex()({
    client: 'better-sqlite3',
    connection: { filename: path },
    useNullAsDefault: true,
    pool: {
      min,
      max: 1,
      afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        for (const pragma of pragmas) conn.pragma(pragma);
        done(null, conn);
      },
    },
  });
}
