import { TidemarkError } from '../errors.js';

/**
 * A cursor is the position in *this* instance's change feed, issued by this instance and opaque
 * to everyone else. It carries the issuing instance so a cursor handed to the wrong instance (or
 * kept across a database reset) is refused instead of silently skipping changes.
 */
export function encodeCursor(instance: string, seq: number): string {
  return Buffer.from(`${instance.slice(0, 8)}:${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string, instance: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^([0-9a-f]{8}):(\d+)$/.exec(text);
  if (!m) throw new TidemarkError('malformed', `cursor "${cursor}" is not a cursor this service issued`, { field: 'cursor' });
  if (m[1] !== instance.slice(0, 8)) {
    throw new TidemarkError('invalid', `cursor "${cursor}" was issued by another instance`, { field: 'cursor' });
  }
  return Number(m[2]);
}
