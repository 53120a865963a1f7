import { invalid, TidemarkError, type ErrorLocation } from '../errors.js';
import type { FieldDef } from '../registry/types.js';
import { coerceValue, toUtcIso, type FieldValue } from '../registry/values.js';
import { isRecordUuid, RECORD_UUID_RULE, bumpVersion, chunks, mergeVersions, newRecordUuid, type RecordVersion, type Store, type StoredRecord, type Writer, type WriteSource } from '../store/index.js';
import { readS3json } from './json-reader.js';
import { type DocumentLimits, type S3Data, type S3Item, DEFAULT_DOCUMENT_LIMITS } from './model.js';
import { readS3xml } from './reader.js';
import { matchCandidates } from './dedup.js';
import { SITE_TAG } from './represent.js';
import { CAP_PARTS, wktToCapPolygon } from './cap-components.js';
import { isTidemarkType, ORG_TYPE, typeByName } from './org-type.js';
import { SeenFilter } from './seen.js';
import type { DocumentInput } from './source.js';
import { planRecord } from './import-plan.js';
import { resolvable, WaitingUnits } from './import-waiting.js';
import { collect, detach, detachUnit, jsonValue, key, located, needRef, type Plan, type Rec, type Unit } from './import-units.js';

/**
 * S3XML / S3JSON import, after Eden's S3ImportJob (reference notes §4), streaming:
 *
 * - The reader hands over one top-level `<resource>` at a time. Each becomes a *unit* (the record
 *   with its nested components; inline references become units of their own, placed first).
 * - Units are validated as they arrive (resource, fields, types, uuids) and collected into
 *   batches of about `batchSize` records. A batch checks every reference it holds against the
 *   database in one query per resource, then writes through the Writer's bulk paths.
 * - A unit that refers to something neither in the database nor in its batch *waits* (deferred
 *   resolution, not a second pass: a second pass would need the input twice, which a stream
 *   cannot give, or a table of every uuid in the document). It is written as soon as its target
 *   is; at the end, units that only wait for each other (reference cycles) are written together,
 *   and what is still missing is an error. Tidemark and Eden both write referenced records
 *   first, so waiting is rare and memory stays flat.
 * - Everything happens in one transaction: by default any error rolls all of it back and every
 *   problem is reported (line, element, field); with `ignoreErrors`, invalid units (a record
 *   together with its components, as Eden does) are skipped and the rest commits.
 */

export interface ImportProgress {
  records: number;
  chars: number;
}

export interface ImportOptions {
  format: 's3xml' | 's3json';
  ignoreErrors?: boolean;
  /** Refuse documents larger than this many bytes. */
  maxBytes?: number;
  maxDepth?: number;
  /** Records written per batch (default 500). */
  batchSize?: number;
  /** Top-level records must be of these resources (PUT /s3xml/{resource}); references may be any. */
  resources?: string[];
  /**
   * With `resources`: records of other resources that travel along because the document's
   * records refer to them (Eden's pushes carry the referenced locations and organisations, at the
   * top level or inline). Those of the resources listed here are imported; any other is only
   * used to resolve the reference (to the record held here, by uuid or as Eden deduplicates) and
   * is not written, with a warning. Without this option such top-level records are refused.
   */
  referenced?: string[];
  /**
   * The peer the document comes from, when it holds what it sent (an Eden repository's push):
   * the rows written are marked as taken from it (`tm_from`), so they are never offered back.
   */
  takenFrom?: string;
  /**
   * A record whose modified_on is older (to the second) than the stored one's is not applied:
   * the newer stays, with a warning (Eden's own NEWER update policy). For senders that send
   * everything every time (Eden's client), so a stale copy never turns back a change made here.
   */
  olderLoses?: boolean;
  /**
   * Refuse fields and components of a known resource that Tidemark does not model (default:
   * skip them with a warning, as Eden's own importer skips fields it does not know).
   */
  strict?: boolean;
  /** This instance's domain: Eden's `domain/uid` identities with it are read as plain `uid`. */
  domain?: string;
  /**
   * Keep the tm_version / tm_hlc a document carries (default: no). Only a paired peer's sync
   * session may carry versions and clock stamps; a document a user imports gets fresh local
   * versions, whatever attributes it has, so nobody can forge a version that wins everywhere.
   */
  trustVersions?: boolean;
  onProgress?: (p: ImportProgress) => void;
  /** Who imports, for the records' history (default: an import with no name). */
  source?: WriteSource;
  /**
   * Writes the document's new and changed records as another site's edits (a sync carrier then
   * decides them by its receiving policy) instead of as local edits. Records equal to the stored
   * ones are still "unchanged"; tombstones and merges stay local deletes.
   */
  peerEdits?: (w: Writer, edits: PeerEdit[]) => Promise<void>;
}

