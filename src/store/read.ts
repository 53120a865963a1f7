import type { Knex } from 'knex';
import type { ResourceDef } from '../registry/types.js';
import { bindable } from './bulk.js';
import { fieldFromRow, rowToRecord } from './rows.js';
import { cachedStatement, type CachedStatement, type SqliteConnection } from './statements.js';
import type { RecordVersion, StoredRecord } from './types.js';

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

/** Where a resource's columns sit in a statement's rows. */
interface Layout {
  fields: number[];
  id: number;
  seq: number;
  uuid: number;
  created: number;
  modified: number;
  deleted: number;
  replacedBy: number;
  origin: number;
  changedBy: number;
  version: number;
  hlc: number;
  fieldVersions: number;
  decisions: number;
}

/** A read statement's column positions and, per resource, its row layout (a statement reads one table). */
interface Columns {
  at: Map<string, number>;
  layouts: Map<string, Layout>;
}

// Keyed by the cached statement: when the cache drops it, its layouts go with it.
const columnsOf = new WeakMap<CachedStatement, Columns>();

function columnsIn(st: CachedStatement): Columns {
  let c = columnsOf.get(st);
  if (!c) columnsOf.set(st, (c = { at: new Map(st.columns().map((col, i) => [col.name, i])), layouts: new Map() }));
  return c;
}

function layoutOf(st: CachedStatement, def: ResourceDef): Layout {
  const p = columnsIn(st);
  let l = p.layouts.get(def.name);
  if (!l) {
    const at = (name: string): number => p.at.get(name) ?? -1;
    l = {
      fields: def.fields.map((f) => at(f.name)),
      id: at('id'),
      seq: at('tm_seq'),
      uuid: at('uuid'),
      created: at('created_on'),
      modified: at('modified_on'),
      deleted: at('deleted'),
      replacedBy: at('replaced_by'),
      origin: at('tm_origin'),
      changedBy: at('tm_changed_by'),
      version: at('tm_version'),
      hlc: at('tm_hlc'),
      fieldVersions: at('tm_fields'),
      decisions: at('tm_decisions'),
    };
    p.layouts.set(def.name, l);
  }
  return l;
}

/**
 * A row array as a record: the same decoding as rowToRecord, by column position (no closure
 * per row: tsx wraps every named closure, which showed in the export's profile).
 */
function arrayToRecord(def: ResourceDef, l: Layout, a: unknown[]): StoredRecord {
  const data: StoredRecord['data'] = {};
  const fields = def.fields;
  for (let i = 0; i < fields.length; i++) data[fields[i]!.name] = fieldFromRow(fields[i]!, a[l.fields[i]!]);
  const deleted = a[l.deleted];
  const fieldVersions = a[l.fieldVersions];
  const decisions = a[l.decisions];
  return {
    resource: def.name,
    id: Number(a[l.id]),
    seq: Number(a[l.seq]),
    uuid: a[l.uuid] as string,
    created_on: a[l.created] as string,
    modified_on: a[l.modified] as string,
    deleted: deleted === true || deleted === 1,
    replaced_by: (a[l.replacedBy] as string | null) ?? null,
    origin: a[l.origin] as string,
    changed_by: a[l.changedBy] as string,
    version: JSON.parse(a[l.version] as string) as Record<string, number>,
    hlc: a[l.hlc] as string,
    data,
    ...(typeof fieldVersions === 'string' ? { fields: JSON.parse(fieldVersions) as RecordVersion['fields'] } : {}),
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
    const st = cachedStatement(conn, sql);
    const layout = layoutOf(st, def);
    const out: StoredRecord[] = [];
    for (const a of st.raw(true).all(...bindings.map(bindable)) as unknown[][]) out.push(arrayToRecord(def, layout, a));
    return out;
  } finally {
    await client.releaseConnection(conn);
  }
}
