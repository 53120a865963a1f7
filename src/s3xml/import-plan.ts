import { invalid, TidemarkError } from '../errors.js';
import type { FieldValue } from '../registry/values.js';
import { compareVersions, type RecordVersion, type StoredRecord } from '../store/index.js';
import { type Plan, type Rec, sameValue } from './import-units.js';

/** An instant to the second (Eden keeps modified_on to the second). */
const toSecond = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** The full field map of a record after this import: document values over the stored ones. */
export function finalData(rec: Rec, base: Record<string, FieldValue> | undefined, full: boolean): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const f of rec.def.fields) out[f.name] = f.name in rec.values ? rec.values[f.name]! : full ? null : (base?.[f.name] ?? null);
  for (const f of rec.def.fields) {
    if (f.required && (out[f.name] === null || out[f.name] === '')) {
      throw invalid('value required', { ...rec.item.where, element: 'resource', field: f.name });
    }
  }
  return out;
}

/**
 * What happens to one record given what the database holds (`prior`): `trustVersions` keeps a
 * Tidemark version exactly (compared by version vector); otherwise the document's values are an
 * edit made here, and the same values again change nothing.
 */
export function planRecord(rec: Rec, prior: StoredRecord | undefined, trustVersions: boolean, olderLoses = false): Plan {
  const { def, item } = rec;
  const where = { ...item.where, element: 'resource', resource: def.name, uuid: rec.uuid };
  if (def.referenceData) {
    if (prior) return { kind: 'skip' as const, rec };
    throw new TidemarkError('forbidden', `${def.name} is reference data shipped with Tidemark; it cannot be imported`, where);
  }
  if (item.meta && trustVersions) {
    // A version from another Tidemark instance: kept exactly, so the two stay comparable.
    const order = prior ? compareVersions(item.meta.version, prior.version) : 'newer';
    if (order === 'equal' || order === 'older') return { kind: 'skip' as const, rec };
    const modified_on = item.modified_on ?? prior?.modified_on ?? new Date().toISOString();
    // A tombstone carries no data: keep what is known (so an undelete has it), else nothing.
    const data = item.deleted ? (prior?.data ?? Object.fromEntries(def.fields.map((f) => [f.name, null]))) : finalData(rec, undefined, true);
    const version: RecordVersion = {
      resource: def.name,
      uuid: rec.uuid,
      created_on: item.created_on ?? prior?.created_on ?? modified_on,
      modified_on,
      deleted: item.deleted,
      replaced_by: item.deleted ? (item.replaced_by ?? null) : null,
      ...item.meta,
      data,
    };
    const counts: 'created' | 'updated' | 'deleted' | 'merged' = !prior ? (item.deleted ? 'deleted' : 'created') : item.deleted ? (item.replaced_by ? 'merged' : 'deleted') : 'updated';
    return { kind: 'version' as const, rec, version, counts, concurrent: order === 'concurrent' ? prior : undefined };
  }
  // A sender that re-sends everything (Eden's client) must not turn back a newer change made here.
  if (olderLoses && prior && item.modified_on && toSecond(item.modified_on) < toSecond(prior.modified_on)) return { kind: 'skip' as const, rec, stale: true };
  if (item.deleted) {
    if (!prior || (prior.deleted && prior.replaced_by === (item.replaced_by ?? null))) return { kind: 'skip' as const, rec };
    return { kind: 'delete' as const, rec };
  }
  if (!prior) return { kind: 'create' as const, rec, data: finalData(rec, undefined, false) };
  const data = finalData(rec, prior.data, false);
  // The same values again (a document imported twice): unchanged, its version untouched.
  if (!prior.deleted && def.fields.every((f) => sameValue(data[f.name] ?? null, prior.data[f.name] ?? null))) return { kind: 'skip' as const, rec };
  return { kind: 'update' as const, rec, data, prior };
}
