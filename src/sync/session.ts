import { TidemarkError } from '../errors.js';
import { logger } from '../log.js';
import { decodeCursor, type Store } from '../store/index.js';
import { storeCursor } from './apply.js';
import { acks, hasChangesFor, resourceHeads } from './collect.js';
import { acquireLease, releaseLease, renewLease } from './lease.js';
import { Peers, type Peer } from './peers.js';
import { acknowledgeSent, applyReceived, buildHello, checkPeerHello, learnPositions, logRow, mySchema, outgoingPages, planFor, sendFrom, writeLog, type Plan } from './pipeline.js';
import { checkHello, readPage, type Hello, type Page, type PageResult, type PullRequest } from './protocol.js';
import type { SyncLogEntry, SyncResult } from './synclog.js';

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

export interface ResourceReport {
  resource: string;
  received: number;
  applied: number;
  sent: number;
  /** Where the records were applied (here on pull, at the peer on push): new, changed, refused. */
  created: number;
  updated: number;
  refused: number;
  conflicts: number;
  pullPages: number;
  pushPages: number;
  bytes: number;
  ms: number;
}

export interface SyncReport {
  peer: string;
  name: string;
  result: SyncResult;
  message?: string;
  resources: ResourceReport[];
  received: number;
  applied: number;
  sent: number;
  created: number;
  updated: number;
  refused: number;
  conflicts: number;
  bytes: number;
  roundTrips: number;
  durationMs: number;
}

/** What a report counts of the records that moved; summed from a page into its resource, and from resources into the sync. */
const MOVED = ['received', 'applied', 'sent', 'created', 'updated', 'refused', 'conflicts'] as const;
type Moved = Record<(typeof MOVED)[number], number>;

