import type { Knex } from 'knex';
import type { FieldValue } from '../registry/values.js';
import type { RecordVersion, Store } from '../store/index.js';
import { decodeCursor, encodeCursor } from '../store/index.js';
import { notTakenFrom, rowToRecord } from '../store/rows.js';
import { nowIso } from '../registry/values.js';
import { toWire, type Page } from './protocol.js';

/** The newest change sequence per resource (index look-ups; one statement). */
export async function resourceHeads(knex: Knex, resources: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!resources.length) return out;
  const sql = resources.map((r) => `select '${r}' as r, max(tm_seq) as h from ${r}`).join(' union all ');
  const res = (await knex.raw(sql)) as unknown;
  const rows = (Array.isArray(res) ? res : (res as { rows: unknown[] }).rows) as { r: string; h: number | string | null }[];
  for (const row of rows) out.set(row.r, Number(row.h ?? 0));
  return out;
}

export interface CollectOptions {
  limit?: number;
  filter?: Record<string, FieldValue>;
}

export interface Collected {
  records: RecordVersion[];
  /** The position this page reaches in my feed. */
  last: number;
  more: boolean;
}

/**
 * My changes of one resource after `after`, for `peer`: tombstones included, filtered, and
 * without the versions that came unchanged from that same peer (it has them). The position
 * reached may pass records that were left out, so the next page starts after them.
 */
export async function collectChanges(store: Store, peer: string, resource: string, after: number, opts: CollectOptions = {}): Promise<Collected> {
  const knex = store.knex;
  const limit = Math.max(1, Math.min(opts.limit ?? 1000, 10000));
  const def = store.registry.get(resource);
  // Read the head first: every sequence at or below it is committed (the counter is locked
  // until commit), so a page that ends at the head can never pass over a change still to come.
  const head = (await resourceHeads(knex, [resource])).get(resource) ?? 0;
  if (head <= after) return { records: [], last: after, more: false };
  const { q } = await feedQuery(knex, peer, resource, after, head);
  q.orderBy('tm_seq').limit(limit + 1);
  for (const [k, v] of Object.entries(opts.filter ?? {})) q.andWhere(k, v as Knex.Value);
  const rows = (await q) as Record<string, unknown>[];
  const more = rows.length > limit;
  const records = rows.slice(0, limit).map((r) => {
    const { id: _id, seq: _seq, ...v } = rowToRecord(def, r);
    return v;
  });
  const last = more ? Number(rows[limit - 1]!.tm_seq) : head;
  return { records, last, more };
}

/**
 * My feed of a resource in (after, head], less the versions taken unchanged from `peer` (it holds
 * them). Provenance is per row (`tm_from`), so a version stays unoffered to its sender whatever
 * re-sequenced it since (a master moved forward by a received component change, say).
 */
// (Returns a holder: a knex builder is thenable and would run if returned from an async function.)
async function feedQuery(knex: Knex, peer: string, resource: string, after: number, head: number): Promise<{ q: Knex.QueryBuilder }> {
  const q = notTakenFrom(knex(resource).where('tm_seq', '>', after).andWhere('tm_seq', '<=', head), peer);
  return { q };
}

/** Whether `peer` lacks anything of my feed in (after, head]: one indexed probe. */
export async function hasChangesFor(store: Store, peer: string, resource: string, after: number, head: number): Promise<boolean> {
  if (head <= after) return false;
  const { q } = await feedQuery(store.knex, peer, resource, after, head);
  const row = (await q.first('tm_seq')) as unknown;
  return row !== undefined;
}

/** How many records of my feed in (after, head] `peer` lacks (filtered as a sync would send them). */
export async function countChangesFor(store: Store, peer: string, resource: string, after: number, head: number, filter?: Record<string, FieldValue>): Promise<number> {
  if (head <= after) return 0;
  const { q } = await feedQuery(store.knex, peer, resource, after, head);
  for (const [k, v] of Object.entries(filter ?? {})) q.andWhere(k, v as Knex.Value);
  const [row] = (await q.count({ n: '*' })) as { n: number | string }[];
  return Number(row?.n ?? 0);
}

/** A page of my feed for `peer`, ready for any carrier. */
export async function collectPage(store: Store, peer: string, resource: string, from: string | null, opts: CollectOptions = {}): Promise<Page> {
  const after = from === null ? 0 : decodeCursor(from, store.instance.uuid);
  const c = await collectChanges(store, peer, resource, after, opts);
  return { resource, from, cursor: encodeCursor(store.instance.uuid, c.last), more: c.more, ...toWire(c.records) };
}

/** Records how far `peer` holds my feed (never backwards unless a reset was asked for). */
export async function recordAck(knex: Knex, peer: string, resource: string, seq: number, opts: { clearReset?: boolean } = {}): Promise<void> {
  const row = (await knex('tm_peer_ack').where({ peer, resource }).first()) as { seq: number; reset: boolean | number } | undefined;
  if (!row) {
    await knex('tm_peer_ack').insert({ peer, resource, seq, reset: false, updated_on: nowIso() }).onConflict(['peer', 'resource']).ignore();
    return;
  }
  const reset = Boolean(row.reset) && !opts.clearReset;
  if (seq === Number(row.seq) && reset === Boolean(row.reset)) return;
  await knex('tm_peer_ack').where({ peer, resource }).update({ seq, reset, updated_on: nowIso() });
}

/**
 * Sending `resource` to `peer` restarts from the start of my feed: its grant widened (records
 * the old one left out must now come), or it says it holds nothing of my feed any more. The
 * next send of every carrier starts from zero (sendFrom) and the peer's next acknowledgement
 * clears the mark.
 */
export async function restartSending(knex: Knex, peer: string, resources: readonly string[]): Promise<void> {
  for (const resource of resources) await knex('tm_peer_ack').insert({ peer, resource, seq: 0, reset: true, updated_on: nowIso() }).onConflict(['peer', 'resource']).merge();
}

export async function acks(knex: Knex, peer: string): Promise<Map<string, { seq: number; reset: boolean }>> {
  const rows = (await knex('tm_peer_ack').where({ peer })) as { resource: string; seq: number; reset: boolean | number }[];
  return new Map(rows.map((r) => [r.resource, { seq: Number(r.seq), reset: Boolean(r.reset) }]));
}

/** Per resource, how far I hold a peer's feed (its cursor) and how far it holds mine (my seq). */
export async function peerCursors(store: Store, peer: string): Promise<Map<string, { held: string | null; acked: number | null; reset: boolean }>> {
  const held = (await store.knex('tm_peer_cursor').where({ peer })) as { resource: string; cursor: string }[];
  const ack = await acks(store.knex, peer);
  const out = new Map<string, { held: string | null; acked: number | null; reset: boolean }>();
  for (const r of store.registry.dependencyOrder()) {
    const h = held.find((x) => x.resource === r)?.cursor ?? null;
    const a = ack.get(r);
    if (h !== null || a) out.set(r, { held: h, acked: a?.seq ?? null, reset: a?.reset ?? false });
  }
  return out;
}
