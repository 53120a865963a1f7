import { createHash } from 'node:crypto';
import type { FieldValue } from '../registry/values.js';
import type { RecordVersion } from '../store/index.js';
import { compareVersions, mergeVersions } from '../store/index.js';

/** Sahana Eden's conflict policies, decided from the receiving side's point of view. */
export const POLICIES = ['THIS', 'OTHER', 'NEWER', 'MASTER'] as const;
export type PolicyName = (typeof POLICIES)[number];
export const DEFAULT_POLICY: PolicyName = 'NEWER';

export function isPolicy(p: unknown): p is PolicyName {
  return typeof p === 'string' && (POLICIES as readonly string[]).includes(p);
}

/** A policy as the other side sees it: my THIS is your OTHER. */
export function swapPolicy(p: PolicyName): PolicyName {
  return p === 'THIS' ? 'OTHER' : p === 'OTHER' ? 'THIS' : p;
}

/**
 * What a resolver decides for two concurrent versions: keep one side, or a merged content.
 * Resolvers must be pure functions of the two versions (both instances resolve the same conflict
 * independently and must reach the same record).
 */
export type ResolverOutcome =
  | 'local'
  | 'remote'
  | { data: Record<string, FieldValue>; deleted?: boolean; replaced_by?: string | null };
export type Resolver = (local: RecordVersion, remote: RecordVersion) => ResolverOutcome;

const resolvers = new Map<string, Resolver>();
/** A module's own conflict rule for one resource; it takes precedence over the policy. */
export function registerResolver(resource: string, resolver: Resolver): void {
  resolvers.set(resource, resolver);
}
export function unregisterResolver(resource: string): void {
  resolvers.delete(resource);
}
export function resolverFor(resource: string): Resolver | undefined {
  return resolvers.get(resource);
}

export type Decision =
  /** Store the remote version exactly (new record, or remote strictly newer). */
  | { kind: 'take' }
  /** Nothing to do: I hold this version or a newer one. */
  | { kind: 'skip' }
  /**
   * Concurrent (or equal vectors with different content): store `result`, whose vector is the
   * merge of both. `conflict` is false when both sides made the same content.
   */
  | { kind: 'resolve'; result: RecordVersion; winner: 'local' | 'remote' | 'merged'; rule: string; conflict: boolean };

function content(v: RecordVersion): string {
  const keys = Object.keys(v.data).sort();
  return JSON.stringify([v.deleted, v.replaced_by, keys.map((k) => [k, v.data[k] ?? null])]);
}

/** Later change first: HLC, then the changing instance, then content (a total, symmetric order). */
function laterOf(a: RecordVersion, b: RecordVersion): 'a' | 'b' {
  if (a.hlc !== b.hlc) return a.hlc > b.hlc ? 'a' : 'b';
  if (a.changed_by !== b.changed_by) return a.changed_by > b.changed_by ? 'a' : 'b';
  return createHash('sha1').update(content(a)).digest('hex') >= createHash('sha1').update(content(b)).digest('hex') ? 'a' : 'b';
}

export interface DecideContext {
  policy: PolicyName;
  resolver?: Resolver;
}

/**
 * The heart of sync: what to do with a remote version given the local one. Pure and symmetric
 * for NEWER, MASTER and deterministic resolvers, so two instances deciding the same conflict
 * independently store the same record.
 */
export function decide(local: RecordVersion | undefined, remote: RecordVersion, ctx: DecideContext): Decision {
  if (!local) return { kind: 'take' };
  const order = compareVersions(remote.version, local.version);
  if (order === 'newer') return { kind: 'take' };
  if (order === 'older') return { kind: 'skip' };
  const same = content(local) === content(remote);
  if (order === 'equal' && same) return { kind: 'skip' };
  const version = mergeVersions(local.version, remote.version);
  const pick = (w: 'local' | 'remote', rule: string, conflict = true): Decision => ({
    kind: 'resolve',
    result: { ...(w === 'local' ? local : remote), version },
    winner: w,
    rule,
    conflict,
  });
  const later = laterOf(local, remote) === 'a' ? 'local' : 'remote';
  if (same) return pick(later, 'same-content', false);
  if (order === 'equal') {
    // Equal vectors, different content: only reachable when two sides resolved one conflict
    // differently (asymmetric policies). A symmetric rule makes them converge.
    return pick(later, 'equal-version');
  }
  if (ctx.resolver) {
    const out = ctx.resolver(local, remote);
    if (out === 'local' || out === 'remote') return pick(out, 'resolver');
    const base = later === 'local' ? local : remote;
    return {
      kind: 'resolve',
      result: { ...base, data: { ...base.data, ...out.data }, deleted: out.deleted ?? base.deleted, replaced_by: out.replaced_by ?? base.replaced_by, version },
      winner: 'merged',
      rule: 'resolver',
      conflict: true,
    };
  }
  if (local.deleted !== remote.deleted) {
    // The deletion rule: a delete wins unless the other side's update was made after it.
    const live = local.deleted ? remote : local;
    const dead = local.deleted ? local : remote;
    const liveWins = live.hlc > dead.hlc;
    const w = liveWins === (live === local) ? 'local' : 'remote';
    return pick(w, liveWins ? 'update-after-delete' : 'delete-wins');
  }
  switch (ctx.policy) {
    case 'THIS':
      return pick('local', 'policy');
    case 'OTHER':
      return pick('remote', 'policy');
    case 'MASTER': {
      // The change made by the record's originating instance wins; if neither side is the
      // originator, the later change does.
      const lm = local.changed_by === local.origin;
      const rm = remote.changed_by === remote.origin;
      if (lm !== rm) return pick(lm ? 'local' : 'remote', 'policy');
      return pick(later, 'policy-fallback-newer');
    }
    case 'NEWER':
    default:
      return pick(later, 'policy');
  }
}
