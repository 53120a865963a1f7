import { TidemarkError } from '../../errors.js';
import type { FieldDef, ResourceDef } from '../../registry/types.js';
import type { FieldValue } from '../../registry/values.js';
import { type RecordVersion } from '../../store/types.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { type RegistryCodebook } from './dictionary.js';
import { same } from './codec-merges.js';
import { isoMs, isoString, readRef, writeRef } from './codec-scalars.js';
import { View } from './codec-view.js';

/** The radio codec's field values: only what changed against the base, packed by type. */

/**
 * Changed fields as a list of index gaps or a bitmap, whichever is shorter (uvar count*2+mode),
 * then each value packed by type; booleans last, two bits each (null / false / true).
 */
export function writeFields(
  w: ByteWriter,
  res: ResourceDef,
  base: RecordVersion | undefined,
  rec: RecordVersion,
  refMs: number,
  view: View,
  book: RegistryCodebook,
): void {
  const changed: number[] = [];
  res.fields.forEach((f, i) => {
    if (!same(rec.data[f.name], base ? base.data[f.name] : null)) changed.push(i);
  });
  const bitmapBytes = Math.ceil(res.fields.length / 8);
  const useBitmap = changed.length > bitmapBytes;
  w.uvar(changed.length * 2 + (useBitmap ? 1 : 0));
  if (useBitmap) {
    const bits = new Uint8Array(bitmapBytes);
    for (const i of changed) bits[i >> 3]! |= 1 << (i & 7);
    w.bytes(bits);
  } else {
    let prev = -1;
    for (const i of changed) {
      w.uvar(i - prev - 1);
      prev = i;
    }
  }
  const bools: number[] = [];
  for (const i of changed) {
    const f = res.fields[i]!;
    const v = rec.data[f.name] ?? null;
    if (f.type === 'boolean') {
      if (v !== null && typeof v !== 'boolean') throw typeError(res, f, v);
      bools.push(v === null ? 0 : v ? 2 : 1);
    } else {
      writeValue(w, res, f, v, refMs, view, book);
    }
  }
  for (let i = 0; i < bools.length; i += 4) {
    let b = 0;
    for (let j = 0; j < 4 && i + j < bools.length; j++) b |= bools[i + j]! << (j * 2);
    w.byte(b);
  }
}

export function readFields(
  r: ByteReader,
  res: ResourceDef,
  base: RecordVersion | undefined,
  refMs: number,
  view: View,
  book: RegistryCodebook,
): Record<string, FieldValue> {
  const data: Record<string, FieldValue> = {};
  for (const f of res.fields) data[f.name] = base ? (base.data[f.name] ?? null) : null;
  const head = r.uvar();
  const n = Math.floor(head / 2);
  const changed: number[] = [];
  if (head % 2 === 1) {
    const bits = r.bytes(Math.ceil(res.fields.length / 8));
    for (let i = 0; i < res.fields.length; i++) if (bits[i >> 3]! & (1 << (i & 7))) changed.push(i);
    if (changed.length !== n) throw new TidemarkError('malformed', 'radio payload: field bitmap does not match its count');
  } else {
    let prev = -1;
    for (let k = 0; k < n; k++) {
      prev += r.uvar() + 1;
      changed.push(prev);
    }
  }
  const boolFields: FieldDef[] = [];
  for (const i of changed) {
    const f = res.fields[i];
    if (!f) throw new TidemarkError('malformed', `radio payload: ${res.name} has no field #${i}`);
    if (f.type === 'boolean') boolFields.push(f);
    else data[f.name] = readValue(r, f, refMs, view, book);
  }
  for (let i = 0; i < boolFields.length; i += 4) {
    const b = r.byte();
    for (let j = 0; j < 4 && i + j < boolFields.length; j++) {
      const code = (b >> (j * 2)) & 3;
      if (code === 3) throw new TidemarkError('malformed', 'radio payload: bad boolean code');
      data[boolFields[i + j]!.name] = code === 0 ? null : code === 2;
    }
  }
  return data;
}

export function typeError(res: ResourceDef, f: FieldDef, v: FieldValue): TidemarkError {
  return new TidemarkError('invalid', `value ${JSON.stringify(v)} does not fit a ${f.type} field`, { resource: res.name, field: f.name });
}

