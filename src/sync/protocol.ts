import { TidemarkError, type ErrorLocation } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import type { FieldDef } from '../registry/types.js';
import { coerceValue, toUtcIso, type FieldValue } from '../registry/values.js';
import { DELETED_FIELD, type Dot, type MergeDecision, type RecordVersion } from '../store/index.js';
import { isRecordUuid, RECORD_UUID_RULE } from '../store/uuid.js';
import { POLICIES, type PolicyName } from './policy.js';
import { Type, type Static, type TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';

/**
 * The sync messages, the same whichever carrier moves them (HTTP, a file bundle, radio).
 * Every message is plain JSON.
 */
export const PROTOCOL_VERSION = 1;

/** A JSON Schema whose TypeScript type is given (values the registry checks, maps for OpenAPI 3.0). */
const Typed = <T>(schema: Record<string, unknown>) => Type.Unsafe<T>(schema);
/** An object of any keys whose values follow `value` (written as additionalProperties, which OpenAPI 3.0 reads). */
const MapOf = <T extends TSchema>(value: T, description?: string) =>
  Typed<Record<string, Static<T>>>({ type: 'object', additionalProperties: value, ...(description ? { description } : {}) });
const Nullable = <T>(schema: { type: string } & Record<string, unknown>) => Typed<T | null>({ ...schema, type: [schema.type, 'null'] });

const Cursor = { type: 'string', description: 'A cursor the feed owner issued (opaque)' } as const;
const InstanceUuid = Type.String({ pattern: '^[0-9a-fA-F-]{36}$', description: 'An instance uuid' });
/** A field value as sent: its form is checked against the registry when the page is read (readPage). */
const WireValue = Typed<FieldValue>({ description: 'A field value (string, number, boolean or null; checked against the registry)' });

/**
 * The message schemas: written once, they validate HTTP requests in the routes
 * (src/server/routes/sync.ts), feed /openapi.json, check what other carriers bring
 * (checkHello, readPage), and give the TypeScript types below.
 */
export const WireRecordSchema = Type.Object(
  {
    uuid: Type.String({ description: `Record uuid (${RECORD_UUID_RULE})` }),
    created_on: Type.String({ description: 'ISO 8601 instant' }),
    modified_on: Type.String({ description: 'ISO 8601 instant' }),
    deleted: Type.Optional(Type.Boolean()),
    replaced_by: Type.Optional(Nullable<string>({ type: 'string', maxLength: 64 })),
    origin: Type.Integer({ minimum: 0, description: 'Index into the instances table' }),
    changed_by: Type.Integer({ minimum: 0, description: 'Index into the instances table' }),
    version: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 2, description: 'Flat pairs: instance index, counter, instance index, counter...' }),
    hlc: Type.String({ description: 'Hybrid logical clock stamp, e.g. 1795694400000.000000' }),
    data: MapOf(WireValue, 'Field values; null fields are left out'),
    fields: Type.Optional(MapOf(Typed<[number, number]>({ type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 }), 'Per-field versions: field -> [instance index, counter]')),
    decisions: Type.Optional(Typed<MergeDecision[]>({ type: 'array', maxItems: 64, items: { type: 'object' }, description: 'Conflict decisions travelling with the version' })),
  },
  {
    description:
      'A record version on the wire. Instance uuids (origin, last changer, version-vector keys) are indexes into the page\'s `instances` table; `deleted` and `replaced_by` are left out when false/null, and null fields are left out of `data`. This halves what an ordinary record costs.',
  },
);
export type WireRecord = Static<typeof WireRecordSchema>;

