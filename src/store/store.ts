import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { coded, invalid, TidemarkError } from '../errors.js';
import { registry as defaultRegistry, type Registry } from '../registry/registry.js';
import type { ResourceDef } from '../registry/types.js';
import { coerceValue, nowIso, type FieldValue } from '../registry/values.js';
import { hlcProblem, nextHlcs, maxHlc, wallClockMs } from './clock.js';
import { busyError } from './busy.js';
import { busyMs, openDatabase, type Database } from './database.js';
import { rowToRecord, versionToRow } from './rows.js';
import { insertRows, setSequences, takeFromCounter, updateRows } from './bulk.js';
import { selectRecords } from './read.js';
import { ensureInstance, migrateSchema, type ExtraMigration, type Instance } from './schema.js';
import { DELETED_FIELD, dotOf, type ChangesPage, type ChangesQuery, type Dot, type MergeDecision, type RecordVersion, type StoredRecord } from './types.js';
import { bumpVersion } from './version.js';
import { historyKeep, recordHistory, type WriteSource } from './history.js';

export type RecordData = Record<string, unknown>;

/** How many conflict decisions a version carries at most (the oldest are dropped first). */
export const MAX_CARRIED_DECISIONS = 16;

export interface ListOptions {
  limit?: number;
  offset?: number;
  includeDeleted?: boolean;
  /** Equality filters on fields, e.g. { organisation_id: 'urn:uuid:...' }. */
  where?: Record<string, FieldValue>;
  /** Text that any free-text field (not coded, not a reference) contains, case-insensitively. */
  search?: string;
}

const byUser = (name: string | undefined): WriteSource => ({ kind: 'user', name: name ?? null });

/** A new `urn:uuid:` record identity. */
export const newRecordUuid = (): string => `urn:uuid:${randomUUID()}`;

const CHUNK = 400;
export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Writes inside one transaction. Every change gets the next number of this instance's change
 * sequence; the counter row is locked until commit, so the sequence order is the commit order
 * and a reader holding cursor N can never miss a change numbered below N that commits later.
 */
export class Writer {
  private lastHlc: string | undefined;
  private keep: number | undefined;
  /** Who is writing: kept with every version in the record's history (src/store/history.ts). */
  source: WriteSource = { kind: 'user' };

  constructor(
    readonly trx: Knex.Transaction,
    readonly registry: Registry,
    readonly instance: Instance,
  ) {}

  /** Reserves `n` change sequence numbers and HLC stamps (observing a peer's stamp if given). */
  async allocate(n: number, observed?: string): Promise<{ firstSeq: number; hlcs: string[] }> {
    let hlcs: string[] = [];
    const value = await takeFromCounter(this.trx, 'changes', n, (row) => {
      hlcs = nextHlcs(maxHlc(row.hlc, this.lastHlc ?? row.hlc), n, wallClockMs(), observed);
      this.lastHlc = hlcs[hlcs.length - 1];
      return this.lastHlc ?? row.hlc;
    });
    return { firstSeq: value - n + 1, hlcs };
  }

  /** Validates field values for a write: unknown fields, types, options, required fields. */
  checkData(def: ResourceDef, data: RecordData, base: Record<string, FieldValue> | undefined, where: { uuid?: string } = {}): Record<string, FieldValue> {
    const out: Record<string, FieldValue> = {};
    for (const f of def.fields) out[f.name] = base?.[f.name] ?? null;
    for (const [k, raw] of Object.entries(data)) {
      const f = this.registry.field(def.name, k);
      if (!f) throw invalid(`unknown field "${k}"`, { resource: def.name, field: k, ...where });
      out[k] = coerceValue(f, raw, { resource: def.name, ...where });
    }
    for (const f of def.fields) {
      if (f.required && (out[f.name] === null || out[f.name] === '')) {
        throw invalid('value required', { resource: def.name, field: f.name, ...where });
      }
    }
    return out;
  }

  /** Reference fields that point at uuids this instance does not hold (deleted ones count as held). */
  async checkReferences(def: ResourceDef, data: Record<string, FieldValue>, where: { uuid?: string } = {}): Promise<void> {
    for (const f of def.fields) {
      const v = data[f.name];
      if (f.type !== 'reference' || v === null) continue;
      const found = await this.trx(f.resource!).where({ uuid: v }).first('id');
      if (!found) throw invalid(`refers to ${f.resource} ${String(v)}, which does not exist`, { resource: def.name, field: f.name, ...where });
    }
  }

