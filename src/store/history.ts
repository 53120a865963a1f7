import type { Knex } from 'knex';
import { TidemarkError } from '../errors.js';
import type { FieldValue } from '../registry/values.js';
import { nowIso } from '../registry/values.js';
import { insertRows } from './bulk.js';
import { DELETED_FIELD, type RecordVersion } from './types.js';

/**
 * A record's earlier versions and where each came from. Every version the store writes (a local
 * edit, an S3XML import, a version taken from a peer by HTTP, bundle or radio) is copied here in
 * the same transaction by the store's one write path (`Writer`), so nothing can change a record
 * without leaving its line. The table never syncs: it is this instance's account of what it held.
 */

/** Who wrote a version here: a person (console, CLI, API), an import, or a peer by a carrier. */
export interface WriteSource {
  kind: 'user' | 'import' | 'peer';
  /** The user's name, the imported document's name, or the peer's instance uuid. */
  name?: string | null;
  /** How a peer's version arrived: http, bundle, radio. */
  via?: string | null;
}

/**
 * How many versions of each record are kept (the newest; older ones are dropped as new ones
 * come). 20 covers a week or more of a hospital reporting its beds two or three times a day,
 * while bounding the table at 20 times the records' own size in the worst case; 0 keeps none.
 */
export const HISTORY_KEEP_DEFAULT = 20;
const KEEP_KEY = 'history_keep';
export const HISTORY_KEEP_MAX = 10_000;

/**
 * Versions are found by the record's local row id (`rid`), not its uuid: an index led by random
 * uuids has every one of its pages rewritten by each commit of a large sync or import, while row
 * ids of new records only ever append (receiving 100,000 records: COMMIT 5.0 s -> 2.2 s,
 * docs/sync-protocol.md, "Where the time goes"). `uuid` stays for records purged since.
 */
export async function migrateHistoryTable(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable('tm_history')) {
    if (!(await knex.schema.hasColumn('tm_history', 'rid'))) {
      // Marked before the column is added: a re-keying cut off (killed, a power cut) resumes at
      // the next open instead of leaving versions that no record's row id finds.
      await knex('tm_settings').insert({ key: REKEY_PENDING, value: '1' }).onConflict('key').merge();
      await knex.schema.alterTable('tm_history', (t) => t.bigInteger('rid'));
    }
    if (await knex('tm_settings').where({ key: REKEY_PENDING }).first()) await keyHistoryByRowId(knex);
    return;
  }
  await knex.schema.createTable('tm_history', (t) => {
    t.increments('id');
    t.string('resource', 64).notNullable();
    t.bigInteger('rid');
    t.string('uuid', 64).notNullable();
    t.bigInteger('seq').notNullable();
    t.string('hlc', 24).notNullable();
    t.string('modified_on', 24).notNullable();
    t.string('changed_by', 36).notNullable();
    t.boolean('deleted').notNullable();
    t.string('source', 8).notNullable(); // user | import | peer
    t.string('source_name', 255);
    t.string('via', 16);
    t.string('recorded_on', 24).notNullable();
    t.text('version').notNullable(); // the version vector (JSON)
    t.text('body').notNullable(); // { data, replaced_by } (JSON)
    t.index(['resource', 'rid', 'id']);
  });
}

const REKEY_PENDING = 'history_rekey_pending';
/** Versions' ids per UPDATE while re-keying: progress between statements, none too long. */
const REKEY_IDS = 20_000;
const PROGRESS_EVERY_MS = 5_000;

/**
 * A history kept by uuid (before rid): each version gets its record's row id, and the index
 * follows. Seconds per million versions, more with large bodies or a slow disk, so it logs
 * where it stands (pino, every 5 s); only versions still without a row id are keyed, so a
 * resumed run skips what was done.
 */