export const ResourceSummarySchema = Type.Object({
  head: Type.String({ ...Cursor, description: "The sender's feed head for the resource (a cursor the sender issued)" }),
  have: Nullable<string>({ ...Cursor, description: "How far the sender holds the receiver's feed (a cursor the receiver issued), if at all" }),
  pending: Type.Optional(
    Type.Boolean({
      description:
        'In an answer only: whether the answering side holds changes for the asker past its `have` (versions that came from the asker itself do not count). false lets the asker move its cursor to `head` without a request.',
    }),
  ),
  plan: Type.Optional(
    Type.Object(
      { records: Type.Integer({ minimum: 0 }), bytes: Type.Integer({ minimum: 0 }) },
      { description: 'In an answer to a hello that asked for a plan only: what a pull would bring (records, and bytes of the pages as JSON before compression).' },
    ),
  ),
});
export type ResourceSummary = Static<typeof ResourceSummarySchema>;

/** Filters of a pull (or a plan): equality on fields of the resource, plain values only. */
const FilterSchema = MapOf(Typed<FieldValue>({ type: ['string', 'number', 'boolean', 'null'] }), 'Equality filters on fields of the resource');

export const HelloSchema = Type.Object(
  {
    protocol: Type.Integer({ description: `Sync protocol version (${PROTOCOL_VERSION})` }),
    instance: InstanceUuid,
    name: Type.String(),
    schema_version: Type.Integer(),
    registry_hash: Type.String(),
    resources: MapOf(ResourceSummarySchema, 'Per resource: where each side stands'),
    plan: Type.Optional(
      Type.Object(
        { filters: Type.Optional(MapOf(FilterSchema)) },
        { description: 'A dry run: the asker wants `plan` in each summary (filters as its pulls would send them)' },
      ),
    ),
  },
  { description: 'The handshake, both ways: same protocol and schema, and per resource where each side stands.' },
);
export type Hello = Static<typeof HelloSchema>;

/** The most records one pull may ask for. */
export const MAX_PAGE = 10000;

export const PullRequestSchema = Type.Object({
  resource: Type.String(),
  after: Nullable<string>({ ...Cursor, description: 'Cursor issued by the feed owner; null = from the start' }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
  filter: Type.Optional(FilterSchema),
});
export type PullRequest = Static<typeof PullRequestSchema>;

/** A page without its records: what readPage checks by schema before it reads each record. */
const PageHeadSchema = Type.Object({
  resource: Type.String(),
  from: Nullable<string>({ ...Cursor, description: 'The cursor this page starts after (null: from the start of the feed)' }),
  cursor: Type.String({ ...Cursor, description: "The feed owner's cursor after this page" }),
  more: Type.Boolean(),
  instances: Type.Array(InstanceUuid, { description: 'The instance uuids the records refer to by index' }),
  records: Type.Array(Type.Unknown()),
  policy: Type.Optional(Typed<PolicyName>({ type: 'string', enum: [...POLICIES], description: "Pushes only: the pushing side's policy, already turned to the receiver's point of view" })),
});
export const PageSchema = Type.Object(
  { ...PageHeadSchema.properties, records: Type.Array(WireRecordSchema) },
  { description: "One page of one resource's feed, in dependency order, applied in one transaction." },
);
export type Page = Static<typeof PageSchema>;

export const PageResultSchema = Type.Object({
  cursor: Type.String({ ...Cursor, description: "The sender's cursor the receiver now holds" }),
  received: Type.Integer(),
  applied: Type.Integer(),
  conflicts: Type.Integer(),
  duplicate: Type.Boolean(),
  created: Type.Optional(Type.Integer({ description: 'Of the applied: records new here (older peers omit it)' })),
  updated: Type.Optional(Type.Integer({ description: 'Of the applied: records that existed and changed' })),
  refused: Type.Optional(Type.Integer({ description: "Records outside the pusher's grant, not applied (the rest of the page was)" })),
});
export type PageResult = Static<typeof PageResultSchema>;

export const PairRequestSchema = Type.Object({
  instance: Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: "The requester's instance uuid" }),
  name: Type.Optional(Type.String()),
  url: Type.Optional(Nullable<string>({ type: 'string', pattern: '^https?://[^\\s]{1,500}$', description: 'Where the requester listens, if it does' })),
  code: Type.String({ description: 'The one-time pairing code' }),
  token: Type.String({ minLength: 32, maxLength: 128, description: 'The token the requester will present to the answering side' }),
  split: Type.Optional(Type.Boolean({ description: "Asks for a token per direction (the answer carries the answering side's); else `token` is shared" })),
});
export type PairRequest = Static<typeof PairRequestSchema>;

