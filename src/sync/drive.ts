import { TidemarkError } from '../errors.js';
import type { FieldValue } from '../registry/values.js';
import { decodeCursor, type RecordVersion, type Store } from '../store/index.js';
import { storeCursor } from './apply.js';
import { acks, hasChangesFor, resourceHeads } from './collect.js';
import type { Peer } from './peers.js';
import {
  acknowledgeSent,
  advanceReceived,
  applyReceived,
  applyVersions,
  buildHello,
  checkPeerHello,
  learnPositions,
  logRow,
  mySchema,
  outgoingPages,
  planFor,
  sendFrom,
  writeLog,
  type Carrier,
  type Plan,
} from './pipeline.js';
import type { PolicyName } from './policy.js';
import { checkHello, readPage, type Hello, type Page, type PageResult } from './protocol.js';
import type { SyncLogEntry } from './synclog.js';

/**
 * The one driver of the sync pipeline. Every carrier runs through `drive`:
 *
 *   plan         planFor, buildHello, Transfer.exchange, learnPositions (the restart rule)
 *   collect      outgoingPages from sendFrom (where the peer stands), hasChangesFor
 *   transfer     the carrier's Transfer: receive / send / flush
 *   apply        applyReceived (pages) or applyVersions + advanceReceived (radio)
 *   acknowledge  acknowledgeSent on the peer's answer (now: HTTP, radio) or its later hello (bundles)
 *   log          one sync-log row per resource and direction (logRow), for carriers that log so
 *
 * A carrier supplies only the Transfer: HTTP requests, a bundle file being written or read,
 * radio payloads. It runs the directions it offers (`phases`), in its order.
 */

/** What the driver asks of a peer: its feed of `resource` after `after`, filtered as granted. */
export interface Wanted {
  resource: string;
  after: string | null;
  filter?: Record<string, FieldValue>;
}

/**
 * What a carrier brings in: a page (raw, checked and applied by the driver; or `read`, checked
 * already by a carrier that checks a whole file before applying any of it), record versions
 * that carry no position (radio payloads, with the sender's hint), or the sender's reach once
 * its whole turn is in: per resource, the part (from, to] of its feed the turn carried.
 */
export type Incoming = { page: unknown } | { read: { page: Page; versions: RecordVersion[] } } | { versions: RecordVersion[]; hint?: PolicyName } | { reach: { resource: string; from: number; to: number }[] };

export interface Transfer {
  readonly carrier: Carrier;
  /** The directions this carrier runs, in its order (a bundle: one; HTTP: receive then send). */
  readonly phases: readonly ('receive' | 'send')[];
  /**
   * Plan: my hello out, the peer's back, unchecked. Absent when the carrier brings no positions
   * now (a bundle being written, radio); `lateHello` when the one it brings may be old (a bundle).
   */
  exchange?(mine: Hello): Promise<unknown>;
  readonly lateHello?: boolean;
  /** Transfer in: what the peer sends, asked per resource from where I stand. */
  receive?(wanted: readonly Wanted[]): AsyncIterable<Incoming>;
  /** Pages must start where I stand (a live session), else they are applied tolerantly (late, twice). */
  readonly strict?: boolean;
  /**
   * Transfer out: one page of my feed. Resolves with the peer's answer, now (HTTP) or once the
   * peer confirmed it (radio, after `flush`), or with null: acknowledged later by the peer's
   * hello (a bundle's acknowledgement).
   */
  send?(page: Page): Promise<PageResult | null>;
  /** Pages sent before the oldest answer is awaited (default 1). */
  readonly depth?: number;
  /** Ends my turn: what was sent goes out now (radio); answers then arrive. */
  flush?(): Promise<void>;
  /** One sync-log row per resource and direction (a live session); else the face logs the whole. */
  readonly logs?: { receive: SyncLogEntry['direction']; send: SyncLogEntry['direction'] };
  stats(): { bytes: number; roundTrips: number };
}

/**
 * What moved of one resource. Of the Moved counts, created, updated and refused are where the
 * records were applied: here on receive, at the peer on send.
 */
export interface ResourceReport extends Moved {
  resource: string;
  pullPages: number;
  pushPages: number;
  bytes: number;
  ms: number;
}

/** What a report counts of the records that moved; summed from a page into its resource, and from resources into the sync. */
const MOVED = ['received', 'applied', 'sent', 'created', 'updated', 'refused', 'conflicts'] as const;
export type Moved = Record<(typeof MOVED)[number], number>;

