/**
 * Hybrid logical clock stamps: "<13-digit ms>.<6-digit counter>", sortable as text. They order
 * changes causally (a stamp is always above every stamp this instance has seen), so NEWER does
 * not depend on peers' wall clocks agreeing.
 */
/**
 * This instance's wall clock in ms. TIDEMARK_CLOCK_OFFSET_MS shifts it, so tests can run peers
 * whose clocks are hours apart.
 */
export function wallClockMs(): number {
  return Date.now() + (Number(process.env.TIDEMARK_CLOCK_OFFSET_MS) || 0);
}

export const ZERO_HLC = '0000000000000.000000';

export function parseHlc(hlc: string): { ms: number; counter: number } {
  const dot = hlc.indexOf('.');
  return { ms: Number(hlc.slice(0, dot)), counter: Number(hlc.slice(dot + 1)) };
}

export function formatHlc(ms: number, counter: number): string {
  return `${String(ms).padStart(13, '0')}.${String(counter).padStart(6, '0')}`;
}

export function maxHlc(a: string, b: string): string {
  return a >= b ? a : b;
}

/** `n` consecutive stamps above `last` (and above `observed`, a stamp received from a peer). */
export function nextHlcs(last: string, n: number, nowMs: number = wallClockMs(), observed?: string): string[] {
  const base = parseHlc(observed ? maxHlc(last, observed) : last);
  let ms = base.ms;
  let counter = base.counter;
  if (nowMs > ms) {
    ms = nowMs;
    counter = -1;
  }
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(formatHlc(ms, ++counter));
  return out;
}

/**
 * How far ahead of this instance's clock a remote stamp may be (TIDEMARK_MAX_CLOCK_AHEAD_S,
 * default 300 s). Adopting a stamp from far in the future would put every later local write
 * there too, and its author would win every NEWER decision from then on.
 */
export function maxClockAheadMs(): number {
  const s = Number(process.env.TIDEMARK_MAX_CLOCK_AHEAD_S);
  return (Number.isFinite(s) && s > 0 ? s : 300) * 1000;
}

/** Why a remote stamp cannot be adopted (malformed, or too far ahead), or undefined. */
export function hlcProblem(hlc: unknown, nowMs: number = wallClockMs()): string | undefined {
  if (typeof hlc !== 'string' || !/^\d{13}\.\d{6}$/.test(hlc)) return `clock stamp ${JSON.stringify(hlc)} is not <13 digits>.<6 digits>`;
  const ahead = parseHlc(hlc).ms - nowMs;
  if (ahead > maxClockAheadMs()) return `clock stamp ${hlc} is ${Math.round(ahead / 1000)} s ahead of this instance's clock (at most ${maxClockAheadMs() / 1000} s, TIDEMARK_MAX_CLOCK_AHEAD_S)`;
  return undefined;
}
