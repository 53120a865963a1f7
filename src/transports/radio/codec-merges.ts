import { TidemarkError } from '../../errors.js';
import type { Registry } from '../../registry/registry.js';
import type { ResourceDef } from '../../registry/types.js';
import type { FieldValue } from '../../registry/values.js';
import { DELETED_FIELD, type Dot, type RecordVersion } from '../../store/types.js';
import { readDecisions } from '../../sync/protocol.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { isBump } from './codec-versions.js';
import { View, at } from './codec-view.js';

/** The radio codec's merge section: per-field versions the receiver cannot derive, and decisions. */

// ---- fields -------------------------------------------------------------------------------

export function same(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'object' && a !== null) return typeof b === 'object' && b !== null && JSON.stringify(a) === JSON.stringify(b);
  return Object.is(a, b);
}

/** The same version of the same record, field for field. */
export function sameVersion(a: RecordVersion, b: RecordVersion): boolean {
  if (a.resource !== b.resource || a.hlc !== b.hlc || a.modified_on !== b.modified_on || a.created_on !== b.created_on) return false;
  if (a.deleted !== b.deleted || a.replaced_by !== b.replaced_by || a.origin !== b.origin || a.changed_by !== b.changed_by) return false;
  if (JSON.stringify(a.version) !== JSON.stringify(b.version)) return false;
  const keys = new Set([...Object.keys(a.data), ...Object.keys(b.data)]);
  for (const k of keys) if (!same(a.data[k], b.data[k])) return false;
  return true;
}

/**
 * The per-field versions the receiver can work out itself: those of the version it holds, and
 * for a single change over it (a bump by the changer) that change's dot on every changed field.
 * Undefined when it cannot know (a new record whose history is not a plain creation, say).
 */
export function deriveFields(res: ResourceDef, base: RecordVersion | undefined, rec: RecordVersion): Record<string, Dot> | undefined {
  if (!base) return JSON.stringify(rec.version) === JSON.stringify({ [rec.origin]: 1 }) ? {} : undefined;
  if (!base.fields) return undefined;
  const out: Record<string, Dot> = { ...base.fields };
  if (isBump(base.version, rec.version, rec.changed_by)) {
    const dot: Dot = [rec.changed_by, rec.version[rec.changed_by]!];
    for (const f of res.fields) if (!same(rec.data[f.name], base.data[f.name])) out[f.name] = dot;
    if (rec.deleted !== base.deleted || rec.replaced_by !== base.replaced_by) out[DELETED_FIELD] = dot;
  }
  return out;
}

/** Dots as stored: a field set at creation ([origin, 1]) is left out. */
export function dotsOf(rec: RecordVersion, fields: Record<string, Dot> | undefined): Map<string, Dot> | undefined {
  if (!fields) return undefined;
  return new Map(Object.entries(fields).filter(([, d]) => !(d[0] === rec.origin && d[1] === 1)));
}

export function sameDots(a: Record<string, Dot> | undefined, b: Record<string, Dot> | undefined): boolean {
  if (!a || !b) return a === b;
  const ka = Object.keys(a).filter((k) => a[k]![1] > 0);
  const kb = Object.keys(b);
  return ka.length === kb.length && kb.every((k) => a[k] !== undefined && a[k]![0] === b[k]![0] && a[k]![1] === b[k]![1]);
}

export const fieldIndex = (res: ResourceDef, name: string): number => (name === DELETED_FIELD ? res.fields.length : res.fields.findIndex((f) => f.name === name));
export const fieldName = (res: ResourceDef, i: number): string => (i === res.fields.length ? DELETED_FIELD : at(res.fields, i, 'field').name);

/**
 * The merge section: per listed record, its per-field versions as a difference from what the
 * receiver derives (uvar count*2 + unknown-flag, then field, instance, counter; counter 0 removes),
 * then its decisions as JSON ('' for none).
 */
export interface MergeEntry {
  n: number;
  rec: RecordVersion;
  derived: Record<string, Dot> | undefined;
  base: RecordVersion | undefined;
}

export const sameDecisions = (base: RecordVersion | undefined, rec: RecordVersion): boolean => JSON.stringify(base?.decisions ?? []) === JSON.stringify(rec.decisions ?? []);

export function writeMerges(w: ByteWriter, registry: Registry, merges: MergeEntry[], view: View): void {
  w.uvar(merges.length);
  let prev = -1;
  for (const { n, rec, derived, base } of merges) {
    const res = registry.get(rec.resource);
    w.uvar(n - prev - 1);
    prev = n;
    const want = dotsOf(rec, rec.fields);
    const have = dotsOf(rec, derived) ?? new Map<string, Dot>();
    const diff: [string, Dot][] = [];
    if (want) {
      for (const [f, d] of want) {
        const h = have.get(f);
        if (!h || h[0] !== d[0] || h[1] !== d[1]) diff.push([f, d]);
      }
      for (const f of have.keys()) if (!want.has(f)) diff.push([f, [rec.origin, 0]]);
    }
    w.uvar(diff.length * 2 + (want ? 0 : 1));
    for (const [f, d] of diff) {
      w.uvar(fieldIndex(res, f));
      // A dot's instance made a change counted in the vector, so the receiver knows it already.
      const id = view.instances.id(d[0]);
      if (id === undefined) throw new TidemarkError('invalid', `per-field version names ${d[0]}, not in the version vector`, { resource: rec.resource, uuid: rec.uuid });
      w.uvar(id);
      w.uvar(d[1]);
    }
    // Decisions only when they differ from those of the version the receiver holds ('' = same).
    w.str(sameDecisions(base, rec) ? '' : JSON.stringify(rec.decisions ?? []));
  }
}

export function readMerges(r: ByteReader, registry: Registry, changes: RecordVersion[], view: View): void {
  const count = r.uvar();
  let n = -1;
  for (let i = 0; i < count; i++) {
    n += r.uvar() + 1;
    const rec = at(changes, n, 'record');
    const res = registry.get(rec.resource);
    const head = r.uvar();
    const fields: Record<string, Dot> = { ...(rec.fields ?? {}) };
    for (let k = 0; k < head >> 1; k++) {
      const f = fieldName(res, r.uvar());
      const inst = view.instances.at(r.uvar());
      const c = r.uvar();
      if (c === 0) delete fields[f];
      else fields[f] = [inst, c];
    }
    if (head & 1) delete rec.fields;
    else rec.fields = fields;
    const text = r.str();
    if (text) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new TidemarkError('malformed', 'radio payload: decisions are not JSON');
      }
      const ds = readDecisions(parsed);
      if (!ds) throw new TidemarkError('malformed', 'radio payload: decisions malformed');
      if (ds.length) rec.decisions = ds;
      else delete rec.decisions;
    }
    view.setBase(rec);
  }
}

/** The record with every declared field present, in declaration order (null when unset). */
export function normalise(res: ResourceDef, rec: RecordVersion): RecordVersion {
  const data: Record<string, FieldValue> = {};
  for (const f of res.fields) data[f.name] = rec.data[f.name] ?? null;
  return { ...rec, version: { ...rec.version }, data };
}