  private writable(resource: string): ResourceDef {
    const def = this.registry.get(resource);
    if (def.referenceData) {
      throw new TidemarkError('forbidden', `${resource} is reference data shipped with Tidemark and cannot be changed`, { resource });
    }
    return def;
  }

  async getRow(resource: string, uuid: string): Promise<StoredRecord | undefined> {
    const def = this.registry.get(resource);
    const row = await this.trx(resource).where({ uuid }).first();
    return row ? rowToRecord(def, row as Record<string, unknown>) : undefined;
  }

  /** Existing records among `uuids` (tombstones included), by uuid. */
  async existing(resource: string, uuids: readonly string[]): Promise<Map<string, StoredRecord>> {
    const def = this.registry.get(resource);
    const out = new Map<string, StoredRecord>();
    for (const part of chunks(uuids)) {
      for (const r of await selectRecords(def, this.trx(resource).whereIn('uuid', part))) out.set(r.uuid, r);
    }
    return out;
  }

  async create(resource: string, data: RecordData, opts: { uuid?: string; checkReferences?: boolean } = {}): Promise<StoredRecord> {
    const def = this.writable(resource);
    const uuid = opts.uuid ?? newRecordUuid();
    if (await this.trx(resource).where({ uuid }).first('id')) {
      throw coded('duplicate_uuid', {}, { resource, uuid });
    }
    const values = this.checkData(def, data, undefined, { uuid });
    if (opts.checkReferences !== false) await this.checkReferences(def, values, { uuid });
    const [stored] = await this.insertLocal(def, [{ uuid, data: values }]);
    return stored!;
  }

  /** Inserts new records made here, in one statement per chunk (the bulk path of imports). */
  async insertLocal(
    def: ResourceDef,
    items: { uuid: string; data: Record<string, FieldValue>; created_on?: string; modified_on?: string }[],
    opts: { takenFrom?: string } = {},
  ): Promise<StoredRecord[]> {
    if (!items.length) return [];
    const { firstSeq, hlcs } = await this.allocate(items.length);
    const now = nowIso();
    const me = this.instance.uuid;
    const versions: StoredRecord[] = items.map((it, i) => ({
      resource: def.name,
      id: 0,
      seq: firstSeq + i,
      uuid: it.uuid,
      created_on: it.created_on ?? now,
      modified_on: it.modified_on ?? now,
      deleted: false,
      replaced_by: null,
      origin: me,
      changed_by: me,
      version: { [me]: 1 },
      hlc: hlcs[i]!,
      data: it.data,
      fields: {},
    }));
    // Stay under SQLite's limit of bound variables per statement.
    const rowsPerInsert = Math.max(1, Math.min(500, Math.floor(30000 / (def.fields.length + 11))));
    const rows = versions.map((v) => {
      const row = versionToRow(def, v, v.seq);
      if (opts.takenFrom) row.tm_from = opts.takenFrom;
      return row;
    });
    const ids = await insertRows(this.trx, def.name, rows, rowsPerInsert);
    versions.forEach((v, i) => (v.id = ids[i]!));
    await this.history(versions, []);
    await this.touchMasters(def, versions);
    return versions;
  }

  /**
   * `decisions`: a change that is itself a conflict decision (a reversal) carries it to every peer.
   * `takenFrom`: a change a peer sent that holds it already (an Eden repository's push).
   */
  async update(
    resource: string,
    uuid: string,
    patch: RecordData,
    opts: { checkReferences?: boolean; modified_on?: string; decisions?: MergeDecision[]; takenFrom?: string } = {},
  ): Promise<StoredRecord> {
    const def = this.writable(resource);
    const current = await this.getRow(resource, uuid);
    if (!current) throw new TidemarkError('not_found', 'no such record', { resource, uuid });
    const data = this.checkData(def, patch, current.data, { uuid });
    if (opts.checkReferences !== false) await this.checkReferences(def, data, { uuid });
    return this.writeLocalChange(def, current, { data, deleted: false, replaced_by: null, modified_on: opts.modified_on, decisions: opts.decisions, takenFrom: opts.takenFrom });
  }

