import type { Knex } from 'knex';
import type { ResourceDef } from '../registry/types.js';
import { bindable } from './bulk.js';
import { fieldFromRow, rowToRecord } from './rows.js';
import type { RecordVersion, StoredRecord } from './types.js';

/**
 * The read path of exports and feeds. On SQLite a query's SQL runs as a cached prepared statement
 * on a connection taken from knex's pool (so it waits its turn behind a transaction like any knex
 * query), returning rows as arrays: better-sqlite3 building a 40-key object per row, and knex
 * compiling every page anew, took more time than SQLite's own reading (docs/formats.md,
 * "Export performance"). PostgreSQL runs the query through knex as before.
 */

interface RawReader {
  raw(on: boolean): RawReader;
  all(...params: unknown[]): unknown[][];
  columns(): { name: string }[];
}
interface RawSqlite {
  prepare(sql: string): RawReader;
}
interface PoolClient {
  config: { client?: unknown };
  acquireConnection(): Promise<RawSqlite>;
  releaseConnection(conn: RawSqlite): Promise<unknown>;
}

/** A prepared read and where each of a resource's columns sits in its rows. */
interface Prepared {
  st: RawReader;
  at: Map<string, number>;
}

// Per connection; a whereIn of every list length is its own statement, so the cache is bounded.
const readers = new WeakMap<object, Map<string, Prepared>>();
const MAX_CACHED = 256;

function prepared(conn: RawSqlite, sql: string): Prepared {
  let cache = readers.get(conn);
  if (!cache) readers.set(conn, (cache = new Map()));
  let p = cache.get(sql);
  if (!p) {
    if (cache.size >= MAX_CACHED) cache.clear();
    const st = conn.prepare(sql).raw(true);
    p = { st, at: new Map(st.columns().map((c, i) => [c.name, i])) };
    cache.set(sql, p);
  }
  return p;
}

/** A row array as a record: the same decoding as rowToRecord, by column position. */
function arrayToRecord(def: ResourceDef, at: Map<string, number>, a: unknown[]): StoredRecord {
  const col = (name: string): unknown => a[at.get(name)!];
  const data: StoredRecord['data'] = {};
  for (const f of def.fields) data[f.name] = fieldFromRow(f, a[at.get(f.name)!]);
  const deleted = col('deleted');
  const fields = col('tm_fields');
  const decisions = col('tm_decisions');
  return {
    resource: def.name,
    id: Number(col('id')),
    seq: Number(col('tm_seq')),
    uuid: col('uuid') as string,
    created_on: col('created_on') as string,
    modified_on: col('modified_on') as string,
    deleted: deleted === true || deleted === 1,
    replaced_by: (col('replaced_by') as string | null) ?? null,
    origin: col('tm_origin') as string,
    changed_by: col('tm_changed_by') as string,
    version: JSON.parse(col('tm_version') as string) as Record<string, number>,
    hlc: col('tm_hlc') as string,
    data,
    ...(typeof fields === 'string' ? { fields: JSON.parse(fields) as RecordVersion['fields'] } : {}),
    ...(typeof decisions === 'string' ? { decisions: JSON.parse(decisions) as RecordVersion['decisions'] } : {}),
  };
}

/** The records `q` selects (`select *` of `def`'s table), in the query's order. */
export async function selectRecords(def: ResourceDef, q: Knex.QueryBuilder): Promise<StoredRecord[]> {
  const client = q.client as unknown as PoolClient;
  if (client.config.client !== 'better-sqlite3') return ((await q) as Record<string, unknown>[]).map((r) => rowToRecord(def, r));
  const { sql, bindings } = q.toSQL().toNative();
  const conn = await client.acquireConnection();
  try {
    const { st, at } = prepared(conn, sql);
    const out: StoredRecord[] = [];
    for (const a of st.all(...bindings.map(bindable))) out.push(arrayToRecord(def, at, a));
    return out;
  } finally {
    await client.releaseConnection(conn);
  }
}
