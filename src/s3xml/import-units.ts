import { TidemarkError, type ErrorLocation } from '../errors.js';
import type { ResourceDef } from '../registry/types.js';
import type { FieldValue } from '../registry/values.js';
import type { RecordVersion, StoredRecord } from '../store/index.js';
import type { S3Item } from './model.js';

/**
 * What the importer (import.ts) works on: a document's record with its coerced values (Rec), a
 * unit of records written together (a top-level record with its components, and what it still
 * waits for), and the plan for each record once the database has been asked.
 */

export interface Rec {
  def: ResourceDef;
  item: S3Item;
  uuid: string;
  /** Coerced values given in the document (absent fields are not keys). */
  values: Record<string, FieldValue>;
  /**
   * The uuid made up for a record that came without uuid or tuid: it may yet be matched to an
   * existing record as Eden deduplicates (dedup.ts), which then lends its uuid.
   */
  generated?: string;
}

export interface Unit {
  recs: Rec[];
  /** What the unit refers to and is not yet known to exist: key -> where the reference is. */
  needs: Map<string, ErrorLocation>;
  /** tuid references waiting for their tuid: the value is filled in when the tuid is seen. */
  tuidRefs: { key: string; rec: Rec; field: string; resource: string }[];
  /** A record the sender may not write: it only resolves references to it (`referenced`). */
  lookupOnly?: boolean;
}

/** What happens to one record of the document. */
export type Plan =
  | { kind: 'create'; rec: Rec; data: Record<string, FieldValue> }
  | { kind: 'update'; rec: Rec; data: Record<string, FieldValue>; prior: StoredRecord }
  | { kind: 'version'; rec: Rec; version: RecordVersion; counts: 'created' | 'updated' | 'deleted' | 'merged'; concurrent?: StoredRecord }
  | { kind: 'delete'; rec: Rec }
  /** `stale`: older than the record held here (ImportOptions.olderLoses). */
  | { kind: 'skip'; rec: Rec; stale?: boolean };

/**
 * A copy of a string that shares no memory with the text it was cut from. Strings the parser
 * hands over are slices of a whole input chunk and keep it alive; anything the importer keeps
 * beyond the current batch is detached first, or memory would grow with the document.
 */
export const detach = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

export function detachUnit(u: Unit): void {
  const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
  for (const r of u.recs) {
    r.uuid = detach(r.uuid);
    if (r.generated) r.generated = detach(r.generated);
    r.values = copy(r.values);
    r.item = copy({ ...r.item, data: [], references: [], components: [] });
  }
  u.needs = new Map([...u.needs].map(([k, at]) => [detach(k), copy(at)]));
  for (const t of u.tuidRefs) t.key = detach(t.key);
}

export const key = (resource: string, uuid: string): string => `${resource}|${uuid}`;

/**
 * A json field's value from `value`: Eden keeps some as JSON text and writes the JSON of that text
 * (`value="&quot;[]&quot;"`); the store keeps the structure, so text that is JSON is read as such.
 */
export function jsonValue(raw: unknown): FieldValue {
  if (typeof raw !== 'string') return raw as FieldValue;
  try {
    return JSON.parse(raw) as FieldValue;
  } catch {
    return raw;
  }
}

export const sameValue = (a: FieldValue, b: FieldValue): boolean => a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));

/** A copy of a record's location pointing at one element of it (built only for problems). */
export function located(base: ErrorLocation, line: number | undefined, field: string, element = 'data'): ErrorLocation {
  return { ...base, line: line ?? base.line, field, element };
}

/** Keeps a user's mistake as a problem of the item; anything else is a bug and propagates. */
export function collect(problems: TidemarkError[], e: unknown): void {
  if (e instanceof TidemarkError) problems.push(e);
  else throw e;
}

/** Records that `rec` refers to `target`, unless the unit itself provides it. */
export function needRef(own: Unit, rec: Rec, resource: string, target: string, at: ErrorLocation): void {
  if (resource === rec.def.name && target === rec.uuid) return;
  for (const r of own.recs) if (r.uuid === target && r.def.name === resource) return;
  own.needs.set(key(resource, target), at);
}
