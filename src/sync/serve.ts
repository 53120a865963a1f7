import { randomBytes } from 'node:crypto';
import { TidemarkError } from '../errors.js';
import { decodeCursor, encodeCursor, type Store } from '../store/index.js';
import { EventEmitter } from 'node:events';
import type { FieldValue } from '../registry/values.js';
import { heldCursor } from './apply.js';
import { collectPage, hasChangesFor, recordAck } from './collect.js';
import { Peers, syncableResources, type Peer } from './peers.js';
import { checkHello, readPage, type Hello, type Page, type PageResult, type PairRequest, type PairResponse, type PullRequest } from './protocol.js';
import { grantedPull, grantedPush, grantFor } from './grant.js';
import { addMoved, noneMoved, type Moved } from './drive.js';
import { applyReceived, buildHello, learnPositions, planFor, logRow, myPosition, mySchema, writeLog } from './pipeline.js';
import { logger } from '../log.js';
import { hashToken as hash, presents } from './tokens.js';

const log = logger.child({ component: 'sync-serve' });

/**
 * The passive side of the protocol: answers to a peer's hello, pulls and pushes. Carrier-neutral;
 * the HTTP routes are a thin shell over these.
 */

export { buildHello, mySchema };

/** Learns from a peer's summary how far it holds my feed. */
export async function learnAcks(store: Store, peer: string, hello: Hello): Promise<void> {
  await learnPositions(store, peer, hello);
}

export async function answerHello(store: Store, peer: Peer, raw: unknown): Promise<Hello> {
  const hello = checkHello(mySchema(store), raw);
  if (hello.instance !== peer.uuid) throw new TidemarkError('forbidden', 'the hello names another instance than the credentials');
  // Only what the peer is granted is summarised (and so pulled or pushed).
  const grant = await grantFor(store, peer);
  const offered = new Set(syncableResources(store.registry).filter((r) => grant.resources.includes(r)));
  const resources = Object.keys(hello.resources).filter((r) => offered.has(r));
  await learnAcks(store, peer.uuid, hello);
  const answer = await buildHello(store, peer.uuid, resources);
  for (const r of resources) {
    const s = answer.resources[r]!;
    const after = myPosition(store, hello.resources[r]!.have) ?? 0;
    s.pending = await hasChangesFor(store, peer.uuid, r, after, decodeCursor(s.head, store.instance.uuid));
    if (hello.plan) {
      const filter = hello.plan.filters?.[r];
      checkFilter(store, r, filter);
      s.plan = s.pending ? await measureFeed(store, peer.uuid, r, after ? encodeCursor(store.instance.uuid, after) : null, filter) : { records: 0, bytes: 0 };
    }
  }
  return answer;
}

/**
 * A filter sent by a peer, on fields of the resource. Its shape (an object of plain values) is
 * the schema's (FilterSchema in protocol.ts: the pull route, and checkHello for a plan).
 */
function checkFilter(store: Store, resource: string, filter: Record<string, FieldValue> | undefined): void {
  for (const f of Object.keys(filter ?? {})) {
    if (!store.registry.field(resource, f)) throw new TidemarkError('invalid', `unknown field "${f}"`, { resource, field: f });
  }
}

/**
 * What `peer` would get from my feed of a resource after `after`: records and bytes of the pages
 * as JSON, measured by collecting them (a dry run costs reading, not sending).
 */
export async function measureFeed(store: Store, peer: string, resource: string, from: string | null, filter?: Record<string, FieldValue>): Promise<{ records: number; bytes: number }> {
  let cursor = from;
  let records = 0;
  let bytes = 0;
  for (;;) {
    const page = await collectPage(store, peer, resource, cursor, { limit: 1000, filter });
    records += page.records.length;
    if (page.records.length) bytes += Buffer.byteLength(JSON.stringify(page));
    if (!page.more) return { records, bytes };
    cursor = page.cursor;
  }
}

