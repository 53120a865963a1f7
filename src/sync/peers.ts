import type { Knex } from 'knex';
import { TidemarkError, invalid } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { nowIso, type FieldValue } from '../registry/values.js';
import type { Store } from '../store/index.js';
import { DEFAULT_POLICY, isPolicy, type PolicyName } from './policy.js';
import { formatWindow, parseWindow } from './window.js';
import { receivedSecrets, type PeerSecrets } from './tokens.js';

export type Direction = 'pull' | 'push' | 'both';

/** What syncs with a peer; set per cluster and per peer (the peer's settings win). */
export interface SyncConfig {
  /** Resources that sync (default: every syncable resource). */
  resources?: string[];
  direction?: Direction;
  /** Default conflict policy, and per-resource policies. */
  policy?: PolicyName;
  policies?: Record<string, PolicyName>;
  /** Per resource, equality filters on fields: only matching records travel. */
  filters?: Record<string, Record<string, FieldValue>>;
  /** Seconds between scheduled syncs (daemon). */
  interval?: number;
  /** Off-peak window in local time ("22:00-06:00"): the daemon starts syncs only inside it (window.ts). */
  window?: string;
}

/** Another Tidemark (the sync protocol) or a Sahana Eden called through its REST S3XML. */
export type PeerKind = 'tidemark' | 'eden';

export interface Peer extends PeerSecrets {
  uuid: string;
  name: string;
  kind: PeerKind;
  /** Eden: the user this instance signs in as (its password is `token`). */
  user: string | null;
  owner: string | null;
  contact: string | null;
  url: string | null;
  /** The pinned SHA-256 fingerprint of its certificate (`sha256:AB:…`), for a self-signed https:// peer. */
  pin: string | null;
  clusters: string[];
  config: SyncConfig;
  created_on: string;
  last_sync_on: string | null;
  last_result: string | null;
  failures: number;
}

export const DEFAULT_INTERVAL_S = 300;

/** Resources that take part in sync, in dependency order (reference data never syncs). */
export function syncableResources(registry: Registry): string[] {
  return registry.dependencyOrder().filter((r) => !registry.get(r).referenceData);
}

/**
 * Syncable resources grouped as the registry groups them: each master with its components
 * (a hospital with its bed capacity, status, services and activity), in dependency order.
 */
export function resourceGroups(registry: Registry): { master: string; title: string; resources: string[] }[] {
  const syncable = syncableResources(registry);
  return syncable
    .filter((r) => !registry.get(r).component)
    .map((m) => ({ master: m, title: registry.get(m).title, resources: [m, ...registry.components(m).map((c) => c.name).filter((c) => syncable.includes(c))] }));
}

/** Filters written as RESOURCE.FIELD=VALUE (CLI --filter, console), checked by validateConfig. */
export function parseFilters(items: readonly string[]): Record<string, Record<string, FieldValue>> {
  const out: Record<string, Record<string, FieldValue>> = {};
  for (const f of items) {
    const m = /^([a-z_0-9]+)\.([a-z_0-9]+)=(.*)$/.exec(f.trim());
    if (!m) throw new TidemarkError('invalid', `filter "${f}": expected RESOURCE.FIELD=VALUE`, { field: 'filters' });
    (out[m[1]!] ??= {})[m[2]!] = m[3]!;
  }
  return out;
}

/** The filters of a config written back as RESOURCE.FIELD=VALUE lines. */
export function formatFilters(filters: SyncConfig['filters']): string[] {
  return Object.entries(filters ?? {}).flatMap(([r, f]) => Object.entries(f).map(([k, v]) => `${r}.${k}=${String(v)}`));
}

/** A certificate pin as written (`sha256:AB:CD:…`, colons and case free) in the form Node reports it. */
export function parsePin(pin: string): string {
  const hex = pin.trim().replace(/^sha256:/i, '').replace(/:/g, '');
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw invalid(`pin "${pin.slice(0, 120)}" is not a SHA-256 fingerprint: "sha256:" and 32 bytes in hex (openssl x509 -noout -fingerprint -sha256 -in cert.pem)`, { field: 'pin' });
  }
  return `sha256:${hex.toUpperCase().match(/../g)!.join(':')}`;
}

