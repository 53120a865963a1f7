import { randomUUID } from 'node:crypto';
import { coded, TidemarkError } from '../errors.js';
import { nowIso, type FieldValue } from '../registry/values.js';
import { DELETED_FIELD, type MergeDecision, type RecordVersion, type Store, type StoredRecord, type Writer } from '../store/index.js';

/**
 * The conflict log as people read it: every decision this instance made or received with a
 * version (decisions travel, so every instance involved lists the same conflict), field by field,
 * decided by hand, reversed. Plain functions: the CLI, the HTTP API and the console are thin
 * faces over them.
 */

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
  /** The decision as it travels (reconstructed for entries logged before decisions travelled). */
  decision: MergeDecision;
}

function toEntry(r: Record<string, unknown>): ConflictEntry {
  const local = JSON.parse(r.local as string) as RecordVersion;
  const remote = JSON.parse(r.remote as string) as RecordVersion;
  const result = JSON.parse(r.result as string) as RecordVersion;
  const winner = r.winner as ConflictEntry['winner'];
  return {
    id: Number(r.id),
    resource: r.resource as string,
    uuid: r.uuid as string,
    peer: r.peer as string,
    policy: r.policy as string,
    rule: r.rule as string,
    winner,
    local,
    remote,
    result,
    decided_on: r.decided_on as string,
    reversed_on: (r.reversed_on as string | null) ?? null,
    decision: typeof r.detail === 'string' ? (JSON.parse(r.detail) as MergeDecision) : legacyDecision(String(r.id), local, remote, result, winner, r.rule as string),
  };
}

/** An entry from before decisions travelled: what the stored result overwrote of the losing side. */
function legacyDecision(id: string, local: RecordVersion, remote: RecordVersion, result: RecordVersion, winner: string, rule: string): MergeDecision {
  const lost = winner === 'local' ? remote : local;
  const fields: MergeDecision['fields'] = {};
  for (const f of Object.keys(result.data)) {
    if (JSON.stringify(result.data[f] ?? null) !== JSON.stringify(lost.data[f] ?? null)) fields[f] = [result.data[f] ?? null, lost.data[f] ?? null];
  }
  if (result.deleted !== lost.deleted || result.replaced_by !== lost.replaced_by) fields[DELETED_FIELD] = [deletion(result), deletion(lost)];
  return { id: `legacy-${id}`, rule, kept: { site: result.changed_by, at: result.modified_on }, lost: { site: lost.changed_by, at: lost.modified_on }, fields };
}

const deletion = (v: RecordVersion): FieldValue => ({ deleted: v.deleted, replaced_by: v.replaced_by }) as unknown as FieldValue;

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

/** The rule of a decision a person took (an open conflict is one only a policy decided). */
export const HAND_RULE = 'decided by hand';

/**
 * Decides a conflict by hand: one side whole, or field by field (fields not named keep the
 * stored value). Like a reversal, the choice is a decision of its own that travels with a new
 * local change dominating both versions: every instance logs it, the automatic decision it
 * replaces no longer stands there, and it can be reversed in turn. Returns the new entry.
 */