  /** Soft delete: the record stays as a tombstone; its live components are deleted with it. */
  async remove(resource: string, uuid: string, opts: { replacedBy?: string | null; modified_on?: string; decisions?: MergeDecision[]; takenFrom?: string } = {}): Promise<StoredRecord> {
    const def = this.writable(resource);
    const current = await this.getRow(resource, uuid);
    if (!current) throw new TidemarkError('not_found', 'no such record', { resource, uuid });
    const replaced_by = opts.replacedBy ?? null;
    if (current.deleted && current.replaced_by === replaced_by) return current;
    const stored = await this.writeLocalChange(def, current, { data: current.data, deleted: true, replaced_by, modified_on: opts.modified_on, decisions: opts.decisions, takenFrom: opts.takenFrom });
    for (const comp of this.registry.components(resource)) {
      const children = await this.trx(comp.name).where({ [comp.component!.joinField]: uuid, deleted: false }).select('uuid');
      for (const c of children) await this.remove(comp.name, c.uuid as string, { modified_on: opts.modified_on, takenFrom: opts.takenFrom });
    }
    return stored;
  }

  /** Merge: `from` becomes a tombstone replaced by `into`, and every reference to it is re-pointed. */
  async merge(resource: string, from: string, into: string): Promise<{ tombstone: StoredRecord; repointed: number }> {
    if (from === into) throw invalid('cannot merge a record into itself', { resource, uuid: from });
    const target = await this.getRow(resource, into);
    if (!target || target.deleted) throw new TidemarkError('not_found', 'merge target does not exist or is deleted', { resource, uuid: into });
    const repointed = await this.repointReferences(resource, from, into);
    const tombstone = await this.remove(resource, from, { replacedBy: into });
    return { tombstone, repointed };
  }

  /** Re-points every reference to `from` (in any resource) at `into`, each as a local change. */
  async repointReferences(resource: string, from: string, into: string): Promise<number> {
    let count = 0;
    for (const { resource: r, field } of this.registry.referencesTo(resource)) {
      const def = this.registry.get(r);
      if (def.referenceData) continue;
      const rows = await this.trx(r).where({ [field]: from });
      for (const row of rows) {
        const current = rowToRecord(def, row as Record<string, unknown>);
        await this.writeLocalChange(def, current, { data: { ...current.data, [field]: into }, deleted: current.deleted, replaced_by: current.replaced_by });
        count++;
      }
    }
    return count;
  }

  /** Copies written versions into their records' history, as `this.source` wrote them. */
  private async history(versions: readonly StoredRecord[], known: readonly StoredRecord[]): Promise<void> {
    this.keep ??= await historyKeep(this.trx);
    await recordHistory(this.trx, versions, this.source, this.keep, known);
  }

  /**
   * A change made here. Fields whose value changes get this change as their per-field version.
   * The decisions the previous version carried stay with it (bounded), so a site that has not
   * yet seen a decision about its own edit still learns of it; a change that is itself a
   * decision (a reversal) adds it.
   */
  private async writeLocalChange(
    def: ResourceDef,
    current: StoredRecord,
    next: { data: Record<string, FieldValue>; deleted: boolean; replaced_by: string | null; modified_on?: string; decisions?: MergeDecision[]; takenFrom?: string },
  ): Promise<StoredRecord> {
    const { firstSeq, hlcs } = await this.allocate(1);
    const me = this.instance.uuid;
    const vv = bumpVersion(current.version, me);
    const dot: Dot = [me, vv[me]!];
    const fields: Record<string, Dot> = {};
    for (const f of def.fields) {
      const changed = JSON.stringify(current.data[f.name] ?? null) !== JSON.stringify(next.data[f.name] ?? null);
      const was = dotOf(current, f.name);
      if (changed) fields[f.name] = dot;
      else if (!(was[0] === current.origin && was[1] === 1)) fields[f.name] = was;
    }
    const delChanged = current.deleted !== next.deleted || current.replaced_by !== next.replaced_by;
    const delWas = dotOf(current, DELETED_FIELD);
    if (delChanged) fields[DELETED_FIELD] = dot;
    else if (!(delWas[0] === current.origin && delWas[1] === 1)) fields[DELETED_FIELD] = delWas;
    const { decisions: carried, ...rest } = current;
    const decisions = [...(carried ?? []), ...(next.decisions ?? [])].slice(-MAX_CARRIED_DECISIONS);
    const version: StoredRecord = {
      ...rest,
      seq: firstSeq,
      modified_on: next.modified_on ?? nowIso(),
      deleted: next.deleted,
      replaced_by: next.replaced_by,
      changed_by: me,
      version: vv,
      hlc: hlcs[0]!,
      data: next.data,
      fields,
      ...(decisions.length ? { decisions } : {}),
    };
    await this.trx(def.name).where({ id: current.id }).update({ ...versionToRow(def, version, firstSeq), tm_from: next.takenFrom ?? null });
    await this.history([version], [version]);
    await this.touchMasters(def, [version]);
    return version;
  }

