import { nowIso } from '../../registry/values.js';
import type { RecordVersion, Store } from '../../store/index.js';
import { Peers, type Peer } from '../../sync/peers.js';
import { macKeyFor } from '../../sync/tokens.js';
import { coded } from '../../errors.js';
import { drive, sendingStarts, type Driven, type Incoming, type Transfer } from '../../sync/drive.js';
import { logRow, myPosition, outgoingPages, planFor, writeLog } from '../../sync/pipeline.js';
import { readPage, type Page, type PageResult } from '../../sync/protocol.js';
import { encodeChanges, prioritise, type Reach } from './codec.js';
import { LinkKnowledge } from './knowledge.js';
import type { RadioSession } from './session.js';
import { newPeerKnowledge, parsePeerKnowledge, radioSync, serialisePeerKnowledge, type RadioPeerKnowledge, type RadioSyncResult } from './sync.js';

export async function loadRadioKnowledge(store: Store, peer: string): Promise<RadioPeerKnowledge> {
  const row = (await store.knex('tm_radio_link').where({ peer }).first()) as { knowledge: string } | undefined;
  return row ? parsePeerKnowledge(row.knowledge) : newPeerKnowledge();
}

export async function saveRadioKnowledge(store: Store, peer: string, k: RadioPeerKnowledge): Promise<void> {
  await store
    .knex('tm_radio_link')
    .insert({ peer, knowledge: serialisePeerKnowledge(k), updated_on: nowIso() })
    .onConflict('peer')
    .merge();
}

/** How the link fared in this session, for the overview (a session that heard nothing keeps the last time heard). */
async function recordLinkStatus(store: Store, peer: string, session: RadioSession): Promise<void> {
  const s = session.stats;
  const status = {
    session_on: nowIso(),
    frames_received: s.framesReceived,
    frames_dropped: s.framesDropped,
    chunks_sent: s.chunksSent,
    chunks_resent: s.chunksResent,
    ...(session.heardAt !== null ? { last_heard: new Date(session.heardAt).toISOString() } : {}),
  };
  const n = await store.knex('tm_radio_link').where({ peer }).update(status);
  if (!Number(n)) await store.knex('tm_radio_link').insert({ peer, knowledge: serialisePeerKnowledge(newPeerKnowledge()), updated_on: nowIso(), ...status }).onConflict('peer').merge(status);
}

export interface RadioLinkStatus {
  peer: Peer;
  /** A frame from the peer last heard intact (null: never). */
  lastHeard: string | null;
  /** When the last session ended. */
  sessionOn: string | null;
  /** Of the frames heard in the last session, the share that arrived intact; of the chunks sent, the share sent again. */
  intact: number | null;
  resent: number | null;
  /** What waits for the peer now: records, and their encoded size. */
  queuedRecords: number;
  queuedBytes: number;
}

/** The radio links this instance has used (a row in tm_radio_link), for the overview. */
export async function radioLinks(store: Store): Promise<RadioLinkStatus[]> {
  const rows = (await store.knex('tm_radio_link').select('peer', 'last_heard', 'session_on', 'frames_received', 'frames_dropped', 'chunks_sent', 'chunks_resent')) as Record<string, unknown>[];
  const peers = new Peers(store);
  const out: RadioLinkStatus[] = [];
  for (const r of rows) {
    const peer = await peers.find(r.peer as string);
    if (!peer) continue;
    const heard = Number(r.frames_received) + Number(r.frames_dropped);
    const chunks = Number(r.chunks_sent);
    const queued = await estimateRadio(store, peer.uuid, 1200);
    out.push({
      peer,
      lastHeard: (r.last_heard as string | null) ?? null,
      sessionOn: (r.session_on as string | null) ?? null,
      intact: heard ? Number(r.frames_received) / heard : null,
      resent: chunks ? Number(r.chunks_resent) / chunks : null,
      queuedRecords: queued.records,
      queuedBytes: queued.records ? queued.bytes : 0,
    });
  }
  return out;
}

