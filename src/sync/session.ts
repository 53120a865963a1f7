import { TidemarkError } from '../errors.js';
import { logger } from '../log.js';
import { decodeCursor, type Store } from '../store/index.js';
import { applyPage, storeCursor } from './apply.js';
import { acks, collectPage, hasChangesFor, recordAck, resourceHeads } from './collect.js';
import { acquireLease, releaseLease, renewLease } from './lease.js';
import { Peers, policyFor, type Peer } from './peers.js';
import { swapPolicy, type PolicyName } from './policy.js';
import { checkHello, type Hello, type Page, type PageResult, type PullRequest } from './protocol.js';
import { buildHello, learnAcks, mySchema } from './serve.js';
import { writeSyncLog, type SyncLogEntry, type SyncResult } from './synclog.js';

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
}

export interface ResourceReport {
  resource: string;
  received: number;
  applied: number;
  sent: number;
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
  conflicts: number;
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

const PUSH_DEPTH = 2;

export function classify(e: unknown): SyncResult {
  if (e instanceof TidemarkError && ['unsupported', 'forbidden', 'unauthorized'].includes(e.code)) return 'fatal';
  return 'error';
}

/** Pull then push every resource with one peer, resuming from the cursors both sides hold. */
export async function syncPeer(store: Store, peer: Peer, carrier: SyncCarrier, opts: SyncOptions = {}): Promise<SyncReport> {
  const started = performance.now();
  const peers = new Peers(store);
  const report: SyncReport = { peer: peer.uuid, name: peer.name, result: 'success', resources: [], received: 0, applied: 0, sent: 0, conflicts: 0, bytes: 0, roundTrips: 0, durationMs: 0 };
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
      await runSession(store, peer, carrier, opts, report, logs);
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
  for (const r of report.resources) {
    report.received += r.received;
    report.applied += r.applied;
    report.sent += r.sent;
    report.conflicts += r.conflicts;
  }
  if (report.result === 'success' && report.conflicts) report.message = `${report.conflicts} conflict(s) decided, see "tidemark conflicts"`;
  logs.push({
    peer: peer.uuid,
    peer_name: peer.name,
    direction: 'sync',
    result: report.result,
    sent: report.sent,
    received: report.received,
    conflicts: report.conflicts,
    bytes: report.bytes,
    duration_ms: report.durationMs,
    message: report.message ?? null,
  });
  await writeSyncLog(knex, logs).catch((e: unknown) => logger.error({ err: e }, 'could not write the sync log'));
  if (report.result !== 'warning' || !report.message?.includes('already running')) await peers.recordResult(peer.uuid, report.result).catch(() => undefined);
  return report;
}

async function runSession(store: Store, peer: Peer, carrier: SyncCarrier, opts: SyncOptions, report: SyncReport, logs: SyncLogEntry[]): Promise<void> {
  const knex = store.knex;
  const peers = new Peers(store);
  const cfg = await peers.effective(peer);
  const policyOf = await peers.receivingPolicy(peer);
  const order = store.registry.dependencyOrder().filter((r) => cfg.resources.includes(r));
  const mine = await buildHello(store, peer.uuid, order);
  const theirs = checkHello(mySchema(store), await carrier.hello(mine));
  if (theirs.instance !== peer.uuid) throw new TidemarkError('forbidden', `${peer.url ?? peer.name} is now instance ${theirs.instance}, not the paired ${peer.uuid}`);
  await learnAcks(store, peer.uuid, theirs);
  const limit = opts.limit ?? 1000;
  const entry = (resource: string): ResourceReport => {
    let r = report.resources.find((x) => x.resource === resource);
    if (!r) report.resources.push((r = { resource, received: 0, applied: 0, sent: 0, conflicts: 0, pullPages: 0, pushPages: 0, bytes: 0, ms: 0 }));
    return r;
  };
  const log = (direction: 'pull' | 'push', r: ResourceReport, t0: number, b0: number, n0: number): void => {
    logs.push({
      peer: peer.uuid,
      peer_name: peer.name,
      direction,
      resource: r.resource,
      result: 'success',
      sent: direction === 'push' ? r.sent - n0 : 0,
      received: direction === 'pull' ? r.received - n0 : 0,
      conflicts: r.conflicts,
      bytes: carrier.stats().bytes - b0,
      duration_ms: performance.now() - t0,
    });
  };

  if (cfg.direction !== 'push') {
    for (const resource of order) {
      checkCancel(opts);
      const t = theirs.resources[resource];
      let held = mine.resources[resource]!.have;
      if (!t || t.head === held) continue;
      if (t.pending === false) {
        // Nothing there for me (only my own versions echoed): take the head without a request.
        await store.transaction((w) => storeCursor(w.trx, peer.uuid, resource, held, t.head));
        continue;
      }
      const r = entry(resource);
      const t0 = performance.now();
      const b0 = carrier.stats().bytes;
      const policy = (r: string): PolicyName => policyOf(r);
      const filter = cfg.filters?.[resource];
      let next = carrier.pull({ resource, after: held, limit, filter });
      for (;;) {
        const page = (await next) as Page;
        // Fetch the next page while this one is applied.
        if (page && page.more && typeof page.cursor === 'string') {
          next = carrier.pull({ resource, after: page.cursor, limit, filter });
          next.catch(() => undefined);
        }
        const res = await applyPage(store, peer.uuid, page, { policy, via: 'http' });
        r.pullPages++;
        r.received += res.received;
        r.applied += res.applied;
        r.conflicts += res.conflicts;
        held = res.cursor;
        opts.onPage?.(r, 'pull');
        await renewLease(knex, peer.uuid);
        if (!page.more) break;
        checkCancel(opts);
      }
      r.ms += performance.now() - t0;
      r.bytes += carrier.stats().bytes - b0;
      log('pull', r, t0, b0, 0);
    }
  }

  if (cfg.direction !== 'pull') {
    const myAcks = await acks(knex, peer.uuid);
    // Heads again: the pull may have stored resolved conflicts that must go back to the peer.
    const heads = await resourceHeads(knex, order);
    for (const resource of order) {
      checkCancel(opts);
      const t = theirs.resources[resource];
      if (!t) continue;
      const ack = myAcks.get(resource);
      let from = ack?.reset ? null : t.have;
      let after = 0;
      if (from !== null) {
        try {
          after = decodeCursor(from, store.instance.uuid);
        } catch {
          from = null; // a cursor from another incarnation of this database: start over
        }
      }
      const head = heads.get(resource) ?? 0;
      if (!ack?.reset && !(await hasChangesFor(store, peer.uuid, resource, after, head))) continue;
      const r = entry(resource);
      const t0 = performance.now();
      const b0 = carrier.stats().bytes;
      const n0 = r.sent;
      const policy = swapPolicy(policyFor(cfg, resource));
      const filter = cfg.filters?.[resource];
      // Pipelined: the next page is read while this one travels, and up to PUSH_DEPTH pages are
      // in flight (the receiver applies them in cursor order).
      let next = collectPage(store, peer.uuid, resource, from, { limit, filter });
      const inflight: { done: Promise<PageResult>; records: number }[] = [];
      const settle = async (): Promise<void> => {
        const f = inflight.shift()!;
        const res = await f.done;
        r.pushPages++;
        r.sent += f.records;
        await recordAck(knex, peer.uuid, resource, decodeCursor(res.cursor, store.instance.uuid), { clearReset: true });
        opts.onPage?.(r, 'push');
        await renewLease(knex, peer.uuid);
        checkCancel(opts);
      };
      try {
        for (;;) {
          const page = { ...(await next), policy };
          if (page.more) {
            next = collectPage(store, peer.uuid, resource, page.cursor, { limit, filter });
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
      log('push', r, t0, b0, n0);
    }
  }
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