async function keyHistoryByRowId(knex: Knex): Promise<void> {
  // pino loads only for this one-off work: opening a store does not load it otherwise.
  const log = (await import('../log.js')).logger.child({ component: 'store' });
  const started = Date.now();
  const count = (await knex('tm_history').whereNull('rid').count({ n: '*' }).first()) as { n: number | string } | undefined;
  const total = Number(count?.n ?? 0);
  log.info({ versions: total }, 'keying the version history by record row id (once, after an upgrade)');
  // One CASE over the resources, so that each UPDATE reads its id range by the primary key alone
  // (per resource, SQLite chose the resource's index and read all its versions for every range).
  const resources = ((await knex('tm_history').whereNull('rid').distinct('resource')) as { resource: string }[]).map((r) => r.resource);
  const tables: string[] = [];
  for (const r of resources) if (await knex.schema.hasTable(r)) tables.push(r);
  const rowId = knex.raw(`CASE ?? ${tables.map(() => 'WHEN ? THEN (?)').join(' ')} END`, [
    'tm_history.resource',
    ...tables.flatMap((t) => [t, knex(t).select('id').where('uuid', knex.ref('tm_history.uuid'))]),
  ]);
  const span = (await knex('tm_history').whereNull('rid').min({ lo: 'id' }).max({ hi: 'id' }).first()) as { lo: number | string | null; hi: number | string | null };
  let done = 0;
  let shown = started;
  for (let from = Number(span.lo); tables.length && span.lo !== null && from <= Number(span.hi); from += REKEY_IDS) {
    done += await knex('tm_history').whereNull('rid').whereBetween('id', [from, from + REKEY_IDS - 1]).update({ rid: rowId });
    if (Date.now() - shown >= PROGRESS_EVERY_MS) {
      shown = Date.now();
      log.info({ done, of: total }, 'keying the version history by record row id');
    }
  }
  // IF (NOT) EXISTS: a run cut off after the index changed and before the mark went resumes too.
  await knex.raw('DROP INDEX IF EXISTS tm_history_resource_uuid_id_index');
  await knex.raw('CREATE INDEX IF NOT EXISTS tm_history_resource_rid_id_index ON tm_history (resource, rid, id)');
  await knex('tm_settings').where({ key: REKEY_PENDING }).delete();
  log.info({ versions: done, ms: Date.now() - started }, 'version history keyed by record row id');
}

export async function historyKeep(knex: Knex): Promise<number> {
  const row = (await knex('tm_settings').where({ key: KEEP_KEY }).first()) as { value: string } | undefined;
  const n = row ? Number(row.value) : HISTORY_KEEP_DEFAULT;
  return Number.isInteger(n) && n >= 0 ? n : HISTORY_KEEP_DEFAULT;
}

export async function setHistoryKeep(knex: Knex, n: number): Promise<void> {
  if (!Number.isInteger(n) || n < 0 || n > HISTORY_KEEP_MAX) {
    throw new TidemarkError('invalid', `versions kept per record: a whole number from 0 to ${HISTORY_KEEP_MAX}`, { field: 'history_keep' });
  }
  await knex('tm_settings').insert({ key: KEEP_KEY, value: String(n) }).onConflict('key').merge();
}

/**
 * Copies written versions into the history and drops what is beyond `keep` for the records in
 * `known` (records that already had versions; a new record has only this one).
 */