  /**
   * Writes versions made elsewhere exactly as they are (version vector, HLC, origin), each at a
   * new local sequence so that they flow on to this instance's own peers. Deciding *whether* a
   * version should win is the sync engine's job; this only stores the outcome.
   */
  async applyVersions(versions: readonly RecordVersion[], opts: { existing?: Map<string, StoredRecord>; takenFrom?: string } = {}): Promise<StoredRecord[]> {
    if (!versions.length) return [];
    // A stamp from the future is refused (and logged by the caller), never adopted.
    const now = wallClockMs();
    for (const v of versions) {
      const problem = hlcProblem(v.hlc, now);
      if (problem) throw new TidemarkError('invalid', problem, { resource: v.resource, uuid: v.uuid, field: 'tm_hlc' });
    }
    const observed = versions.reduce((m, v) => maxHlc(m, v.hlc), versions[0]!.hlc);
    const { firstSeq } = await this.allocate(versions.length, observed);
    const out: StoredRecord[] = [];
    const byResource = new Map<string, { v: RecordVersion; seq: number }[]>();
    versions.forEach((v, i) => {
      const list = byResource.get(v.resource) ?? [];
      list.push({ v, seq: firstSeq + i });
      byResource.set(v.resource, list);
    });
    for (const [resource, items] of byResource) {
      const def = this.registry.get(resource);
      // A caller that has just read these records (the sync engine) passes them: no second look-up.
      const have = opts.existing ?? (await this.existing(resource, items.map((x) => x.v.uuid)));
      const fresh: Record<string, unknown>[] = [];
      const changed: Record<string, unknown>[] = [];
      const written: StoredRecord[] = [];
      const known: StoredRecord[] = [];
      for (const { v, seq } of items) {
        // The peer a version came from unchanged already holds it: the feed never offers it back.
        // Built in place, not spread into new objects: rows have 40-odd columns, and copying
        // them was the largest JavaScript cost of receiving a sync (docs/sync-protocol.md).
        const row = versionToRow(def, v, seq);
        row.tm_from = opts.takenFrom ?? null;
        const prior = have.get(v.uuid);
        if (prior) {
          row.id = prior.id;
          changed.push(row);
        } else fresh.push(row);
        // The versions are read-only input: the stored record shares their data, not a copy.
        const stored = { ...v, id: prior?.id ?? 0, seq };
        out.push(stored);
        written.push(stored);
        if (prior) known.push(stored);
      }
      await updateRows(this.trx, resource, changed);
      const ids = await insertRows(this.trx, resource, fresh, 200);
      // The new rows' ids, in the order they were inserted: their history is kept by row id.
      let next = 0;
      for (const s of written) if (!s.id) s.id = ids[next++]!;
      await this.history(written, known);
      await this.touchMasters(def, items.map((x) => x.v));
    }
    return out;
  }

  /**
   * A change to a component moves its master forward in the change feed too, so a feed of
   * masters (as Eden exports them, components nested) carries component changes.
   */
  private async touchMasters(def: ResourceDef, versions: readonly RecordVersion[]): Promise<void> {
    const link = def.component;
    if (!link) return;
    const masters = [...new Set(versions.map((v) => v.data[link.joinField]).filter((x): x is string => typeof x === 'string'))];
    if (!masters.length) return;
    const { firstSeq } = await this.allocate(masters.length);
    await setSequences(this.trx, link.master, masters.map((m, i) => [m, firstSeq + i]));
  }
}

