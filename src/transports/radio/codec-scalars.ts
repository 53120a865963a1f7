import { TidemarkError } from '../../errors.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { type RegistryCodebook } from './dictionary.js';
import { View, at } from './codec-view.js';

/** The radio codec's identifiers, references, clock stamps and instants. */

// ---- identifiers --------------------------------------------------------------------------

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A uuid (plain or urn:uuid:, lower case) as a tag and 16 bytes; anything else as text. */
export function writeId(w: ByteWriter, id: string): void {
  const plain = id.startsWith('urn:uuid:') ? id.slice(9) : id;
  if (UUID_RE.test(plain)) {
    w.byte(id === plain ? 0 : 1).bytes(Buffer.from(plain.replaceAll('-', ''), 'hex'));
  } else {
    w.byte(2).str(id);
  }
}

export function readId(r: ByteReader): string {
  const tag = r.byte();
  if (tag === 2) return r.str();
  if (tag > 2) throw new TidemarkError('malformed', `radio payload: bad id tag ${tag}`);
  const h = Buffer.from(r.bytes(16)).toString('hex');
  const plain = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return tag === 0 ? plain : `urn:uuid:${plain}`;
}

// References: 0 null, 1 short id, 2 reference-data index, 3 uuid/text.
export function writeRef(w: ByteWriter, value: string, view: View, book: RegistryCodebook): void {
  const sid = view.records.id(value);
  if (sid !== undefined) {
    w.byte(1).uvar(sid);
    return;
  }
  const ref = book.referenceIndex.get(value);
  if (ref !== undefined) {
    w.byte(2).uvar(ref);
    return;
  }
  w.byte(3);
  writeId(w, value);
}

export function readRef(r: ByteReader, view: View, book: RegistryCodebook): string | null {
  const tag = r.byte();
  switch (tag) {
    case 0:
      return null;
    case 1:
      return view.records.at(r.uvar());
    case 2:
      return at(book.referenceUuids, r.uvar(), 'reference-data index');
    case 3:
      return readId(r);
    default:
      throw new TidemarkError('malformed', `radio payload: bad reference tag ${tag}`);
  }
}

// ---- clocks and instants ------------------------------------------------------------------

export const HLC_RE = /^(\d{13})\.(\d{6})$/;

export function parseHlc(hlc: string): { ms: number; counter: number } | null {
  const m = HLC_RE.exec(hlc);
  return m ? { ms: Number(m[1]), counter: Number(m[2]) } : null;
}

/** Milliseconds of an instant written exactly as toISOString() writes it; null for anything else. */
export function isoMs(s: string): number | null {
  const ms = Date.parse(s);
  return Number.isFinite(ms) && new Date(ms).toISOString() === s ? ms : null;
}

// Instants: 0 + signed ms delta against a reference, 1 + text (kept exactly when not canonical).
export function writeInstant(w: ByteWriter, s: string, refMs: number): void {
  const ms = isoMs(s);
  if (ms !== null) w.byte(0).svar(ms - refMs);
  else w.byte(1).str(s);
}

export function readInstant(r: ByteReader, refMs: number): string {
  const tag = r.byte();
  if (tag === 0) return isoString(refMs + r.svar());
  if (tag === 1) return r.str();
  throw new TidemarkError('malformed', `radio payload: bad instant tag ${tag}`);
}

export function isoString(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new TidemarkError('malformed', 'radio payload: instant out of range');
  return d.toISOString();
}