export async function recordHistory(trx: Knex.Transaction, versions: readonly RecordVersion[], source: WriteSource, keep: number, known: readonly RecordVersion[]): Promise<void> {
  if (!keep || !versions.length) return;
  const now = nowIso();
  const rows = versions.map((v) => ({
    resource: v.resource,
    rid: (v as { id?: number }).id ?? null,
    uuid: v.uuid,
    seq: (v as { seq?: number }).seq ?? 0,
    hlc: v.hlc,
    modified_on: v.modified_on,
    changed_by: v.changed_by,
    deleted: v.deleted,
    source: source.kind,
    source_name: source.name ?? null,
    via: source.via ?? null,
    recorded_on: now,
    version: JSON.stringify(v.version),
    body: JSON.stringify({ data: v.data, replaced_by: v.replaced_by }),
  }));
  await insertRows(trx, 'tm_history', rows, 200);
  const byResource = new Map<string, number[]>();
  for (const v of known) {
    const list = byResource.get(v.resource) ?? byResource.set(v.resource, []).get(v.resource)!;
    list.push((v as { id?: number }).id ?? 0);
  }
  for (const [resource, ids] of byResource) {
    const all = [...new Set(ids)];
    for (let i = 0; i < all.length; i += 400) {
      const part = all.slice(i, i + 400);
      // Window functions: the same statement on SQLite (3.25+) and PostgreSQL.
      await trx('tm_history')
        .whereIn('id', (q) =>
          q
            .select('id')
            .from(
              trx('tm_history')
                .select('id', trx.raw('row_number() over (partition by rid order by id desc) as rn'))
                .where({ resource })
                .whereIn('rid', part)
                .as('ranked'),
            )
            .where('rn', '>', keep),
        )
        .delete();
    }
  }
}

/** One kept version, newest first, with what changed from the version before it. */
export interface HistoryEntry {
  id: number;
  seq: number;
  hlc: string;
  modified_on: string;
  recorded_on: string;
  changed_by: string;
  deleted: boolean;
  replaced_by: string | null;
  source: WriteSource['kind'];
  source_name: string | null;
  via: string | null;
  version: Record<string, number>;
  data: Record<string, FieldValue>;
  /** Field by field against the previous kept version (every set field for the first one). */
  changes: { field: string; before: FieldValue | undefined; after: FieldValue }[];
}

/** The kept versions of one record, newest first. */
export async function readHistory(knex: Knex, resource: string, uuid: string, opts: { limit?: number } = {}): Promise<HistoryEntry[]> {
  const record = (await knex(resource).where({ uuid }).first('id')) as { id: number | string } | undefined;
  // A record purged since is found by its uuid (a scan: only ever asked for by hand).
  const q = record ? knex('tm_history').where({ resource, rid: Number(record.id) }) : knex('tm_history').where({ resource, uuid });
  const rows = (await q.orderBy('id', 'desc').limit(opts.limit ?? HISTORY_KEEP_MAX)) as Record<string, unknown>[];
  const entries = rows.map((r): HistoryEntry => {
    const body = JSON.parse(r.body as string) as { data: Record<string, FieldValue>; replaced_by: string | null };
    return {
      id: Number(r.id),
      seq: Number(r.seq),
      hlc: r.hlc as string,
      modified_on: r.modified_on as string,
      recorded_on: r.recorded_on as string,
      changed_by: r.changed_by as string,
      deleted: r.deleted === true || r.deleted === 1,
      replaced_by: body.replaced_by,
      source: r.source as WriteSource['kind'],
      source_name: (r.source_name as string | null) ?? null,
      via: (r.via as string | null) ?? null,
      version: JSON.parse(r.version as string) as Record<string, number>,
      data: body.data,
      changes: [],
    };
  });
  entries.forEach((e, i) => (e.changes = versionDiff(entries[i + 1], e)));
  return entries;
}

/** What differs from `before` to `after`, field by field; the deleted state as `$deleted`. */
export function versionDiff(before: Pick<HistoryEntry, 'data' | 'deleted' | 'replaced_by'> | undefined, after: Pick<HistoryEntry, 'data' | 'deleted' | 'replaced_by'>): HistoryEntry['changes'] {
  const out: HistoryEntry['changes'] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const names = new Set([...Object.keys(before?.data ?? {}), ...Object.keys(after.data)]);
  for (const f of names) {
    const a = before?.data[f];
    const b = after.data[f] ?? null;
    if (before ? !same(a, b) : b !== null) out.push({ field: f, before: before ? (a ?? null) : undefined, after: b });
  }
  const state = (v: { deleted: boolean; replaced_by: string | null }): string => (v.deleted ? (v.replaced_by ? `merged into ${v.replaced_by}` : 'deleted') : 'live');
  if (before && state(before) !== state(after)) out.push({ field: DELETED_FIELD, before: state(before), after: state(after) });
  return out;
}
