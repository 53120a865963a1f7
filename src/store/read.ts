import type { Knex } from 'knex';
import type { ResourceDef } from '../registry/types.js';
import { bindable } from './bulk.js';
import { decodeRow, rowLayout, rowToRecord, type RowLayout } from './rows.js';
import { cachedStatement, type CachedStatement, type SqliteConnection } from './statements.js';
import type { StoredRecord } from './types.js';

/**
 * The read path of exports and feeds. On SQLite a query's SQL runs as a cached prepared statement
 * on a connection taken from knex's pool (so it waits its turn behind a transaction like any knex
 * query), returning rows as arrays: better-sqlite3 building a 40-key object per row, and knex
 * compiling every page anew, took more time than SQLite's own reading (docs/formats.md,
 * "Export performance"). PostgreSQL runs the query through knex as before.
 */

interface PoolClient {
  config: { client?: unknown };
  acquireConnection(): Promise<SqliteConnection>;
  releaseConnection(conn: SqliteConnection): Promise<unknown>;
}

/** A read statement's column positions and, per resource, its row layout (a statement reads one table). */
interface Columns {
  at: Map<string, number>;
  layouts: Map<string, RowLayout>;
}

// Keyed by the cached statement: when the cache drops it, its layouts go with it.
const columnsOf = new WeakMap<CachedStatement, Columns>();

function columnsIn(st: CachedStatement): Columns {
  let c = columnsOf.get(st);
  if (!c) columnsOf.set(st, (c = { at: new Map(st.columns().map((col, i) => [col.name, i])), layouts: new Map() }));
  return c;
}

function layoutOf(st: CachedStatement, def: ResourceDef): RowLayout {
  const p = columnsIn(st);
  let l = p.layouts.get(def.name);
  if (!l) p.layouts.set(def.name, (l = rowLayout(def, (column) => p.at.get(column) ?? -1)));
  return l;
}

/** The records `q` selects (`select *` of `def`'s table), in the query's order. */
export async function selectRecords(def: ResourceDef, q: Knex.QueryBuilder): Promise<StoredRecord[]> {
  const client = q.client as unknown as PoolClient;
  if (client.config.client !== 'better-sqlite3') return ((await q) as Record<string, unknown>[]).map((r) => rowToRecord(def, r));
  const { sql, bindings } = q.toSQL().toNative();
  const conn = await client.acquireConnection();
  try {
    const st = cachedStatement(conn, sql);
    const layout = layoutOf(st, def);
    const out: StoredRecord[] = [];
    for (const a of st.raw(true).all(...bindings.map(bindable)) as unknown[][]) out.push(decodeRow(def, layout, a));
    return out;
  } finally {
    await client.releaseConnection(conn);
  }
}
