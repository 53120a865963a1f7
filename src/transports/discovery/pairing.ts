import { TidemarkError } from '../../errors.js';
import { SCHEMA_VERSION, type Store } from '../../store/index.js';
import { findCandidate, markPaired, type Candidate } from './candidates.js';

/** The clusters this instance belongs to, as advertised in its TXT record. */
export async function localClusters(_store: Store): Promise<string[]> {
  // TODO(sync): read the cluster membership from src/sync once it exists.
  return [];
}

export interface Pairing {
  candidate: Candidate;
  /** true when the peer was registered now, false when it was a peer already. */
  added: boolean;
}

/**
 * The trust step: a person names a discovered instance, and it becomes a sync peer at the
 * address it was heard on. Nothing is exchanged with a candidate before this.
 */
export async function pairCandidate(store: Store, idOrPrefix: string): Promise<Pairing> {
  const candidate = await findCandidate(store.knex, idOrPrefix);
  if (candidate.schemaVersion !== SCHEMA_VERSION) {
    throw new TidemarkError('invalid', `${candidate.name} speaks schema version ${candidate.schemaVersion}, this instance ${SCHEMA_VERSION}: upgrade one of them before pairing`);
  }
  await markPaired(store.knex, candidate.uuid);
  return { candidate, added: candidate.pairedOn === null };
}
