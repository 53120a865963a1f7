import type { Knex } from 'knex';
import { TidemarkError } from '../errors.js';
import { logger } from '../log.js';
import type { FieldValue } from '../registry/values.js';
import { decodeCursor, encodeCursor, registryHash, SCHEMA_VERSION, type RecordVersion, type Store } from '../store/index.js';
import { applyCheckedPage, applyRemoteVersions, heldCursor, storeCursor, type ApplyResult } from './apply.js';
import { acks, collectPage, recordAck, resourceHeads, restartSending } from './collect.js';
import { grantDirection, grantedSending, grantFor, withinGrant, type Grant } from './grant.js';
import { Peers, policyFor, type Peer, type ReceivingPolicy } from './peers.js';
import { swapPolicy, type PolicyName } from './policy.js';
import { PROTOCOL_VERSION, type Hello, type Page } from './protocol.js';
import { writeSyncLog, type SyncLogEntry, type SyncResult } from './synclog.js';

/**
 * The sync pipeline: the same five stages whatever carries the changes.
 *
 *   plan         what the peer is granted and where each side stands      planFor, buildHello, sendFrom
 *   collect      my changes after the peer's position, echoes left out    collectPage/collectChanges (collect.ts)
 *   transfer     the carrier: HTTP requests, a bundle file, radio frames  (its Transfer, run by drive.ts)
 *   apply        one receiving policy, one position rule                  applyReceived, advanceReceived
 *   acknowledge  how far each side holds the other's feed                 acknowledgeSent, learnPositions
 *
 * and one sync-log row builder (logRow) for every carrier. drive.ts is the one loop that runs
 * these stages; a carrier supplies only its Transfer and moves what these functions produce; cursors, acknowledgements, echo suppression and stale cursors are decided
 * here, so a change behaves the same whichever way it travelled. Every position moves in the
 * transaction that applied the data (receiver) or on the peer's acknowledgement (sender), so an
 * interrupted session on any carrier resumes from the last acknowledged stage.
 */

// ---- plan --------------------------------------------------------------------------------

export function mySchema(store: Store): { schema_version: number; registry_hash: string } {
  return { schema_version: SCHEMA_VERSION, registry_hash: registryHash(store.registry) };
}

/** What carries a session: recorded with every version it brings (record history). */
export type Carrier = 'http' | 'bundle' | 'radio';

export interface Plan {
  peer: Peer;
  carrier: Carrier;
  /** What the peer is granted (src/sync/grant.ts): what I send, and what I take from it. */
  grant: Grant;
  direction: 'pull' | 'push' | 'both';
  /** The resources that sync with the peer, in dependency order. */
  order: string[];
  /** Filters on what I send to the peer, per resource (the grant's). */
  filters: Record<string, Record<string, FieldValue>>;
  /** How I decide versions received from the peer (my setting if any, else the sender's hint). */
  receiving: ReceivingPolicy;
  /** The hint sent with my versions: the peer's side of my policy. */
  sendingHint(resource: string): PolicyName;
}

/**
 * What syncs with `peer` and how. What is sent and taken is the peer's grant (grantFor, the one
 * every carrier and the passive side ask); only the conflict policies come from the settings
 * besides. A cluster bundle follows the cluster's settings (`cluster`), everything else the
 * peer's own (defaults, then its clusters, then the peer).
 */
export async function planFor(store: Store, peer: Peer, carrier: Carrier, opts: { cluster?: string | null } = {}): Promise<Plan> {
  const peers = new Peers(store);
  const grant = await grantFor(store, peer, opts);
  const cfg = await peers.effective(opts.cluster ? { ...peer, clusters: [opts.cluster], config: {} } : peer);
  return {
    peer,
    carrier,
    grant,
    direction: grantDirection(grant),
    ...grantedSending(store, grant),
    receiving: await peers.receivingPolicy(peer),
    sendingHint: (resource) => swapPolicy(policyFor(cfg, resource)),
  };
}

/** My hello for `peer` over `resources`: my heads, and how far I hold the peer's feed. */
export async function buildHello(store: Store, peer: string, resources: readonly string[]): Promise<Hello> {
  const heads = await resourceHeads(store.knex, resources);
  const held = (await store.knex('tm_peer_cursor').where({ peer }).whereIn('resource', resources)) as { resource: string; cursor: string }[];
  const have = new Map(held.map((h) => [h.resource, h.cursor]));
  const out: Hello['resources'] = {};
  for (const r of resources) out[r] = { head: encodeCursor(store.instance.uuid, heads.get(r) ?? 0), have: have.get(r) ?? null };
  return { protocol: PROTOCOL_VERSION, instance: store.instance.uuid, name: store.instance.name, ...mySchema(store), resources: out };
}

/**
 * The position in my feed that a cursor given back by a peer names. `null` when the cursor is
 * none of mine: issued by an earlier incarnation of this database (restored, re-created), so
 * the peer's position is unknown and it starts over. The one stale-cursor rule of every carrier.
 */
