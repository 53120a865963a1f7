/**
 * Time in the sample data set is written relative to the moment it is loaded, so the demo looks
 * alive on any date (alerts sent hours ago and expiring days ahead, reports from the last hours)
 * while every uuid and every other value stays fixed.
 *
 * In `samples/dataset.json` such a value is an object:
 *   { "$now": "-6h" }    the load time, floored to the hour, moved by the offset (m, h or d)
 *   { "$today": "-1d" }  midnight UTC of the load day, moved by the offset
 */
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const HOUR = 3_600_000;
const DAY = 86_400_000;

export type RelativeTime = { $now: string } | { $today: string };

function offsetMs(offset: string): number {
  const m = /^([+-]?)(\d+)([mhd])$/.exec(offset);
  if (!m) throw new Error(`a relative time offset is a signed number with m, h or d (for example "-6h"), not "${offset}"`);
  return (m[1] === '-' ? -1 : 1) * Number(m[2]) * UNIT_MS[m[3]!]!;
}

export function isRelativeTime(v: unknown): v is RelativeTime {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === '$now' || keys[0] === '$today');
}

/** The ISO instant (UTC, milliseconds, Z) a relative time stands for when loaded at `nowMs`. */
export function resolveRelativeTime(v: RelativeTime, nowMs: number): string {
  if ('$now' in v) return new Date(Math.floor(nowMs / HOUR) * HOUR + offsetMs(v.$now)).toISOString();
  return new Date(Math.floor(nowMs / DAY) * DAY + offsetMs(v.$today)).toISOString();
}

/** A record's data with every relative time replaced by its instant. */
export function resolveRelativeTimes(data: Record<string, unknown>, nowMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) out[k] = isRelativeTime(v) ? resolveRelativeTime(v, nowMs) : v;
  return out;
}