export const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
export const DAY = 86_400_000;

export function writeValue(w: ByteWriter, res: ResourceDef, f: FieldDef, v: FieldValue, refMs: number, view: View, book: RegistryCodebook): void {
  if (v === null) {
    w.byte(0);
    return;
  }
  switch (f.type) {
    case 'string':
    case 'text': {
      if (typeof v !== 'string') throw typeError(res, f, v);
      const k = f.options ? f.options.indexOf(v) : -1;
      // uvar: 0 null, 1..k option, k+1+len text (options are the common case).
      const nopt = f.options?.length ?? 0;
      if (k >= 0) {
        w.uvar(k + 1);
      } else {
        const b = Buffer.from(v, 'utf8');
        w.uvar(nopt + 1 + b.length).bytes(b);
      }
      return;
    }
    case 'integer': {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw typeError(res, f, v);
      // Null shares the tag: 0 null, else zigzag + 1.
      const zz = v >= 0 ? BigInt(v) * 2n : -BigInt(v) * 2n - 1n;
      w.uvar(zz + 1n < 2n ** 53n ? Number(zz + 1n) : zz + 1n);
      return;
    }
    case 'double': {
      if (typeof v !== 'number') throw typeError(res, f, v);
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) w.byte(1).svar(v);
      else if (Math.fround(v) === v || Number.isNaN(v)) w.byte(2).f32(v);
      else w.byte(3).f64(v);
      return;
    }
    case 'date': {
      if (typeof v !== 'string') throw typeError(res, f, v);
      const ms = DATE_RE.test(v) ? Date.parse(`${v}T00:00:00.000Z`) : NaN;
      if (Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === v) w.byte(1).svar(ms / DAY);
      else w.byte(2).str(v);
      return;
    }
    case 'datetime': {
      if (typeof v !== 'string') throw typeError(res, f, v);
      const ms = isoMs(v);
      if (ms !== null) w.byte(1).svar(ms - refMs);
      else w.byte(2).str(v);
      return;
    }
    case 'json': {
      const text = JSON.stringify(v);
      w.byte(1).str(text);
      return;
    }
    case 'reference': {
      if (typeof v !== 'string') throw typeError(res, f, v);
      writeRef(w, v, view, book);
      return;
    }
  }
}

export function readValue(r: ByteReader, f: FieldDef, refMs: number, view: View, book: RegistryCodebook): FieldValue {
  switch (f.type) {
    case 'string':
    case 'text': {
      const u = r.uvar();
      if (u === 0) return null;
      const nopt = f.options?.length ?? 0;
      if (u <= nopt) return f.options![u - 1]!;
      return Buffer.from(r.bytes(u - nopt - 1)).toString('utf8');
    }
    case 'integer': {
      const u = r.uvarBig();
      if (u === 0n) return null;
      const zz = u - 1n;
      const v = zz % 2n === 0n ? zz / 2n : -(zz + 1n) / 2n;
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw new TidemarkError('malformed', 'radio payload: integer out of range');
      return Number(v);
    }
    case 'double': {
      const tag = r.byte();
      if (tag === 0) return null;
      if (tag === 1) return r.svar();
      if (tag === 2) return r.f32();
      if (tag === 3) return r.f64();
      break;
    }
    case 'date': {
      const tag = r.byte();
      if (tag === 0) return null;
      if (tag === 1) return isoString(r.svar() * DAY).slice(0, 10);
      if (tag === 2) return r.str();
      break;
    }
    case 'datetime': {
      const tag = r.byte();
      if (tag === 0) return null;
      if (tag === 1) return isoString(refMs + r.svar());
      if (tag === 2) return r.str();
      break;
    }
    case 'json': {
      const tag = r.byte();
      if (tag === 0) return null;
      if (tag === 1) {
        try {
          return JSON.parse(r.str()) as FieldValue;
        } catch {
          throw new TidemarkError('malformed', 'radio payload: bad JSON value');
        }
      }
      break;
    }
    case 'reference':
      return readRef(r, view, book);
    case 'boolean':
      break;
  }
  throw new TidemarkError('malformed', `radio payload: bad value for ${f.name}`);
}
