import { coded, TidemarkError } from '../errors.js';
import { nowIso } from '../registry/values.js';
import type { RecordVersion, Store, StoredRecord } from '../store/index.js';
import { ensureSyncTables } from './tables.js';

export interface ConflictEntry {
  id: number;
  resource: string;
  uuid: string;
  peer: string;
  policy: string;
  rule: string;
  winner: 'local' | 'remote' | 'merged';
  local: RecordVersion;
  remote: RecordVersion;
  result: RecordVersion;
  decided_on: string;
  reversed_on: string | null;
}

function toEntry(r: Record<string, unknown>): ConflictEntry {
  return {
    id: Number(r.id),
    resource: r.resource as string,
    uuid: r.uuid as string,
    peer: r.peer as string,
    policy: r.policy as string,
    rule: r.rule as string,
    winner: r.winner as ConflictEntry['winner'],
    local: JSON.parse(r.local as string) as RecordVersion,
    remote: JSON.parse(r.remote as string) as RecordVersion,
    result: JSON.parse(r.result as string) as RecordVersion,
    decided_on: r.decided_on as string,
    reversed_on: (r.reversed_on as string | null) ?? null,
  };
}

/** The version that lost a decision (for a field-by-field merge: both sides gave something up). */
export function loserOf(c: ConflictEntry): RecordVersion[] {
  return c.winner === 'local' ? [c.remote] : c.winner === 'remote' ? [c.local] : [c.local, c.remote];
}

export async function listConflicts(store: Store, opts: { resource?: string; uuid?: string; limit?: number; all?: boolean } = {}): Promise<ConflictEntry[]> {
  await ensureSyncTables(store.knex);
  const q = store.knex('tm_conflict').orderBy('id', 'desc');
  if (opts.limit) q.limit(opts.limit);
  if (opts.resource) q.where({ resource: opts.resource });
  if (opts.uuid) q.where({ uuid: opts.uuid });
  if (!opts.all) q.whereNull('reversed_on');
  return (await q).map((r: Record<string, unknown>) => toEntry(r));
}

export async function getConflict(store: Store, id: number): Promise<ConflictEntry> {
  await ensureSyncTables(store.knex);
  const r = await store.knex('tm_conflict').where({ id }).first();
  if (!r) throw new TidemarkError('not_found', `no conflict #${id}`);
  return toEntry(r as Record<string, unknown>);
}

/**
 * Reverses a decision: the losing version's content becomes the record again, as a new local
 * change that dominates every version seen, so it travels to every peer on the next syncs.
 */
export async function reverseConflict(store: Store, id: number, take?: 'local' | 'remote'): Promise<StoredRecord> {
  const c = await getConflict(store, id);
  if (c.reversed_on) throw coded('already_reversed', { id, on: c.reversed_on });
  const side = take ?? (c.winner === 'local' ? 'remote' : c.winner === 'remote' ? 'local' : undefined);
  if (!side) throw new TidemarkError('invalid', `conflict #${id} was merged field by field: say which side to take (--take local|remote)`);
  const loser = side === 'local' ? c.local : c.remote;
  return store.transaction(async (w) => {
    let out: StoredRecord;
    if (loser.deleted) out = await w.remove(c.resource, c.uuid, { replacedBy: loser.replaced_by });
    else out = await w.update(c.resource, c.uuid, loser.data, { checkReferences: false });
    await w.trx('tm_conflict').where({ id }).update({ reversed_on: nowIso() });
    return out;
  });
}