/** A record of a document that a peer changed or created (see ImportOptions.peerEdits). */
export interface PeerEdit {
  resource: string;
  uuid: string;
  /** Every field: the document's values over the stored ones. */
  data: Record<string, FieldValue>;
  /** The record as stored before, if any. */
  prior?: StoredRecord;
  created_on?: string;
  modified_on?: string;
}

export interface ImportSummary {
  /** Records met in the document (components included). */
  records: number;
  created: number;
  updated: number;
  deleted: number;
  merged: number;
  /** Records that changed nothing (an older or equal version, a tombstone for an unknown record...). */
  skipped: number;
  /** Problems with items that were left out (only with ignoreErrors; otherwise they are thrown). */
  errors: TidemarkError[];
  /** What was skipped without failing anything: fields and components Tidemark does not model. */
  warnings: TidemarkError[];
}

/** Keys of records known to exist, kept between batches (reference data, popular targets). */
const KNOWN_CAP = 20_000;

/** At most this many problems are kept and reported; the rest are counted. */
const MAX_PROBLEMS = 1000;

export class Importer {
  readonly summary: ImportSummary = { records: 0, created: 0, updated: 0, deleted: 0, merged: 0, skipped: 0, errors: [], warnings: [] };
  private problemCount = 0;
  private readonly tuids = new Map<string, { uuid: string; resource: string }>();
  private readonly seen = new SeenFilter();
  private incoming: Unit[] = [];
  private incomingRecs = 0;
  /** Waiting units, indexed by each key they still need. */
  private readonly waiting = new WaitingUnits();
  /** Keys known to exist (in the database or written by this import); bounded. */
  private readonly known = new Set<string>();
  /** Made-up uuids of records matched to existing ones -> the existing uuid. */
  private readonly renamed = new Map<string, string>();
  /** CAP fields filled from Eden's components (readCapPart), so further parts append. */
  private readonly capFilled = new WeakMap<Rec, Set<string>>();
  /** Organisations whose type came from Eden's link component (readOrgType). */
  private readonly typed = new WeakSet<Rec>();
  private startHead = 0;
  private readonly batchSize: number;

  constructor(
    private readonly w: Writer,
    private readonly opts: ImportOptions,
  ) {
    this.batchSize = opts.batchSize ?? 500;
  }

  async begin(): Promise<void> {
    const row = (await this.w.trx('tm_counter').where({ name: 'changes' }).first()) as { value: number | string };
    this.startHead = Number(row.value);
  }

  problem(e: unknown): void {
    if (!(e instanceof TidemarkError)) throw e;
    this.problemCount++;
    if (this.summary.errors.length < MAX_PROBLEMS) this.summary.errors.push(e);
    if (!this.opts.ignoreErrors && this.problemCount >= MAX_PROBLEMS) this.fail();
  }

  /** All-or-nothing: throws the collected problems (the transaction then rolls back). */
  fail(): never {
    const first = this.summary.errors[0]!;
    const more = this.problemCount > 1 ? ` (and ${this.problemCount - 1} more problem${this.problemCount > 2 ? 's' : ''})` : '';
    throw new TidemarkError(first.code === 'forbidden' ? 'forbidden' : 'invalid', `${first.message}${more}; nothing was imported`, first.where, this.summary.errors);
  }

  get failed(): boolean {
    return this.problemCount > 0;
  }

  // ---- reading items into units -------------------------------------------------------------

  private importUuid(raw: string, where: ErrorLocation): string {
    let uuid = raw.trim();
    const domain = this.opts.domain;
    // Eden prefixes non-URN uids with the sender's domain; its own domain is stripped again.
    if (domain && !uuid.startsWith('urn:') && uuid.startsWith(`${domain}/`)) uuid = uuid.slice(domain.length + 1);
    if (!isRecordUuid(uuid)) throw invalid(`"${raw.slice(0, 80)}" is not a record uuid (${RECORD_UUID_RULE})`, { ...where, field: 'uuid' });
    return uuid;
  }

