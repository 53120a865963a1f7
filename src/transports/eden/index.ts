import { randomBytes } from 'node:crypto';
import { TidemarkError } from '../../errors.js';
import type { Store } from '../../store/index.js';
import { Peers, type Peer, type SyncCarrier, type SessionContext, type PageResult } from '../../sync/index.js';
import { EdenClient } from './client.js';
import { edenSession } from './session.js';

export { EdenClient } from './client.js';
export { edenPath, edenVersion } from './session.js';

const notTidemark = (): never => {
  throw new TidemarkError('unsupported', 'an Eden peer syncs through its REST S3XML, not the Tidemark protocol');
};

/** The carrier for a Sahana Eden peer: runs its own session (see session.ts) inside syncPeer. */
export class EdenCarrier implements SyncCarrier {
  readonly client: EdenClient;

  constructor(peer: Peer) {
    if (!peer.url) throw new TidemarkError('invalid', `Eden peer ${peer.name} has no URL`);
    this.client = new EdenClient(peer.url, peer.user ?? '', peer.token);
  }

  hello(): Promise<unknown> {
    return notTidemark();
  }

  pull(): Promise<unknown> {
    return notTidemark();
  }

  push(): Promise<PageResult> {
    return notTidemark();
  }

  stats(): { bytes: number; roundTrips: number } {
    return this.client.stats();
  }

  session(s: SessionContext): Promise<void> {
    return edenSession(s, this.client);
  }
}

const plainUuid = (u: string): string => u.replace(/^urn:uuid:/i, '').toLowerCase();

/**
 * `tidemark peer add URL --eden --user U --password P`: registers this instance with the Eden
 * (`/sync/repository/register.json`, as one Eden registers with another; Eden answers with its
 * own uuid, which becomes the peer's) and records it. The password is kept as peer secrets are.
 */
export async function addEdenPeer(store: Store, url: string, opts: { user: string; password: string; name?: string; clusters?: string[] }): Promise<Peer> {
  if (!/^https?:\/\/[^/]/.test(url)) throw new TidemarkError('invalid', `"${url}" is not an http(s) URL of an Eden (e.g. http://host:8000/eden)`, { field: 'url' });
  if (!opts.user || !opts.password) throw new TidemarkError('invalid', 'an Eden peer needs --user and --password (an Eden user allowed to read and import the records)');
  if (opts.password.length > 128) throw new TidemarkError('invalid', 'the password is longer than 128 characters', { field: 'password' });
  const base = url.replace(/\/+$/, '');
  const client = new EdenClient(base, opts.user, opts.password, 30_000);
  const answer = await client.post('/sync/repository/register.json', JSON.stringify({ uuid: `urn:uuid:${store.instance.uuid}`, name: store.instance.name, apitype: 'eden' }), 'application/json');
  const uuid = plainUuid(answer.sender ?? '');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) throw new TidemarkError('refused', `Eden at ${base} registered this instance but did not say its own uuid`);
  // The password is what this instance presents; nothing presented to this instance matches it
  // (a random received token), so the Eden user's password never opens this instance's endpoints.
  return new Peers(store).save({ uuid, name: opts.name ?? `eden-${uuid.slice(0, 8)}`, kind: 'eden', user: opts.user, url: base, token: opts.password, tokenIn: randomBytes(32).toString('base64url'), clusters: opts.clusters });
}
