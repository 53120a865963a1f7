import { createHash } from 'node:crypto';
import type { FieldValue } from '../registry/values.js';
import type { RecordVersion } from '../store/index.js';
import { compareVersions, DELETED_FIELD, mergeVersions, type MergeDecision } from '../store/index.js';
import { assemble, fieldSides, makeDecision, unionDecisions } from './merge.js';

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
   * merge of both. `conflict` is false when the two sides changed different fields (or made the
   * same content); then `decision` is absent. When true, `decision` says which values were kept
   * and lost; it travels with the result so every instance logs it.
   */
  | { kind: 'resolve'; result: RecordVersion; winner: 'local' | 'remote' | 'merged'; rule: string; conflict: boolean; decision?: MergeDecision };

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

/** Which side the policy keeps for fields both sides changed. */
function policySide(local: RecordVersion, remote: RecordVersion, policy: PolicyName, later: 'local' | 'remote'): { side: 'local' | 'remote'; rule: string } {
  switch (policy) {
    case 'THIS':
      return { side: 'local', rule: 'policy' };
    case 'OTHER':
      return { side: 'remote', rule: 'policy' };
    case 'MASTER': {
      // The change made by the record's originating instance wins; if neither side is the
      // originator, the later change does.
      const lm = local.changed_by === local.origin;
      const rm = remote.changed_by === remote.origin;
      if (lm !== rm) return { side: lm ? 'local' : 'remote', rule: 'policy' };
      return { side: later, rule: 'policy-fallback-newer' };
    }
    case 'NEWER':
    default:
      return { side: later, rule: 'policy' };
  }
}

/**
 * The heart of sync: what to do with a remote version given the local one. Pure and symmetric
 * for NEWER, MASTER and deterministic resolvers, so two instances deciding the same conflict
 * independently store the same record.
 *
 * Concurrent versions merge field by field (src/sync/merge.ts): a field only one side changed
 * is that side's; only fields both changed go to the resolver, the deletion rule or the policy.
 */
export function decide(local: RecordVersion | undefined, remote: RecordVersion, ctx: DecideContext): Decision {
  if (!local) return { kind: 'take' };
  const order = compareVersions(remote.version, local.version);
  if (order === 'newer') return { kind: 'take' };
  if (order === 'older') return { kind: 'skip' };
  const same = content(local) === content(remote);
  if (order === 'equal' && same) return { kind: 'skip' };
  const version = mergeVersions(local.version, remote.version);
  const later = laterOf(local, remote) === 'a' ? 'local' : 'remote';
  const laterV = later === 'local' ? local : remote;
  const stamp = (rec: RecordVersion, extra?: MergeDecision): RecordVersion => {
    const decisions = unionDecisions(local.decisions, remote.decisions, extra ? [extra] : undefined);
    const { decisions: _d, ...base } = rec;
    return {
      ...base,
      version,
      hlc: laterV.hlc,
      changed_by: laterV.changed_by,
      modified_on: local.modified_on > remote.modified_on ? local.modified_on : remote.modified_on,
      ...(decisions ? { decisions } : {}),
    };
  };
  if (order === 'equal') {
    // Equal vectors, different content: only reachable when two sides resolved one conflict
    // differently (asymmetric policies). A symmetric rule makes them converge.
    const d = makeDecision(local, remote, differing(local, remote), () => later, 'equal-version');
    return { kind: 'resolve', result: stamp(later === 'local' ? local : remote, d), winner: later, rule: 'equal-version', conflict: true, decision: d };
  }
  const sides = fieldSides(local, remote);
  const conflicted = [...sides].filter(([, s]) => s === 'both').map(([f]) => f);
  const dead = local.deleted !== remote.deleted ? (local.deleted ? 'local' : 'remote') : undefined;
  const live = dead === 'local' ? 'remote' : 'local';
  // A delete against concurrent changes on the live side (or both changed deletion): the deletion rule.
  const liveChanges = dead ? [...sides].filter(([f, s]) => s === live && f !== DELETED_FIELD).map(([f]) => f) : [];
  if (dead && (liveChanges.length || conflicted.includes(DELETED_FIELD))) {
    const liveV = live === 'local' ? local : remote;
    const deadV = dead === 'local' ? local : remote;
    const winner = liveV.hlc > deadV.hlc ? live : dead;
    const rule = winner === live ? 'update-after-delete' : 'delete-wins';
    sides.set(DELETED_FIELD, 'both');
    const pick = (): 'local' | 'remote' => winner;
    const fields = [...new Set([DELETED_FIELD, ...conflicted])];
    const d = makeDecision(local, remote, fields, pick, rule);
    return { kind: 'resolve', result: stamp(assemble(local, remote, sides, pick), d), winner, rule, conflict: true, decision: d };
  }
  if (!conflicted.length) {
    return { kind: 'resolve', result: stamp(assemble(local, remote, sides, () => later)), winner: 'merged', rule: same ? 'same-content' : 'field-merge', conflict: false };
  }
  if (ctx.resolver) {
    const out = ctx.resolver(local, remote);
    if (out === 'local' || out === 'remote') {
      const d = makeDecision(local, remote, conflicted, () => out, 'resolver');
      return { kind: 'resolve', result: stamp(assemble(local, remote, sides, () => out), d), winner: out, rule: 'resolver', conflict: true, decision: d };
    }
    const merged = assemble(local, remote, sides, () => later);
    const result = { ...merged, data: { ...merged.data, ...out.data }, deleted: out.deleted ?? merged.deleted, replaced_by: out.replaced_by ?? merged.replaced_by };
    const d = makeDecision(local, remote, conflicted, () => later, 'resolver');
    for (const f of conflicted) if (f !== DELETED_FIELD) d.fields[f] = [result.data[f] ?? null, d.fields[f]![1]];
    return { kind: 'resolve', result: stamp(result, d), winner: 'merged', rule: 'resolver', conflict: true, decision: d };
  }
  const { side, rule } = policySide(local, remote, ctx.policy, later);
  const d = makeDecision(local, remote, conflicted, () => side, rule);
  return { kind: 'resolve', result: stamp(assemble(local, remote, sides, () => side), d), winner: side, rule, conflict: true, decision: d };
}

/** The fields (and `$deleted`) whose values differ. */
function differing(a: RecordVersion, b: RecordVersion): string[] {
  const out = Object.keys({ ...a.data, ...b.data }).filter((f) => JSON.stringify(a.data[f] ?? null) !== JSON.stringify(b.data[f] ?? null));
  if (a.deleted !== b.deleted || a.replaced_by !== b.replaced_by) out.push(DELETED_FIELD);
  return out;
}