  /** Accepts one top-level item from the reader; writes a batch when enough have gathered. */
  async add(item: S3Item): Promise<void> {
    const units: Unit[] = [];
    const problems: TidemarkError[] = [];
    if (this.opts.resources && !this.opts.resources.includes(item.resource) && !this.opts.referenced) {
      this.summary.records++;
      this.problem(invalid(`a ${item.resource} record where only ${this.opts.resources.join(', ')} records are accepted`, { ...item.where, element: 'resource' }));
      return;
    }
    this.prepare(item, undefined, units, problems);
    if (problems.length) {
      // The item is left out as a whole (Eden: a failing component fails its master).
      problems.forEach((p) => this.problem(p));
    } else {
      for (const u of units) {
        this.bindTuids(u);
        this.queue(u);
      }
    }
    if (this.incomingRecs >= this.batchSize) await this.flush();
  }

  private queue(u: Unit): void {
    this.incoming.push(u);
    this.incomingRecs += u.recs.length;
  }

  private decode(f: FieldDef, d: S3Data, where: ErrorLocation): unknown {
    if (d.hasDecoded) return d.decoded;
    if (d.value !== undefined) {
      if (f.type === 'datetime' || f.type === 'date') return d.value.startsWith('"') ? JSON.parse(d.value) : d.value;
      try {
        return JSON.parse(d.value);
      } catch {
        if (f.type === 'string' || f.type === 'text' || f.type === 'reference') return d.value;
        throw invalid(`value="${d.value.slice(0, 40)}" is not JSON`, where);
      }
    }
    if (f.type === 'string' || f.type === 'text' || f.type === 'json' || f.type === 'reference' || f.type === 'datetime' || f.type === 'date') return d.text;
    const t = d.text.trim();
    try {
      return JSON.parse(t);
    } catch {
      return t;
    }
  }

  /** Whether records of `resource` met outside their place are only read to resolve references. */
  private lookupOnly(resource: string): boolean {
    return this.opts.referenced !== undefined && !this.opts.resources?.includes(resource) && !this.opts.referenced.includes(resource);
  }

