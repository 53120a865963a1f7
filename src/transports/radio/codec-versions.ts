import { TidemarkError } from '../../errors.js';
import { type VersionVector } from '../../store/types.js';
import { ByteReader, ByteWriter } from './bytes.js';
import type { View } from './codec-view.js';

/** The radio codec's version vectors: "changer + 1" in no bytes, else the changed entries. */

// ---- version vectors ----------------------------------------------------------------------

export function isBump(base: VersionVector, next: VersionVector, changer: string): boolean {
  const bk = Object.keys(base);
  const nk = Object.keys(next);
  const expectedKeys = base[changer] === undefined ? bk.length + 1 : bk.length;
  if (nk.length !== expectedKeys || next[changer] !== (base[changer] ?? 0) + 1) return false;
  // Same key order too, so that the record comes out byte-for-byte as it went in.
  const order = base[changer] === undefined ? [...bk, changer] : bk;
  return order.every((k, i) => nk[i] === k && (k === changer || next[k] === base[k]));
}

export function bump(base: VersionVector, changer: string): VersionVector {
  return { ...base, [changer]: (base[changer] ?? 0) + 1 };
}

/** Full list (mode 1) or, when the keys keep their order, only the entries that changed (mode 0). */
export function writeVersion(w: ByteWriter, base: VersionVector | null, next: VersionVector, view: View): void {
  const nk = Object.keys(next);
  if (base) {
    const bk = Object.keys(base);
    if (bk.length <= nk.length && bk.every((k, i) => nk[i] === k && next[k]! >= base[k]!)) {
      const changed = nk.filter((k) => next[k] !== base[k]);
      w.uvar(changed.length * 2);
      for (const k of changed) w.uvar(view.instances.id(k)!).uvar(next[k]! - (base[k] ?? 0));
      return;
    }
  }
  w.uvar(nk.length * 2 + 1);
  for (const k of nk) {
    const v = next[k]!;
    if (!Number.isSafeInteger(v) || v < 0) throw new TidemarkError('invalid', `version vector entry ${k}=${v} is not a counter`);
    w.uvar(view.instances.id(k)!).uvar(v);
  }
}

export function readVersion(r: ByteReader, base: VersionVector | null, view: View): VersionVector {
  const head = r.uvar();
  const n = Math.floor(head / 2);
  const out: VersionVector = head % 2 === 1 || !base ? {} : { ...base };
  if (head % 2 === 0 && !base) throw new TidemarkError('malformed', 'radio payload: version delta without a base');
  for (let i = 0; i < n; i++) {
    const k = view.instances.at(r.uvar());
    const v = r.uvar();
    out[k] = head % 2 === 1 ? v : (out[k] ?? 0) + v;
  }
  return out;
}
