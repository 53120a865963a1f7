import { invalid } from '../errors.js';

/**
 * An off-peak window for scheduled syncs, in the instance's local time ("22:00-06:00": from ten
 * at night to six in the morning, across midnight). Outside it the daemon starts no sync of its
 * own; a sync asked for by a person (console "Sync now", `tidemark sync`) runs whenever asked.
 */
export interface SyncWindow {
  /** Minutes after local midnight. */
  start: number;
  end: number;
}

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

export function parseWindow(text: string): SyncWindow {
  const parts = text.trim().split(/\s*[-–]\s*/);
  const [a, b] = parts.map((p) => TIME.exec(p));
  if (parts.length !== 2 || !a || !b) throw invalid(`window "${text}" is not HH:MM-HH:MM (local time, e.g. 22:00-06:00)`, { field: 'window' });
  const w = { start: Number(a[1]) * 60 + Number(a[2]), end: Number(b[1]) * 60 + Number(b[2]) };
  if (w.start === w.end) throw invalid(`window "${text}" starts and ends at the same time`, { field: 'window' });
  return w;
}

/** The window written the one way it is stored and shown ("22:00-06:00"). */
export function formatWindow(w: SyncWindow): string {
  const t = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${t(w.start)}-${t(w.end)}`;
}

const minuteOfDay = (ms: number): number => {
  const d = new Date(ms);
  return d.getHours() * 60 + d.getMinutes();
};

/** Whether the instant `ms` falls in the window (no window: always). */
export function inWindow(window: string | undefined, ms: number): boolean {
  if (!window) return true;
  const w = parseWindow(window);
  const m = minuteOfDay(ms);
  return w.start < w.end ? m >= w.start && m < w.end : m >= w.start || m < w.end;
}

/** The first instant at or after `ms` inside the window: `ms` itself when it already is. */
export function windowOpensAt(window: string | undefined, ms: number): number {
  if (inWindow(window, ms)) return ms;
  const w = parseWindow(window!);
  const d = new Date(ms);
  const wait = (w.start - minuteOfDay(ms) + 1440) % 1440;
  return ms - d.getSeconds() * 1000 - d.getMilliseconds() + wait * 60_000;
}