  /** Builds the unit(s) for an item: inline references first, then the record with its components. */
  private prepare(item: S3Item, master: Rec | undefined, units: Unit[], problems: TidemarkError[], unit?: Unit): Rec | undefined {
    const where = { ...item.where, element: item.where.element ?? 'resource' };
    const registry = this.w.registry;
    // Not records of Tidemark's: Eden's gov_uuid site tag (read into the hospital) and what it does not model.
    if (master && !registry.has(item.resource)) {
      if (master.def.name === SITE_TAG.master && (SITE_TAG.exportedAs as readonly string[]).includes(item.resource)) {
        this.readSiteTag(item, master);
        return undefined;
      }
      if (CAP_PARTS[item.resource] && this.readCapPart(item, master, unit)) return undefined;
      if (master.def.name === ORG_TYPE.master && item.resource === ORG_TYPE.link) {
        this.readOrgType(item, master);
        return undefined;
      }
      this.unmodelled(problems, `component "${item.resource}" of ${master.def.name} is not modelled by Tidemark`, { ...where, resource: item.resource });
      return undefined;
    }
    this.summary.records++;
    if (!registry.has(item.resource)) {
      problems.push(new TidemarkError('invalid', `unknown resource "${item.resource}"`, { ...where, resource: item.resource }));
      return undefined;
    }
    const def = registry.get(item.resource);
    if (master && def.component?.master !== master.def.name) {
      problems.push(invalid(`${def.name} is not a component of ${master.def.name}`, where));
      return undefined;
    }
    const own: Unit = unit ?? { recs: [], needs: new Map(), tuidRefs: [] };
    let uuid: string;
    try {
      uuid = item.uuid ? this.importUuid(item.uuid, where) : newRecordUuid();
    } catch (e) {
      problems.push(e as TidemarkError);
      return undefined;
    }
    if (item.tuid) {
      if (this.tuids.has(item.tuid)) {
        problems.push(invalid(`tuid "${item.tuid}" is used by two records in this document`, { ...where, field: 'tuid' }));
      } else {
        this.tuids.set(detach(item.tuid), { uuid: detach(uuid), resource: def.name });
        this.resolveTuid(item.tuid, uuid, def.name);
      }
    }
    const rec: Rec = { def, item, uuid, values: {} };
    if (!item.uuid && !item.tuid && !item.deleted) rec.generated = uuid;
    if (!master && this.lookupOnly(def.name)) {
      // Not written: its values only serve to find the record it describes, so it is matched
      // like a record without uuid, and what it refers to or holds does not matter.
      if (!item.uuid && !item.deleted) rec.generated = uuid;
      item.references = [];
      item.components = [];
      own.lookupOnly = true;
    }
    try {
      if (item.created_on) item.created_on = toUtcIso(item.created_on, { ...where, field: 'created_on' });
      if (item.modified_on) item.modified_on = toUtcIso(item.modified_on, { ...where, field: 'modified_on' });
    } catch (e) {
      collect(problems, e);
    }
    if (item.deleted) {
      // Eden: a tombstone's fields are not parsed; replaced_by is a reference like any other.
      if (item.replaced_by) {
        try {
          item.replaced_by = this.importUuid(item.replaced_by, where);
          needRef(own, rec, def.name, item.replaced_by, { ...where, field: 'replaced_by' });
        } catch (e) {
          collect(problems, e);
        }
      }
      own.recs.push(rec);
      if (!unit) units.push(own);
      return rec;
    }
    // One location object per record; a problem gets its own copy with the element's line.
    const dataWhere: ErrorLocation = { line: where.line, element: 'data', resource: def.name, uuid: item.uuid };
    for (const d of item.data) {
      const f = registry.field(def.name, d.field);
      if (!f) {
        this.unmodelled(problems, `unknown field "${d.field}"`, located(dataWhere, d.line, d.field));
        continue;
      }
      try {
        const raw = this.decode(f, d, dataWhere);
        rec.values[f.name] = f.type === 'json' && (d.hasDecoded || d.value !== undefined) ? jsonValue(raw) : coerceValue(f, raw, dataWhere);
      } catch (e) {
        if (e instanceof SyntaxError) problems.push(invalid(`not valid JSON: ${e.message}`, located(dataWhere, d.line, d.field)));
        else if (e instanceof TidemarkError) problems.push(new TidemarkError(e.code, e.message, located(dataWhere, d.line, d.field)));
        else throw e;
      }
    }
    for (const r of item.references) {
      const at = located(dataWhere, r.line, r.field, 'reference');
      const f = registry.field(def.name, r.field);
      if (!f) {
        this.unmodelled(problems, `unknown field "${r.field}"`, at);
        continue;
      }
      if (f.type !== 'reference') {
        problems.push(invalid(`"${r.field}" is not a reference field`, at));
        continue;
      }
      if (r.resource && r.resource !== f.resource) {
        problems.push(invalid(`"${r.field}" refers to ${f.resource}, not ${r.resource}`, at));
        continue;
      }
      const target = f.resource!;
      try {
        if (r.inline) {
          const inlineRec = this.prepare(r.inline, undefined, units, problems);
          if (inlineRec && inlineRec.def.name !== target) problems.push(invalid(`inline ${inlineRec.def.name} where ${target} is expected`, at));
          if (inlineRec) {
            rec.values[f.name] = inlineRec.uuid;
            needRef(own, rec, target, inlineRec.uuid, at);
          }
        } else if (r.uuid) {
          const u = this.importUuid(r.uuid, at);
          rec.values[f.name] = u;
          needRef(own, rec, target, u, at);
        } else if (r.tuid) {
          const bound = this.tuids.get(r.tuid);
          if (bound) {
            rec.values[f.name] = bound.uuid;
            needRef(own, rec, target, bound.uuid, at);
          } else {
            // A forward tuid reference: the record waits until the tuid appears.
            const k = `tuid|${r.tuid}`;
            rec.values[f.name] = null;
            own.needs.set(k, at);
            own.tuidRefs.push({ key: k, rec, field: f.name, resource: target });
          }
        } else rec.values[f.name] = null;
      } catch (e) {
        collect(problems, e);
      }
    }
    if (def.name === ORG_TYPE.resource && !item.deleted && !isTidemarkType(rec.uuid)) {
      // Eden's own type records (its uuids): the Tidemark type of that name, else skipped.
      const ours = typeByName(String(rec.values.name ?? ''));
      if (!ours) {
        this.unmodelled(problems, `organisation type "${String(rec.values.name ?? '')}" is not one of Tidemark's`, where);
        return undefined;
      }
      rec.uuid = ours;
      delete rec.generated;
    }
    if (master && def.component) rec.values[def.component.joinField] = master.uuid;
    own.recs.push(rec);
    for (const c of item.components) this.prepare(c, rec, units, problems, own);
    // What was parsed is in rec.values now; letting go of it keeps a waiting batch small.
    item.data = [];
    item.references = [];
    item.components = [];
    if (!unit) units.push(own);
    return rec;
  }

  /** Something Tidemark does not model: a problem with `strict`, otherwise a warning and skipped. */
  private unmodelled(problems: TidemarkError[], message: string, where: ErrorLocation): void {
    const e = invalid(this.opts.strict ? message : `${message}: skipped`, where);
    if (this.opts.strict) problems.push(e);
    else if (this.summary.warnings.length < MAX_PROBLEMS) this.summary.warnings.push(e);
  }

