import { TidemarkError } from '../errors.js';
import { logger } from '../log.js';
import type { Store } from '../store/index.js';
import { addMoved, drive, entry, type Moved, type ResourceReport, type Transfer } from './drive.js';
import { acquireLease, releaseLease, renewLease } from './lease.js';
import { Peers, type Peer } from './peers.js';
import { logRow, writeLog } from './pipeline.js';
import type { Hello, Page, PageResult, PullRequest } from './protocol.js';
import type { SyncLogEntry, SyncResult } from './synclog.js';

export type { ResourceReport } from './drive.js';

/**
 * What a carrier must do for a live sync session. HTTP implements it; so can anything that
 * moves JSON both ways. `pull` returns the page unvalidated: the engine checks it.
 */
export interface SyncCarrier {
  hello(mine: Hello): Promise<unknown>;
  pull(req: PullRequest): Promise<unknown>;
  push(page: Page): Promise<PageResult>;
  /** Bytes moved so far (both directions, bodies), and requests made. */
  stats(): { bytes: number; roundTrips: number };
  /**
   * A carrier to a system that does not speak Tidemark's protocol (Sahana Eden) runs the whole
   * session itself, inside syncPeer's lease, report and sync log; hello/pull/push are then unused.
   */
  session?(s: SessionContext): Promise<void>;
}

/** What a carrier's own session fills in (see SyncCarrier.session). */
export interface SessionContext {
  store: Store;
  peer: Peer;
  opts: SyncOptions;
  report: SyncReport;
  logs: SyncLogEntry[];
  /** The report line of one resource (made on first use). */
  entry(resource: string): ResourceReport;
  /** Between pages: renews the lease and stops if the sync was cancelled. */
  checkpoint(): Promise<void>;
}

/** A live session's report: what moved (summed from its resources), and how. */
export interface SyncReport extends Moved {
  peer: string;
  name: string;
  result: SyncResult;
  message?: string;
  resources: ResourceReport[];
  bytes: number;
  roundTrips: number;
  durationMs: number;
}

export interface SyncOptions {
  /** Records per page (default 1000). */
  limit?: number;
  /** How long to wait when another sync with this peer is running (default 0: give up at once, a warning). */
  waitMs?: number;
  /** Called after every page (progress on long syncs). */
  onPage?: (r: ResourceReport, direction: 'pull' | 'push') => void;
  /** Stops the session after the page in hand; what was applied stays, and the next sync resumes. */
  signal?: AbortSignal;
}

/** Thrown between pages when the signal says stop (caught by syncPeer: a cancelled sync is a warning). */
class Cancelled extends Error {}
const checkCancel = (opts: SyncOptions): void => {
  if (opts.signal?.aborted) throw new Cancelled('cancelled');
};

export function classify(e: unknown): SyncResult {
  if (e instanceof TidemarkError && ['unsupported', 'forbidden', 'unauthorized'].includes(e.code)) return 'fatal';
  return 'error';
}

