/**
 * Sync between instances, independent of the carrier. pipeline.ts holds the stages every
 * carrier shares (plan, collect, apply, acknowledge, the sync-log row) and drive.ts the one
 * loop that runs them; carriers (HTTP, file bundles, radio) supply only a Transfer. syncPeer
 * runs a whole live session (hello, pull, push) over a SyncCarrier.
 */
export * from './tables.js';
export * from './policy.js';
export * from './protocol.js';
export * from './peers.js';
export * from './apply.js';
export * from './collect.js';
export * from './serve.js';
export * from './session.js';
export { drive, type Driven, type Incoming, type Transfer, type Wanted } from './drive.js';
export { acknowledgeSent, advanceReceived, applyReceived, applyVersions, learnPositions, logRow, myPosition, outgoingPages, planFor, sendFrom, writeLog, type Carrier, type Plan } from './pipeline.js';
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