export function myPosition(store: Store, cursor: string | null | undefined): number | null {
  if (cursor === null || cursor === undefined) return null;
  try {
    return decodeCursor(cursor, store.instance.uuid);
  } catch {
    return null;
  }
}

/**
 * Where sending to a peer starts in my feed: where it said it stands (`theirs`, from a hello) or
 * else where it last acknowledged, unless a reset was asked for or the cursor is stale.
 */
export function sendFrom(store: Store, ack: { seq: number; reset: boolean } | undefined, theirs?: string | null): { from: string | null; after: number } {
  if (ack?.reset) return { from: null, after: 0 };
  if (theirs !== undefined) {
    const after = myPosition(store, theirs);
    return after === null ? { from: null, after: 0 } : { from: theirs, after };
  }
  const after = ack?.seq ?? 0;
  return { from: after > 0 ? encodeCursor(store.instance.uuid, after) : null, after };
}

// ---- collect -----------------------------------------------------------------------------

/**
 * The pages of my feed of `resource` for `peer` from `from` on, each with the sending hint.
 * Versions taken unchanged from `peer` are left out (collect.ts, by `tm_from`): no echo.
 */
export async function* outgoingPages(store: Store, plan: Plan, resource: string, from: string | null, opts: { limit?: number; echoPeer?: string } = {}): AsyncGenerator<Page> {
  const filter = plan.filters[resource];
  const policy = plan.sendingHint(resource);
  let cursor = from;
  for (;;) {
    const page = await collectPage(store, opts.echoPeer ?? plan.peer.uuid, resource, cursor, { limit: opts.limit, filter });
    yield { ...page, policy };
    if (!page.more) return;
    cursor = page.cursor;
  }
}

// ---- apply -------------------------------------------------------------------------------

export interface Received {
  /** Pages applied, and how many of them moved my position in the sender's feed. */
  received: number;
  applied: number;
  /** Records outside the sender's grant: not applied (grant.ts, withinGrant). */
  refused: number;
  created: number;
  updated: number;
  conflicts: number;
  /** The position moved (the page continued, or overlapped, where I stood). */
  advanced: boolean;
  /** The page was applied before (same cursor): nothing done. */
  duplicate: boolean;
  /** The page starts after my position (a missing earlier page): applied, position kept. */
  gap: boolean;
}

const seqOf = (cursor: string | null, issuer: string): number => (cursor === null ? 0 : decodeCursor(cursor, issuer));

/**
 * Applies one page from `sender` with the receiving policy. `strict` (a live session): a page
 * must start where I stand, else `handshake_needed`. Otherwise (a bundle: late, twice, or out
 * of order) a page that continues or overlaps my position moves it in the same transaction, and
 * a page wholly behind or after a gap is applied version by version (the versions decide, old
 * ones are no-ops) without moving the position, so nothing is ever skipped.
 */
export async function applyReceived(store: Store, plan: Plan, page: Page, received: readonly RecordVersion[], opts: { strict?: boolean } = {}): Promise<Received> {
  const peer = plan.peer.uuid;
  const apply = { policy: (r: string): PolicyName => plan.receiving(r, page.policy), via: plan.carrier };
  // The grant first: records outside it are refused one by one, the rest of the page applies
  // and the position moves past the page as usual (docs/security.md, "One grant check").
  const { granted: versions, refused } = grantCheck(plan, received);
  if (opts.strict) {
    const r = await applyCheckedPage(store, peer, page, versions, apply);
    return { received: received.length, applied: r.applied, refused: r.duplicate ? 0 : refused, created: r.created ?? 0, updated: r.updated ?? 0, conflicts: r.conflicts, advanced: !r.duplicate, duplicate: r.duplicate, gap: false };
  }
  const held = await heldCursor(store.knex, peer, page.resource);
  const heldSeq = seqOf(held, peer);
  const fromSeq = seqOf(page.from, peer);
  const toSeq = seqOf(page.cursor, peer);
  if (held === page.from || (fromSeq < heldSeq && toSeq > heldSeq)) {
    const r = await applyCheckedPage(store, peer, { ...page, from: held }, versions, apply);
    return { received: received.length, applied: r.applied, refused: r.duplicate ? 0 : refused, created: r.created ?? 0, updated: r.updated ?? 0, conflicts: r.conflicts, advanced: !r.duplicate, duplicate: r.duplicate, gap: false };
  }
  const r = await applyGranted(store, plan, versions, page.policy);
  return { received: received.length, applied: r.taken + r.resolved, refused, created: r.created, updated: r.updated, conflicts: r.conflicts, advanced: false, duplicate: false, gap: fromSeq > heldSeq };
}

/** Applies versions that carry no position (radio payloads), within the grant like every page. */
export async function applyVersions(store: Store, plan: Plan, received: readonly RecordVersion[], hint?: PolicyName): Promise<ApplyResult & { refused: number }> {
  const { granted, refused } = grantCheck(plan, received);
  return { ...(await applyGranted(store, plan, granted, hint)), received: received.length, refused };
}

