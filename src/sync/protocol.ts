import { TidemarkError } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { coerceValue, toUtcIso, type FieldValue } from '../registry/values.js';
import type { RecordVersion } from '../store/index.js';
import { isPolicy, type PolicyName } from './policy.js';

/**
 * The sync messages, the same whichever carrier moves them (HTTP, a file bundle, radio).
 * Every message is plain JSON.
 */
export const PROTOCOL_VERSION = 1;

/** A record version on the wire: the page names the resource once, and null fields are left out. */
export type WireRecord = Omit<RecordVersion, 'resource'>;

export interface ResourceSummary {
  /** The sender's feed head for the resource (a cursor the sender issued). */
  head: string;
  /** How far the sender holds the receiver's feed (a cursor the receiver issued), if at all. */
  have: string | null;
  /**
   * In an answer only: whether the answering side holds changes for the asker past its `have`
   * (versions that came from the asker itself do not count). false lets the asker move its
   * cursor to `head` without a request.
   */
  pending?: boolean;
}

export interface Hello {
  protocol: number;
  instance: string;
  name: string;
  schema_version: number;
  registry_hash: string;
  resources: Record<string, ResourceSummary>;
}

export interface PullRequest {
  resource: string;
  /** Cursor issued by the feed owner; null = from the start. */
  after: string | null;
  limit?: number;
  filter?: Record<string, FieldValue>;
}

/** One page of one resource's feed, in dependency order, applied in one transaction. */
export interface Page {
  resource: string;
  /** The cursor this page starts after (null: from the start of the feed). */
  from: string | null;
  /** The feed owner's cursor after this page. */
  cursor: string;
  more: boolean;
  records: WireRecord[];
  /** Pushes only: the pushing side's policy, already turned to the receiver's point of view. */
  policy?: PolicyName;
}

export interface PageResult {
  /** The sender's cursor the receiver now holds. */
  cursor: string;
  received: number;
  applied: number;
  conflicts: number;
  duplicate: boolean;
}

export interface PairRequest {
  instance: string;
  name: string;
  url?: string | null;
  code: string;
  token: string;
}

export interface PairResponse {
  instance: string;
  name: string;
  schema_version: number;
  registry_hash: string;
}

export function toWire(v: RecordVersion): WireRecord {
  const data: Record<string, FieldValue> = {};
  for (const [k, x] of Object.entries(v.data)) if (x !== null) data[k] = x;
  return {
    uuid: v.uuid,
    created_on: v.created_on,
    modified_on: v.modified_on,
    deleted: v.deleted,
    replaced_by: v.replaced_by,
    origin: v.origin,
    changed_by: v.changed_by,
    version: v.version,
    hlc: v.hlc,
    data,
  };
}

const HLC = /^\d{13}\.\d{6}$/;
const INSTANCE = /^[0-9a-f-]{36}$/i;
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Checks a received page completely before anything is applied: a page with one bad record is
 * refused whole, with every problem named.
 */
