import { coded, TidemarkError } from '../errors.js';
import { nowIso, type FieldValue } from '../registry/values.js';
import type { RecordVersion, Store, StoredRecord } from '../store/index.js';

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

export interface ConflictQuery {
  resource?: string;
  uuid?: string;
  /** The peer the conflicting version came from. */
  peer?: string;
  /** Decided at or after / before these instants (ISO). */
  since?: string;
  until?: string;
  limit?: number;
  offset?: number;
  /** Reversed decisions too. */
  all?: boolean;
}

export async function listConflicts(store: Store, opts: ConflictQuery = {}): Promise<ConflictEntry[]> {
  const q = store.knex('tm_conflict').orderBy('id', 'desc');
  if (opts.limit) q.limit(opts.limit);
  if (opts.offset) q.offset(opts.offset);
  if (opts.resource) q.where({ resource: opts.resource });
  if (opts.uuid) q.where({ uuid: opts.uuid });
  if (opts.peer) q.where({ peer: opts.peer });
  if (opts.since) q.where('decided_on', '>=', opts.since);
  if (opts.until) q.where('decided_on', '<', opts.until);
  if (!opts.all) q.whereNull('reversed_on');
  return (await q).map((r: Record<string, unknown>) => toEntry(r));
}

/** One field of a conflict, both sides and what was stored. */
export interface FieldDiff {
  field: string;
  local: FieldValue;
  remote: FieldValue;
  result: FieldValue;
  differs: boolean;
}

/** Field by field: the two versions side by side (deletion as a field of its own, `deleted`). */
export function diffConflict(store: Store, c: ConflictEntry): FieldDiff[] {
  const def = store.registry.get(c.resource);
  const row = (field: string, pick: (v: RecordVersion) => FieldValue): FieldDiff => {
    const local = pick(c.local);
    const remote = pick(c.remote);
    return { field, local, remote, result: pick(c.result), differs: JSON.stringify(local) !== JSON.stringify(remote) };
  };
  return [row('deleted', (v) => v.deleted), ...def.fields.map((f) => row(f.name, (v) => v.data[f.name] ?? null))];
}

export type Side = 'local' | 'remote';

/**
 * Decides a conflict by hand: one side whole, or field by field (fields not named keep the
 * stored value). The choice is written as a new local change that dominates both versions, so it
 * travels to every peer; the entry records it and stays reversible.
 */
export async function resolveConflict(store: Store, id: number, choice: { take: Side } | { fields: Record<string, Side> }): Promise<StoredRecord> {
  const c = await getConflict(store, id);
  const def = store.registry.get(c.resource);
  const data: Record<string, FieldValue> = { ...c.result.data };
  let deleted: RecordVersion;
  if ('take' in choice) {
    if (choice.take !== 'local' && choice.take !== 'remote') throw new TidemarkError('invalid', 'take local or remote', { field: 'take' });
    Object.assign(data, (choice.take === 'local' ? c.local : c.remote).data);
    deleted = choice.take === 'local' ? c.local : c.remote;
  } else {
    deleted = c.result;
    for (const [field, side] of Object.entries(choice.fields)) {
      if (side !== 'local' && side !== 'remote') throw new TidemarkError('invalid', `field ${field}: take local or remote`, { resource: c.resource, field });
      if (field === 'deleted') {
        deleted = side === 'local' ? c.local : c.remote;
        continue;
      }
      if (!def.fields.some((f) => f.name === field)) throw new TidemarkError('invalid', `unknown field "${field}"`, { resource: c.resource, field });
      data[field] = (side === 'local' ? c.local : c.remote).data[field] ?? null;
    }
  }
  const sides = 'take' in choice ? [choice.take] : [...new Set(Object.values(choice.fields))];
  const winner = sides.length === 1 && ('take' in choice || diffConflict(store, c).every((d) => !d.differs || choice.fields[d.field] === sides[0])) ? sides[0]! : 'merged';
  return store.transaction(async (w) => {
    const current = await w.getRow(c.resource, c.uuid);
    if (!current) throw new TidemarkError('not_found', 'no such record', { resource: c.resource, uuid: c.uuid });
    let out: StoredRecord;
    if (deleted.deleted) out = current.deleted ? current : await w.remove(c.resource, c.uuid, { replacedBy: deleted.replaced_by });
    else out = await w.update(c.resource, c.uuid, data, { checkReferences: false });
    const { id: _id, seq: _seq, ...version } = out;
    await w.trx('tm_conflict').where({ id }).update({ winner, rule: 'decided by hand', result: JSON.stringify(version), decided_on: nowIso(), reversed_on: null });
    return out;
  });
}

export async function getConflict(store: Store, id: number): Promise<ConflictEntry> {
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