export const PairResponseSchema = Type.Object({
  instance: Type.String(),
  name: Type.String(),
  token: Type.Optional(Type.String({ description: 'With `split`: the token the answering side will present to the requester' })),
  schema_version: Type.Integer(),
  registry_hash: Type.String(),
});
export type PairResponse = Static<typeof PairResponseSchema>;

/** Encodes record versions for a page: the instance table and the compact records. */
export function toWire(versions: readonly RecordVersion[]): { instances: string[]; records: WireRecord[] } {
  const instances: string[] = [];
  const index = new Map<string, number>();
  const idx = (u: string): number => {
    let i = index.get(u);
    if (i === undefined) {
      i = instances.push(u) - 1;
      index.set(u, i);
    }
    return i;
  };
  const records = versions.map((v) => {
    const data: Record<string, FieldValue> = {};
    for (const k in v.data) if (v.data[k] !== null) data[k] = v.data[k]!;
    const version: number[] = [];
    for (const k in v.version) version.push(idx(k), v.version[k]!);
    const w: WireRecord = { uuid: v.uuid, created_on: v.created_on, modified_on: v.modified_on, origin: idx(v.origin), changed_by: idx(v.changed_by), version, hlc: v.hlc, data };
    if (v.deleted) w.deleted = true;
    if (v.replaced_by) w.replaced_by = v.replaced_by;
    if (v.fields) {
      const f: Record<string, [number, number]> = {};
      for (const k in v.fields) f[k] = [idx(v.fields[k]![0]), v.fields[k]![1]];
      w.fields = f;
    }
    if (v.decisions?.length) w.decisions = v.decisions;
    return w;
  });
  return { instances, records };
}

const HLC = /^\d{13}\.\d{6}$/;
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Checks a received page completely before anything is applied: its head against the page schema
 * (a route has checked it already; bundles and radio have not), then each record against the
 * registry. A page with one bad record is refused whole, with every problem named.
 */
