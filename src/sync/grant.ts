import { TidemarkError } from '../errors.js';
import type { FieldValue } from '../registry/values.js';
import type { Store } from '../store/index.js';
import { Peers, type Peer } from './peers.js';
import type { WireRecord } from './protocol.js';

/**
 * What a peer is granted, decided by the side that serves it: the resources, the per-resource
 * equality filters and the direction set for the peer and its clusters (`tidemark peer set`,
 * `peer cluster`). Every carrier that answers a peer (HTTP pull/push, Eden's endpoints, bundles,
 * radio) asks this one function, so a setting means the same everywhere.
 *
 * Direction is this side's: `push` = I send to the peer, `pull` = I take from it. So a peer may
 * pull from me unless I only pull from it, and may push to me unless I only push to it.
 */
export interface Grant {
  peer: string;
  resources: readonly string[];
  filters: Readonly<Record<string, Record<string, FieldValue>>>;
  /** The peer may take my records (its pulls, my bundles to it). */
  send: boolean;
  /** The peer may give me records (its pushes, its bundles). */
  receive: boolean;
}

export async function grantFor(store: Store, peer: Peer): Promise<Grant> {
  const cfg = await new Peers(store).effective(peer);
  return {
    peer: peer.name,
    resources: cfg.resources,
    filters: cfg.filters ?? {},
    send: cfg.direction !== 'pull',
    receive: cfg.direction !== 'push',
  };
}

/** Refuses (403) a pull of a resource the peer is not granted; returns the filter to apply. */
export function grantedPull(grant: Grant, resource: string, asked?: Record<string, FieldValue>): Record<string, FieldValue> | undefined {
  if (!grant.send) throw new TidemarkError('forbidden', `${grant.peer} may not pull from this instance (direction)`, { resource });
  if (!grant.resources.includes(resource)) throw new TidemarkError('forbidden', `${resource} is not granted to ${grant.peer}`, { resource });
  const mine = grant.filters[resource];
  // The grant's filter always holds; a filter the peer asks for can only narrow it.
  return mine || asked ? { ...asked, ...mine } : undefined;
}

/** Refuses (403) a push of a resource, or of a record, the peer is not granted. */
export function grantedPush(grant: Grant, resource: string, records: readonly Pick<WireRecord, 'uuid' | 'data' | 'deleted'>[] = []): void {
  if (!grant.receive) throw new TidemarkError('forbidden', `${grant.peer} may not push to this instance (direction)`, { resource });
  if (!grant.resources.includes(resource)) throw new TidemarkError('forbidden', `${resource} is not granted to ${grant.peer}`, { resource });
  const filter = grant.filters[resource];
  if (!filter) return;
  for (const r of records) {
    if (!r || typeof r !== 'object') continue; // malformed: the page reader refuses it
    if (!matches(filter, r.data)) {
      const field = Object.keys(filter).find((f) => r.data?.[f] !== filter[f]);
      throw new TidemarkError('forbidden', `record outside what ${grant.peer} is granted (${field} must be ${String(filter[field!])})`, { resource, uuid: r.uuid, ...(field ? { field } : {}) });
    }
  }
}

/** Whether a record's values satisfy an equality filter (missing values do not). */
export function matches(filter: Record<string, FieldValue>, data: Record<string, unknown> | undefined): boolean {
  return Object.entries(filter).every(([f, v]) => data?.[f] === v || (data?.[f] !== undefined && data?.[f] !== null && String(data[f]) === String(v)));
}

/**
 * For carriers that move whole resources without record filters (Eden's S3XML endpoints): the
 * resource must be granted in that direction, and without a filter (one that cannot be applied
 * is refused, never ignored).
 */
export function grantedWhole(grant: Grant, resource: string, direction: 'send' | 'receive'): void {
  if (direction === 'send') grantedPull(grant, resource);
  else grantedPush(grant, resource);
  if (grant.filters[resource]) throw new TidemarkError('forbidden', `${resource} is granted to ${grant.peer} only filtered, which this carrier cannot apply`, { resource });
}

/**
 * The resources whose records a peer may write when they travel along with a pushed resource
 * because its records refer to them (Eden sends a hospital's location and organisation with it):
 * those it may push itself, unfiltered (a filter cannot be checked on a record sent as a mere
 * reference). Records of any other resource only resolve the reference and are not written.
 */
export function grantedAlong(grant: Grant): string[] {
  return grant.receive ? grant.resources.filter((r) => !grant.filters[r]) : [];
}