/** A pull, its shape already checked against PullRequestSchema (by the route). */
export async function answerPull(store: Store, peer: Peer, req: PullRequest): Promise<ReturnType<typeof collectPage>> {
  if (!syncableResources(store.registry).includes(req.resource)) throw new TidemarkError('invalid', `unknown resource "${req.resource}"`, { resource: req.resource });
  checkFilter(store, req.resource, req.filter);
  const filter = grantedPull(await grantFor(store, peer), req.resource, req.filter);
  const after = req.after === null ? 0 : decodeCursor(req.after, store.instance.uuid);
  const page = await collectPage(store, peer.uuid, req.resource, req.after, { limit: req.limit, ...(filter ? { filter } : {}) });
  if (req.after !== null) await recordAck(store.knex, peer.uuid, req.resource, after);
  await tally(store, peer, 'send', req.resource, { sent: page.records.length }, page.more);
  return page;
}

export async function answerPush(store: Store, peer: Peer, raw: unknown): Promise<PageResult> {
  const plan = await planFor(store, peer, 'http');
  const page = raw as Partial<Page> | null;
  // A page refused for what it holds: its records are refused here, and the run history says so.
  const refuse = async (e: unknown): Promise<never> => {
    if (e instanceof TidemarkError && (e.code === 'invalid' || e.code === 'forbidden') && page && Array.isArray(page.records)) {
      const n = page.records.length;
      await writeLog(store.knex, [logRow(peer, 'receive', { received: n, refused: n }, { resource: String(page.resource), result: 'error', message: `pushed by the peer, refused: ${e.describe()}` })]);
    }
    throw e;
  };
  if (page && typeof page.resource === 'string') {
    if (!syncableResources(store.registry).includes(page.resource)) throw new TidemarkError('invalid', `unknown resource "${page.resource}"`, { resource: page.resource });
    // A resource the peer may not give me at all (its hello was never answered with it) is
    // refused whole (403); records outside its filter are refused one by one by the apply
    // stage, as on every carrier (docs/security.md, "One grant check").
    try {
      grantedPush(plan.grant, page.resource);
    } catch (e) {
      await refuse(e);
    }
  }
  const key = `${store.instance.uuid}|${peer.uuid}|${String(page?.resource)}`;
  // A pusher may send the next page before this one is answered (pipelining): wait a moment
  // for the page it follows to be applied rather than refuse it.
  if (page && typeof page.resource === 'string' && typeof page.from === 'string') {
    const deadline = Date.now() + 5000;
    for (;;) {
      const held = await heldCursor(store.knex, peer.uuid, page.resource);
      if (held === page.from || held === page.cursor || Date.now() > deadline) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        applied.once(key, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  const apply = async (): Promise<PageResult> => {
    const { page: checked, versions } = readPage(store.registry, raw);
    const r = await applyReceived(store, plan, checked, versions, { strict: true });
    return { cursor: checked.cursor, received: r.received, applied: r.applied, conflicts: r.conflicts, duplicate: r.duplicate, created: r.created, updated: r.updated, refused: r.refused };
  };
  const out = await apply().catch((e: unknown) => {
    if (e instanceof TidemarkError && e.where.field === 'tm_hlc') log.warn({ peer: peer.name, resource: e.where.resource, uuid: e.where.uuid, problem: e.message }, 'push refused: clock stamp');
    return refuse(e);
  });
  applied.emit(key);
  await tally(store, peer, 'receive', String(page?.resource), out.duplicate ? {} : out, Boolean(page?.more));
  return out;
}

/**
 * The passive side's sync log: what a peer pulled from me or pushed to me, one row per resource
 * stream (written when its last page is answered).
 */
const streams = new Map<string, Moved & { started: number }>();
async function tally(store: Store, peer: Peer, direction: 'send' | 'receive', resource: string, add: Partial<Moved>, more: boolean): Promise<void> {
  const key = `${store.instance.uuid}|${peer.uuid}|${direction}|${resource}`;
  const s = streams.get(key) ?? { ...noneMoved(), started: performance.now() };
  addMoved(s, add);
  if (more) {
    streams.set(key, s);
    return;
  }
  streams.delete(key);
  if (!s.sent && !s.received && !s.conflicts) return;
  const counts = direction === 'send' ? { sent: s.sent, conflicts: s.conflicts } : { received: s.received, created: s.created, updated: s.updated, refused: s.refused, conflicts: s.conflicts };
  const message = direction === 'send' ? 'pulled by the peer' : `pushed by the peer${s.refused ? `; ${s.refused} outside its grant refused` : ''}`;
  await writeLog(store.knex, [logRow(peer, direction, counts, { resource, startedAt: s.started, result: s.refused ? 'warning' : 'success', message })]);
}

const applied = new EventEmitter();
applied.setMaxListeners(0);

// ---- Pairing and authentication -------------------------------------------------------------


/**
 * A one-time pairing code the operator hands to the other site (default: valid for one hour).
 * It pairs a NEW instance, once; `forPeer` (an admin's `peer invite --repair PEER`) instead lets
 * that known peer pair again with a new token and URL. Codes never begin with "-", so they
 * cannot be taken for an option on a command line.
 */
export async function createInvite(store: Store, ttlSeconds = 3600, opts: { forPeer?: string } = {}): Promise<{ code: string; expires_at: string }> {
  let code = randomBytes(9).toString('base64url');
  while (code.startsWith('-')) code = randomBytes(9).toString('base64url');
  const expires = Date.now() + ttlSeconds * 1000;
  const forPeer = opts.forPeer ? (await new Peers(store).get(opts.forPeer)).uuid : null;
  await store.knex('tm_invite').insert({ code_hash: hash(code), expires_at: expires, for_peer: forPeer });
  return { code, expires_at: new Date(expires).toISOString() };
}

/**
 * Spends a pairing code for `instance`: refused (403) if unknown, expired or used, or if the
 * instance is paired already and the code was not made to re-pair it. Spent atomically, so
 * two requests with one code cannot both succeed.
 */
export async function spendInvite(store: Store, code: string, instance: string): Promise<void> {
  const refuse = (why: string): TidemarkError => new TidemarkError('forbidden', `registration required: ${why}`);
  const invite = (await store.knex('tm_invite').where({ code_hash: hash(code) }).first()) as { expires_at: number; used_by: string | null; for_peer: string | null } | undefined;
  if (!invite || Number(invite.expires_at) < Date.now() || invite.used_by) throw refuse('the pairing code is unknown, used or expired (run "tidemark peer invite" on this instance)');
  const known = await new Peers(store).find(instance);
  if (known && known.uuid === instance && invite.for_peer !== instance) {
    throw refuse(`${known.name} is paired already; re-pairing it needs a code from "tidemark peer invite --repair ${known.name}" (admin)`);
  }
  if (invite.for_peer && invite.for_peer !== instance) throw refuse('this pairing code was made to re-pair another instance');
  const n = await store.knex('tm_invite').where({ code_hash: hash(code) }).whereNull('used_by').update({ used_by: instance });
  if (!Number(n)) throw refuse('the pairing code is used');
}

/**
 * Registers a peer that presents a valid invitation code. Asked to split, it answers with the token
 * this side will present and keeps only the hash of the requester's; else both share its token.
 * The request's shape is checked against PairRequestSchema (by the route).
 */
export async function answerPair(store: Store, req: PairRequest): Promise<PairResponse> {
  await spendInvite(store, req.code, req.instance.toLowerCase());
  const mine = req.split === true ? newToken() : req.token;
  await new Peers(store).save({ uuid: req.instance.toLowerCase(), name: String(req.name || req.instance.slice(0, 8)).slice(0, 128), url: req.url ?? null, token: mine, tokenIn: req.token });
  return { instance: store.instance.uuid, name: store.instance.name, ...(req.split === true ? { token: mine } : {}), ...mySchema(store) };
}

/** The peer behind a request's credentials; an unregistered instance is refused (403). */
export async function authenticate(store: Store, instance: string | undefined, token: string | undefined): Promise<Peer> {
  if (!instance || !token) throw new TidemarkError('forbidden', 'registration required: pair with this instance first ("tidemark peer add URL --code CODE")');
  const peer = await new Peers(store).find(instance);
  if (!peer || peer.uuid !== instance) throw new TidemarkError('forbidden', 'registration required: this instance does not know you');
  if (!presents(peer, token)) throw new TidemarkError('unauthorized', 'wrong sync token');
  return peer;
}

export const newToken = (): string => randomBytes(24).toString('base64url');
