import type { Knex } from 'knex';
import type { Writable } from 'node:stream';
import { invalid } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import type { ResourceDef } from '../registry/types.js';
import { toUtcIso } from '../registry/values.js';
import { chunks, encodeCursor, type Store, type StoredRecord } from '../store/index.js';
import { rowToRecord } from '../store/rows.js';
import { jsonHead, jsonRecordObject } from './json-writer.js';
import { type ExportNode, type ReferenceLookups, XML_TAIL, xmlHead, xmlRecord } from './writer.js';

export type NativeFormat = 's3xml' | 's3json';

export interface ExportOptions {
  /** Resources to export (default: every master that is not reference data). */
  resources?: string[];
  format: NativeFormat;
  /** Only records whose modified_on is at or after / before these instants. */
  since?: string;
  until?: string;
  /** Only changes after this local sequence number (decoded from a cursor). */
  after?: number;
  /** At most this many top-level records; `more` and `cursor` say where to continue. */
  limit?: number;
  /** Write tombstones too (sync and audit want them; a plain export does not). */
  includeDeleted?: boolean;
  /** Extra root attributes (e.g. domain, url). */
  rootAttributes?: Record<string, string>;
  onProgress?: (written: number, total: number) => void;
  /** Called once the window is fixed, before anything is written (HTTP sets its headers here). */
  onStart?: (head: { results: number; cursor: string; more: boolean; last: number }) => void;
}

export interface ExportSummary {
  /** Top-level records written (components nested inside them are not counted). */
  count: number;
  /** The sequence number the export covers up to: everything at or below it has been seen. */
  last: number;
  /** true when the limit cut the export short. */
  more: boolean;
  /** The opaque cursor to continue from (`after` = `last`). */
  cursor: string;
}

const PAGE = 200;
const QUEUED = 1 << 20;

/**
 * Which resources travel at the top level, in dependency order (what is referred to comes first,
 * so an importer rarely has to wait for a forward reference). Components travel nested inside
 * their master unless they are asked for without it.
 */
export function exportResources(registry: Registry, names?: string[]): ResourceDef[] {
  const wanted = names?.length ? new Set(names.map((n) => registry.get(n).name)) : undefined;
  const order = registry.dependencyOrder().map((n) => registry.get(n));
  if (!wanted) return order.filter((r) => !r.component && !r.referenceData);
  return order.filter((r) => wanted.has(r.name) && !(r.component && wanted.has(r.component.master)));
}

interface Window {
  after: number;
  upTo: number;
  since?: string;
  until?: string;
  includeDeleted: boolean;
}

function windowed(q: Knex.QueryBuilder, w: Window): Knex.QueryBuilder {
  q.where('tm_seq', '>', w.after).andWhere('tm_seq', '<=', w.upTo);
  if (w.since) q.andWhere('modified_on', '>=', w.since);
  if (w.until) q.andWhere('modified_on', '<', w.until);
  if (!w.includeDeleted) q.andWhere({ deleted: false });
  return q;
}

/**
 * Where this export stops. Without a limit: the head of the feed when the export starts (every
 * change at or below it is committed, since the sequence counter is locked until commit). With a
 * limit: the sequence number of the limit-th change across the chosen resources, so the cursor
 * is exact however the resources interleave.
 */
async function cutoff(store: Store, defs: ResourceDef[], w: Window, limit?: number): Promise<{ upTo: number; more: boolean }> {
  if (limit === undefined) return { upTo: w.upTo, more: false };
  const seqs: number[] = [];
  for (const def of defs) {
    const rows = (await windowed(store.knex(def.name), w).orderBy('tm_seq').limit(limit + 1).pluck('tm_seq')) as (number | string)[];
    for (const s of rows) seqs.push(Number(s));
  }
  if (seqs.length <= limit) return { upTo: w.upTo, more: false };
  seqs.sort((a, b) => a - b);
  return { upTo: limit === 0 ? w.after : seqs[limit - 1]!, more: true };
}

async function countIn(store: Store, defs: ResourceDef[], w: Window): Promise<number> {
  let n = 0;
  for (const def of defs) {
    const [row] = await windowed(store.knex(def.name), w).count({ n: '*' });
    n += Number((row as { n: number | string }).n);
  }
  return n;
}

async function locationLookups(store: Store, nodes: ExportNode[]): Promise<ReferenceLookups> {
  const uuids = new Set<string>();
  const visit = (n: ExportNode): void => {
    for (const f of n.def.fields) {
      if (f.type === 'reference' && f.resource === 'gis_location' && n.record.data[f.name]) uuids.add(String(n.record.data[f.name]));
    }
    n.components.forEach(visit);
  };
  nodes.forEach(visit);
  const locations: ReferenceLookups['locations'] = new Map();
  for (const part of chunks([...uuids])) {
    const rows = (await store.knex('gis_location').whereIn('uuid', part).select('uuid', 'name', 'lat', 'lon')) as { uuid: string; name: string | null; lat: number | null; lon: number | null }[];
    for (const r of rows) locations.set(r.uuid, { name: r.name, lat: r.lat === null ? null : Number(r.lat), lon: r.lon === null ? null : Number(r.lon) });
  }
  return { locations, domain: store.instance.name };
}

