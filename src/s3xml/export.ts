import type { Knex } from 'knex';
import type { Writable } from 'node:stream';
import { invalid } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import type { ResourceDef } from '../registry/types.js';
import { toUtcIso } from '../registry/values.js';
import { chunks, encodeCursor, notTakenFrom, type Store, type StoredRecord } from '../store/index.js';
import { selectRecords } from '../store/read.js';
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
  /**
   * The peer the export is for (an Eden repository's pull): records taken unchanged from it are
   * left out (echo suppression, `tm_from`); a master travels when it or a component is not.
   */
  notFrom?: string;
  /**
   * A master's `modified_on` says when it or a nested component last changed. Eden's client
   * takes the newest `modified_on` of a pull as how far it has pulled (its next `msince`), so
   * a component changed after its master must move that on, or it is sent again every time.
   */
  componentTimes?: boolean;
  /**
   * S3XML only: the live records the exported ones refer to (and what those refer to), of other
   * resources, written at the top level before the records that need them, each once, as Eden's
   * own sync exports do: the reader may not hold a hospital's location or organisation yet.
   * Reference data shipped with the code and records taken from `notFrom` are left out.
   */
  withReferences?: boolean;
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
  notFrom?: string;
}

/** Rows changed at or after `since` and not taken unchanged from `notFrom`. */
function changedFor(q: Knex.QueryBuilder, w: Window): Knex.QueryBuilder {
  if (w.since) q.andWhere('modified_on', '>=', w.since);
  if (w.notFrom) notTakenFrom(q, w.notFrom);
  return q;
}

/**
 * The records of `def` in the window. With `since` or `notFrom`, a master qualifies when it or
 * one of its components does: components travel nested in their master, so a changed bed
 * capacity row must bring its hospital along.
 */
function windowed(store: Store, def: ResourceDef, w: Window): Knex.QueryBuilder {
  const q = store.knex(def.name).where('tm_seq', '>', w.after).andWhere('tm_seq', '<=', w.upTo);
  if (w.since || w.notFrom) {
    const comps = store.registry.components(def.name);
    if (!comps.length) changedFor(q, w);
    else {
      q.andWhere((any) => {
        any.where((own) => changedFor(own, w));
        for (const c of comps) any.orWhereIn('uuid', (sub) => changedFor(sub.from(c.name).select(c.component!.joinField), w));
      });
    }
  }
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
    const rows = (await windowed(store, def, w).orderBy('tm_seq').limit(limit + 1).pluck('tm_seq')) as (number | string)[];
    for (const s of rows) seqs.push(Number(s));
  }
  if (seqs.length <= limit) return { upTo: w.upTo, more: false };
  seqs.sort((a, b) => a - b);
  return { upTo: limit === 0 ? w.after : seqs[limit - 1]!, more: true };
}

async function countIn(store: Store, defs: ResourceDef[], w: Window): Promise<number> {
  let n = 0;
  for (const def of defs) {
    const [row] = await windowed(store, def, w).count({ n: '*' });
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

/**
 * The records `nodes` refer to that are not in `sent`, and what those refer to in turn, ordered
 * so that a record comes after what it refers to. Adds them to `sent`.
 */
async function referencedNodes(store: Store, nodes: ExportNode[], sent: Set<string>, notFrom?: string): Promise<ExportNode[]> {
  const levels: ExportNode[][] = [];
  let from = nodes;
  while (from.length) {
    const wanted = new Map<string, Set<string>>();
    const visit = (n: ExportNode): void => {
      for (const f of n.def.fields) {
        const v = n.record.data[f.name];
        if (f.type !== 'reference' || typeof v !== 'string' || !v) continue;
        const target = store.registry.get(f.resource!);
        if (target.referenceData || sent.has(`${target.name}|*`) || sent.has(`${target.name}|${v}`)) continue;
        sent.add(`${target.name}|${v}`);
        (wanted.get(target.name) ?? wanted.set(target.name, new Set()).get(target.name)!).add(v);
      }
      n.components.forEach(visit);
    };
    from.forEach(visit);
    const level: ExportNode[] = [];
    for (const [resource, uuids] of wanted) {
      const def = store.registry.get(resource);
      for (const part of chunks([...uuids])) {
        const q = store.knex(resource).whereIn('uuid', part).andWhere({ deleted: false });
        if (notFrom) notTakenFrom(q, notFrom);
        for (const record of await selectRecords(def, q)) level.push({ def, record, components: [] });
      }
    }
    levels.unshift(level);
    from = level;
  }
  return levels.flat();
}

/** The newest modified_on of a record and its nested components (ISO 8601 UTC sorts as text). */
function latestChange(n: ExportNode): string {
  return n.components.reduce((m, c) => {
    const t = latestChange(c);
    return t > m ? t : m;
  }, n.record.modified_on);
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
    notFrom: opts.notFrom,
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
  // What has been written (or is exported in its own right) need not be dereferenced again.
  const sent = new Set<string>(defs.map((d) => `${d.name}|*`));
  for (const def of defs) {
    let after = w.after;
    let opened = false;
    for (;;) {
      const records = await selectRecords(def, windowed(store, def, { ...w, after }).orderBy('tm_seq').limit(PAGE));
      if (records.length) {
        const nodes = await withComponents(store, def, records, w.includeDeleted);
        if (opts.componentTimes) for (const n of nodes) n.record = { ...n.record, modified_on: latestChange(n) };
        const lookups = await locationLookups(store, nodes);
        let text = '';
        if (json) {
          for (const n of nodes) {
            text += `${opened ? ',' : `,${JSON.stringify(`$_${def.name}`)}:[`}${JSON.stringify(jsonRecordObject(n, lookups))}`;
            opened = true;
          }
        } else {
          if (opts.withReferences) for (const n of await referencedNodes(store, nodes, sent, w.notFrom)) text += xmlRecord(n, await locationLookups(store, [n]));
          for (const n of nodes) text += xmlRecord(n, lookups);
        }
        await write(out, text);
        count += records.length;
        opts.onProgress?.(count, total);
      }
      if (records.length < PAGE) break;
      after = records[records.length - 1]!.seq;
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
    records.push(...(await selectRecords(def, store.knex(resource).whereIn('uuid', part).orderBy('tm_seq'))));
  }
  const nodes = await withComponents(store, def, records, false);
  const lookups = await locationLookups(store, nodes);
  let text = xmlHead({ success: 'true', results: nodes.length, tm_instance: store.instance.uuid, ...rootAttributes });
  for (const n of nodes) text += xmlRecord(n, lookups);
  return text + XML_TAIL;
}