export function addMoved(into: Moved, from: Partial<Moved>): void {
  for (const k of MOVED) into[k] += from[k] ?? 0;
}

export const noneMoved = (): Moved => ({ received: 0, applied: 0, sent: 0, created: 0, updated: 0, refused: 0, conflicts: 0 });

/** The report line of one resource (made on first use). */
export function entry(report: { resources: ResourceReport[] }, resource: string): ResourceReport {
  let r = report.resources.find((x) => x.resource === resource);
  if (!r) report.resources.push((r = { resource, ...noneMoved(), pullPages: 0, pushPages: 0, bytes: 0, ms: 0 }));
  return r;
}

export interface DriveOptions {
  /** Records per page (default 1000). */
  limit?: number;
  /** A cluster bundle: planned under the cluster's settings, sent from where the furthest-behind receiver stands. */
  cluster?: string | null;
  receivers?: Peer[];
  /** The report lines to fill (a caller that reports even when the session fails mid-way). */
  resources?: ResourceReport[];
  /** Called after every page either way (progress on long syncs). */
  onPage?: (r: ResourceReport, direction: 'pull' | 'push') => void;
  /** Between pages: renews a lease, stops a cancelled sync (throws). */
  checkpoint?: () => Promise<void>;
}

export interface Driven extends Moved {
  plan: Plan;
  /** The peer's hello, when the carrier brought one. */
  theirs: Hello | undefined;
  resources: ResourceReport[];
  /** Resources whose position in the peer's feed moved, and of my feed whose acknowledgement moved. */
  advanced: string[];
  acknowledged: string[];
  /** Pages that started after my position in the sender's feed (an earlier one is missing). */
  gaps: string[];
  logs: SyncLogEntry[];
}

interface Run {
  store: Store;
  plan: Plan;
  transfer: Transfer;
  opts: DriveOptions;
  out: Driven;
  theirs: Hello | undefined;
  mine: Hello;
}

/** One session with `peer` over `transfer`: plan, then each phase the carrier offers, then the log rows. */
export async function drive(store: Store, peer: Peer, transfer: Transfer, opts: DriveOptions = {}): Promise<Driven> {
  const plan = await planFor(store, peer, transfer.carrier, { cluster: opts.cluster });
  const mine = await buildHello(store, peer.uuid, plan.order);
  let theirs: Hello | undefined;
  const out: Driven = { plan, theirs: undefined, resources: opts.resources ?? [], ...noneMoved(), advanced: [], acknowledged: [], gaps: [], logs: [] };
  if (transfer.exchange) {
    const raw = await transfer.exchange(mine);
    if (raw !== undefined) {
      theirs = checkHello(mySchema(store), raw);
      checkPeerHello(peer, theirs);
      out.theirs = theirs;
      out.acknowledged = await learnPositions(store, peer.uuid, theirs, { forwardOnly: transfer.lateHello });
    }
  }
  const run: Run = { store, plan, transfer, opts, out, theirs, mine };
  try {
    // A direction the grant leaves out still runs where the carrier's turn-taking needs it (radio
    // takes turns): nothing is asked or sent, and what comes anyway is refused by the grant check.
    for (const phase of transfer.phases) {
      if (phase === 'receive' && transfer.receive) await receivePhase(run);
      if (phase === 'send' && plan.direction !== 'pull' && transfer.send) await sendPhase(run);
      else if (phase === 'send') await transfer.flush?.();
    }
  } finally {
    for (const r of out.resources) addMoved(out, r);
    if (out.logs.length) await writeLog(store.knex, out.logs);
  }
  return out;
}

// ---- receive: transfer in, apply ----------------------------------------------------------

/** What I ask of the peer: each resource from where I stand, unless its hello says nothing waits. */
async function wanted(run: Run): Promise<Wanted[]> {
  const { store, plan, theirs, mine } = run;
  const out: Wanted[] = [];
  for (const resource of plan.order) {
    const held = mine.resources[resource]!.have;
    const t = theirs?.resources[resource];
    if (theirs && (!t || t.head === held)) continue;
    if (t?.pending === false) {
      // Nothing there for me (only my own versions echoed): take the head without asking.
      await store.transaction((w) => storeCursor(w.trx, plan.peer.uuid, resource, held, t.head));
      continue;
    }
    out.push({ resource, after: held, filter: plan.filters[resource] });
  }
  return out;
}