  /** Eden's gov_uuid site tag component becomes the hospital's gov_uuid (other tags are skipped). */
  private readSiteTag(item: S3Item, master: Rec): void {
    const text = (name: string): string | undefined => item.data.find((d) => d.field === name)?.text.trim();
    if (item.deleted) return;
    if (text('tag') === SITE_TAG.alias) {
      const v = text('value');
      master.values[SITE_TAG.field] = v ? detach(v) : null;
    } else this.unmodelled([], `site tag "${text('tag') ?? ''}" is not modelled by Tidemark`, { ...item.where, resource: item.resource });
  }

  /**
   * Eden's CAP components (cap-components.ts) become the area's polygon and geocode and the
   * info's parameter: nested in the area or info, or under the alert naming it (`area_id`,
   * `info_id`). Where the record carries Tidemark's own field, that field wins. Returns false
   * for what cannot be read (Eden's S3XML export leaves a location's WKT out), which is then
   * skipped as unmodelled.
   */
  private readCapPart(item: S3Item, master: Rec, unit: Unit | undefined): boolean {
    const part = CAP_PARTS[item.resource]!;
    let owner: Rec | undefined = master.def.name === part.owner ? master : undefined;
    if (!owner && master.def.name === 'cap_alert') {
      const ref = item.references.find((r) => r.field === part.join && r.uuid);
      const uuid = ref?.uuid ? detach(ref.uuid) : undefined;
      owner = unit?.recs.find((r) => r.def.name === part.owner && (r.uuid === uuid || r.item.uuid === uuid));
    }
    if (!owner) return false;
    if (item.deleted) return true;
    const text = (data: S3Item['data'], name: string): string | undefined => data.find((d) => d.field === name)?.text.trim();
    const field = part.field;
    let value: FieldValue;
    if (part.name) {
      const name = text(item.data, part.name);
      if (!name) return false;
      value = { valueName: name, value: text(item.data, 'value') ?? '' };
    } else {
      const inline = item.references.find((r) => r.field === 'location_id')?.inline;
      const wkt = inline ? text(inline.data, 'wkt') : undefined;
      const polygon = wkt ? wktToCapPolygon(wkt) : undefined;
      if (!polygon) return false;
      value = polygon;
    }
    // The record's own field, when it came with one, is the whole value.
    const filled = this.capFilled.get(owner) ?? new Set<string>();
    if (owner.values[field] !== undefined && !filled.has(field)) return true;
    owner.values[field] = [...(filled.has(field) ? (owner.values[field] as FieldValue[]) : []), value];
    this.capFilled.set(owner, filled.add(field));
    return true;
  }

  /** Eden's organisation-type link becomes the organisation's type, by the type's name (org-type.ts); the first one wins. */
  private readOrgType(item: S3Item, master: Rec): void {
    if (item.deleted) return;
    const ref = item.references.find((r) => r.field === ORG_TYPE.field);
    const name = ref?.inline ? ref.inline.data.find((d) => d.field === 'name')?.text : ref?.text;
    const type = name ? typeByName(name) : undefined;
    if (!type) this.unmodelled([], `organisation type "${name?.trim() ?? ''}" is not one of Tidemark's`, { ...item.where, resource: item.resource });
    else if (!this.typed.has(master)) {
      this.typed.add(master);
      master.values[ORG_TYPE.field] = type;
    }
  }

  /** A tuid has appeared: fill it into the records that referred to it before it did. */
  private resolveTuid(tuid: string, uuid: string, resource: string): void {
    const k = `tuid|${tuid}`;
    const units = [...this.waiting.take(k), ...this.incoming.filter((u) => u.needs.has(k))];
    for (const u of units) this.bindTuid(u, k, uuid, resource);
    // Those waiting units now wait for the record itself (or are checked in the next batch).
    for (const u of units) if (this.waiting.has(u)) this.waiting.index(u);
  }

  private bindTuid(u: Unit, k: string, uuid: string, resource: string): void {
    const at = u.needs.get(k)!;
    u.needs.delete(k);
    for (const ref of u.tuidRefs.filter((x) => x.key === k)) {
      if (ref.resource !== resource) {
        this.problem(invalid(`tuid "${k.slice(5)}" is a ${resource}, but ${ref.field} refers to ${ref.resource}`, at));
        continue;
      }
      ref.rec.values[ref.field] = uuid;
      if (!u.recs.some((r) => r.uuid === uuid)) u.needs.set(key(resource, uuid), at);
    }
  }

  /** tuids defined further on in the same item (or earlier, by its inline references). */
  private bindTuids(u: Unit): void {
    for (const ref of [...u.tuidRefs]) {
      const bound = this.tuids.get(ref.key.slice(5));
      if (bound && u.needs.has(ref.key)) this.bindTuid(u, ref.key, bound.uuid, bound.resource);
    }
  }