/** My changes the peer has not acknowledged, every resource it syncs, in my feed order: what the driver would send. */
export async function pendingForPeer(store: Store, peer: Peer): Promise<{ records: RecordVersion[] }> {
  const plan = await planFor(store, peer, 'radio');
  const records: RecordVersion[] = [];
  if (plan.direction === 'pull') return { records };
  for (const s of await sendingStarts(store, plan, { echoPeer: peer.uuid })) {
    for await (const page of outgoingPages(store, plan, s.resource, s.from, { limit: 5000 })) records.push(...readPage(store.registry, page).versions);
  }
  return { records };
}

export interface RadioEstimate {
  /** Changes pending for the peer, and how many of them must travel (the rest it holds already). */
  pending: number;
  records: number;
  bytes: number;
  /** Air time at the given bit rate for the payload alone, and with framing overhead and 10% loss. */
  seconds: number;
  secondsWithOverhead: number;
}

/** What a radio sync with `peer` would send now: encoded against what the peer is known to hold. */
export async function estimateRadio(store: Store, peerRef: string, bitrate: number): Promise<RadioEstimate> {
  const peer = await new Peers(store).get(peerRef);
  const { records } = await pendingForPeer(store, peer);
  const k = await loadRadioKnowledge(store, peer.uuid);
  let bytes = 0;
  let encoded = 0;
  const ordered = prioritise(store.registry, records);
  // Encode in the same batches a sync would use; each builds on the previous one.
  const known = LinkKnowledge.fromJSON(k.outgoing.toJSON());
  for (let i = 0; i < Math.max(1, ordered.length); i += 100) {
    const enc = encodeChanges(store.registry, ordered.slice(i, i + 100), known, { from: store.instance.uuid, to: peer.uuid, key: macKeyFor(peer, 'out'), final: i + 100 >= ordered.length });
    known.commit(enc.update);
    bytes += enc.bytes.length;
    encoded += enc.records;
  }
  const seconds = (bytes * 8) / bitrate;
  // 256-byte AX.25 frames carry ~227 payload bytes; acknowledgements and 10% loss on top.
  const secondsWithOverhead = (((Math.ceil(bytes / 227) * 256 + 60) * 8) / bitrate) * 1.15 + 1;
  return { pending: records.length, records: encoded, bytes, seconds, secondsWithOverhead };
}

export interface RadioPeerSyncResult extends RadioSyncResult {
  peer: Peer;
  conflicts: number;
  durationMs: number;
}

/**
 * A whole sync with one paired peer over a radio session, run by the sync driver: my changes
 * since the peer's acknowledged position go out (each page acknowledged once the peer applied
 * all of its records), the peer's changes are applied with the configured policies and conflict
 * log, and its reach moves my position in its feed. The radio link protocol (turns, payloads,
 * link knowledge) is the transfer.
 */
export async function syncPeerByRadio(store: Store, peerRef: string, session: RadioSession, role: 'initiator' | 'responder', opts: { batchSize?: number } = {}): Promise<RadioPeerSyncResult> {
  const started = performance.now();
  const peers = new Peers(store);
  const peer = await peers.get(peerRef);
  const knowledge = await loadRadioKnowledge(store, peer.uuid);
  const link = radioTransfer(store, peer, session, role, knowledge, opts.batchSize);
  let result: RadioSyncResult;
  let driven: Driven;
  try {
    driven = await drive(store, peer, link.transfer, { limit: 5000 });
    result = await link.done;
  } catch (e) {
    link.stop(e as Error);
    await writeLog(store.knex, [logRow(peer, 'sync', {}, { result: 'error', startedAt: started, message: `radio: ${(e as Error).message}` })]);
    await peers.recordResult(peer.uuid, 'error').catch(() => undefined);
    await recordLinkStatus(store, peer.uuid, session).catch(() => undefined);
    throw e;
  }
  await recordLinkStatus(store, peer.uuid, session);
  const durationMs = performance.now() - started;
  const { created, updated, refused, conflicts } = driven;
  await writeLog(store.knex, [logRow(peer, 'sync', { sent: result.sent, received: result.received, created, updated, refused, conflicts, bytes: result.payloadBytesSent }, { durationMs, result: refused ? 'warning' : 'success', message: refused ? `radio; ${refused} record(s) outside the peer's grant refused` : 'radio' })]);
  await peers.recordResult(peer.uuid, 'success');
  return { ...result, peer, conflicts, durationMs };
}