export async function resolveConflict(store: Store, id: number, choice: { take: Side } | { fields: Record<string, Side> }): Promise<{ record: StoredRecord; entry: number }> {
  const c = await getConflict(store, id);
  if (c.reversed_on) throw coded('already_reversed', { id, on: c.reversed_on });
  const def = store.registry.get(c.resource);
  const data: Record<string, FieldValue> = { ...c.result.data };
  const side = (s: Side): RecordVersion => (s === 'local' ? c.local : c.remote);
  const chosen: Record<string, Side> = {};
  let deleted: RecordVersion = c.result;
  if ('take' in choice) {
    if (choice.take !== 'local' && choice.take !== 'remote') throw new TidemarkError('invalid', 'take local or remote', { field: 'take' });
    Object.assign(data, side(choice.take).data);
    deleted = side(choice.take);
    for (const d of diffConflict(store, c)) if (d.differs) chosen[d.field] = choice.take;
  } else {
    for (const [field, s] of Object.entries(choice.fields)) {
      if (s !== 'local' && s !== 'remote') throw new TidemarkError('invalid', `field ${field}: take local or remote`, { resource: c.resource, field });
      chosen[field] = s;
      if (field === 'deleted') deleted = side(s);
      else if (!def.fields.some((f) => f.name === field)) throw new TidemarkError('invalid', `unknown field "${field}"`, { resource: c.resource, field });
      else data[field] = side(s).data[field] ?? null;
    }
  }
  const sides = [...new Set(Object.values(chosen))];
  const winner = sides.length === 1 && diffConflict(store, c).every((d) => !d.differs || chosen[d.field] === sides[0]) ? sides[0]! : 'merged';
  const now = nowIso();
  const other = (s: Side): Side => (s === 'local' ? 'remote' : 'local');
  const fields: MergeDecision['fields'] = {};
  for (const [f, s] of Object.entries(chosen)) {
    fields[f === 'deleted' ? DELETED_FIELD : f] = f === 'deleted' ? [deletion(side(s)), deletion(side(other(s)))] : [side(s).data[f] ?? null, side(other(s)).data[f] ?? null];
  }
  const decision: MergeDecision = {
    id: randomUUID().replace(/-/g, ''),
    rule: HAND_RULE,
    kept: { site: store.instance.uuid, at: now },
    lost: { site: c.decision.kept.site, at: c.decision.kept.at },
    fields,
    reverses: c.decision.id,
  };
  return store.transaction(async (w) => {
    const current = await w.getRow(c.resource, c.uuid);
    if (!current) throw new TidemarkError('not_found', 'no such record', { resource: c.resource, uuid: c.uuid });
    let record: StoredRecord;
    if (deleted.deleted) record = await w.remove(c.resource, c.uuid, { replacedBy: deleted.replaced_by, decisions: [decision] });
    else record = await w.update(c.resource, c.uuid, data, { checkReferences: false, decisions: [decision] });
    const entry = await replaceDecision(w, store, c, decision, { policy: 'HAND', winner, local: c.local, remote: c.remote, result: record });
    return { record, entry };
  });
}

/**
 * Logs a decision taken here by a person (a hand resolution or a reversal) in place of conflict
 * `c`: `c` is marked reversed and the new decision gets its own entry, which names it. Returns
 * the new entry's id.
 */
async function replaceDecision(
  w: Writer,
  store: Store,
  c: ConflictEntry,
  decision: MergeDecision,
  row: { policy: 'HAND' | 'REVERSAL'; winner: string; local: unknown; remote: unknown; result: StoredRecord },
): Promise<number> {
  const { id: _id, seq: _seq, ...version } = row.result;
  const now = decision.kept.at;
  await w.trx('tm_conflict').where({ id: c.id }).update({ reversed_on: now });
  await w.trx('tm_conflict').insert({
    resource: c.resource,
    uuid: c.uuid,
    peer: store.instance.uuid,
    policy: row.policy,
    rule: decision.rule,
    winner: row.winner,
    local: JSON.stringify(row.local),
    remote: JSON.stringify(row.remote),
    result: JSON.stringify(version),
    decided_on: now,
    decision: decision.id,
    detail: JSON.stringify(decision),
    reverses: c.id,
  });
  const entry = (await w.trx('tm_conflict').where({ decision: decision.id }).first('id')) as { id: number };
  return Number(entry.id);
}

export async function getConflict(store: Store, id: number): Promise<ConflictEntry> {
  const r = await store.knex('tm_conflict').where({ id }).first();
  if (!r) throw new TidemarkError('not_found', `no conflict #${id}`);
  return toEntry(r as Record<string, unknown>);
}

export interface DecisionField {
  field: string;
  kept: FieldValue;
  lost: FieldValue;
}