/** Pull then push every resource with one peer, resuming from the cursors both sides hold. */
export async function syncPeer(store: Store, peer: Peer, carrier: SyncCarrier, opts: SyncOptions = {}): Promise<SyncReport> {
  const started = performance.now();
  const peers = new Peers(store);
  const report: SyncReport = { peer: peer.uuid, name: peer.name, result: 'success', resources: [], received: 0, applied: 0, sent: 0, created: 0, updated: 0, refused: 0, conflicts: 0, bytes: 0, roundTrips: 0, durationMs: 0 };
  const knex = store.knex;
  const logs: SyncLogEntry[] = [];
  let leased = await acquireLease(knex, peer.uuid);
  for (const until = Date.now() + (opts.waitMs ?? 0); !leased && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 200));
    leased = await acquireLease(knex, peer.uuid);
  }
  if (!leased) {
    report.result = 'warning';
    report.message = 'a sync with this peer is already running';
  } else {
    try {
      if (carrier.session) await carrier.session(sessionContext(store, peer, opts, report, logs));
      else {
        const ctx = sessionContext(store, peer, opts, report, logs);
        await drive(store, peer, liveTransfer(carrier, opts.limit ?? 1000), { limit: opts.limit, resources: report.resources, onPage: opts.onPage, checkpoint: ctx.checkpoint });
      }
    } catch (e) {
      if (e instanceof Cancelled) {
        report.result = 'warning';
        report.message = 'cancelled; the next sync resumes from the last page applied';
      } else {
        report.result = classify(e);
        report.message = e instanceof TidemarkError ? e.describe() : (e as Error).message;
        logger.warn({ peer: peer.name, err: report.message }, 'sync failed');
      }
    } finally {
      await releaseLease(knex, peer.uuid).catch(() => undefined);
    }
  }
  const s = carrier.stats();
  report.bytes = s.bytes;
  report.roundTrips = s.roundTrips;
  report.durationMs = performance.now() - started;
  for (const r of report.resources) addMoved(report, r);
  if (report.result === 'success' && report.conflicts) report.message = `${report.conflicts} conflict(s) decided, see "tidemark conflicts"`;
  logs.push(logRow(peer, 'sync', report, { result: report.result, durationMs: report.durationMs, message: report.message }));
  await writeLog(knex, logs);
  if (report.result !== 'warning' || !report.message?.includes('already running')) await peers.recordResult(peer.uuid, report.result).catch(() => undefined);
  return report;
}

function sessionContext(store: Store, peer: Peer, opts: SyncOptions, report: SyncReport, logs: SyncLogEntry[]): SessionContext {
  return {
    store,
    peer,
    opts,
    report,
    logs,
    entry: (resource) => entry(report, resource),
    checkpoint: async () => {
      await renewLease(store.knex, peer.uuid);
      checkCancel(opts);
    },
  };
}

/** Records per HTTP push in flight before the oldest answer is awaited (the receiver applies them in cursor order). */
const PUSH_DEPTH = 2;

/**
 * The live session's transfer: hello both ways, then the peer's pages pulled (the next one
 * fetched while this one is applied), then mine pushed, each answered at once.
 */
export function liveTransfer(carrier: SyncCarrier, limit: number): Transfer {
  return {
    carrier: 'http',
    phases: ['receive', 'send'],
    strict: true,
    depth: PUSH_DEPTH,
    logs: { receive: 'pull', send: 'push' },
    exchange: (mine) => carrier.hello(mine),
    async *receive(wanted) {
      for (const { resource, after, filter } of wanted) {
        let next = carrier.pull({ resource, after, limit, filter });
        for (;;) {
          const raw = await next;
          // Fetch the next page while this one is applied (a bad page is refused by the driver first).
          const p = raw as Partial<Page> | null;
          const more = p?.more === true && typeof p.cursor === 'string';
          if (more) {
            next = carrier.pull({ resource, after: p.cursor!, limit, filter });
            next.catch(() => undefined);
          }
          yield { page: raw };
          if (!more) break;
        }
      }
    },
    send: (page) => carrier.push(page),
    stats: () => carrier.stats(),
  };
}

/** One line per resource that moved, for the CLI. */
export function describeReport(rep: SyncReport): string[] {
  const lines = [
    `${rep.name} (${rep.peer.slice(0, 8)}): ${rep.result}${rep.message ? ` - ${rep.message}` : ''}; received ${rep.received}, applied ${rep.applied}, sent ${rep.sent}, conflicts ${rep.conflicts}, ${rep.bytes} bytes, ${rep.roundTrips} round trip(s), ${rep.durationMs.toFixed(0)} ms`,
  ];
  for (const r of rep.resources) {
    if (!r.received && !r.sent) continue;
    lines.push(`  ${r.resource}: received ${r.received} (applied ${r.applied}, conflicts ${r.conflicts}), sent ${r.sent}`);
  }
  return lines;
}
