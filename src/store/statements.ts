/**
 * Prepared statements kept per better-sqlite3 connection, for the paths that bypass knex on SQLite
 * (bulk writes in bulk.ts, record reads in read.ts): preparing costs more than running a short
 * statement, and knex prepares every query anew.
 *
 * Bounded: a whereIn of every list length, or an insert of every column set, is a statement of
 * its own, so an unbounded cache grows for as long as the connection lives. The least recently
 * used statement goes first. A statement dropped from the cache stays valid for whoever holds it.
 *
 * Statements are shared by every caller on a connection: one that wants rows as arrays sets
 * `raw(true)` at each use, one that wants objects `raw(false)`, never trusting the last caller's mode.
 */

export interface CachedStatement {
  run(...params: unknown[]): { lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  raw(on: boolean): CachedStatement;
  columns(): { name: string }[];
}

/** A better-sqlite3 Database, as far as the cache needs it. */
export interface SqliteConnection {
  prepare(sql: string): CachedStatement;
}

export const MAX_CACHED_STATEMENTS = 256;

const caches = new WeakMap<object, Map<string, CachedStatement>>();

/** The prepared statement for `sql` on `conn`, prepared on first use. */
export function cachedStatement(conn: SqliteConnection, sql: string): CachedStatement {
  let cache = caches.get(conn);
  if (!cache) caches.set(conn, (cache = new Map()));
  let st = cache.get(sql);
  if (st) {
    // Map keeps insertion order: moving a hit to the end makes the first key the least recent.
    cache.delete(sql);
  } else {
    st = conn.prepare(sql);
    if (cache.size >= MAX_CACHED_STATEMENTS) cache.delete(cache.keys().next().value!);
  }
  cache.set(sql, st);
  return st;
}
