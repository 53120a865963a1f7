import type { Store } from '../../store/index.js';
import { pairWith } from '../../sync/pairing.js';
import { checkPin, Peers, type Peer } from '../../sync/peers.js';
import { startDaemon } from '../../sync/daemon.js';
import { syncPeer, type SyncCarrier, type SyncOptions, type SyncReport } from '../../sync/session.js';
import { EdenCarrier } from '../eden/index.js';
import { TidemarkError } from '../../errors.js';
import { logger } from '../../log.js';
import { HttpCarrier, pairOverHttp } from './client.js';

export { HttpCarrier, pairOverHttp, SYNC_PATH } from './client.js';

/** The carrier for a peer that has a URL: Tidemark's protocol, or Eden's REST S3XML for an Eden peer. */
export function httpCarrierFor(store: Store, peer: Peer): SyncCarrier | undefined {
  if (!peer.url) return undefined;
  return peer.kind === 'eden' ? new EdenCarrier(peer) : new HttpCarrier(peer.url, store.instance.uuid, peer.token, undefined, peer.pin);
}

/**
 * `tidemark peer add URL --code CODE [--pin sha256:…]`: pairs over HTTP(S) and records the peer
 * with its URL (and the pinned fingerprint of its certificate, checked from the pairing on).
 */
export async function addHttpPeer(store: Store, url: string, opts: { code: string; pin?: string | null; name?: string; clusters?: string[]; myUrl?: string | null }): Promise<Peer> {
  const pin = checkPin(url, opts.pin ?? null);
  return pairWith(store, (req) => pairOverHttp(url, req, pin), { ...opts, pin, url });
}

/** One sync round with a peer over HTTP. */
export async function syncOverHttp(store: Store, peerRef: string | Peer, opts: SyncOptions = {}): Promise<SyncReport> {
  const peer = typeof peerRef === 'string' ? await new Peers(store).get(peerRef) : peerRef;
  const carrier = httpCarrierFor(store, peer);
  if (!carrier) throw new TidemarkError('invalid', `peer ${peer.name} has no URL: it syncs when it calls this instance`);
  return syncPeer(store, peer, carrier, opts);
}

/** Starts the sync daemon over HTTP (the `tidemark serve` hook); TIDEMARK_DAEMON=0 turns it off. */
export function startHttpDaemon(store: Store): { stop(): Promise<void> } | undefined {
  if (process.env.TIDEMARK_DAEMON === '0') return undefined;
  const tickMs = Number(process.env.TIDEMARK_DAEMON_TICK_MS) || undefined;
  const debounceMs = Number(process.env.TIDEMARK_DAEMON_DEBOUNCE_MS) || undefined;
  const minBackoffMs = Number(process.env.TIDEMARK_DAEMON_BACKOFF_MS) || undefined;
  return startDaemon(store, {
    carrierFor: (p) => httpCarrierFor(store, p),
    tickMs,
    debounceMs,
    minBackoffMs,
    onSync: (r) => {
      if (r.received || r.sent || r.result !== 'success') logger.info({ peer: r.name, result: r.result, received: r.received, sent: r.sent, conflicts: r.conflicts, ms: Math.round(r.durationMs) }, 'synced');
    },
  });
}