async function applyGranted(store: Store, plan: Plan, versions: readonly RecordVersion[], hint?: PolicyName): Promise<ApplyResult> {
  return store.transaction((w) => applyRemoteVersions(w, plan.peer.uuid, versions, { policy: (r) => plan.receiving(r, hint), via: plan.carrier }));
}

/** The one grant check of the apply stage: the granted versions, and how many were refused (logged). */
function grantCheck(plan: Plan, received: readonly RecordVersion[]): { granted: RecordVersion[]; refused: number } {
  const { granted, refused } = withinGrant(plan.grant, received);
  if (refused.length) {
    logger.warn({ peer: plan.peer.name, carrier: plan.carrier, refused: refused.length, first: refused[0]!.error.describe() }, 'received records outside the grant: refused, not applied');
  }
  return { granted, refused: refused.length };
}

/**
 * Moves my position in the sender's feed of `resource` to `to` once everything it sent in
 * (from, to] is applied (radio: after the sender's final payload). Never backwards, never past
 * a gap: only when I already held the sender's feed at least up to `from`.
 */
export async function advanceReceived(store: Store, sender: string, resource: string, from: number, to: number): Promise<boolean> {
  return store.transaction(async (w) => {
    const held = await heldCursor(w.trx, sender, resource);
    const heldSeq = seqOf(held, sender);
    if (heldSeq < from || heldSeq >= to) return false;
    await storeCursor(w.trx, sender, resource, held, encodeCursor(sender, to));
    return true;
  });
}

// ---- acknowledge -------------------------------------------------------------------------

/** The peer applied my feed of `resource` up to `seq`: sending resumes from there. */
export async function acknowledgeSent(knex: Knex, peer: string, resource: string, seq: number): Promise<void> {
  await recordAck(knex, peer, resource, seq, { clearReset: true });
}

/**
 * Learns from a peer's hello how far it holds my feed. `forwardOnly` for hellos that may be old
 * (a bundle carried late): they never move a position back, except that a peer which held part
 * of my feed and now holds none of it started over (it widened its grant, or its database was
 * replaced): sending restarts from the start (a live hello's position is used as it is, by
 * sendFrom). Returns the resources that moved.
 */
export async function learnPositions(store: Store, peer: string, hello: Hello | undefined, opts: { forwardOnly?: boolean } = {}): Promise<string[]> {
  if (!hello || typeof hello.resources !== 'object') return [];
  const mine = opts.forwardOnly ? await acks(store.knex, peer) : null;
  const moved: string[] = [];
  for (const [resource, s] of Object.entries(hello.resources)) {
    if (!s || !store.registry.has(resource)) continue;
    if (!s.have) {
      const cur = mine?.get(resource);
      if (cur && cur.seq > 0 && !cur.reset) {
        await restartSending(store.knex, peer, [resource]);
        moved.push(resource);
      }
      continue;
    }
    const seq = myPosition(store, s.have);
    if (seq === null) continue; // the peer will start over
    if (mine) {
      const cur = mine.get(resource);
      if (cur && seq <= cur.seq) continue;
    }
    await recordAck(store.knex, peer, resource, seq);
    moved.push(resource);
  }
  return moved;
}

/** A hello from the paired instance and no other (a URL now answered by someone else is refused). */
export function checkPeerHello(peer: Peer, theirs: Hello): void {
  if (theirs.instance !== peer.uuid) throw new TidemarkError('forbidden', `${peer.url ?? peer.name} is now instance ${theirs.instance}, not the paired ${peer.uuid}`);
}

// ---- the sync log ------------------------------------------------------------------------

/** The counts of a sync-log row (what moved, and what the receiving side did with it). */
const COUNTS = ['sent', 'received', 'created', 'updated', 'refused', 'conflicts', 'bytes'] as const;
export type LogCounts = Pick<SyncLogEntry, (typeof COUNTS)[number]>;

/** The one builder of sync-log rows, whichever carrier and stage writes them. */
export function logRow(
  peer: Pick<Peer, 'uuid' | 'name'>,
  direction: SyncLogEntry['direction'],
  counts: LogCounts,
  more: { resource?: string | null; result?: SyncResult; startedAt?: number; durationMs?: number; message?: string | null } = {},
): SyncLogEntry {
  return {
    peer: peer.uuid,
    peer_name: peer.name,
    direction,
    resource: more.resource ?? null,
    result: more.result ?? 'success',
    // Only the counts (a caller may pass a whole report); those left out are 0 (writeSyncLog).
    ...Object.fromEntries(COUNTS.map((k) => [k, counts[k]])),
    duration_ms: more.durationMs ?? (more.startedAt !== undefined ? performance.now() - more.startedAt : 0),
    message: more.message ?? null,
  };
}

/** Writes sync-log rows; a failure to log never fails the sync it describes. */
export async function writeLog(knex: Knex, rows: SyncLogEntry[]): Promise<void> {
  await writeSyncLog(knex, rows).catch((e: unknown) => logger.error({ err: e }, 'could not write the sync log'));
}