function addMoved(into: Moved, from: Partial<Moved>): void {
  for (const k of MOVED) into[k] += from[k] ?? 0;
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

const PUSH_DEPTH = 2;

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
      else await runSession(store, peer, carrier, opts, report, logs);
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

/** The live session: plan (hello both ways), then pull, then push, each through the pipeline. */
async function runSession(store: Store, peer: Peer, carrier: SyncCarrier, opts: SyncOptions, report: SyncReport, logs: SyncLogEntry[]): Promise<void> {
  const plan = await planFor(store, peer, 'http');
  const mine = await buildHello(store, peer.uuid, plan.order);
  const theirs = checkHello(mySchema(store), await carrier.hello(mine));
  checkPeerHello(peer, theirs);
  await learnPositions(store, peer.uuid, theirs);
  const s: Stage = { store, plan, carrier, opts, report, logs, limit: opts.limit ?? 1000 };
  if (plan.direction !== 'push') for (const resource of plan.order) await pullResource(s, resource, mine, theirs);
  if (plan.direction !== 'pull') {
    const myAcks = await acks(store.knex, peer.uuid);
    // Heads again: the pull may have stored resolved conflicts that must go back to the peer.
    const heads = await resourceHeads(store.knex, plan.order);
    for (const resource of plan.order) await pushResource(s, resource, theirs, myAcks.get(resource), heads.get(resource) ?? 0);
  }
}

interface Stage {
  store: Store;
  plan: Plan;
  carrier: SyncCarrier;
  opts: SyncOptions;
  report: SyncReport;
  logs: SyncLogEntry[];
  limit: number;
}

function entry(report: SyncReport, resource: string): ResourceReport {
  let r = report.resources.find((x) => x.resource === resource);
  if (!r) report.resources.push((r = { resource, received: 0, applied: 0, sent: 0, created: 0, updated: 0, refused: 0, conflicts: 0, pullPages: 0, pushPages: 0, bytes: 0, ms: 0 }));
  return r;
}

/** Pull one resource: transfer = the peer's pages, apply = strict (a page must start where I stand). */
async function pullResource(s: Stage, resource: string, mine: Hello, theirs: Hello): Promise<void> {
  const { store, plan, carrier, opts } = s;
  checkCancel(opts);
  const t = theirs.resources[resource];
  const held = mine.resources[resource]!.have;
  if (!t || t.head === held) return;
  if (t.pending === false) {
    // Nothing there for me (only my own versions echoed): take the head without a request.
    await store.transaction((w) => storeCursor(w.trx, plan.peer.uuid, resource, held, t.head));
    return;
  }
  const r = entry(s.report, resource);
  const t0 = performance.now();
  const b0 = carrier.stats().bytes;
  const filter = plan.filters[resource];
  let next = carrier.pull({ resource, after: held, limit: s.limit, filter });
  const counts = () => ({ received: r.received, created: r.created, updated: r.updated, refused: r.refused, conflicts: r.conflicts, bytes: carrier.stats().bytes - b0 });
  for (;;) {
    const raw = await next;
    let res: Awaited<ReturnType<typeof applyReceived>> & { more: boolean };
    try {
      const { page, versions } = readPage(store.registry, raw);
      // Fetch the next page while this one is applied.
      if (page.more) {
        next = carrier.pull({ resource, after: page.cursor, limit: s.limit, filter });
        next.catch(() => undefined);
      }
      res = { ...(await applyReceived(store, plan, page, versions, { strict: true })), more: page.more };
    } catch (e) {
      // A page this side will not apply (bad data, a clock stamp from the future): its records are refused.
      if (refusal(e)) {
        r.refused += pageRecords(raw);
        s.logs.push(logRow(plan.peer, 'pull', counts(), { resource, startedAt: t0, result: 'error', message: e.describe() }));
      }
      throw e;
    }
    r.pullPages++;
    addMoved(r, res);
    opts.onPage?.(r, 'pull');
    await renewLease(store.knex, plan.peer.uuid);
    if (!res.more) break;
    checkCancel(opts);
  }
  r.ms += performance.now() - t0;
  r.bytes += carrier.stats().bytes - b0;
  s.logs.push(logRow(plan.peer, 'pull', counts(), { resource, startedAt: t0, ...refusedNote(counts().refused) }));
}

/**
 * Push one resource from where the peer stands: collect = my pages (echoes left out), transfer =
 * the carrier's push, acknowledge = the peer's answer. Pipelined: the next page is read while
 * this one travels, up to PUSH_DEPTH pages in flight (the receiver applies them in cursor order).
 */
async function pushResource(s: Stage, resource: string, theirs: Hello, ack: { seq: number; reset: boolean } | undefined, head: number): Promise<void> {
  const { store, plan, carrier, opts } = s;
  checkCancel(opts);
  const t = theirs.resources[resource];
  if (!t) return;
  const { from, after } = sendFrom(store, ack, t.have);
  if (!ack?.reset && !(await hasChangesFor(store, plan.peer.uuid, resource, after, head))) return;
  const r = entry(s.report, resource);
  const t0 = performance.now();
  const b0 = carrier.stats().bytes;
  const n0 = r.sent;
  const c0 = { created: r.created, updated: r.updated, refused: r.refused };
  const counts = () => ({ sent: r.sent - n0, created: r.created - c0.created, updated: r.updated - c0.updated, refused: r.refused - c0.refused, conflicts: r.conflicts, bytes: carrier.stats().bytes - b0 });
  const pages = outgoingPages(store, plan, resource, from, { limit: s.limit });
  let next = pages.next();
  const inflight: { done: Promise<PageResult>; records: number }[] = [];
  const settle = async (): Promise<void> => {
    const f = inflight.shift()!;
    let res: PageResult;
    try {
      res = await f.done;
    } catch (e) {
      // The peer would not apply the page: its records are refused there.
      if (refusal(e)) {
        r.refused += f.records;
        s.logs.push(logRow(plan.peer, 'push', counts(), { resource, startedAt: t0, result: 'error', message: e.describe() }));
      }
      throw e;
    }
    r.pushPages++;
    r.sent += f.records;
    r.created += res.created ?? 0;
    r.updated += res.updated ?? 0;
    r.refused += res.refused ?? 0;
    await acknowledgeSent(store.knex, plan.peer.uuid, resource, decodeCursor(res.cursor, store.instance.uuid));
    opts.onPage?.(r, 'push');
    await renewLease(store.knex, plan.peer.uuid);
    checkCancel(opts);
  };
  try {
    for (;;) {
      const { value: page, done: end } = await next;
      if (end) break;
      if (page.more) {
        next = pages.next();
        next.catch(() => undefined);
      }
      const done = carrier.push(page);
      done.catch(() => undefined);
      inflight.push({ done, records: page.records.length });
      while (inflight.length >= PUSH_DEPTH || (!page.more && inflight.length)) await settle();
      if (!page.more) break;
    }
  } finally {
    await Promise.allSettled(inflight.map((f) => f.done));
  }
  r.ms += performance.now() - t0;
  r.bytes += carrier.stats().bytes - b0;
  s.logs.push(logRow(plan.peer, 'push', counts(), { resource, startedAt: t0, ...refusedNote(counts().refused) }));
}

/** A stream with records refused by the receiver's grant is a warning, and says so. */
const refusedNote = (n: number): { result?: 'warning'; message?: string } => (n ? { result: 'warning', message: `${n} record(s) outside the grant refused by the receiving side` } : {});

/** A refusal by the side that applies (bad data, grant, clock stamp), not a link or server failure. */
function refusal(e: unknown): e is TidemarkError {
  return e instanceof TidemarkError && e.status >= 400 && e.status < 500 && !['handshake_needed', 'cursor_moved', 'busy', 'unauthorized'].includes(e.code);
}

const pageRecords = (raw: unknown): number => {
  const recs = (raw as { records?: unknown } | null)?.records;
  return Array.isArray(recs) ? recs.length : 0;
};

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