/** The record store: one knex database, the registry's tables, this instance's identity. */
export interface StoreOpenOptions {
  registry?: Registry;
  migrate?: boolean;
  instanceName?: string;
  migrations?: readonly ExtraMigration[];
}

export class Store {
  private constructor(
    readonly db: Database,
    readonly registry: Registry,
    readonly instance: Instance,
  ) {}

  /** Opens (and unless told otherwise migrates) a database; `migrations`: later stages' tables. */
  static async open(url?: string, opts: StoreOpenOptions = {}): Promise<Store> {
    const db = openDatabase(url);
    const registry = opts.registry ?? defaultRegistry;
    try {
      if (opts.migrate !== false) await migrateSchema(db.knex, registry, opts.migrations);
      else if (!(await db.knex.schema.hasTable('tm_settings'))) {
        throw new TidemarkError('not_found', `database ${db.url} is not initialised: run "tidemark init" first`);
      }
      const instance = await ensureInstance(db.knex, opts.instanceName);
      return new Store(db, registry, instance);
    } catch (e) {
      await db.knex.destroy();
      throw e;
    }
  }

  get knex(): Knex {
    return this.db.knex;
  }

  async close(): Promise<void> {
    await this.db.knex.destroy();
    await this.db.reader?.destroy();
  }