  // ---- batches ------------------------------------------------------------------------------

  private remember(k: string): void {
    this.known.add(detach(k));
  }

  /** Keys among `keys` that exist in the database (tombstones count: Eden resolves them too). */
  private async lookup(keys: Iterable<string>): Promise<void> {
    const byResource = new Map<string, string[]>();
    for (const k of keys) {
      if (this.known.has(k) || k.startsWith('tuid|')) continue;
      const bar = k.indexOf('|');
      const list = byResource.get(k.slice(0, bar)) ?? [];
      list.push(k.slice(bar + 1));
      byResource.set(k.slice(0, bar), list);
    }
    for (const [resource, uuids] of byResource) {
      for (const part of chunks([...new Set(uuids)])) {
        const rows = (await this.w.trx(resource).whereIn('uuid', part).select('uuid')) as { uuid: string }[];
        for (const r of rows) this.remember(key(resource, r.uuid));
      }
    }
  }

  /**
   * A record the sender may not write (`referenced`): a warning, and if it came without uuid,
   * the record held here that it describes (as Eden deduplicates) stands in for it.
   */
  private async resolveOnly(u: Unit): Promise<void> {
    const rec = u.recs[0]!;
    const where = { ...rec.item.where, element: 'resource', resource: rec.def.name, ...(rec.item.uuid ? { uuid: rec.uuid } : {}) };
    if (this.summary.warnings.length < MAX_PROBLEMS) {
      this.summary.warnings.push(invalid(`${rec.def.name} is not granted to this sender: used only to resolve references to it, not written`, where));
    }
    if (!rec.generated) return;
    await this.matchExisting(rec);
    if (rec.uuid !== rec.generated) this.remember(key(rec.def.name, rec.generated));
  }

  /** Writes the units gathered so far whose references all resolve; the others wait. */
  async flush(): Promise<void> {
    // The cache of known keys is bounded; it is only ever emptied between batches, never while
    // a batch is being resolved against it.
    if (this.known.size > KNOWN_CAP) this.known.clear();
    while (this.incoming.length) {
      const units = this.incoming.filter((u) => !u.lookupOnly);
      for (const u of this.incoming) if (u.lookupOnly) await this.resolveOnly(u);
      this.incoming = [];
      this.incomingRecs = 0;
      const needed: string[] = [];
      for (const u of units) for (const k of u.needs.keys()) needed.push(k);
      await this.lookup(needed);
      for (const u of units) for (const k of [...u.needs.keys()]) if (this.known.has(k)) u.needs.delete(k);
      const ready = resolvable(units, (k) => this.known.has(k));
      for (const u of units) {
        if (ready.has(u)) continue;
        detachUnit(u);
        this.waiting.add(u);
      }
      await this.write([...ready]);
    }
  }

  /** After units are written, release the waiting units that needed them. */
  private release(written: Unit[]): void {
    for (const u of written) {
      for (const r of u.recs) {
        // Written keys are not remembered: later references find them with one indexed query,
        // and a cache of every written key would be garbage the size of the document.
        for (const k of r.generated && r.generated !== r.uuid ? [key(r.def.name, r.uuid), key(r.def.name, r.generated)] : [key(r.def.name, r.uuid)]) {
          for (const ready of this.waiting.written(k)) this.queue(ready);
        }
      }
    }
  }

  /** At the end of the document: write what only waited for itself, report what is missing. */
  async finish(): Promise<void> {
    await this.flush();
    if (!this.waiting.size) return;
    const units = this.waiting.drain();
    await this.lookup(units.flatMap((u) => [...u.needs.keys()]));
    const ready = resolvable(units, (k) => this.known.has(k));
    await this.write([...ready]);
    for (const u of units) {
      if (ready.has(u)) continue;
      for (const [k, at] of u.needs) {
        if (this.known.has(k)) continue;
        if (k.startsWith('tuid|')) this.problem(invalid(`no record in this document has tuid "${k.slice(5)}"`, at));
        else {
          const [resource, uuid] = [k.slice(0, k.indexOf('|')), k.slice(k.indexOf('|') + 1)];
          const why = this.lookupOnly(resource) ? 'which this sender may not write and this instance does not hold' : 'which is neither in the database nor (valid) in this document';
          this.problem(invalid(`refers to ${resource} ${uuid}, ${why}`, at));
        }
      }
    }
  }

  // ---- writing ------------------------------------------------------------------------------

