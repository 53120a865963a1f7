import type { Knex } from 'knex';
import { nowIso } from '../registry/values.js';

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
  /** Records created and changed where they were applied, and records refused there. */
  created?: number;
  updated?: number;
  refused?: number;
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
      created: e.created ?? 0,
      updated: e.updated ?? 0,
      refused: e.refused ?? 0,
      conflicts: e.conflicts ?? 0,
      bytes: e.bytes ?? 0,
      duration_ms: Math.round(e.duration_ms ?? 0),
      message: e.message ?? null,
    })),
  );
}

export interface SyncLogQuery {
  peer?: string;
  limit?: number;
  offset?: number;
  result?: SyncResult;
  direction?: SyncLogEntry['direction'];
  resource?: string;
  /** Entries at or after this instant (ISO). */
  since?: string;
  /** Entries before this instant (ISO). */
  until?: string;
}

/** Newest first, as Eden shows it. */
export async function readSyncLog(knex: Knex, opts: SyncLogQuery = {}): Promise<Required<SyncLogEntry>[]> {
  const q = knex('tm_sync_log').orderBy('id', 'desc').limit(opts.limit ?? 50);
  if (opts.offset) q.offset(opts.offset);
  if (opts.peer) q.where((b) => b.where({ peer: opts.peer }).orWhere({ peer_name: opts.peer }));
  if (opts.result) q.andWhere({ result: opts.result });
  if (opts.direction) q.andWhere({ direction: opts.direction });
  if (opts.resource) q.andWhere({ resource: opts.resource });
  if (opts.since) q.andWhere('at', '>=', opts.since);
  if (opts.until) q.andWhere('at', '<', opts.until);
  return (await q) as Required<SyncLogEntry>[];
}

const CSV_COLUMNS = ['at', 'peer', 'peer_name', 'direction', 'resource', 'result', 'sent', 'received', 'created', 'updated', 'refused', 'conflicts', 'bytes', 'duration_ms', 'message'] as const;

/** The sync log as CSV (RFC 4180: quoted where needed, CRLF), for spreadsheets. */
export function syncLogCsv(rows: readonly SyncLogEntry[]): string {
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : String(v);
    // A leading = + - @ would be read as a formula by spreadsheet programs.
    const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