async function receivePhase(run: Run): Promise<void> {
  const { store, plan, transfer, opts, out } = run;
  const logs = transfer.logs;
  let stream: { r: ResourceReport; t0: number; b0: number; c0: Moved } | null = null;
  const streamCounts = () => {
    const s = stream!;
    const d = noneMoved();
    addMoved(d, s.r);
    for (const k of Object.keys(d) as (keyof Moved)[]) d[k] -= s.c0[k];
    return { ...d, bytes: transfer.stats().bytes - s.b0 };
  };
  const close = (more: { result?: 'error'; message?: string } = {}): void => {
    if (!stream) return;
    const counts = streamCounts();
    stream.r.ms += performance.now() - stream.t0;
    stream.r.bytes += counts.bytes;
    if (logs) out.logs.push(logRow(plan.peer, logs.receive, counts, { resource: stream.r.resource, startedAt: stream.t0, ...(more.result ? more : refusedNote(counts.refused)) }));
    stream = null;
  };
  const open = (resource: string): ResourceReport => {
    if (stream?.r.resource === resource) return stream.r;
    close();
    const r = entry(out, resource);
    const c0 = noneMoved();
    addMoved(c0, r);
    stream = { r, t0: performance.now(), b0: transfer.stats().bytes, c0 };
    return r;
  };
  for await (const inc of transfer.receive!(plan.direction === 'push' ? [] : await wanted(run))) {
    if ('page' in inc || 'read' in inc) {
      const raw = 'page' in inc ? inc.page : inc.read.page;
      let r: ResourceReport | undefined;
      try {
        const { page, versions } = 'read' in inc ? inc.read : readPage(store.registry, raw);
        r = open(page.resource);
        const res = await applyReceived(store, plan, page, versions, { strict: transfer.strict });
        r.pullPages++;
        addMoved(r, res);
        if (res.advanced && !out.advanced.includes(page.resource)) out.advanced.push(page.resource);
        if (res.gap) out.gaps.push(page.resource);
      } catch (e) {
        // A page this side will not apply (bad data, a clock stamp from the future): its records are refused.
        if (refusal(e)) {
          const resource = (raw as { resource?: unknown } | null)?.resource;
          if (typeof resource === 'string' && store.registry.has(resource)) open(resource).refused += pageRecords(raw);
          close({ result: 'error', message: e.describe() });
        }
        throw e;
      }
      opts.onPage?.(r, 'pull');
      await opts.checkpoint?.();
    } else if ('versions' in inc) {
      if (!inc.versions.length) continue;
      const res = await applyVersions(store, plan, inc.versions, inc.hint);
      // Radio batches mix resources: each record is counted under its own.
      for (const v of inc.versions) entry(out, v.resource).received++;
      const r = entry(out, inc.versions[0]!.resource);
      addMoved(r, { ...res, received: 0 });
    } else {
      // The sender's whole turn is applied: my position in its feed moves as after a pull.
      for (const x of inc.reach) {
        if (plan.direction !== 'push' && plan.order.includes(x.resource) && (await advanceReceived(store, plan.peer.uuid, x.resource, x.from, x.to))) out.advanced.push(x.resource);
      }
    }
  }
  close();
}

// ---- send: collect, transfer out, acknowledge ---------------------------------------------

/** Where sending one resource starts (see `sendingStarts`). */
export interface SendStart {
  resource: string;
  from: string | null;
  after: number;
  /** Receivers whose sending of it restarts from the start of the feed (a widened grant). */
  restarted: Peer[];
}

/**
 * The collect stage's plan: per resource I send, where sending starts. Where the peer said it
 * stands (a live hello), else where the receiver furthest behind acknowledged; from the start
 * of the feed for a restart. Resources the peer does not take, or where nothing waits for it,
 * are left out. `echoPeer`: whose versions are left out ('' for several receivers).
 */
export async function sendingStarts(store: Store, plan: Plan, opts: { receivers?: Peer[]; theirs?: Hello; echoPeer: string }): Promise<SendStart[]> {
  const receivers = opts.receivers ?? [plan.peer];
  const ackBy = await Promise.all(receivers.map((p) => acks(store.knex, p.uuid)));
  const heads = await resourceHeads(store.knex, plan.order);
  const out: SendStart[] = [];
  for (const resource of plan.order) {
    const t = opts.theirs?.resources[resource];
    if (opts.theirs && !t) continue; // the peer does not take it
    const starts = ackBy.map((a) => ({ ack: a.get(resource), ...sendFrom(store, a.get(resource), t?.have) }));
    const start = starts.reduce((x, y) => (y.after < x.after ? y : x));
    const restarted = receivers.filter((_, i) => starts[i]!.ack?.reset);
    if (!restarted.length && !(await hasChangesFor(store, opts.echoPeer, resource, start.after, heads.get(resource) ?? 0))) continue;
    out.push({ resource, from: start.from, after: start.after, restarted });
  }
  return out;
}

