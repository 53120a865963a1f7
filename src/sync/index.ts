/**
 * Sync between instances, independent of the carrier. Carriers (HTTP, file bundles, radio) move
 * the messages of protocol.ts and call:
 *  - collectPage / collectChanges: my changes since a cursor I issued, for one peer;
 *  - applyPage (one page + cursor in one transaction) or applyRemoteVersions (inside the
 *    caller's own transaction): decide per record from version vectors, policies, resolvers;
 *  - syncPeer: a whole live session (hello, pull, push) over a SyncCarrier.
 */
export * from './tables.js';
export * from './policy.js';
export * from './protocol.js';
export * from './peers.js';
export * from './apply.js';
export * from './collect.js';
export * from './serve.js';
export * from './session.js';
export * from './pairing.js';
export * from './conflicts.js';
export * from './synclog.js';
export * from './purge.js';
export * from './lease.js';
export * from './daemon.js';
export * from './status.js';
export * from './plan.js';
export * from './jobs.js';
export * from './grant.js';
export * from './tokens.js';
export * from './history.js';
export * from './window.js';
