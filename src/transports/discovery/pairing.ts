import { TidemarkError } from '../../errors.js';
import { SCHEMA_VERSION, type Store } from '../../store/index.js';
import { Peers, type Peer } from '../../sync/peers.js';
import { addHttpPeer } from '../http/index.js';
import { findCandidate, markPaired, type Candidate } from './candidates.js';

/** The clusters this instance has configured, as advertised in its TXT record. */
export async function localClusters(store: Store): Promise<string[]> {
  return (await new Peers(store).clusters()).map((c) => c.name);
}

export interface Pairing {
  candidate: Candidate;
  peer: Peer;
  /** true when the peer was registered now, false when it was a peer already. */
  added: boolean;
}

/**
 * The trust step: a person names a discovered instance and types the one-time code that the
 * other site's operator made ("tidemark peer invite" there). Only then does it become a sync
 * peer, at the address it was heard on; the daemon syncs it like any other peer from then on.
 * Hearing an announcement alone never makes anything flow: anyone on the LAN can announce.
 */
export async function pairCandidate(store: Store, idOrPrefix: string, code: string | undefined, myUrl?: string): Promise<Pairing> {
  const candidate = await findCandidate(store.knex, idOrPrefix);
  if (candidate.schemaVersion !== SCHEMA_VERSION) {
    throw new TidemarkError('invalid', `${candidate.name} speaks schema version ${candidate.schemaVersion}, this instance ${SCHEMA_VERSION}: upgrade one of them before pairing`);
  }
  const existing = await new Peers(store).find(candidate.uuid);
  if (existing) {
    // Already trusted: only follow it to the address it is heard on now.
    const peer = existing.url === candidate.url ? existing : await new Peers(store).configure(existing.uuid, { url: candidate.url });
    if (!candidate.pairedOn) await markPaired(store.knex, candidate.uuid);
    return { candidate, peer, added: false };
  }
  if (!code) {
    throw new TidemarkError('invalid', `pairing with ${candidate.name} needs its one-time code: run "tidemark peer invite" on ${candidate.name}, then "tidemark discover pair ${candidate.uuid.slice(0, 8)} --code CODE" here`);
  }
  const peer = await addHttpPeer(store, candidate.url, { code, name: candidate.name, myUrl: myUrl ?? null });
  if (peer.uuid !== candidate.uuid) {
    await new Peers(store).remove(peer.uuid);
    throw new TidemarkError('forbidden', `${candidate.url} answered as instance ${peer.uuid}, not the announced ${candidate.uuid}`);
  }
  await markPaired(store.knex, candidate.uuid);
  return { candidate, peer, added: true };
}
