import type { Knex } from 'knex';
import { nowIso } from '../registry/values.js';
import { ensureSyncTables } from './tables.js';

export type SyncResult = 'success' | 'warning' | 'error' | 'fatal';

export interface SyncLogEntry {
  id?: number;
  at?: string;
  peer: string;
  peer_name?: string | null;
  /** pull/push/sync: a sync this instance ran; send/receive: a peer pulled from or pushed to me. */
  direction: 'pull' | 'push' | 'sync' | 'send' | 'receive';
  resource?: string | null;
  result: SyncResult;
  sent?: number;
  received?: number;
  conflicts?: number;
  bytes?: number;
  duration_ms?: number;
  message?: string | null;
}

export async function writeSyncLog(knex: Knex, entries: SyncLogEntry[]): Promise<void> {
  if (!entries.length) return;
  await knex('tm_sync_log').insert(
    entries.map((e) => ({
      at: e.at ?? nowIso(),
      peer: e.peer,
      peer_name: e.peer_name ?? null,
      direction: e.direction,
      resource: e.resource ?? null,
      result: e.result,
      sent: e.sent ?? 0,
      received: e.received ?? 0,
      conflicts: e.conflicts ?? 0,
      bytes: e.bytes ?? 0,
      duration_ms: Math.round(e.duration_ms ?? 0),
      message: e.message ?? null,
    })),
  );
}

/** Newest first, as Eden shows it. */
export async function readSyncLog(knex: Knex, opts: { peer?: string; limit?: number; result?: SyncResult } = {}): Promise<Required<SyncLogEntry>[]> {
  await ensureSyncTables(knex);
  const q = knex('tm_sync_log').orderBy('id', 'desc').limit(opts.limit ?? 50);
  if (opts.peer) q.where((b) => b.where({ peer: opts.peer }).orWhere({ peer_name: opts.peer }));
  if (opts.result) q.andWhere({ result: opts.result });
  return (await q) as Required<SyncLogEntry>[];
}
