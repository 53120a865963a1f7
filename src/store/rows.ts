import type { Knex } from 'knex';
import type { FieldDef, ResourceDef } from '../registry/types.js';
import type { FieldValue } from '../registry/values.js';
import type { RecordVersion, StoredRecord } from './types.js';

type Row = Record<string, unknown>;

/** A column's value as a field value: booleans and JSON decoded the same way on SQLite and PostgreSQL. */
export function fieldFromRow(f: FieldDef, v: unknown): FieldValue {
  if (v === null || v === undefined) return null;
  if (f.type === 'boolean') return v === true || v === 1;
  if (f.type === 'json') return JSON.parse(v as string) as FieldValue;
  if (f.type === 'integer' || f.type === 'double') return Number(v);
  return v as string;
}

/** A database row as a record: booleans and JSON decoded the same way on SQLite and PostgreSQL. */
export function rowToRecord(def: ResourceDef, row: Row): StoredRecord {
  const data: Record<string, FieldValue> = {};
  for (const f of def.fields) data[f.name] = fieldFromRow(f, row[f.name]);
  return {
    resource: def.name,
    id: Number(row.id),
    seq: Number(row.tm_seq),
    uuid: row.uuid as string,
    created_on: row.created_on as string,
    modified_on: row.modified_on as string,
    deleted: row.deleted === true || row.deleted === 1,
    replaced_by: (row.replaced_by as string | null) ?? null,
    origin: row.tm_origin as string,
    changed_by: row.tm_changed_by as string,
    version: JSON.parse(row.tm_version as string) as Record<string, number>,
    hlc: row.tm_hlc as string,
    data,
    ...(typeof row.tm_fields === 'string' ? { fields: JSON.parse(row.tm_fields) as RecordVersion['fields'] } : {}),
    ...(typeof row.tm_decisions === 'string' ? { decisions: JSON.parse(row.tm_decisions) as RecordVersion['decisions'] } : {}),
  };
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
