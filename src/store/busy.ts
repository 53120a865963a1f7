import { TidemarkError } from '../errors.js';

/**
 * A database that could not be had in time (SQLite's lock held past busy_timeout, a PostgreSQL
 * lock or statement timeout, no pooled connection free) as the `busy` error: the transaction
 * rolled back, nothing was written, and the client should retry.
 */
export function busyError(err: unknown): TidemarkError | undefined {
  if (err instanceof TidemarkError) return err.code === 'busy' ? err : undefined;
  const e = err as { code?: string; name?: string } | null;
  if (!e) return undefined;
  if (e.code === 'SQLITE_BUSY' || e.code === 'SQLITE_BUSY_SNAPSHOT' || e.code === 'SQLITE_LOCKED' || e.code === '55P03' || e.code === '57014' || e.code === '40P01' || e.name === 'KnexTimeoutError') {
    return new TidemarkError('busy', 'the database is busy; nothing was written, try again shortly');
  }
  return undefined;
}