export interface ConflictView {
  id: number;
  resource: string;
  uuid: string;
  rule: string;
  reversed_on: string | null;
  /** Site names (this instance, paired peers; else the instance uuid) and the local times of both changes. */
  kept: { site: string; at: string };
  lost: { site: string; at: string };
  fields: DecisionField[];
}

/** Local wall-clock time of an instant, as people at the site read it. */
export function localTime(iso: string, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short' }).formatToParts(d);
  const p = (t: string): string => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')} ${p('timeZoneName')}`;
}

/** Instance uuids to the names people know them by (peers' names; this instance marked). */
export async function siteNames(store: Store): Promise<(uuid: string) => string> {
  const rows = (await store.knex('tm_peer').select('uuid', 'name')) as { uuid: string; name: string }[];
  const names = new Map(rows.map((r) => [r.uuid, r.name]));
  names.set(store.instance.uuid, `${store.instance.name} (this instance)`);
  return (u) => names.get(u) ?? u;
}

/** A decision field by field, with site names and local times (what `conflicts show` prints). */
export async function describeConflict(store: Store, id: number, opts: { timeZone?: string } = {}): Promise<ConflictView> {
  const c = await getConflict(store, id);
  const site = await siteNames(store);
  const d = c.decision;
  return {
    id: c.id,
    resource: c.resource,
    uuid: c.uuid,
    rule: d.rule,
    reversed_on: c.reversed_on,
    kept: { site: site(d.kept.site), at: localTime(d.kept.at, opts.timeZone) },
    lost: { site: site(d.lost.site), at: localTime(d.lost.at, opts.timeZone) },
    fields: Object.entries(d.fields).map(([field, [kept, lost]]) => ({ field, kept, lost })),
  };
}

/**
 * Reverses a decision: the lost values of the fields in conflict (or, with `take`, that side's
 * values of them) become the record's again, as a new local change that dominates every version
 * seen. The reversal is itself a decision (kept and lost swapped) that travels with the change,
 * so every instance logs it, and it can be reversed in turn.
 */
export async function reverseConflict(store: Store, id: number, take?: Side): Promise<StoredRecord> {
  const c = await getConflict(store, id);
  if (c.reversed_on) throw coded('already_reversed', { id, on: c.reversed_on });
  const d = c.decision;
  const now = nowIso();
  const restored = (f: string, lost: FieldValue): FieldValue => {
    if (!take) return lost;
    const v = take === 'local' ? c.local : c.remote;
    return f === DELETED_FIELD ? deletion(v) : (v.data[f] ?? null);
  };
  const fields: MergeDecision['fields'] = Object.fromEntries(Object.entries(d.fields).map(([f, [kept, lost]]) => [f, [restored(f, lost), kept]]));
  const reversal: MergeDecision = {
    id: randomUUID().replace(/-/g, ''),
    rule: 'reversal',
    kept: { site: store.instance.uuid, at: now },
    lost: { site: d.kept.site, at: d.kept.at },
    fields,
    reverses: d.id,
  };
  return store.transaction(async (w) => {
    const current = await w.getRow(c.resource, c.uuid);
    if (!current) throw new TidemarkError('not_found', 'the record is gone', { resource: c.resource, uuid: c.uuid });
    const patch: Record<string, FieldValue> = {};
    for (const [f, [value]] of Object.entries(fields)) if (f !== DELETED_FIELD) patch[f] = value;
    const del = fields[DELETED_FIELD]?.[0] as unknown as { deleted: boolean; replaced_by: string | null } | undefined;
    let out: StoredRecord;
    if (del?.deleted) {
      if (Object.keys(patch).length) await w.update(c.resource, c.uuid, patch, { checkReferences: false });
      out = await w.remove(c.resource, c.uuid, { replacedBy: del.replaced_by, decisions: [reversal] });
    } else {
      out = await w.update(c.resource, c.uuid, patch, { checkReferences: false, decisions: [reversal] });
    }
    await replaceDecision(w, store, c, reversal, { policy: 'REVERSAL', winner: 'local', local: current, remote: c.result, result: out });
    return out;
  });
}