/** A pin only means something on an https:// URL. */
export function checkPin(url: string | null, pin: string | null): string | null {
  if (!pin) return null;
  if (!url?.startsWith('https://')) throw invalid('a pinned certificate needs an https:// URL for the peer', { field: 'pin' });
  return parsePin(pin);
}

function rowToPeer(r: Record<string, unknown>): Peer {
  return {
    uuid: r.uuid as string,
    name: r.name as string,
    kind: r.kind === 'eden' ? 'eden' : 'tidemark',
    user: (r.username as string | null) ?? null,
    owner: (r.owner as string | null) ?? null,
    contact: (r.contact as string | null) ?? null,
    url: (r.url as string | null) ?? null,
    pin: (r.pin as string | null) ?? null,
    token: r.token as string,
    token_in_hash: (r.token_in_hash as string | null) ?? null,
    mac_in: (r.mac_in as string | null) ?? null,
    clusters: JSON.parse(r.clusters as string) as string[],
    config: JSON.parse(r.config as string) as SyncConfig,
    created_on: r.created_on as string,
    last_sync_on: (r.last_sync_on as string | null) ?? null,
    last_result: (r.last_result as string | null) ?? null,
    failures: Number(r.failures ?? 0),
  };
}

export function validateConfig(registry: Registry, c: SyncConfig): SyncConfig {
  const known = new Set(syncableResources(registry));
  for (const r of c.resources ?? []) if (!known.has(r)) throw invalid(`"${r}" is not a syncable resource`, { resource: r });
  if (c.direction && !['pull', 'push', 'both'].includes(c.direction)) throw invalid(`direction "${c.direction}" is not pull, push or both`);
  if (c.policy !== undefined && !isPolicy(c.policy)) throw invalid(`policy "${String(c.policy)}" is not THIS, OTHER, NEWER or MASTER`);
  for (const [r, p] of Object.entries(c.policies ?? {})) {
    if (!known.has(r)) throw invalid(`"${r}" is not a syncable resource`, { resource: r });
    if (!isPolicy(p)) throw invalid(`policy "${String(p)}" is not THIS, OTHER, NEWER or MASTER`, { resource: r });
  }
  for (const [r, f] of Object.entries(c.filters ?? {})) {
    if (!known.has(r)) throw invalid(`"${r}" is not a syncable resource`, { resource: r });
    for (const field of Object.keys(f)) if (!registry.field(r, field)) throw invalid(`unknown field "${field}"`, { resource: r, field });
  }
  if (c.interval !== undefined && !(c.interval > 0)) throw invalid('interval must be a positive number of seconds');
  // Stored the one way it is shown; "none" or empty means no window.
  if (c.window !== undefined) c.window = c.window && c.window !== 'none' ? formatWindow(parseWindow(c.window)) : undefined;
  return c;
}

export class Peers {
  constructor(readonly store: Store) {}

  private get knex(): Knex {
    return this.store.knex;
  }

  async list(): Promise<Peer[]> {
    return (await this.knex('tm_peer').orderBy('name')).map(rowToPeer);
  }

  async find(uuidOrName: string): Promise<Peer | undefined> {
    const r = await this.knex('tm_peer').where({ uuid: uuidOrName }).orWhere({ name: uuidOrName }).first();
    return r ? rowToPeer(r as Record<string, unknown>) : undefined;
  }

  async get(uuidOrName: string): Promise<Peer> {
    const p = await this.find(uuidOrName);
    if (!p) throw new TidemarkError('not_found', `no peer "${uuidOrName}" (see "tidemark peer list")`);
    return p;
  }