async function sendPhase(run: Run): Promise<void> {
  const { store, plan, transfer, opts, theirs } = run;
  const receivers = opts.receivers ?? [plan.peer];
  // Versions that came from the receiver are left out (no echo); a cluster bundle leaves out none.
  const echoPeer = receivers.length === 1 ? receivers[0]!.uuid : '';
  // Read after the receive phase: it may have stored resolved conflicts that must go back.
  const starts = await sendingStarts(store, plan, { receivers, theirs, echoPeer });
  const pending: Promise<void>[] = [];
  for (const s of starts) {
    const later = await sendResource(run, s.resource, s.from, s.restarted, echoPeer);
    if (later) pending.push(later.answers);
  }
  await transfer.flush?.();
  await Promise.all(pending);
}

/** Sends one resource; returns what is still to be acknowledged after the carrier's flush (wrapped: an async function would wait for it). */
async function sendResource(run: Run, resource: string, from: string | null, restarted: Peer[], echoPeer: string): Promise<{ answers: Promise<void> } | undefined> {
  const { store, plan, transfer, opts, out } = run;
  await opts.checkpoint?.();
  const r = entry(out, resource);
  const t0 = performance.now();
  const b0 = transfer.stats().bytes;
  const c0 = noneMoved();
  addMoved(c0, r);
  const counts = () => ({ sent: r.sent - c0.sent, created: r.created - c0.created, updated: r.updated - c0.updated, refused: r.refused - c0.refused, conflicts: r.conflicts - c0.conflicts, bytes: transfer.stats().bytes - b0 });
  const log = (more: { result?: 'error'; message?: string } = {}): void => {
    r.ms += performance.now() - t0;
    r.bytes += transfer.stats().bytes - b0;
    if (transfer.logs) out.logs.push(logRow(plan.peer, transfer.logs.send, counts(), { resource, startedAt: t0, ...(more.result ? more : refusedNote(counts().refused)) }));
  };
  const inflight: { done: Promise<PageResult | null>; records: number }[] = [];
  let consumed = false;
  const settle = async (): Promise<void> => {
    const f = inflight.shift()!;
    let res: PageResult | null;
    try {
      res = await f.done;
    } catch (e) {
      // The peer would not apply the page: its records are refused there.
      if (refusal(e)) {
        r.refused += f.records;
        log({ result: 'error', message: e.describe() });
      }
      throw e;
    }
    r.pushPages++;
    r.sent += f.records;
    if (res) {
      r.created += res.created ?? 0;
      r.updated += res.updated ?? 0;
      r.refused += res.refused ?? 0;
      await acknowledgeSent(store.knex, plan.peer.uuid, resource, decodeCursor(res.cursor, store.instance.uuid));
    } else if (!consumed) {
      // Acknowledged later (a bundle): the restart is on its way, later hellos move on from the start.
      consumed = true;
      for (const p of restarted) await acknowledgeSent(store.knex, p.uuid, resource, 0);
    }
    opts.onPage?.(r, 'push');
    await opts.checkpoint?.();
  };
  const depth = transfer.depth ?? 1;
  const pages = outgoingPages(store, plan, resource, from, { limit: opts.limit ?? 1000, echoPeer });
  let next = pages.next();
  try {
    for (;;) {
      const { value: page, done: end } = await next;
      if (end) break;
      // The next page is read while this one travels.
      if (page.more) {
        next = pages.next();
        next.catch(() => undefined);
      }
      const done = transfer.send!(page);
      done.catch(() => undefined);
      inflight.push({ done, records: page.records.length });
      while (inflight.length >= depth || (!transfer.flush && !page.more && inflight.length)) await settle();
      if (!page.more) break;
    }
  } finally {
    if (!transfer.flush) await Promise.allSettled(inflight.map((f) => f.done));
  }
  if (!transfer.flush) {
    log();
    return undefined;
  }
  // Answers come once the carrier flushed (radio: the peer confirms each payload).
  const answers = (async () => {
    while (inflight.length) await settle();
    log();
  })();
  answers.catch(() => undefined); // awaited after the flush
  return { answers };
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
