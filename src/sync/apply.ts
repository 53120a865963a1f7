import type { Knex } from 'knex';
import { coded, TidemarkError } from '../errors.js';
import { nowIso } from '../registry/values.js';
import { chunks, decodeCursor, type MergeDecision, type RecordVersion, type Store, type Writer } from '../store/index.js';
import { decide, resolverFor, type PolicyName, type Resolver } from './policy.js';
import { readPage, type Page, type PageResult } from './protocol.js';

export interface ApplyOptions {
  /** The conflict policy per resource (or one for all). */
  policy: PolicyName | ((resource: string) => PolicyName);
  /** Overrides the registered resolvers (tests). */
  resolver?: (resource: string) => Resolver | undefined;
  /** The carrier the versions came by (http, bundle, radio), kept in the records' history. */
  via?: string;
}

export interface ApplyResult {
  received: number;
  /** Versions stored exactly as received. */
  taken: number;
  /** Versions that needed a decision (concurrent changes), whether or not they conflicted. */
  resolved: number;
  /** Of the records written: new here, and existing ones changed (each record counted once). */
  created: number;
  updated: number;
  conflicts: number;
  skipped: number;
  /** References re-pointed because a received merge replaced a record. */
  repointed: number;
}

const sameMerge = (a: RecordVersion | undefined, b: RecordVersion): boolean => !!a && a.deleted && a.replaced_by === b.replaced_by;

/**
 * Applies versions made elsewhere, inside the caller's transaction. This is the one entry point
 * every carrier uses (HTTP pages, file bundles, radio frames): per record it compares version
 * vectors and takes, skips, or resolves a conflict by policy or resolver, logging the loser in
 * tm_conflict. Versions should come in dependency order (referenced resources first).
 */
export async function applyRemoteVersions(w: Writer, peer: string, versions: readonly RecordVersion[], opts: ApplyOptions): Promise<ApplyResult> {
  // Everything written here, re-pointed references included, came from `peer`.
  const source = w.source;
  w.source = { kind: 'peer', name: peer, via: opts.via ?? null };
  try {
    return await applyFrom(w, peer, versions, opts);
  } finally {
    w.source = source;
  }
}

async function applyFrom(w: Writer, peer: string, versions: readonly RecordVersion[], opts: ApplyOptions): Promise<ApplyResult> {
  const result: ApplyResult = { received: versions.length, taken: 0, resolved: 0, created: 0, updated: 0, conflicts: 0, skipped: 0, repointed: 0 };
  const groups = new Map<string, RecordVersion[]>();
  for (const v of versions) {
    const def = w.registry.get(v.resource);
    if (def.referenceData) throw new TidemarkError('invalid', `${v.resource} is reference data and does not sync`, { resource: v.resource });
    const g = groups.get(v.resource) ?? [];
    g.push(v);
    groups.set(v.resource, g);
  }
  const policyOf = typeof opts.policy === 'function' ? opts.policy : (): PolicyName => opts.policy as PolicyName;
  const order = w.registry.dependencyOrder().filter((r) => groups.has(r));
  const decidedOn = nowIso();
  for (const resource of order) {
    const list = groups.get(resource)!;
    const current = await w.existing(resource, [...new Set(list.map((v) => v.uuid))]);
    const before = new Map(current);
    const outcome = new Map<string, { kind: 'take' | 'resolve'; v: RecordVersion }>();
    const conflictRows: Record<string, unknown>[] = [];
    const policy = policyOf(resource);
    const resolver = opts.resolver ? opts.resolver(resource) : resolverFor(resource);
    for (const remote of list) {
      const local = current.get(remote.uuid);
      const d = decide(local, remote, { policy, resolver });
      if (d.kind === 'skip') {
        result.skipped++;
        continue;
      }
      const stored = d.kind === 'take' ? remote : d.result;
      // A later duplicate in the same batch sees the earlier outcome.
      current.set(remote.uuid, { ...stored, id: local?.id ?? 0, seq: local?.seq ?? 0 });
      const prev = outcome.get(remote.uuid);
      outcome.set(remote.uuid, { kind: d.kind === 'take' && (!prev || prev.kind === 'take') ? 'take' : 'resolve', v: stored });
      if (d.kind === 'resolve') {
        result.resolved++;
        if (d.conflict) result.conflicts++;
      }
      // Decisions made here and decisions that travelled with the version: each logged once.
      for (const dec of [...(d.kind === 'resolve' && d.decision ? [d.decision] : []), ...(remote.decisions ?? [])]) {
        if (conflictRows.some((r) => r.decision === dec.id)) continue;
        const mine = d.kind === 'resolve' && d.decision?.id === dec.id;
        conflictRows.push({
          resource,
          uuid: remote.uuid,
          peer,
          policy: mine ? (resolver ? 'RESOLVER' : policy) : 'CARRIED',
          rule: dec.rule,
          winner: mine ? d.winner : dec.kept.site === w.instance.uuid ? 'local' : 'remote',
          local: JSON.stringify(local ?? remote),
          remote: JSON.stringify(remote),
          result: JSON.stringify(stored),
          decided_on: decidedOn,
          decision: dec.id,
          detail: JSON.stringify(dec),
        });
      }
    }
    for (const uuid of outcome.keys()) {
      if (before.has(uuid)) result.updated++;
      else result.created++;
    }
    const takes = [...outcome.values()].filter((o) => o.kind === 'take').map((o) => o.v);
    const resolved = [...outcome.values()].filter((o) => o.kind === 'resolve').map((o) => o.v);
    if (takes.length) {
      // Taken unchanged from `peer`: it holds them, so they are never offered back to it.
      await w.applyVersions(takes, { existing: before, takenFrom: peer });
      result.taken += takes.length;
    }
    if (resolved.length) await w.applyVersions(resolved, { existing: before });
    const known = new Set<string>();
    for (const part of chunks(conflictRows.map((r) => r.decision as string), 500)) {
      for (const r of (await w.trx('tm_conflict').whereIn('decision', part).select('decision')) as { decision: string }[]) known.add(r.decision);
    }
    const fresh = conflictRows.filter((r) => !known.has(r.decision as string));
    for (const part of chunks(fresh, 100)) await w.trx('tm_conflict').insert(part);
    // A reversal made elsewhere marks the decision it reverses here too.
    const reversed = fresh.map((r) => (JSON.parse(r.detail as string) as MergeDecision).reverses).filter((x): x is string => typeof x === 'string');
    if (reversed.length) await w.trx('tm_conflict').whereIn('decision', reversed).whereNull('reversed_on').update({ reversed_on: decidedOn });
    // Merges re-point references here too: records this instance holds that the merging
    // instance never saw still point at the replaced record.
    for (const v of [...takes, ...resolved]) {
      if (v.deleted && v.replaced_by && !sameMerge(before.get(v.uuid), v)) {
        result.repointed += await w.repointReferences(resource, v.uuid, v.replaced_by);
      }
    }
  }
  return result;
}