  /**
   * Adds or updates a peer (pairing runs this on both sides). `token` is the token this side
   * presents; `tokenIn`, the one the peer presents, is kept only as its hash and MAC key. Without
   * `tokenIn` a known peer keeps its own, and a new one shares `token` both ways (as before tokens
   * per direction).
   */
  async save(p: Pick<Peer, 'uuid' | 'name' | 'token'> & Partial<Omit<Peer, 'uuid' | 'name' | 'token'>> & { tokenIn?: string }): Promise<Peer> {
    if (p.uuid === this.store.instance.uuid) throw invalid('an instance cannot pair with itself');
    const existing = await this.find(p.uuid);
    const row = {
      uuid: p.uuid,
      name: p.name,
      kind: p.kind ?? existing?.kind ?? 'tidemark',
      username: p.user ?? existing?.user ?? null,
      owner: p.owner ?? existing?.owner ?? null,
      contact: p.contact ?? existing?.contact ?? null,
      url: p.url ?? existing?.url ?? null,
      pin: checkPin(p.url ?? existing?.url ?? null, p.pin !== undefined ? p.pin : (existing?.pin ?? null)),
      token: p.token,
      ...(p.tokenIn !== undefined || !existing?.token_in_hash ? receivedSecrets(p.tokenIn ?? p.token) : { token_in_hash: existing.token_in_hash, mac_in: existing.mac_in }),
      clusters: JSON.stringify(p.clusters ?? existing?.clusters ?? []),
      config: JSON.stringify(validateConfig(this.store.registry, p.config ?? existing?.config ?? {})),
      created_on: existing?.created_on ?? nowIso(),
    };
    await this.knex('tm_peer').insert(row).onConflict('uuid').merge();
    return this.get(p.uuid);
  }

  async remove(uuidOrName: string): Promise<Peer> {
    const p = await this.get(uuidOrName);
    await this.knex.transaction(async (trx) => {
      for (const t of ['tm_peer_cursor', 'tm_peer_ack']) await trx(t).where({ peer: p.uuid }).delete();
      await trx('tm_sync_lease').where({ peer: p.uuid }).delete();
      await trx('tm_peer').where({ uuid: p.uuid }).delete();
    });
    return p;
  }

  /**
   * Changes a peer's settings. A changed grant (a filter, a resource added, the direction)
   * restarts the resources it touches from zero in both directions, so records that newly
   * match are sent (the versions make the re-send harmless): positions move past records the
   * grant refused (src/sync/grant.ts, withinGrant), and a wider grant must still see them come.
   */
  async configure(uuidOrName: string, patch: SyncConfig & { clusters?: string[]; url?: string; pin?: string | null; owner?: string; contact?: string; name?: string }): Promise<Peer> {
    const p = await this.get(uuidOrName);
    const { clusters, url, pin, owner, contact, name, ...cfg } = patch;
    const before = await this.effective(p);
    const config = validateConfig(this.store.registry, { ...p.config, ...cfg });
    await this.save({ uuid: p.uuid, token: p.token, name: name ?? p.name, url: url ?? p.url, pin, owner: owner ?? p.owner, contact: contact ?? p.contact, clusters: clusters ?? p.clusters, config });
    const after = await this.effective(await this.get(p.uuid));
    await this.resetChangedGrant(p.uuid, before, after);
    return this.get(p.uuid);
  }

  async resetChangedGrant(peer: string, before: SyncConfig, after: SyncConfig): Promise<string[]> {
    const granted = (c: SyncConfig, r: string): boolean => !c.resources || c.resources.includes(r);
    const changed = syncableResources(this.store.registry).filter(
      (r) =>
        JSON.stringify(before.filters?.[r] ?? null) !== JSON.stringify(after.filters?.[r] ?? null) ||
        (granted(after, r) && (!granted(before, r) || (before.direction ?? 'both') !== (after.direction ?? 'both'))),
    );
    if (!changed.length) return [];
    // Loaded here, not with the module: collect.ts brings the wire protocol (TypeBox, ~0.4 s of
    // CPU to load), which `peer list` and other readers of peers never need.
    const { restartSending } = await import('./collect.js');
    await this.knex.transaction(async (trx) => {
      await trx('tm_peer_cursor').where({ peer }).whereIn('resource', changed).delete();
      await restartSending(trx, peer, changed);
    });
    return changed;
  }

  async clusters(): Promise<{ name: string; config: SyncConfig }[]> {
    return (await this.knex('tm_cluster').orderBy('name')).map((r: { name: string; config: string }) => ({ name: r.name, config: JSON.parse(r.config) as SyncConfig }));
  }

