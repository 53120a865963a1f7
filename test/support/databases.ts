import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { tempDir } from './temp.js';

export type DbKind = 'sqlite' | 'postgres';

/** Both backends: every store-level suite runs on each, because they must behave identically. */
export const DB_KINDS: readonly DbKind[] = ['sqlite', 'postgres'];

/** The PostgreSQL server the tests use (scripts/test.sh starts a throwaway one). */
export function pgServerUrl(): string {
  const url = process.env.TIDEMARK_TEST_PG;
  if (!url) {
    throw new Error('TIDEMARK_TEST_PG is not set: run the tests with `npm test`, which starts a throwaway PostgreSQL server');
  }
  return url;
}

const made: { kind: DbKind; url: string; dir?: string }[] = [];

/** A fresh, empty database of the given kind; `dropTestDatabases()` removes them all. */
export async function freshDatabase(kind: DbKind): Promise<string> {
  if (kind === 'sqlite') {
    const dir = tempDir('tidemark-test');
    const url = `sqlite:${join(dir, 'test.db')}`;
    made.push({ kind, url, dir });
    return url;
  }
  const server = pgServerUrl();
  const name = `tm_test_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: server, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE ${name}`);
  } finally {
    await admin.destroy();
  }
  const u = new URL(server);
  u.pathname = `/${name}`;
  made.push({ kind, url: u.toString() });
  return u.toString();
}

export async function dropTestDatabases(): Promise<void> {
  while (made.length) {
    const m = made.pop()!;
    if (m.dir) rmSync(m.dir, { recursive: true, force: true });
    else {
      const admin = knexFactory({ client: 'pg', connection: pgServerUrl(), pool: { min: 0, max: 1 } });
      try {
        await admin.raw(`DROP DATABASE IF EXISTS ${new URL(m.url).pathname.slice(1)} WITH (FORCE)`);
      } finally {
        await admin.destroy();
      }
    }
  }
}
