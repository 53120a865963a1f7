import { invalid, type ErrorLocation } from '../errors.js';
import { codeOfLabel } from './eden-codes.js';
import type { FieldDef } from './types.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type FieldValue = JsonValue;

const ISO_ZONED = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const digits = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + s.charCodeAt(i) - 48;
  return n;
};

/**
 * Whether a value of the CANONICAL shape names a real instant (month, day of that month, hour,
 * minute, second in range), checked by its digits: a Date built and printed again for every
 * stamp of every record was a twentieth of an import's time.
 */
function canonicalInRange(v: string): boolean {
  const year = digits(v, 0, 4);
  const month = digits(v, 5, 7);
  const day = digits(v, 8, 10);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return month >= 1 && month <= 12 && day >= 1 && day <= days && digits(v, 11, 13) <= 23 && digits(v, 14, 16) <= 59 && digits(v, 17, 19) <= 59;
}

/**
 * Normalises an instant to the one form Tidemark stores and writes: UTC, milliseconds, `Z`.
 * A zone-less value (as Sahana Eden writes them) is read as UTC.
 */
export function toUtcIso(value: string | Date, where: ErrorLocation = {}): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid('invalid date', where);
    return value.toISOString();
  }
  // Already in the stored form (the common case on import): checked, not rebuilt.
  if (CANONICAL.test(value) && canonicalInRange(value)) return value;
  const v = value.trim();
  const m = ISO_ZONED.exec(v);
  if (!m) {
    if (DATE_ONLY.test(v)) return `${v}T00:00:00.000Z`;
    throw invalid(`"${value}" is not an ISO 8601 date-time`, where);
  }
  const zone = m[8] ?? 'Z';
  const frac = m[7] ? m[7].slice(0, 4).padEnd(4, '0') : '.000';
  const normalised = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${frac}${zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`;
  const d = new Date(normalised);
  if (Number.isNaN(d.getTime())) throw invalid(`"${value}" is not a valid date-time`, where);
  return d.toISOString();
}

export function nowIso(): string {
  return new Date().toISOString();
}

// Built only when a value is refused: imports call coerceValue for every value of every record.
const fieldWhere = (where: ErrorLocation, field: FieldDef): ErrorLocation => ({ ...where, field: field.name });

/**
 * Turns a raw value (from JSON, an S3XML `value` attribute or element text, a CLI argument)
 * into the typed value of a field, or says precisely why it cannot.
 */
export function coerceValue(field: FieldDef, raw: unknown, where: ErrorLocation = {}): FieldValue {
  if (raw === null || raw === undefined || raw === '') {
    if (field.type === 'string' || field.type === 'text') return raw === '' ? '' : null;
    return null;
  }
  switch (field.type) {
    case 'string':
    case 'text':
    case 'reference': {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw invalid(`expected text, got ${typeof raw}`, fieldWhere(where, field));
      const v = String(raw);
      if (field.type === 'string' && v.length > (field.length ?? 255)) {
        throw invalid(`longer than ${field.length ?? 255} characters`, fieldWhere(where, field));
      }
      if (field.options && !field.options.includes(v)) {
        throw invalid(`"${v}" is not one of ${field.options.join(', ')}`, fieldWhere(where, field));
      }
      if (field.type === 'reference' && !/^urn:uuid:[0-9a-f-]{36}$/i.test(v) && !/^[^\s]{1,128}$/.test(v)) {
        throw invalid(`"${v}" is not a uuid`, fieldWhere(where, field));
      }
      return v;
    }
    case 'integer': {
      let n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : NaN;
      // A coded field given by its label (a hand-written document, a CLI argument).
      if (field.codes && typeof raw === 'string' && Number.isNaN(n)) n = codeOfLabel(field.codes, raw) ?? NaN;
      if (!Number.isSafeInteger(n)) throw invalid(`"${String(raw)}" is not an integer${field.codes ? ' code' : ''}`, fieldWhere(where, field));
      if (field.codes && !(n in field.codes)) {
        throw invalid(`${n} is not one of the codes ${Object.entries(field.codes).map(([k, v]) => `${k} (${v})`).join(', ')}`, fieldWhere(where, field));
      }
      return n;
    }
    case 'double': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw invalid(`"${String(raw)}" is not a number`, fieldWhere(where, field));
      return n;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 1 || raw === 0) return raw === 1;
      const v = String(raw).trim().toLowerCase();
      if (v === 'true' || v === '1' || v === 'yes') return true;
      if (v === 'false' || v === '0' || v === 'no') return false;
      throw invalid(`"${String(raw)}" is not a boolean`, fieldWhere(where, field));
    }
    case 'date': {
      const v = String(raw).trim();
      if (!DATE_ONLY.test(v) || Number.isNaN(new Date(`${v}T00:00:00Z`).getTime())) {
        throw invalid(`"${v}" is not a date (YYYY-MM-DD)`, fieldWhere(where, field));
      }
      return v;
    }
    case 'datetime':
      if (typeof raw !== 'string') throw invalid(`expected an ISO 8601 date-time, got ${typeof raw}`, fieldWhere(where, field));
      return toUtcIso(raw, fieldWhere(where, field));
    case 'json':
      if (typeof raw === 'string') {
        try {
          return JSON.parse(raw) as JsonValue;
        } catch {
          throw invalid(`not valid JSON: ${raw.slice(0, 40)}`, fieldWhere(where, field));
        }
      }
      return raw as JsonValue;
  }
}

/** The text form used where a value must be a string (S3XML `value` attributes, CSV). */
export function encodeValue(field: FieldDef, value: FieldValue): string {
  if (value === null) return '';
  if (field.type === 'json') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}