  async setCluster(name: string, config: SyncConfig): Promise<void> {
    const members = (await this.list()).filter((p) => p.clusters.includes(name));
    const before = await Promise.all(members.map((p) => this.effective(p)));
    await this.knex('tm_cluster').insert({ name, config: JSON.stringify(validateConfig(this.store.registry, config)) }).onConflict('name').merge();
    for (const [i, p] of members.entries()) await this.resetChangedGrant(p.uuid, before[i]!, await this.effective(p));
  }

  /** The configs that apply to a peer, least specific first: its clusters in order, then its own. */
  async configs(peer: Peer): Promise<SyncConfig[]> {
    const all = await this.clusters();
    return [...peer.clusters.map((n) => all.find((c) => c.name === n)?.config ?? {}), peer.config];
  }

  /** How this instance decides conflicts in versions received from `peer` (see receivingPolicy). */
  async receivingPolicy(peer: Peer): Promise<ReceivingPolicy> {
    return receivingPolicy(await this.configs(peer));
  }

  /** The settings in force for a peer: defaults, then its clusters in order, then its own. */
  async effective(peer: Peer): Promise<Required<Omit<SyncConfig, 'policies' | 'filters' | 'window'>> & Pick<SyncConfig, 'policies' | 'filters' | 'window'>> {
    const all = await this.clusters();
    let c: SyncConfig = {};
    for (const name of peer.clusters) {
      const cl = all.find((x) => x.name === name);
      if (cl) c = mergeConfig(c, cl.config);
    }
    c = mergeConfig(c, peer.config);
    return {
      resources: c.resources ?? syncableResources(this.store.registry),
      direction: c.direction ?? 'both',
      policy: c.policy ?? DEFAULT_POLICY,
      policies: c.policies,
      filters: c.filters,
      interval: c.interval ?? DEFAULT_INTERVAL_S,
      window: c.window,
    };
  }

  async recordResult(peer: string, result: 'success' | 'warning' | 'error' | 'fatal'): Promise<void> {
    const ok = result === 'success' || result === 'warning';
    await this.knex('tm_peer')
      .where({ uuid: peer })
      .update({ last_sync_on: nowIso(), last_result: result, failures: ok ? 0 : this.knex.raw('failures + 1') });
  }
}

function mergeConfig(a: SyncConfig, b: SyncConfig): SyncConfig {
  return {
    ...a,
    ...b,
    policies: a.policies || b.policies ? { ...a.policies, ...b.policies } : undefined,
    filters: a.filters || b.filters ? { ...a.filters, ...b.filters } : undefined,
  };
}

/**
 * The receiving side's own policy for a resource, if its configs (a peer's clusters in order,
 * then the peer itself) set one. The one precedence rule, whatever carried the versions: the
 * more specific setting wins first by resource, then by config. A per-resource policy (of the
 * peer, else of its last cluster naming one) beats any general policy (of the peer, else of its
 * last cluster naming one). So a cluster's "hospitals: MASTER" holds for a peer that only set a
 * general NEWER, and a peer's own "hospitals: THIS" overrides the cluster's.
 */
export function configuredPolicy(cfgs: readonly SyncConfig[], resource: string): PolicyName | undefined {
  let specific: PolicyName | undefined;
  let general: PolicyName | undefined;
  for (const c of cfgs) {
    specific = c.policies?.[resource] ?? specific;
    general = c.policy ?? general;
  }
  return specific ?? general;
}

/** The policy for one resource in an effective config (the same rule: mergeConfig keeps per-resource maps apart). */
export function policyFor(cfg: { policy: PolicyName; policies?: Record<string, PolicyName> }, resource: string): PolicyName {
  return cfg.policies?.[resource] ?? cfg.policy;
}

/**
 * The receiving policy: the one function every carrier applies versions with. My configured
 * policy (configuredPolicy) if I set one, else the sender's hint (a push carries the pusher's
 * policy turned to my point of view), else the default.
 */
export type ReceivingPolicy = (resource: string, hint?: PolicyName) => PolicyName;
export function receivingPolicy(cfgs: readonly SyncConfig[]): ReceivingPolicy {
  return (resource, hint) => configuredPolicy(cfgs, resource) ?? hint ?? DEFAULT_POLICY;
}