  private async write(units: Unit[]): Promise<void> {
    if (!units.length) return;
    const w = this.w;
    // Records that came without uuid find the record they describe (masters before their
    // components, so a component follows its master's new uuid), as Eden deduplicates.
    for (const u of units) {
      for (const r of u.recs) {
        this.followRenames(r);
        if (r.generated && r.uuid === r.generated) await this.matchExisting(r);
      }
    }
    // Group by resource, look up what exists, and catch uuids met twice in the document.
    const byResource = new Map<string, Rec[]>();
    for (const u of units) for (const r of u.recs) (byResource.get(r.def.name) ?? byResource.set(r.def.name, []).get(r.def.name)!).push(r);
    const existing = new Map<string, Map<string, StoredRecord>>();
    const bad = new Set<Unit>();
    const unitOf = new Map<Rec, Unit>();
    for (const u of units) for (const r of u.recs) unitOf.set(r, u);
    for (const [resource, recs] of byResource) {
      const have = await w.existing(resource, recs.map((r) => r.uuid));
      existing.set(resource, have);
      const inBatch = new Set<string>();
      for (const r of recs) {
        // Records matched to an existing one may meet it several times: each is an update of it.
        if (r.generated && r.generated !== r.uuid) continue;
        const suspect = this.seen.add(key(resource, r.uuid));
        const prior = have.get(r.uuid);
        if (inBatch.has(r.uuid) || (suspect && prior && prior.seq > this.startHead)) {
          this.problem(invalid('the same uuid appears twice in this document', { ...r.item.where, element: 'resource', resource, uuid: r.uuid }));
          bad.add(unitOf.get(r)!);
        }
        inBatch.add(r.uuid);
      }
    }
    // Work out every record's outcome before writing any, so a unit is written whole or not at all.
    const planned = new Map<Unit, Plan[]>();
    for (const u of units) {
      if (bad.has(u)) continue;
      try {
        planned.set(u, u.recs.map((rec) => planRecord(rec, existing.get(rec.def.name)!.get(rec.uuid), this.opts.trustVersions === true, this.opts.olderLoses === true)));
      } catch (e) {
        this.problem(e);
        bad.add(u);
      }
    }
    // A unit that refers to a failed unit of this batch fails too (and so on down the chain).
    const failedKeys = new Set<string>();
    for (let grew = true; grew; ) {
      grew = false;
      for (const u of bad) for (const r of u.recs) failedKeys.add(key(r.def.name, r.uuid));
      for (const [u] of planned) {
        const k = [...u.needs.keys()].find((x) => failedKeys.has(x) && !this.known.has(x));
        if (!k) continue;
        const at = u.needs.get(k)!;
        this.problem(invalid(`refers to ${k.slice(0, k.indexOf('|'))} ${k.slice(k.indexOf('|') + 1)}, which could not be imported`, at));
        planned.delete(u);
        bad.add(u);
        grew = true;
      }
    }
    const plans = [...planned.values()].flat();
    if (this.opts.peerEdits) {
      const edits: PeerEdit[] = [];
      for (const p of plans) {
        if (p.kind !== 'create' && p.kind !== 'update') continue;
        const { def, uuid, item } = p.rec;
        edits.push({ resource: def.name, uuid, data: p.data, prior: p.kind === 'update' ? p.prior : undefined, created_on: item.created_on ?? item.modified_on, modified_on: item.modified_on });
        this.summary[p.kind === 'create' ? 'created' : 'updated']++;
      }
      if (edits.length) await this.opts.peerEdits(w, edits);
    }
    const local = this.opts.peerEdits ? plans.filter((p) => p.kind !== 'create' && p.kind !== 'update') : plans;
    const creates = new Map<string, { uuid: string; data: Record<string, FieldValue>; created_on?: string; modified_on?: string }[]>();
    const versions: RecordVersion[] = [];
    for (const p of local) {
      if (p.kind === 'create') {
        const list = creates.get(p.rec.def.name) ?? creates.set(p.rec.def.name, []).get(p.rec.def.name)!;
        list.push({ uuid: p.rec.uuid, data: p.data, created_on: p.rec.item.created_on ?? p.rec.item.modified_on, modified_on: p.rec.item.modified_on });
        this.summary.created++;
      } else if (p.kind === 'version') {
        if (p.concurrent) {
          // Both sides changed it: the import wins, with a version that has seen both.
          const { hlcs } = await w.allocate(1, p.version.hlc);
          p.version.version = bumpVersion(mergeVersions(p.concurrent.version, p.version.version), w.instance.uuid);
          p.version.changed_by = w.instance.uuid;
          p.version.hlc = hlcs[0]!;
        }
        versions.push(p.version);
        this.summary[p.counts]++;
      } else if (p.kind === 'skip') {
        this.summary.skipped++;
        if (p.stale && this.summary.warnings.length < MAX_PROBLEMS) {
          const { item, def, uuid } = p.rec;
          this.summary.warnings.push(invalid('older than the record held here: not applied (the newer one is offered back)', { ...item.where, element: 'resource', resource: def.name, uuid, field: 'modified_on' }));
        }
      }
    }
    const takenFrom = this.opts.takenFrom;
    for (const [resource, items] of creates) await w.insertLocal(w.registry.get(resource), items, { takenFrom });
    if (versions.length) {
      await w.applyVersions(versions, { takenFrom });
      // A master's tombstone takes its live components with it, as a local delete does.
      for (const v of versions) if (v.deleted) await this.removeComponents(v.resource, v.uuid, v.modified_on);
    }
    for (const p of local) {
      if (p.kind === 'update') {
        await w.update(p.rec.def.name, p.rec.uuid, p.data, { checkReferences: false, modified_on: p.rec.item.modified_on, takenFrom });
        this.summary.updated++;
      }
    }
    for (const p of local) {
      if (p.kind !== 'delete') continue;
      const { def, uuid, item } = p.rec;
      if (item.replaced_by) {
        await w.merge(def.name, uuid, item.replaced_by);
        this.summary.merged++;
      } else {
        await w.remove(def.name, uuid, { modified_on: item.modified_on, takenFrom });
        this.summary.deleted++;
      }
    }
    this.release(units.filter((u) => !bad.has(u)));
    this.opts.onProgress?.({ records: this.summary.records, chars: 0 });
  }

