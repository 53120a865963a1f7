import type { VersionVector } from './types.js';

export type Ordering = 'equal' | 'newer' | 'older' | 'concurrent';

/** How version `a` stands to version `b`: the fact that decides whether two changes conflict. */
export function compareVersions(a: VersionVector, b: VersionVector): Ordering {
  let aAhead = false;
  let bAhead = false;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[k] ?? 0;
    const y = b[k] ?? 0;
    if (x > y) aAhead = true;
    else if (y > x) bAhead = true;
  }
  if (aAhead && bAhead) return 'concurrent';
  if (aAhead) return 'newer';
  if (bAhead) return 'older';
  return 'equal';
}

/** The least version that has seen both. */
export function mergeVersions(a: VersionVector, b: VersionVector): VersionVector {
  const out: VersionVector = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

/** The version after `instance` makes one more change. */
export function bumpVersion(v: VersionVector, instance: string): VersionVector {
  return { ...v, [instance]: (v[instance] ?? 0) + 1 };
}
