import type { Knex } from 'knex';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { TidemarkError } from '../errors.js';
import { loadKnex } from './knex.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  knex: Knex;
  dialect: Dialect;
  url: string;
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

/** Opens `sqlite:PATH` (embedded default) or `postgres://...` with the same knex API. */
export function openDatabase(url: string = process.env.TIDEMARK_DB ?? DEFAULT_DB_URL): Database {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (!path) throw new TidemarkError('invalid', `--db ${url}: no file path after "sqlite:"`);
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const knex = loadKnex()({
      client: 'better-sqlite3',
      connection: { filename: path },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          // WAL lets readers (the HTTP feed) run beside the writer; busy_timeout rides out a
          // second process (a CLI import while the daemon serves).
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 10000');
          // 8 MB of page cache instead of better-sqlite3's 16 MB: a 1,000,000-record import then
          // peaks under 200 MB RSS, and was no slower (docs/formats.md, "Memory").
          conn.pragma(`cache_size = -${Number(process.env.TIDEMARK_SQLITE_CACHE_KB ?? 8000)}`);
          done(null, conn);
        },
      },
    });
    return { knex, dialect: 'sqlite', url };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    preparePg();
    const knex = loadKnex()({ client: 'pg', connection: url, pool: { min: 0, max: 8 } });
    return { knex, dialect: 'postgres', url };
  }
  throw new TidemarkError('invalid', `--db ${url}: expected sqlite:PATH or postgres://...`);
}
