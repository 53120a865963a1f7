import type { Knex } from 'knex';
import { cachedStatement, type SqliteConnection } from './statements.js';

/**
 * The write paths that carry bulk imports. On SQLite they run one cached prepared statement per
 * row on the transaction's own better-sqlite3 connection: knex compiles and prepares every
 * statement anew, and for multi-row inserts of 30-column rows that compiling cost more than
 * SQLite's own work (see docs/formats.md, "Import performance"). PostgreSQL keeps knex's
 * multi-row INSERT, where one round trip per chunk is what matters.
 */

async function sqliteConnection(trx: Knex.Transaction): Promise<SqliteConnection | undefined> {
  const client = trx.client as { config: { client?: unknown }; acquireConnection(): Promise<SqliteConnection> };
  if (client.config.client !== 'better-sqlite3') return undefined;
  return client.acquireConnection();
}

/**
 * Takes `n` numbers of a change counter: its value after the increment and the HLC it holds, then
 * `stamp(row)` gives the HLC to store. On SQLite three cached statements on the transaction's
 * connection (an import allocates once per resource per batch: through knex these were a tenth
 * of a 100,000-record import's queries); PostgreSQL runs the same three through knex.
 */
export async function takeFromCounter(trx: Knex.Transaction, name: string, n: number, stamp: (row: { value: number; hlc: string }) => string): Promise<number> {
  const conn = await sqliteConnection(trx);
  if (!conn) {
    await trx('tm_counter').where({ name }).increment('value', n);
    const row = (await trx('tm_counter').where({ name }).first()) as { value: number | string; hlc: string };
    await trx('tm_counter').where({ name }).update({ hlc: stamp({ value: Number(row.value), hlc: row.hlc }) });
    return Number(row.value);
  }
  cachedStatement(conn, 'UPDATE "tm_counter" SET "value" = "value" + ? WHERE "name" = ?').run(n, name);
  const row = cachedStatement(conn, 'SELECT "value", "hlc" FROM "tm_counter" WHERE "name" = ?').raw(false).get(name) as { value: number; hlc: string };
  cachedStatement(conn, 'UPDATE "tm_counter" SET "hlc" = ? WHERE "name" = ?').run(stamp({ value: Number(row.value), hlc: row.hlc }), name);
  return Number(row.value);
}

// better-sqlite3 binds no booleans; knex turns them into 1/0 the same way.
export const bindable = (v: unknown): unknown => (v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v);

/** Inserts rows that all have the same columns; returns their new ids, in order. */
export async function insertRows(trx: Knex.Transaction, table: string, rows: readonly Record<string, unknown>[], perStatement: number): Promise<number[]> {
  const ids: number[] = [];
  if (!rows.length) return ids;
  const conn = await sqliteConnection(trx);
  if (!conn) {
    for (let i = 0; i < rows.length; i += perStatement) {
      const part = rows.slice(i, i + perStatement);
      // RETURNING's order is not promised: record rows are matched back by their unique uuid.
      const uuids = part.map((r) => r.uuid);
      const keyed = typeof uuids[0] === 'string' && new Set(uuids).size === part.length;
      const back = (await trx(table).insert(part).returning(keyed ? ['id', 'uuid'] : ['id'])) as { id: number | string; uuid?: string }[];
      const byUuid = keyed ? new Map(back.map((r) => [r.uuid, Number(r.id)])) : undefined;
      back.forEach((r, j) => ids.push(byUuid ? byUuid.get(part[j]!.uuid as string)! : Number(r.id)));
    }
    return ids;
  }
  const cols = Object.keys(rows[0]!);
  const st = cachedStatement(conn, `INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  // One parameter array reused for every row: no spread, no per-row array (sync receives and
  // imports write tens of thousands of 40-column rows).
  const params: unknown[] = new Array(cols.length);
  for (const row of rows) {
    for (let i = 0; i < cols.length; i++) params[i] = bindable(row[cols[i]!]);
    ids.push(Number(st.run(params).lastInsertRowid));
  }
  return ids;
}

/** Sets the change sequence of records by uuid (each pair: uuid, seq). */
export async function setSequences(trx: Knex.Transaction, table: string, pairs: readonly [string, number][]): Promise<void> {
  const conn = await sqliteConnection(trx);
  if (!conn) {
    for (const [uuid, seq] of pairs) await trx(table).where({ uuid }).update({ tm_seq: seq });
    return;
  }
  const st = cachedStatement(conn, `UPDATE "${table}" SET "tm_seq" = ? WHERE "uuid" = ?`);
  for (const [uuid, seq] of pairs) st.run(seq, uuid);
}

/** Updates whole rows by id (rows that all have the same columns, `id` among them). */
export async function updateRows(trx: Knex.Transaction, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  if (!rows.length) return;
  const conn = await sqliteConnection(trx);
  if (!conn) {
    for (const { id, ...row } of rows) await trx(table).where({ id }).update(row);
    return;
  }
  const cols = Object.keys(rows[0]!).filter((c) => c !== 'id');
  const st = cachedStatement(conn, `UPDATE "${table}" SET ${cols.map((c) => `"${c}" = ?`).join(', ')} WHERE "id" = ?`);
  const params: unknown[] = new Array(cols.length + 1);
  for (const row of rows) {
    for (let i = 0; i < cols.length; i++) params[i] = bindable(row[cols[i]!]);
    params[cols.length] = row.id;
    st.run(params);
  }
}