/** The cursor of `peer`'s feed of `resource` that this instance has applied, if any. */
export async function heldCursor(knex: Knex, peer: string, resource: string): Promise<string | null> {
  const row = (await knex('tm_peer_cursor').where({ peer, resource }).first()) as { cursor: string } | undefined;
  return row?.cursor ?? null;
}

/** Moves my position in `peer`'s feed from `held` to `cursor` (only if it still is `held`). */
export async function storeCursor(knex: Knex, peer: string, resource: string, held: string | null, cursor: string): Promise<void> {
  if (held === null) {
    await knex('tm_peer_cursor').insert({ peer, resource, cursor, updated_on: nowIso() }).onConflict(['peer', 'resource']).merge();
    return;
  }
  const n = await knex('tm_peer_cursor').where({ peer, resource, cursor: held }).update({ cursor, updated_on: nowIso() });
  if (!Number(n)) throw coded('cursor_moved', {}, { resource });
}

/**
 * Applies one page from `peer` in ONE transaction together with the cursor it reaches. A page
 * already applied is a no-op; a page that does not start where this instance stands is refused
 * (the sender handshakes again), so a cursor can never skip data.
 */
export async function applyPage(store: Store, peer: string, raw: unknown, opts: ApplyOptions): Promise<PageResult> {
  const { page, versions } = readPage(store.registry, raw);
  return applyCheckedPage(store, peer, page, versions, opts);
}

/** applyPage for a page already checked by readPage. */
export async function applyCheckedPage(store: Store, peer: string, page: Page, versions: readonly RecordVersion[], opts: ApplyOptions): Promise<PageResult> {
  // The peer's feed only moves forward: a page that ends before it starts is refused.
  if (page.from !== null && decodeCursor(page.cursor, peer) < decodeCursor(page.from, peer)) {
    throw new TidemarkError('invalid', `the page's cursor goes backwards (from ${page.from} to ${page.cursor})`, { resource: page.resource, field: 'cursor' });
  }
  return store.transaction(async (w) => {
    const held = await heldCursor(w.trx, peer, page.resource);
    const noop = { cursor: page.cursor, received: versions.length, applied: 0, conflicts: 0, duplicate: true, created: 0, updated: 0 };
    if (held === page.cursor) return noop;
    if (page.from !== null && held !== page.from) {
      throw coded('handshake_needed', { from: page.from, held: held ?? 'nothing' }, { resource: page.resource });
    }
    const r = await applyRemoteVersions(w, peer, versions, opts);
    await storeCursor(w.trx, peer, page.resource, held, page.cursor);
    return { cursor: page.cursor, received: r.received, applied: r.taken + r.resolved, conflicts: r.conflicts, duplicate: false, created: r.created, updated: r.updated };
  });
}

export type { Page };
