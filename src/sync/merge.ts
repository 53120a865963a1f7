import { createHash } from 'node:crypto';
import type { FieldValue } from '../registry/values.js';
import { DELETED_FIELD, dotOf, MAX_CARRIED_DECISIONS, type Dot, type MergeDecision, type RecordVersion, type VersionVector } from '../store/index.js';

/**
 * Field-level merge of two concurrent versions of one record, from per-field versions ("dots").
 *
 * Every field remembers the change that last set it: the instance and that instance's counter in
 * the record's version vector at the time (`RecordVersion.fields`). For two concurrent versions,
 * a field whose last change one side has seen (the other side's vector covers it) and the other
 * side made after is simply that side's; only a field both sides changed without seeing each
 * other's change is a conflict. Deletion is the pseudo-field `$deleted` (deleted + replaced_by).
 */

export type FieldSide = 'same' | 'local' | 'remote' | 'both';

const covers = (version: VersionVector, d: Dot): boolean => (version[d[0]] ?? 0) >= d[1];
const sameDot = (a: Dot, b: Dot): boolean => a[0] === b[0] && a[1] === b[1];

function valueOf(v: RecordVersion, field: string): FieldValue | { deleted: boolean; replaced_by: string | null } {
  return field === DELETED_FIELD ? { deleted: v.deleted, replaced_by: v.replaced_by } : (v.data[field] ?? null);
}
export const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Per field (and `$deleted`): which side holds its latest change, or `both` when they changed it concurrently. */
export function fieldSides(local: RecordVersion, remote: RecordVersion): Map<string, FieldSide> {
  const out = new Map<string, FieldSide>();
  const names = [...new Set([...Object.keys(local.data), ...Object.keys(remote.data)]), DELETED_FIELD];
  for (const f of names) {
    const same = sameValue(valueOf(local, f), valueOf(remote, f));
    const dl = dotOf(local, f);
    const dr = dotOf(remote, f);
    let side: FieldSide;
    if (sameDot(dl, dr)) side = 'same';
    else if (covers(remote.version, dl) && !covers(local.version, dr)) side = 'remote';
    else if (covers(local.version, dr) && !covers(remote.version, dl)) side = 'local';
    else side = 'both';
    // Both made the same value: nothing to decide (the later dot is kept, on both sides alike).
    if (side === 'both' && same) side = laterDot(dl, dr) === dl ? 'local' : 'remote';
    if (side === 'same' && !same) side = 'both';
    out.set(f, side);
  }
  return out;
}

function laterDot(a: Dot, b: Dot): Dot {
  if (a[1] !== b[1]) return a[1] > b[1] ? a : b;
  return a[0] >= b[0] ? a : b;
}

/**
 * The record made of each field from the side that holds it (`pick` says which side for the
 * fields in conflict), with that side's dot. The caller sets version, hlc and changer.
 */
export function assemble(local: RecordVersion, remote: RecordVersion, sides: Map<string, FieldSide>, pick: (field: string) => 'local' | 'remote'): RecordVersion {
  const data: Record<string, FieldValue> = {};
  const fields: Record<string, Dot> = {};
  let del = local;
  for (const [f, s] of sides) {
    const from = s === 'local' || s === 'same' ? local : s === 'remote' ? remote : pick(f) === 'local' ? local : remote;
    const d = dotOf(from, f);
    if (!(d[0] === from.origin && d[1] === 1)) fields[f] = d;
    if (f === DELETED_FIELD) del = from;
    else data[f] = from.data[f] ?? null;
  }
  return { ...local, data, fields, deleted: del.deleted, replaced_by: del.replaced_by };
}

/**
 * The same id on every instance that meets the same conflict (both sides decide it on their own),
 * so a decision that travels is logged once.
 */
export function decisionId(local: RecordVersion, remote: RecordVersion): string {
  const key = (v: VersionVector): string => JSON.stringify(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
  const pair = [key(local.version), key(remote.version)].sort();
  return createHash('sha256').update(`${local.uuid}|${pair[0]}|${pair[1]}`).digest('hex').slice(0, 32);
}

/** The decision as it travels: who kept and who lost which values, at what local times. */
export function makeDecision(
  local: RecordVersion,
  remote: RecordVersion,
  conflicted: readonly string[],
  winner: (field: string) => 'local' | 'remote',
  rule: string,
): MergeDecision {
  const fields: MergeDecision['fields'] = {};
  let kept: RecordVersion = local;
  let lost: RecordVersion = remote;
  for (const f of conflicted) {
    const w = winner(f) === 'local' ? local : remote;
    const l = w === local ? remote : local;
    kept = w;
    lost = l;
    fields[f] = [valueOf(w, f) as FieldValue, valueOf(l, f) as FieldValue];
  }
  return {
    id: decisionId(local, remote),
    rule,
    kept: { site: kept.changed_by, at: kept.modified_on },
    lost: { site: lost.changed_by, at: lost.modified_on },
    fields,
  };
}

/** Decisions carried by either side, each once (a merge keeps the history of both). */
export function unionDecisions(...lists: (readonly MergeDecision[] | undefined)[]): MergeDecision[] | undefined {
  const seen = new Map<string, MergeDecision>();
  for (const l of lists) for (const d of l ?? []) if (!seen.has(d.id)) seen.set(d.id, d);
  if (!seen.size) return undefined;
  // Bounded and in a stable order (the kept sides' times, then id), so both sides of a merge
  // carry the same list; the oldest go first.
  const key = (d: MergeDecision): string => `${d.kept.at}|${d.id}`;
  return [...seen.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1)).slice(-MAX_CARRIED_DECISIONS);
}