async function withComponents(store: Store, def: ResourceDef, records: StoredRecord[], includeDeleted: boolean): Promise<ExportNode[]> {
  const comps = store.registry.components(def.name);
  const nodes: ExportNode[] = records.map((record) => ({ def, record, components: [] }));
  if (!comps.length) return nodes;
  const byUuid = new Map(nodes.filter((n) => !n.record.deleted).map((n) => [n.record.uuid, n]));
  if (!byUuid.size) return nodes;
  const found = await store.componentsOf(def.name, [...byUuid.keys()], { includeDeleted });
  for (const comp of comps) {
    for (const rec of found.get(comp.name) ?? []) {
      byUuid.get(String(rec.data[comp.component!.joinField]))?.components.push({ def: comp, record: rec, alias: comp.component!.alias, components: [] });
    }
  }
  return nodes;
}

/** Resolves once `out` can take more, or rejects if it closed or failed first. */
export function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('output closed before the export finished'));
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', done);
  });
}

/**
 * Writes a chunk, waiting only once a megabyte is queued: the next page is read from the
 * database while the last one is still being written out, and memory stays bounded.
 */
async function write(out: Writable, chunk: string): Promise<void> {
  if (out.destroyed) throw new Error('output closed before the export finished');
  out.write(chunk);
  if (out.writableLength > Math.max(out.writableHighWaterMark, QUEUED)) await drained(out);
}

/**
 * Streams records as S3XML or S3JSON: one page of the change feed at a time, written as it is
 * read, waiting whenever the output is full. Memory stays flat however many records there are.
 * Does not end `out`: the caller may add to it (an envelope) or own its lifetime (HTTP).
 */
export async function exportRecords(store: Store, opts: ExportOptions, out: Writable): Promise<ExportSummary> {
  const defs = exportResources(store.registry, opts.resources);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) throw invalid(`limit ${opts.limit} is not a count`, { field: 'limit' });
  const head = await store.head();
  const base: Window = {
    // Sequence 0 is reference data shipped with the code: never part of a feed.
    after: Math.max(opts.after ?? 0, 0),
    upTo: head,
    since: opts.since ? toUtcIso(opts.since, { field: 'since' }) : undefined,
    until: opts.until ? toUtcIso(opts.until, { field: 'until' }) : undefined,
    includeDeleted: opts.includeDeleted ?? false,
  };
  const { upTo, more } = await cutoff(store, defs, base, opts.limit);
  const w: Window = { ...base, upTo: Math.max(upTo, base.after) };
  const total = await countIn(store, defs, w);
  const cursor = encodeCursor(store.instance.uuid, w.upTo);
  const json = opts.format === 's3json';
  opts.onStart?.({ results: total, cursor, more, last: w.upTo });
  const root = { success: 'true', results: total, cursor, more: more ? 'true' : 'false', tm_instance: store.instance.uuid, ...opts.rootAttributes };
  await write(out, json ? jsonHead(root) : xmlHead(root));
  let count = 0;
  for (const def of defs) {
    let after = w.after;
    let opened = false;
    for (;;) {
      const page = await store.changes(def.name, { after, limit: PAGE, since: w.since, until: w.until, includeDeleted: w.includeDeleted });
      const records = page.records.filter((r) => r.seq <= w.upTo);
      if (records.length) {
        const nodes = await withComponents(store, def, records, w.includeDeleted);
        const lookups = await locationLookups(store, nodes);
        let text = '';
        if (json) {
          for (const n of nodes) {
            text += `${opened ? ',' : `,${JSON.stringify(`$_${def.name}`)}:[`}${JSON.stringify(jsonRecordObject(n, lookups))}`;
            opened = true;
          }
        } else {
          for (const n of nodes) text += xmlRecord(n, lookups);
        }
        await write(out, text);
        count += records.length;
        opts.onProgress?.(count, total);
      }
      if (!page.more || records.length < page.records.length) break;
      after = page.last;
    }
    if (opened) await write(out, ']');
  }
  await write(out, json ? '}\n' : XML_TAIL);
  return { count, last: w.upTo, more, cursor };
}

/**
 * One S3XML document of the given records of a master resource (tombstones included), each with
 * all its live components nested, as Eden's REST import takes them (a sync carrier pushing to Eden).
 */
export async function exportMasters(store: Store, resource: string, uuids: readonly string[], rootAttributes: Record<string, string> = {}): Promise<string> {
  const def = store.registry.get(resource);
  const records: StoredRecord[] = [];
  for (const part of chunks([...new Set(uuids)])) {
    for (const row of (await store.knex(resource).whereIn('uuid', part).orderBy('tm_seq')) as Record<string, unknown>[]) records.push(rowToRecord(def, row));
  }
  const nodes = await withComponents(store, def, records, false);
  const lookups = await locationLookups(store, nodes);
  let text = xmlHead({ success: 'true', results: nodes.length, tm_instance: store.instance.uuid, ...rootAttributes });
  for (const n of nodes) text += xmlRecord(n, lookups);
  return text + XML_TAIL;
}