export function readPage(registry: Registry, page: unknown): { page: Page; versions: RecordVersion[] } {
  if (!isObj(page)) throw new TidemarkError('malformed', 'a page must be a JSON object');
  const resource = page.resource;
  if (typeof resource !== 'string' || !registry.has(resource)) {
    throw new TidemarkError('invalid', `unknown resource "${String(resource)}"`, { resource: String(resource) });
  }
  const def = registry.get(resource);
  if (def.referenceData) throw new TidemarkError('invalid', `${resource} is reference data and does not sync`, { resource });
  if (typeof page.cursor !== 'string' || !(page.from === null || typeof page.from === 'string') || typeof page.more !== 'boolean' || !Array.isArray(page.records)) {
    throw new TidemarkError('malformed', 'a page needs resource, from, cursor, more and records', { resource });
  }
  if (page.policy !== undefined && !isPolicy(page.policy)) throw new TidemarkError('invalid', `unknown policy "${String(page.policy)}"`, { resource });
  const problems: TidemarkError[] = [];
  const versions: RecordVersion[] = [];
  page.records.forEach((raw: unknown, i: number) => {
    const bad = (msg: string, field?: string): void => {
      problems.push(new TidemarkError('invalid', `record ${i}: ${msg}`, { resource, field, uuid: isObj(raw) && typeof raw.uuid === 'string' ? raw.uuid : undefined }));
    };
    if (!isObj(raw)) return bad('not an object');
    const { uuid, version, hlc, origin, changed_by, deleted, replaced_by, data } = raw;
    if (typeof uuid !== 'string' || !uuid || uuid.length > 64) return bad('uuid missing or too long', 'uuid');
    if (!isObj(version) || !Object.keys(version).length || !Object.entries(version).every(([k, n]) => INSTANCE.test(k) && Number.isSafeInteger(n) && (n as number) > 0)) {
      return bad('version must map instance uuids to positive counters', 'version');
    }
    if (typeof hlc !== 'string' || !HLC.test(hlc)) return bad('hlc malformed', 'hlc');
    if (typeof origin !== 'string' || !INSTANCE.test(origin) || typeof changed_by !== 'string' || !INSTANCE.test(changed_by)) return bad('origin/changed_by must be instance uuids', 'origin');
    if (typeof deleted !== 'boolean') return bad('deleted must be a boolean', 'deleted');
    if (!(replaced_by === null || replaced_by === undefined || (typeof replaced_by === 'string' && replaced_by.length <= 64))) return bad('replaced_by malformed', 'replaced_by');
    if (!isObj(data)) return bad('data must be an object', 'data');
    let created_on: string;
    let modified_on: string;
    try {
      created_on = toUtcIso(String(raw.created_on), { resource, field: 'created_on' });
      modified_on = toUtcIso(String(raw.modified_on), { resource, field: 'modified_on' });
    } catch (e) {
      return bad((e as Error).message, 'modified_on');
    }
    const out: Record<string, FieldValue> = {};
    for (const f of def.fields) out[f.name] = null;
    for (const [k, x] of Object.entries(data)) {
      const f = registry.field(resource, k);
      if (!f) return bad(`unknown field "${k}"`, k);
      try {
        out[k] = coerceValue(f, x, { resource, uuid });
      } catch (e) {
        return bad((e as Error).message, k);
      }
    }
    if (!deleted) {
      for (const f of def.fields) if (f.required && (out[f.name] === null || out[f.name] === '')) return bad('value required', f.name);
    }
    versions.push({
      resource,
      uuid,
      created_on,
      modified_on,
      deleted,
      replaced_by: (replaced_by as string | null | undefined) ?? null,
      origin,
      changed_by,
      version: version as Record<string, number>,
      hlc,
      data: out,
    });
  });
  if (problems.length) {
    throw new TidemarkError('invalid', `page refused, nothing applied: ${problems[0]!.describe()}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { resource }, problems);
  }
  return { page: page as unknown as Page, versions };
}

/** Checks a peer's hello: same protocol and schema, or a clear refusal. */
export function checkHello(mine: { schema_version: number; registry_hash: string }, hello: unknown): Hello {
  if (!isObj(hello) || typeof hello.instance !== 'string' || !INSTANCE.test(hello.instance) || !isObj(hello.resources)) {
    throw new TidemarkError('malformed', 'handshake needs protocol, instance, schema_version, registry_hash, resources');
  }
  if (hello.protocol !== PROTOCOL_VERSION) throw new TidemarkError('unsupported', `sync protocol ${String(hello.protocol)} is not supported (this instance speaks ${PROTOCOL_VERSION})`);
  if (hello.schema_version !== mine.schema_version || hello.registry_hash !== mine.registry_hash) {
    throw new TidemarkError(
      'unsupported',
      `schema ${String(hello.schema_version)}/${String(hello.registry_hash)} differs from this instance's ${mine.schema_version}/${mine.registry_hash}: upgrade one side`,
    );
  }
  return hello as unknown as Hello;
}