  /**
   * Runs `fn` in one transaction: all of it commits, or none of it. `source`: who writes (a user
   * by default), kept in the history of every version written.
   *
   * SQLite: the write lock is taken first (a transaction that reads before it writes cannot
   * upgrade while another process writes). While another process holds it, the wait is not
   * SQLite's busy timeout, which would stop the whole process (better-sqlite3 is synchronous):
   * the attempt gives the connection back and is tried again a little later, until the busy
   * time is over (then `busy`, nothing written). Meanwhile /health and reads go on.
   */
  async transaction<T>(fn: (w: Writer) => Promise<T>, source?: WriteSource): Promise<T> {
    const run = (trx: Knex.Transaction): Promise<T> => {
      const w = new Writer(trx, this.registry, this.instance);
      if (source) w.source = source;
      return fn(w);
    };
    if (this.db.dialect !== 'sqlite') return this.db.knex.transaction(run);
    const deadline = Date.now() + busyMs();
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      const locked = { taken: false };
      try {
        return await this.db.knex.transaction(async (trx) => {
          await takeWriteLock(trx);
          locked.taken = true;
          return run(trx);
        });
      } catch (e) {
        // Only a lock not taken is tried again: nothing of `fn` ran.
        if (locked.taken || !busyError(e) || Date.now() >= deadline) throw e;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  create(resource: string, data: RecordData, opts: { uuid?: string; by?: string } = {}): Promise<StoredRecord> {
    return this.transaction((w) => w.create(resource, data, opts), byUser(opts.by));
  }

  update(resource: string, uuid: string, patch: RecordData, opts: { by?: string } = {}): Promise<StoredRecord> {
    return this.transaction((w) => w.update(resource, uuid, patch), byUser(opts.by));
  }

  remove(resource: string, uuid: string, opts: { by?: string } = {}): Promise<StoredRecord> {
    return this.transaction((w) => w.remove(resource, uuid), byUser(opts.by));
  }

  merge(resource: string, from: string, into: string): Promise<{ tombstone: StoredRecord; repointed: number }> {
    return this.transaction((w) => w.merge(resource, from, into));
  }

  applyVersions(versions: readonly RecordVersion[]): Promise<StoredRecord[]> {
    return this.transaction((w) => w.applyVersions(versions));
  }

  async get(resource: string, uuid: string, opts: { includeDeleted?: boolean } = {}): Promise<StoredRecord | undefined> {
    const def = this.registry.get(resource);
    const q = this.knex(resource).where({ uuid });
    if (!opts.includeDeleted) q.andWhere({ deleted: false });
    const row = await q.first();
    return row ? rowToRecord(def, row as Record<string, unknown>) : undefined;
  }

  /** Records for normal use: deleted ones hidden unless asked for. */
  async list(resource: string, opts: ListOptions = {}): Promise<StoredRecord[]> {
    const def = this.registry.get(resource);
    const q = this.knex(resource).orderBy('id');
    this.filter(def, q, opts);
    if (opts.limit !== undefined) q.limit(opts.limit);
    if (opts.offset) q.offset(opts.offset);
    return (await q).map((r: Record<string, unknown>) => rowToRecord(def, r));
  }

  /** How many records `list` would return without limit and offset. */
  async count(resource: string, opts: Omit<ListOptions, 'limit' | 'offset'> = {}): Promise<number> {
    const def = this.registry.get(resource);
    const q = this.knex(resource).count({ n: '*' });
    this.filter(def, q, opts);
    const [row] = await q;
    return Number((row as { n: number | string }).n);
  }

  private filter(def: ResourceDef, q: Knex.QueryBuilder, opts: Omit<ListOptions, 'limit' | 'offset'>): void {
    if (!opts.includeDeleted) q.where({ deleted: false });
    for (const [k, v] of Object.entries(opts.where ?? {})) {
      if (!this.registry.field(def.name, k)) throw invalid(`unknown field "${k}"`, { resource: def.name, field: k });
      q.andWhere(k, v as Knex.Value);
    }
    const text = opts.search?.trim().toLowerCase();
    if (text) {
      const fields = def.fields.filter((f) => (f.type === 'string' || f.type === 'text') && !f.options);
      const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q.andWhere((b) => {
        for (const f of fields) b.orWhereRaw(`lower(??) like ? escape '\\'`, [f.name, pattern]);
        if (!fields.length) b.whereRaw('1 = 0');
      });
    }
  }

  /** The change feed of one resource: what changed after a sequence number, tombstones included. */
  async changes(resource: string, query: ChangesQuery = {}): Promise<ChangesPage> {
    const def = this.registry.get(resource);
    const after = query.after ?? -1;
    const limit = query.limit ?? 1000;
    const q = this.knex(resource).where('tm_seq', '>', after).orderBy('tm_seq').limit(limit + 1);
    if (query.since) q.andWhere('modified_on', '>=', query.since);
    if (query.until) q.andWhere('modified_on', '<', query.until);
    if (query.includeDeleted === false) q.andWhere({ deleted: false });
    const rows = (await q) as Record<string, unknown>[];
    const more = rows.length > limit;
    const records = rows.slice(0, limit).map((r) => rowToRecord(def, r));
    return { records, last: records.length ? records[records.length - 1]!.seq : Math.max(after, 0), more };
  }

  /** Components of the given masters, by component resource, in creation order. */
  async componentsOf(master: string, masterUuids: readonly string[], opts: { includeDeleted?: boolean } = {}): Promise<Map<string, StoredRecord[]>> {
    const out = new Map<string, StoredRecord[]>();
    for (const comp of this.registry.components(master)) {
      const list: StoredRecord[] = [];
      for (const part of chunks(masterUuids)) {
        const q = this.knex(comp.name).whereIn(comp.component!.joinField, part).orderBy('id');
        if (!opts.includeDeleted) q.andWhere({ deleted: false });
        list.push(...(await selectRecords(comp, q)));
      }
      out.set(comp.name, list);
    }
    return out;
  }

  /** The newest change sequence number issued (the head of this instance's feed). */
  /** The feed head read beside the writer (SQLite: its own connection), for /health. */
  async peekHead(): Promise<number> {
    const row = (await (this.db.reader ?? this.knex)('tm_counter').where({ name: 'changes' }).first()) as { value: number };
    return Number(row.value);
  }

  async head(): Promise<number> {
    const row = (await this.knex('tm_counter').where({ name: 'changes' }).first()) as { value: number };
    return Number(row.value);
  }
}

/** SQLite's write lock, tried at once: a wait would stop the process (see Store.transaction). */
async function takeWriteLock(trx: Knex.Transaction): Promise<void> {
  await trx.raw('PRAGMA busy_timeout = 0');
  try {
    await trx('tm_counter').where({ name: 'changes' }).update({ name: 'changes' });
  } finally {
    await trx.raw(`PRAGMA busy_timeout = ${busyMs()}`);
  }
}
