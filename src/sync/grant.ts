import { TidemarkError } from '../errors.js';
import type { FieldValue } from '../registry/values.js';
import type { RecordVersion, Store } from '../store/index.js';
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

/**
 * The grant of `peer`. A cluster bundle is written under the cluster's settings (`cluster`);
 * everything else follows the peer's own (defaults, then its clusters, then the peer).
 */
export async function grantFor(store: Store, peer: Peer, opts: { cluster?: string | null } = {}): Promise<Grant> {
  const basis = opts.cluster ? { ...peer, clusters: [opts.cluster], config: {} } : peer;
  const cfg = await new Peers(store).effective(basis);
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

/** The direction of a session with the peer, from my side (`push`: I only send). */
export function grantDirection(grant: Grant): 'pull' | 'push' | 'both' {
  return grant.send && grant.receive ? 'both' : grant.send ? 'push' : 'pull';
}

/** The resources I send to the peer, in dependency order, each with the grant's filter. */
export function grantedSending(store: Store, grant: Grant): { order: string[]; filters: Record<string, Record<string, FieldValue>> } {
  return { order: store.registry.dependencyOrder().filter((r) => grant.resources.includes(r)), filters: { ...grant.filters } };
}

/** One received record the grant does not cover, and why (code `forbidden`). */
export interface Refusal {
  resource: string;
  uuid: string;
  error: TidemarkError;
}

/**
 * The apply stage's grant check, the one for every carrier (HTTP pushes and pull answers,
 * bundles, radio payloads): each received version is taken or refused on its own, so a record
 * outside the grant costs only itself, never the rest of its page. Refused are the records of a
 * resource the peer may not give me (direction, resources) and those outside its filter.
 */
export function withinGrant(grant: Grant, versions: readonly RecordVersion[]): { granted: RecordVersion[]; refused: Refusal[] } {
  const granted: RecordVersion[] = [];
  const refused: Refusal[] = [];
  for (const v of versions) {
    try {
      grantedPush(grant, v.resource, [v]);
      granted.push(v);
    } catch (e) {
      if (!(e instanceof TidemarkError)) throw e;
      refused.push({ resource: v.resource, uuid: v.uuid, error: e });
    }
  }
  return { granted, refused };
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