/** A promise with its settle functions (a bridge between the link's callbacks and the driver). */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * The radio transfer: the link protocol (radioSync) runs beside the driver. The driver's pages go
 * out as one turn when it flushes (echoes of what the peer sent left out, priorities first); a
 * page is answered once every record of it is in a payload the peer confirmed. The peer's
 * payloads come in as versions (each applied before the payload is confirmed: one checkpoint),
 * and its reach after its final one.
 */
function radioTransfer(store: Store, peer: Peer, session: RadioSession, role: 'initiator' | 'responder', knowledge: RadioPeerKnowledge, batchSize?: number): { transfer: Transfer; done: Promise<RadioSyncResult>; stop(e: Error): void } {
  const outgoing: RecordVersion[] = [];
  const awaiting = new Map<RecordVersion, { left: number; page: Page; answer: ReturnType<typeof deferred<PageResult | null>> }>();
  const reach = new Map<string, Reach>();
  const turn = deferred<readonly RecordVersion[]>();
  // What the peer sent, each item confirmed (consumed by the driver) before the link goes on.
  const inbox: { item: Incoming; taken: ReturnType<typeof deferred<void>> }[] = [];
  let wake: (() => void) | null = null;
  let failed: Error | null = null;
  const deliver = async (item: Incoming): Promise<void> => {
    const taken = deferred<void>();
    inbox.push({ item, taken });
    wake?.();
    await taken.promise;
  };
  const answered = (page: Page): PageResult => ({ cursor: page.cursor, received: page.records.length, applied: page.records.length, conflicts: 0, duplicate: false });
  const stop = (e: Error): void => {
    failed ??= e;
    wake?.();
    turn.reject(e);
    for (const w of awaiting.values()) w.answer.reject(e);
    for (const x of inbox.splice(0)) x.taken.reject(e);
  };
  const done = radioSync({
    registry: store.registry,
    session,
    local: store.instance.uuid,
    peer: peer.uuid,
    keys: { out: macKeyFor(peer, 'out'), in: macKeyFor(peer, 'in') },
    role,
    knowledge,
    // My turn starts when the driver flushes: as the responder, after the caller's changes are applied.
    outgoing: () => turn.promise,
    batchSize,
    apply: (changes) => deliver({ versions: changes }),
    sent: (batch) => {
      for (const r of batch) {
        const w = awaiting.get(r);
        if (!w) continue;
        awaiting.delete(r);
        if (--w.left === 0) w.answer.resolve(answered(w.page));
      }
    },
    reach: () => [...reach.values()],
    arrived: (r) => deliver({ reach: r }),
    save: (k) => saveRadioKnowledge(store, peer.uuid, k),
  });
  done.catch((e: Error) => stop(e));
  const transfer: Transfer = {
    carrier: 'radio',
    phases: role === 'initiator' ? ['send', 'receive'] : ['receive', 'send'],
    depth: Infinity,
    async send(page) {
      const versions = readPage(store.registry, page).versions;
      const from = myPosition(store, page.from) ?? 0;
      const to = myPosition(store, page.cursor) ?? 0;
      const r = reach.get(page.resource);
      reach.set(page.resource, { resource: page.resource, from: r?.from ?? from, to });
      if (!versions.length) return answered(page);
      const answer = deferred<PageResult | null>();
      const w = { left: versions.length, page, answer };
      for (const v of versions) awaiting.set(v, w);
      outgoing.push(...versions);
      return answer.promise;
    },
    flush: async () => turn.resolve(outgoing),
    async *receive() {
      for (;;) {
        while (!inbox.length) {
          if (failed) throw failed;
          await new Promise<void>((res) => (wake = res));
          wake = null;
        }
        const { item, taken } = inbox.shift()!;
        let applied = false;
        try {
          yield item;
          applied = true;
        } finally {
          // Not applied (the driver stopped): the payload is not confirmed either.
          if (applied) taken.resolve();
          else taken.reject(coded('interrupted', { detail: 'the radio sync (stopped while applying)' }));
        }
        if ('reach' in item) return;
      }
    },
    stats: () => ({ bytes: session.stats.bytesSent, roundTrips: 0 }),
  };
  return { transfer, done, stop };
}