  /** References to records that were matched to existing ones point at those. */
  private followRenames(r: Rec): void {
    if (!this.renamed.size) return;
    for (const f of r.def.fields) {
      const v = r.values[f.name];
      if (f.type !== 'reference' || typeof v !== 'string') continue;
      const to = this.renamed.get(key(f.resource!, v));
      if (to) r.values[f.name] = to;
    }
  }

  private async matchExisting(r: Rec): Promise<void> {
    for (const candidate of matchCandidates(r.def, r.values)) {
      const row = (await this.w.trx(r.def.name).where(candidate).andWhere({ deleted: false }).first('uuid')) as { uuid: string } | undefined;
      if (!row) continue;
      this.renamed.set(key(r.def.name, r.generated!), row.uuid);
      r.uuid = row.uuid;
      return;
    }
  }

  private async removeComponents(resource: string, uuid: string, modified_on: string): Promise<void> {
    for (const comp of this.w.registry.components(resource)) {
      const rows = (await this.w.trx(comp.name).where({ [comp.component!.joinField]: uuid, deleted: false }).select('uuid')) as { uuid: string }[];
      for (const r of rows) await this.w.remove(comp.name, r.uuid, { modified_on });
    }
  }
}

export interface ImportReadOptions extends Partial<DocumentLimits> {
  onRead?: (chars: number) => void;
}

/** The records of a document, as the format's streaming reader yields them. */
export function readDocument(input: DocumentInput, format: 's3xml' | 's3json', opts: ImportReadOptions = {}): AsyncGenerator<S3Item> {
  if (format === 's3json') return readS3json(input, opts);
  if (format === 's3xml') return readS3xml(input, opts);
  throw new TidemarkError('unsupported', `unknown format "${String(format)}"`);
}

/**
 * Imports an S3XML or S3JSON document: uuid upserts, tuid and inline references, components,
 * tombstones and merges, in one transaction (see the Importer for how it streams).
 */
export async function importRecords(store: Store, input: DocumentInput, opts: ImportOptions): Promise<ImportSummary> {
  const limits = { maxBytes: opts.maxBytes ?? DEFAULT_DOCUMENT_LIMITS.maxBytes, maxDepth: opts.maxDepth ?? DEFAULT_DOCUMENT_LIMITS.maxDepth };
  let chars = 0;
  return store.transaction(async (w) => {
    const importer = new Importer(w, {
      ...opts,
      domain: opts.domain ?? store.instance.name,
      onProgress: opts.onProgress ? (p) => opts.onProgress!({ ...p, chars }) : undefined,
    });
    await importer.begin();
    for await (const item of readDocument(input, opts.format, { ...limits, onRead: (n) => (chars = n) })) {
      await importer.add(item);
    }
    await importer.finish();
    if (importer.failed && !opts.ignoreErrors) importer.fail();
    return importer.summary;
  }, opts.source ?? { kind: 'import' });
}
