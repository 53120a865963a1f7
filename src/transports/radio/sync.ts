import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { coded } from '../../errors.js';
import { logger } from '../../log.js';
import type { Registry } from '../../registry/registry.js';
import type { RecordVersion } from '../../store/types.js';
import { decodeChanges, encodeChanges, prioritise, sameVersion, type Reach } from './codec.js';
import { Refusal } from './frames.js';
import { LinkKnowledge, type LinkKnowledgeJson } from './knowledge.js';
import { RadioRefusedError, type RadioSession } from './session.js';

/** Both directions of one radio link, kept per peer between runs. */
export interface RadioPeerKnowledge {
  /** What the peer is known to hold of what we sent (short ids, delta bases). */
  outgoing: LinkKnowledge;
  /** Our mirror of the peer's outgoing knowledge, to decode what it sends. */
  incoming: LinkKnowledge;
}

export function newPeerKnowledge(): RadioPeerKnowledge {
  return { outgoing: new LinkKnowledge(), incoming: new LinkKnowledge() };
}

export function serialisePeerKnowledge(k: RadioPeerKnowledge): string {
  return JSON.stringify({ outgoing: k.outgoing, incoming: k.incoming });
}

export function parsePeerKnowledge(text: string): RadioPeerKnowledge {
  const j = JSON.parse(text) as { outgoing: LinkKnowledgeJson; incoming: LinkKnowledgeJson };
  return { outgoing: LinkKnowledge.fromJSON(j.outgoing), incoming: LinkKnowledge.fromJSON(j.incoming) };
}