export function readPage(registry: Registry, page: unknown): { page: Page; versions: RecordVersion[] } {
  if (!isObj(page)) throw new TidemarkError('malformed', 'a page must be a JSON object');
  const resource = page.resource;
  if (typeof resource !== 'string' || !registry.has(resource)) {
    throw new TidemarkError('invalid', `unknown resource "${String(resource)}"`, { resource: String(resource) });
  }
  const def = registry.get(resource);
  if (def.referenceData) throw new TidemarkError('invalid', `${resource} is reference data and does not sync`, { resource });
  const { instances } = shaped<Static<typeof PageHeadSchema>>(pageHeadShape, page, 'page', { resource });
  const problems: TidemarkError[] = [];
  const versions: RecordVersion[] = [];
  const inst = (i: unknown): string | undefined => (typeof i === 'number' ? (instances[i] as string | undefined) : undefined);
  const check = fieldCheckers(registry, resource);
  (page.records as unknown[]).forEach((raw: unknown, i: number) => {
    const bad = (msg: string, field?: string): void => {
      problems.push(new TidemarkError('invalid', `record ${i}: ${msg}`, { resource, field, uuid: isObj(raw) && typeof raw.uuid === 'string' ? raw.uuid : undefined }));
    };
    if (!isObj(raw)) return bad('not an object');
    const { uuid, version: flat, hlc, deleted = false, replaced_by = null, data } = raw;
    if (!isRecordUuid(uuid)) return bad(`uuid is not a record uuid (${RECORD_UUID_RULE})`, 'uuid');
    const version: Record<string, number> = {};
    if (!Array.isArray(flat) || !flat.length || flat.length % 2) return bad('version must be pairs of instance index and counter', 'version');
    for (let k = 0; k < flat.length; k += 2) {
      const u = inst(flat[k]);
      const n = flat[k + 1] as unknown;
      if (!u || !Number.isSafeInteger(n) || (n as number) <= 0) return bad('version must be pairs of instance index and positive counter', 'version');
      version[u] = n as number;
    }
    const origin = inst(raw.origin);
    const changed_by = inst(raw.changed_by);
    if (!origin || !changed_by) return bad('origin/changed_by must index the instances table', 'origin');
    if (typeof hlc !== 'string' || !HLC.test(hlc)) return bad('hlc malformed', 'hlc');
    if (typeof deleted !== 'boolean') return bad('deleted must be a boolean', 'deleted');
    if (!(replaced_by === null || (typeof replaced_by === 'string' && replaced_by.length <= 64))) return bad('replaced_by malformed', 'replaced_by');
    if (!isObj(data)) return bad('data must be an object', 'data');
    const created_on = instant(raw.created_on, resource, 'created_on');
    const modified_on = instant(raw.modified_on, resource, 'modified_on');
    if (typeof created_on !== 'string') return bad(created_on.message, 'created_on');
    if (typeof modified_on !== 'string') return bad(modified_on.message, 'modified_on');
    const out: Record<string, FieldValue> = {};
    for (const f of def.fields) out[f.name] = null;
    for (const k in data) {
      const c = check.get(k);
      if (!c) return bad(`unknown field "${k}"`, k);
      const x = data[k];
      if (c.fast(x)) out[k] = x as FieldValue;
      else {
        try {
          out[k] = coerceValue(c.field, x, { resource, uuid });
        } catch (e) {
          return bad((e as Error).message, k);
        }
      }
    }
    if (!deleted) {
      for (const f of def.fields) if (f.required && (out[f.name] === null || out[f.name] === '')) return bad('value required', f.name);
    }
    const rec: RecordVersion = { resource, uuid, created_on, modified_on, deleted, replaced_by, origin, changed_by, version, hlc, data: out };
    if (raw.fields !== undefined) {
      if (!isObj(raw.fields)) return bad('fields must map field names to [instance index, counter]', 'fields');
      const fields: Record<string, Dot> = {};
      for (const [k, d] of Object.entries(raw.fields)) {
        const pair = Array.isArray(d) ? (d as unknown[]) : [];
        const u = inst(pair[0]);
        const n = pair[1];
        if ((k !== DELETED_FIELD && !check.has(k)) || !u || !Number.isSafeInteger(n) || (n as number) <= 0) return bad(`per-field version of "${k}" malformed`, 'fields');
        fields[k] = [u, n as number];
      }
      rec.fields = fields;
    }
    if (raw.decisions !== undefined) {
      const ds = readDecisions(raw.decisions);
      if (!ds) return bad('decisions malformed', 'decisions');
      rec.decisions = ds;
    }
    versions.push(rec);
  });
  if (problems.length) {
    throw new TidemarkError('invalid', `page refused, nothing applied: ${problems[0]!.describe()}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { resource }, problems);
  }
  return { page: page as unknown as Page, versions };
}

/** Decisions travelling with a version: checked for shape (they are only ever logged and shown). */
export function readDecisions(raw: unknown): MergeDecision[] | undefined {
  if (!Array.isArray(raw) || raw.length > 64) return undefined;
  const side = (s: unknown): boolean => isObj(s) && typeof s.site === 'string' && s.site.length <= 64 && typeof s.at === 'string' && s.at.length <= 32;
  for (const d of raw) {
    if (!isObj(d) || typeof d.id !== 'string' || d.id.length > 64 || typeof d.rule !== 'string' || d.rule.length > 64 || !side(d.kept) || !side(d.lost) || !isObj(d.fields)) return undefined;
    if (!Object.values(d.fields).every((p) => Array.isArray(p) && p.length === 2)) return undefined;
  }
  return raw as MergeDecision[];
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
function instant(v: unknown, resource: string, field: string): string | Error {
  if (typeof v === 'string' && INSTANT.test(v)) return v;
  try {
    return toUtcIso(String(v), { resource, field });
  } catch (e) {
    return e as Error;
  }
}

/**
 * Per field, a check that accepts a value already in the stored form without allocating; what
 * it does not accept goes through coerceValue, which converts it or says what is wrong.
 */
type FieldCheck = { field: FieldDef; fast: (x: unknown) => boolean };
const checkers = new WeakMap<Registry, Map<string, Map<string, FieldCheck>>>();
function fieldCheckers(registry: Registry, resource: string): Map<string, FieldCheck> {
  let byRes = checkers.get(registry);
  if (!byRes) checkers.set(registry, (byRes = new Map()));
  let m = byRes.get(resource);
  if (m) return m;
  m = new Map();
  for (const f of registry.get(resource).fields) {
    let fast: (x: unknown) => boolean;
    switch (f.type) {
      case 'string': {
        const max = f.length ?? 255;
        const opts = f.options ? new Set<string>(f.options) : undefined;
        fast = (x) => typeof x === 'string' && x.length <= max && (!opts || opts.has(x));
        break;
      }
      case 'text':
        fast = (x) => typeof x === 'string';
        break;
      case 'reference':
        fast = (x) => typeof x === 'string' && x.length <= 64 && x.startsWith('urn:uuid:');
        break;
      case 'integer':
        fast = (x) => Number.isSafeInteger(x);
        break;
      case 'double':
        fast = (x) => typeof x === 'number' && Number.isFinite(x);
        break;
      case 'boolean':
        fast = (x) => typeof x === 'boolean';
        break;
      case 'datetime':
        fast = (x) => typeof x === 'string' && INSTANT.test(x);
        break;
      default:
        fast = () => false;
    }
    m.set(f.name, { field: f, fast });
  }
  byRes.set(resource, m);
  return m;
}

/**
 * A message checked against its schema where no route did it (a hello answered over HTTP, or
 * met on another carrier): the shape or a coded error naming the first wrong field.
 */
function shaped<T>(validator: () => Validator, value: unknown, what: string, where: ErrorLocation = {}): T {
  const v = validator();
  if (v.Check(value)) return value as T;
  const first = v.Errors(value)[0];
  const missing = typeof first?.params === 'object' && first.params && 'requiredProperties' in first.params ? `/${String((first.params as { requiredProperties: unknown[] }).requiredProperties[0])}` : '';
  const field = `${first?.instancePath ?? ''}${missing}`.replace(/^\//, '');
  throw new TidemarkError('malformed', `${what}${field ? ` ${field}` : ''} ${first?.message ?? 'is malformed'}`, field ? { ...where, field } : where);
}
const once = <T>(make: () => T): (() => T) => {
  let made: T | undefined;
  return () => (made ??= make());
};
const helloShape = once((): Validator => Compile(HelloSchema));
const pageHeadShape = once((): Validator => Compile(PageHeadSchema));

/** Checks a peer's hello: the schema's shape, same protocol and schema, or a clear refusal. */
export function checkHello(mine: { schema_version: number; registry_hash: string }, raw: unknown): Hello {
  const hello = shaped<Hello>(helloShape, raw, 'handshake');
  if (hello.protocol !== PROTOCOL_VERSION) throw new TidemarkError('unsupported', `sync protocol ${String(hello.protocol)} is not supported (this instance speaks ${PROTOCOL_VERSION})`);
  if (hello.schema_version !== mine.schema_version || hello.registry_hash !== mine.registry_hash) {
    throw new TidemarkError(
      'unsupported',
      `schema ${String(hello.schema_version)}/${String(hello.registry_hash)} differs from this instance's ${mine.schema_version}/${mine.registry_hash}: upgrade one side`,
    );
  }
  return hello;
}
