import type { Knex } from 'knex';
import type { FieldDef, ResourceDef } from '../registry/types.js';
import type { FieldValue } from '../registry/values.js';
import type { RecordVersion, StoredRecord } from './types.js';

type Row = Record<string, unknown>;

/** A column's value as a field value: booleans and JSON decoded the same way on SQLite and PostgreSQL. */
function fieldFromRow(f: FieldDef, v: unknown): FieldValue {
  if (v === null || v === undefined) return null;
  if (f.type === 'boolean') return v === true || v === 1;
  if (f.type === 'json') return JSON.parse(v as string) as FieldValue;
  if (f.type === 'integer' || f.type === 'double') return Number(v);
  return v as string;
}

/**
 * Where a record's columns sit in a row: names in a row object (knex), positions in a row array
 * (the SQLite read path, src/store/read.ts). One decoder reads both.
 */
export interface RowLayout {
  fields: (string | number)[];
  id: string | number;
  seq: string | number;
  uuid: string | number;
  created: string | number;
  modified: string | number;
  deleted: string | number;
  replacedBy: string | number;
  origin: string | number;
  changedBy: string | number;
  version: string | number;
  hlc: string | number;
  fieldVersions: string | number;
  decisions: string | number;
}

/** A resource's layout with `at(column)` for each column: its name, or its position (-1 if absent). */
export function rowLayout(def: ResourceDef, at: (column: string) => string | number): RowLayout {
  return {
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
}

/**
 * A row as a record, its columns found through `l` (a plain loop, no closure per row: the export's
 * hot path).
 */
export function decodeRow(def: ResourceDef, l: RowLayout, row: Row | unknown[]): StoredRecord {
  const a = row as Record<string | number, unknown>;
  const data: Record<string, FieldValue> = {};
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

const byName = new WeakMap<ResourceDef, RowLayout>();

/** A database row as a record: booleans and JSON decoded the same way on SQLite and PostgreSQL. */
export function rowToRecord(def: ResourceDef, row: Row): StoredRecord {
  let l = byName.get(def);
  if (!l) byName.set(def, (l = rowLayout(def, (column) => column)));
  return decodeRow(def, l, row);
}

/** The row for a record version at local sequence `seq`. */
export function versionToRow(def: ResourceDef, v: RecordVersion, seq: number): Row {
  const row: Row = {
    uuid: v.uuid,
    created_on: v.created_on,
    modified_on: v.modified_on,
    deleted: v.deleted,
    replaced_by: v.replaced_by,
    tm_seq: seq,
    tm_origin: v.origin,
    tm_changed_by: v.changed_by,
    tm_version: JSON.stringify(v.version),
    tm_hlc: v.hlc,
    tm_fields: v.fields ? JSON.stringify(v.fields) : null,
    tm_decisions: v.decisions?.length ? JSON.stringify(v.decisions) : null,
  };
  for (const f of def.fields) {
    const value = v.data[f.name];
    row[f.name] = value === undefined || value === null ? null : f.type === 'json' ? JSON.stringify(value) : value;
  }
  return row;
}

/**
 * Echo suppression: rows other than those taken unchanged from `peer` (`tm_from`, set when a
 * version is written as a peer sent it). The peer holds those already; they are never offered
 * back to it, whatever carrier asks (the native feed, Eden's pulls).
 */
export function notTakenFrom(q: Knex.QueryBuilder, peer: string): Knex.QueryBuilder {
  return q.andWhere((b) => b.whereNull('tm_from').orWhereNot('tm_from', peer));
}