/** Link state kept in a file (for tools without a database); a missing file is a new link. */
export function readPeerKnowledge(file: string): RadioPeerKnowledge {
  try {
    return parsePeerKnowledge(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return newPeerKnowledge();
    throw err;
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a file. */
export function writePeerKnowledge(file: string, k: RadioPeerKnowledge): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, serialisePeerKnowledge(k));
  renameSync(`${file}.tmp`, file);
}

export interface RadioSyncOptions {
  registry: Registry;
  session: RadioSession;
  /** This instance's id and the peer's (as in version vectors). */
  local: string;
  peer: string;
  /** The link's MAC keys (macKeyFor(peer, 'out') and 'in'): every payload is authenticated. */
  keys: { out: Uint8Array; in: Uint8Array };
  knowledge: RadioPeerKnowledge;
  /** The initiator sends first; the responder sends once the initiator's last payload is applied. */
  role: 'initiator' | 'responder';
  /**
   * The record versions to send (what the sync engine finds changed since the peer's position),
   * or a function that collects them when this side's turn starts: the responder then also sends
   * what applying the initiator's changes produced (conflict resolutions, re-pointed references).
   */
  outgoing: readonly RecordVersion[] | (() => Promise<readonly RecordVersion[]> | readonly RecordVersion[]);
  /** Applies received versions through the sync engine (policies, conflict log, deletion rule). */
  apply(changes: RecordVersion[]): Promise<void> | void;
  /** A batch is applied at the peer: the engine may advance the peer's cursor past it. */
  sent?(changes: RecordVersion[]): Promise<void> | void;
  /** What of my feed this turn carries, per resource (sent in the final payload). */
  reach?(): readonly Reach[];
  /** The peer's final payload is applied: what of its feed its turn carried. */
  arrived?(reach: Reach[]): Promise<void> | void;
  /** The knowledge changed (after each payload either way): persist it. */
  save?(k: RadioPeerKnowledge): Promise<void> | void;
  /** Records per payload (each payload is one checkpoint). Default 100. */
  batchSize?: number;
}

export interface RadioSyncResult {
  sent: number;
  /** Pending versions not sent because the peer holds exactly these versions already (it sent them, or we did). */
  skipped: number;
  received: number;
  payloadsSent: number;
  payloadBytesSent: number;
  resets: number;
}

/**
 * One radio sync: each side sends its changes as a series of payloads, alerts and hospital status
 * first; each payload is a checkpoint (applied and acknowledged before the next), the last one is
 * marked final, and then the other side takes its turn. A payload the peer cannot decode against
 * its mirror (state lost on one side) is sent again as a reset payload.
 */
export async function radioSync(o: RadioSyncOptions): Promise<RadioSyncResult> {
  const result: RadioSyncResult = { sent: 0, skipped: 0, received: 0, payloadsSent: 0, payloadBytesSent: 0, resets: 0 };
  const batchSize = o.batchSize ?? 100;
  let turn: Promise<void> | null = null;
  let peerFinished!: () => void;
  let cut!: (err: Error) => void;
  const peerDone = new Promise<void>((resolve, reject) => {
    peerFinished = resolve;
    cut = reject;
  });
  peerDone.catch(() => undefined);
  const onClose = (): void => cut(coded('interrupted', { detail: 'the radio sync (session closed)' }));
  if (o.session.isClosed) onClose();
  o.session.once('close', onClose);

  const collect = async (): Promise<readonly RecordVersion[]> => (typeof o.outgoing === 'function' ? await o.outgoing() : o.outgoing);

  const myTurn = async (outgoing: readonly RecordVersion[]): Promise<void> => {
    // What the peer itself sent us it holds: not sent back (a master re-sequenced by a received
    // component change, for instance).
    const echoes = outgoing.filter((r) => {
      const theirs = o.knowledge.incoming.bases.get(r.uuid);
      return theirs !== undefined && sameVersion(theirs, r);
    });
    if (echoes.length) {
      await o.sent?.(echoes);
      result.skipped = echoes.length;
    }
    const ordered = prioritise(o.registry, echoes.length ? outgoing.filter((r) => !echoes.includes(r)) : outgoing);
    const batches: RecordVersion[][] = [];
    for (let i = 0; i < ordered.length; i += batchSize) batches.push(ordered.slice(i, i + batchSize));
    if (!batches.length) batches.push([]);
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!;
      const final = i === batches.length - 1;
      const link = { from: o.local, to: o.peer, key: o.keys.out, final, reach: final ? o.reach?.() : undefined };
      let enc = encodeChanges(o.registry, batch, o.knowledge.outgoing, link);
      try {
        await o.session.send(enc.bytes);
      } catch (err) {
        if (!(err instanceof RadioRefusedError) || err.refusal !== Refusal.ResetNeeded) throw err;
        logger.warn({ peer: o.peer }, 'radio: the peer lost track of this link, sending a reset payload');
        result.resets++;
        enc = encodeChanges(o.registry, batch, o.knowledge.outgoing, { ...link, reset: true });
        await o.session.send(enc.bytes);
      }
      o.knowledge.outgoing.commit(enc.update);
      await o.save?.(o.knowledge);
      await o.sent?.(batch);
      result.sent += enc.records;
      result.skipped += batch.length - enc.records;
      result.payloadsSent++;
      result.payloadBytesSent += enc.bytes.length;
      logger.info({ peer: o.peer, records: result.sent + result.skipped, of: outgoing.length, bytes: result.payloadBytesSent }, 'radio: payload delivered');
    }
  };

  o.session.onPayload(async (bytes) => {
    const dec = decodeChanges(o.registry, bytes, o.knowledge.incoming, { from: o.peer, to: o.local, key: o.keys.in });
    if (dec.changes.length) await o.apply(dec.changes);
    o.knowledge.incoming.commit(dec.update);
    await o.save?.(o.knowledge);
    result.received += dec.changes.length;
    if (dec.final) {
      await o.arrived?.(dec.reach);
      // Start our turn before this handler returns, so that our first frame can carry the
      // acknowledgement of theirs.
      if (o.role === 'responder' && !turn) {
        turn = myTurn(await collect());
        turn.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled
      }
      peerFinished();
    }
  });

  try {
    if (o.role === 'initiator') await myTurn(await collect());
    await peerDone;
    await turn;
  } finally {
    o.session.off('close', onClose);
  }
  return result;
}
