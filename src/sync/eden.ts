import { TidemarkError } from '../errors.js';
import type { Store } from '../store/index.js';
import { Peers, syncableResources, type Peer } from './peers.js';
import { spendInvite } from './serve.js';
import { presents } from './tokens.js';

/**
 * Sahana Eden's side of its sync protocol (reference notes §2.3), so an Eden instance can
 * register with Tidemark, pull from it and push to it. Eden identifies itself by its
 * sync_config uuid (`repository=`) and sends HTTP Basic credentials with every request.
 */

const plainUuid = (u: string): string => u.replace(/^urn:uuid:/i, '').toLowerCase();

/** Eden's `register.json`: the Basic password must be a pairing code made by `tidemark peer invite`. */
export async function registerEdenRepository(store: Store, body: unknown, password: string | undefined): Promise<Record<string, unknown>> {
  const b = (body ?? {}) as { uuid?: unknown; name?: unknown; apitype?: unknown };
  const uuid = typeof b.uuid === 'string' ? plainUuid(b.uuid) : '';
  if (!/^[0-9a-f-]{36}$/.test(uuid)) throw new TidemarkError('malformed', 'registration needs the repository uuid');
  if (!password) throw new TidemarkError('forbidden', 'registration required: send a pairing code from "tidemark peer invite" as the password');
  const known = await new Peers(store).find(uuid);
  // A registered repository renews with its own secret; a new one spends a code, once.
  const renewal = known && presents(known, password);
  if (!renewal) await spendInvite(store, password, uuid);
  // The code becomes the secret Eden keeps sending as its Basic password, kept here only hashed:
  // this side never signs in to Eden, so it keeps no token of its own for it.
  await new Peers(store).save({ uuid, name: typeof b.name === 'string' && b.name ? b.name.slice(0, 128) : `eden-${uuid.slice(0, 8)}`, token: '', tokenIn: password });
  return { status: 'success', statuscode: '200', message: 'Registration successful', sender: store.instance.uuid };
}

/** The repository behind `repository=` and Basic credentials, for pushes (Eden: 403 unless registered). */
export async function edenRepository(store: Store, repository: unknown, password: string | undefined): Promise<Peer> {
  const uuid = typeof repository === 'string' ? plainUuid(repository) : '';
  const peer = uuid ? await new Peers(store).find(uuid) : undefined;
  if (!peer) throw new TidemarkError('forbidden', 'Registration required');
  if (!presents(peer, password)) throw new TidemarkError('unauthorized', 'wrong credentials for this repository');
  return peer;
}

/** `resource=` as Eden sends it: one table that syncs ("mixed" is not supported, as in Eden). */
export function edenResource(store: Store, resource: unknown): string {
  if (typeof resource !== 'string' || !resource || resource === 'mixed') {
    throw new TidemarkError('malformed', 'Mixed resource synchronization not supported');
  }
  if (!syncableResources(store.registry).includes(resource)) throw new TidemarkError('not_found', `unknown resource "${resource}"`, { resource });
  return resource;
}

/** Eden's `msince` (second resolution, no zone: read as UTC). */
export function edenSince(msince: unknown): string | undefined {
  if (typeof msince !== 'string' || !msince) return undefined;
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(msince) ? msince : `${msince}Z`);
  if (Number.isNaN(d.getTime())) throw new TidemarkError('invalid', `msince "${msince}" is not a date-time`, { field: 'msince' });
  return d.toISOString();
}
