import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { coded, TidemarkError } from '../../errors.js';
import type { Registry } from '../../registry/registry.js';
import type { FieldDef, ResourceDef } from '../../registry/types.js';
import type { FieldValue } from '../../registry/values.js';
import { DELETED_FIELD, type Dot, type RecordVersion, type VersionVector } from '../../store/types.js';
import { readDecisions } from '../../sync/protocol.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { codebookFor, type RegistryCodebook } from './dictionary.js';
import type { KnowledgeUpdate, LinkKnowledge } from './knowledge.js';

/**
 * The compact binary sync encoding for radio links (format 1). A payload is a batch of record
 * versions for one direction of one link, encoded against what the receiver is known to hold
 * (LinkKnowledge): known records by short id and only the fields that changed, instances by short
 * id, values packed by field type, the body deflated with a preset dictionary derived from the
 * registry. Version vectors, HLCs and timestamps come out exactly as they went in.
 *
 * After the records, the merge section: for the few records whose per-field versions the
 * receiver cannot derive (a plain edit over the version it holds can be: the changed fields get
 * the change's dot) or that carry conflict decisions, the per-field versions that differ and the
 * decisions (JSON). One byte per payload when there is none.
 *
 * A final payload ends with the sender's reach: per resource, the part of its feed (from, to]
 * the whole turn carried, so the receiver moves its position in the sender's feed as an HTTP
 * pull or a bundle would (a few bytes once per sync).
 *
 * Header (never compressed, 7 bytes + epoch):
 *   u8 format << 4 | flags (1 deflated, 2 reset, 4 final) | u16 registry fingerprint |
 *   u32 MAC | uvar epoch
 *
 * The MAC is HMAC-SHA256 keyed by the link's pairing key (macKeyFor: the sender's 'out', the
 * receiver's 'in'), over sender and receiver ids, the header and the body, cut to 4 bytes. Why
 * 32 bits: a forger must guess it, and every guess is a whole payload on air at 1200 bit/s
 * (about a second) that the receiver refuses and logs; 2^31 guesses on average is decades of
 * jamming the channel, which is noticed long before. 16 bits (65,536 guesses, under a day) would
 * not do; each further byte costs every payload, and payloads are per 100 records, so 4 bytes is
 * under 0.5% of a typical update payload. Frames stay CRC-checked only: the MAC covers the
 * reassembled payload, which is what gets applied.
 */
export const RADIO_FORMAT = 1;
const F_DEFLATED = 1;
const F_RESET = 2;
const F_FINAL = 4;

// Record flags.
const R_NEW = 1;
const R_DELETED = 2;
const R_REPLACED = 4;
const R_SAME_CHANGER = 8;
const R_VV_BUMP = 16;
const R_MOD_IS_HLC = 32;
const R_META = 64;
const R_HLC_TEXT = 128;

export interface EncodeOptions {
  /** Sending instance id and receiving instance id: a payload is only read by the instance it is for. */
  from: string;
  to: string;
  /** The link's MAC key for this direction (macKeyFor(peer, 'out') at the sender). */
  key: Uint8Array;
  /** Final payloads: the part of the sender's feed the whole turn carried, per resource. */
  reach?: readonly Reach[];
  /** The sender has nothing more to send after this payload (lets the peer start its own turn). */
  final?: boolean;
  /** Ignore the knowledge and start from nothing (after the receiver refused a payload). */
  reset?: boolean;
}

export interface EncodedChanges {
  bytes: Uint8Array;
  /** Commit into the sender's knowledge when the receiver acknowledged the payload. */
  update: KnowledgeUpdate;
  /** Versions encoded (versions the receiver already holds exactly are left out). */
  records: number;
}

/** A part (from, to] of the sender's feed of one resource, as change sequence numbers. */
export interface Reach {
  resource: string;
  from: number;
  to: number;
}

export interface DecodeOptions {
  from: string;
  to: string;
  /** The link's MAC key for this direction (macKeyFor(peer, 'in') at the receiver). */
  key: Uint8Array;
}

export interface DecodedChanges {
  changes: RecordVersion[];
  /** Final payloads: what of the sender's feed the turn carried (empty otherwise). */
  reach: Reach[];
  /** Commit into the receiver's mirror once the changes are applied. */
  update: KnowledgeUpdate;
  final: boolean;
  /** The mirror had to take back the previous payload, which its sender never saw acknowledged. */
  rolledBack: boolean;
}

export interface PayloadHeader {
  format: number;
  deflated: boolean;
  reset: boolean;
  final: boolean;
  fingerprint: number;
  mac: Uint8Array;
  epoch: number;
  bodyOffset: number;
}

const MAC_BYTES = 4;
const MAC_AT = 3;

/** The payload's MAC: over both ids and the payload with its MAC bytes zeroed. */
function payloadMac(key: Uint8Array, from: string, to: string, payload: Uint8Array): Buffer {
  const blank = Buffer.from(payload);
  blank.fill(0, MAC_AT, MAC_AT + MAC_BYTES);
  return createHmac('sha256', key).update(`${from}>${to}\n`).update(blank).digest().subarray(0, MAC_BYTES);
}

/** Lower priority numbers first (alerts, hospital status), then causal-ish order by HLC. */
export function prioritise(registry: Registry, changes: readonly RecordVersion[]): RecordVersion[] {
  const prio = (r: RecordVersion): number => (registry.has(r.resource) ? registry.get(r.resource).priority : 1000);
  return changes
    .map((r, i) => ({ r, i, p: prio(r) }))
    .sort((a, b) => a.p - b.p || (a.r.hlc < b.r.hlc ? -1 : a.r.hlc > b.r.hlc ? 1 : a.i - b.i))
    .map((x) => x.r);
}

export function encodeChanges(
  registry: Registry,
  changes: readonly RecordVersion[],
  known: LinkKnowledge,
  opts: EncodeOptions,
): EncodedChanges {
  const book = codebookFor(registry);
  const reset = opts.reset === true || known.epoch === 0;
  const view = new View(reset ? null : known);
  const epoch = reset ? 1 : known.epoch + 1;
  // A version the receiver already holds exactly (a master re-sequenced by a component change,
  // say) costs nothing: it is left out.
  const ordered = prioritise(registry, changes).filter((r) => {
    const base = view.base(r.uuid);
    return !base || !sameVersion(base, r);
  });
  const resources = registry.all();
  const resourceIndex = new Map(resources.map((r, i) => [r.name, i]));

  // Instances first: the receiver must know them before the records that name them.
  const instances = new Set<string>();
  for (const r of ordered) {
    instances.add(r.origin);
    instances.add(r.changed_by);
    for (const i of Object.keys(r.version)) instances.add(i);
  }
  const fresh = [...instances].filter((i) => view.instances.id(i) === undefined);
  const body = new ByteWriter();
  body.uvar(fresh.length);
  for (const i of fresh) {
    view.instances.add(i);
    writeId(body, i);
  }

  body.uvar(ordered.length);
  const hlcs = ordered.map((r) => parseHlc(r.hlc));
  const firstMs = hlcs.find((h) => h !== null)?.ms ?? 0;
  if (ordered.length) body.uvar(firstMs);
  let prevMs = firstMs;
  let prevChanger = -1;
  const merges: MergeEntry[] = [];

  for (let n = 0; n < ordered.length; n++) {
    const rec = ordered[n]!;
    const res = registry.get(rec.resource);
    const base = view.base(rec.uuid);
    if (base && base.resource !== rec.resource) {
      throw new TidemarkError('invalid', `record changed resource from ${base.resource}`, { resource: rec.resource, uuid: rec.uuid });
    }
    for (const k of Object.keys(rec.data)) {
      if (!registry.field(rec.resource, k)) {
        throw new TidemarkError('invalid', `field "${k}" is not declared, cannot be sent by radio`, { resource: rec.resource, uuid: rec.uuid, field: k });
      }
    }
    const hlc = hlcs[n]!;
    const modMs = isoMs(rec.modified_on);
    const changer = view.instances.id(rec.changed_by)!;
    let flags = 0;
    if (!base) flags |= R_NEW | R_META;
    else if (base.origin !== rec.origin || base.created_on !== rec.created_on) flags |= R_META;
    if (rec.deleted) flags |= R_DELETED;
    if (rec.replaced_by !== null) flags |= R_REPLACED;
    if (changer === prevChanger) flags |= R_SAME_CHANGER;
    if (base && isBump(base.version, rec.version, rec.changed_by)) flags |= R_VV_BUMP;
    if (hlc && modMs === hlc.ms) flags |= R_MOD_IS_HLC;
    if (!hlc) flags |= R_HLC_TEXT;
    body.byte(flags);

    if (flags & R_NEW) {
      body.uvar(resourceIndex.get(rec.resource)!);
      writeId(body, rec.uuid);
      view.records.add(rec.uuid);
    } else {
      body.uvar(view.records.id(rec.uuid)!);
    }
    if (hlc) {
      body.svar(hlc.ms - prevMs).uvar(hlc.counter);
      prevMs = hlc.ms;
    } else {
      body.str(rec.hlc);
    }
    const refMs = hlc ? hlc.ms : prevMs;
    if (!(flags & R_MOD_IS_HLC)) writeInstant(body, rec.modified_on, refMs);
    if (flags & R_META) {
      body.uvar(view.instances.id(rec.origin)!);
      writeInstant(body, rec.created_on, modMs ?? refMs);
    }
    if (!(flags & R_SAME_CHANGER)) body.uvar(changer);
    prevChanger = changer;
    if (!(flags & R_VV_BUMP)) writeVersion(body, base?.version ?? null, rec.version, view);
    if (flags & R_REPLACED) writeRef(body, rec.replaced_by!, view, book);
    writeFields(body, res, base, rec, modMs ?? refMs, view, book);
    const derived = deriveFields(res, base, rec);
    if (!sameDecisions(base, rec) || !sameDots(derived, rec.fields)) merges.push({ n, rec, derived, base });
    view.setBase(normalise(res, rec));
  }
  writeMerges(body, registry, merges, view);
  if (opts.final) writeReach(body, resourceIndex, opts.reach ?? []);

  const raw = body.finish();
  const packed = deflateRawSync(raw, { dictionary: book.dictionary, level: 9, memLevel: 9 });
  const deflated = packed.length < raw.length;
  const head = new ByteWriter()
    .byte((RADIO_FORMAT << 4) | (deflated ? F_DEFLATED : 0) | (reset ? F_RESET : 0) | (opts.final ? F_FINAL : 0))
    .byte(book.fingerprint >> 8)
    .byte(book.fingerprint)
    .bytes(new Uint8Array(MAC_BYTES))
    .uvar(epoch)
    .bytes(deflated ? packed : raw);
  const bytes = head.finish();
  bytes.set(payloadMac(opts.key, opts.from, opts.to, bytes), MAC_AT);
  return { bytes, update: view.update(epoch, reset), records: ordered.length };
}

export function readPayloadHeader(bytes: Uint8Array): PayloadHeader {
  const r = new ByteReader(bytes);
  const first = r.byte();
  const format = first >> 4;
  const flags = first & 0x0f;
  if (format !== RADIO_FORMAT) throw new TidemarkError('unsupported', `radio payload format ${format} (this instance reads ${RADIO_FORMAT})`);
  const fingerprint = (r.byte() << 8) | r.byte();
  const mac = bytes.slice(MAC_AT, MAC_AT + MAC_BYTES);
  for (let i = 0; i < MAC_BYTES; i++) r.byte();
  const epoch = r.uvar();
  return {
    format,
    deflated: (flags & F_DEFLATED) !== 0,
    reset: (flags & F_RESET) !== 0,
    final: (flags & F_FINAL) !== 0,
    fingerprint,
    mac,
    epoch,
    bodyOffset: r.pos,
  };
}

/**
 * Decodes a payload against the receiver's mirror of the sender's knowledge. Does not change the
 * mirror except to take back the previous payload when the sender evidently never saw it
 * acknowledged; commit `update` once the changes are applied.
 */
export function decodeChanges(
  registry: Registry,
  bytes: Uint8Array,
  mirror: LinkKnowledge,
  opts: DecodeOptions,
): DecodedChanges {
  const book = codebookFor(registry);
  const h = readPayloadHeader(bytes);
  if (!timingSafeEqual(h.mac, payloadMac(opts.key, opts.from, opts.to, bytes))) {
    throw new TidemarkError('forbidden', `radio payload fails its authentication: not from ${opts.from} to ${opts.to} under their pairing, or altered`);
  }
  if (h.fingerprint !== book.fingerprint) {
    throw new TidemarkError('unsupported', 'radio payload was encoded with a different resource registry');
  }
  let rolledBack = false;
  if (!h.reset) {
    if (h.epoch === mirror.epoch && mirror.canRollback()) {
      mirror.rollback();
      rolledBack = true;
    }
    if (h.epoch !== mirror.epoch + 1) {
      throw coded('reset_needed', { detail: `builds on epoch ${h.epoch - 1}, this side knows epoch ${mirror.epoch}` });
    }
  } else if (h.epoch !== 1) {
    throw new TidemarkError('malformed', 'radio reset payload with epoch other than 1');
  }
  let raw: Uint8Array = bytes.subarray(h.bodyOffset);
  if (h.deflated) {
    try {
      raw = inflateRawSync(raw, { dictionary: book.dictionary });
    } catch {
      throw new TidemarkError('malformed', 'radio payload does not inflate');
    }
  }
  const view = new View(h.reset ? null : mirror);
  const r = new ByteReader(raw);
  const resources = registry.all();

  const freshCount = r.uvar();
  for (let i = 0; i < freshCount; i++) view.instances.add(readId(r));
  const count = r.uvar();
  const changes: RecordVersion[] = [];
  let prevMs = count ? r.uvar() : 0;
  let prevChanger = -1;
  for (let n = 0; n < count; n++) {
    const flags = r.byte();
    let res: ResourceDef;
    let uuid: string;
    let base: RecordVersion | undefined;
    if (flags & R_NEW) {
      res = at(resources, r.uvar(), 'resource');
      uuid = readId(r);
      view.records.add(uuid);
      base = undefined;
    } else {
      uuid = view.records.at(r.uvar());
      base = view.base(uuid);
      // Knowledge out of step with the sender's (not a damaged payload: frames are CRC-checked).
      if (!base) throw coded('reset_needed', { detail: `refers to ${uuid}, which this side does not know on this link` });
      res = registry.get(base.resource);
    }
    if (!base && (flags & (R_VV_BUMP | R_META)) !== R_META) {
      throw new TidemarkError('malformed', 'radio payload: new record without its metadata');
    }
    let hlc: string;
    let hlcMs: number;
    if (flags & R_HLC_TEXT) {
      hlc = r.str();
      hlcMs = prevMs;
    } else {
      hlcMs = prevMs + r.svar();
      const counter = r.uvar();
      hlc = `${String(hlcMs).padStart(13, '0')}.${String(counter).padStart(6, '0')}`;
      prevMs = hlcMs;
    }
    const modified_on = flags & R_MOD_IS_HLC ? new Date(hlcMs).toISOString() : readInstant(r, hlcMs);
    const modMs = isoMs(modified_on) ?? hlcMs;
    let origin: string;
    let created_on: string;
    if (flags & R_META) {
      origin = view.instances.at(r.uvar());
      created_on = readInstant(r, modMs);
    } else {
      origin = base!.origin;
      created_on = base!.created_on;
    }
    const changer = flags & R_SAME_CHANGER ? prevChanger : r.uvar();
    const changed_by = view.instances.at(changer);
    prevChanger = changer;
    const version = flags & R_VV_BUMP ? bump(base!.version, changed_by) : readVersion(r, base?.version ?? null, view);
    const replaced_by = flags & R_REPLACED ? readRef(r, view, book) : null;
    const data = readFields(r, res, base, modMs, view, book);
    const rec: RecordVersion = {
      resource: res.name,
      uuid,
      created_on,
      modified_on,
      deleted: (flags & R_DELETED) !== 0,
      replaced_by,
      origin,
      changed_by,
      version,
      hlc,
      data,
    };
    const derived = deriveFields(res, base, rec);
    if (derived) rec.fields = derived;
    if (base?.decisions?.length) rec.decisions = base.decisions;
    view.setBase(rec);
    changes.push(rec);
  }
  readMerges(r, registry, changes, view);
  const reach = h.final ? readReach(r, resources) : [];
  if (r.remaining !== 0) throw new TidemarkError('malformed', `radio payload: ${r.remaining} stray bytes after the records`);
  return { changes, reach, update: view.update(h.epoch, h.reset), final: h.final, rolledBack };
}

function writeReach(w: ByteWriter, resourceIndex: Map<string, number>, reach: readonly Reach[]): void {
  w.uvar(reach.length);
  for (const x of reach) w.uvar(resourceIndex.get(x.resource)!).uvar(x.from).uvar(x.to - x.from);
}

function readReach(r: ByteReader, resources: readonly ResourceDef[]): Reach[] {
  const out: Reach[] = [];
  for (let n = r.uvar(); n > 0; n--) {
    const resource = at(resources, r.uvar(), 'resource').name;
    const from = r.uvar();
    out.push({ resource, from, to: from + r.uvar() });
  }
  return out;
}

/** Short ids of one kind (instances, records): the committed table plus what this payload adds. */
class ShortIds {
  readonly added: string[] = [];
  private readonly addedIds = new Map<string, number>();

  constructor(
    private readonly committed: readonly string[],
    private readonly lookup: (v: string) => number | undefined,
    private readonly what: string,
  ) {}

  id(v: string): number | undefined {
    return this.addedIds.get(v) ?? this.lookup(v);
  }

  add(v: string): number {
    const id = this.committed.length + this.added.length;
    this.added.push(v);
    this.addedIds.set(v, id);
    return id;
  }

  /** The value behind short id `i`; an unknown id is a malformed payload. */
  at(i: number): string {
    const v = i < this.committed.length ? this.committed[i] : this.added[i - this.committed.length];
    // Knowledge out of step with the sender's: the sender must start over with a reset payload.
    if (v === undefined) throw coded('reset_needed', { detail: `names unknown ${this.what} ${i}` });
    return v;
  }
}

/** The knowledge as it stands during one payload: committed state plus what the payload adds. */
class View {
  readonly instances: ShortIds;
  readonly records: ShortIds;
  private readonly newBases = new Map<string, RecordVersion>();

  constructor(private readonly known: LinkKnowledge | null) {
    this.instances = new ShortIds(known?.instances ?? [], (v) => known?.instanceId(v), 'instance');
    this.records = new ShortIds(known?.uuids ?? [], (v) => known?.sid(v), 'record short id');
  }

  base(uuid: string): RecordVersion | undefined {
    return this.newBases.get(uuid) ?? this.known?.bases.get(uuid);
  }

  setBase(r: RecordVersion): void {
    this.newBases.set(r.uuid, r);
  }

  update(epoch: number, reset: boolean): KnowledgeUpdate {
    return { epoch, reset, instances: this.instances.added, uuids: this.records.added, bases: [...this.newBases.values()] };
  }
}

function at<T>(list: readonly T[], i: number, what: string): T {
  const v = list[i];
  if (v === undefined) throw new TidemarkError('malformed', `radio payload: unknown ${what} ${i}`);
  return v;
}

// ---- identifiers --------------------------------------------------------------------------

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A uuid (plain or urn:uuid:, lower case) as a tag and 16 bytes; anything else as text. */
function writeId(w: ByteWriter, id: string): void {
  const plain = id.startsWith('urn:uuid:') ? id.slice(9) : id;
  if (UUID_RE.test(plain)) {
    w.byte(id === plain ? 0 : 1).bytes(Buffer.from(plain.replaceAll('-', ''), 'hex'));
  } else {
    w.byte(2).str(id);
  }
}

function readId(r: ByteReader): string {
  const tag = r.byte();
  if (tag === 2) return r.str();
  if (tag > 2) throw new TidemarkError('malformed', `radio payload: bad id tag ${tag}`);
  const h = Buffer.from(r.bytes(16)).toString('hex');
  const plain = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return tag === 0 ? plain : `urn:uuid:${plain}`;
}

// References: 0 null, 1 short id, 2 reference-data index, 3 uuid/text.
function writeRef(w: ByteWriter, value: string, view: View, book: RegistryCodebook): void {
  const sid = view.records.id(value);
  if (sid !== undefined) {
    w.byte(1).uvar(sid);
    return;
  }
  const ref = book.referenceIndex.get(value);
  if (ref !== undefined) {
    w.byte(2).uvar(ref);
    return;
  }
  w.byte(3);
  writeId(w, value);
}

function readRef(r: ByteReader, view: View, book: RegistryCodebook): string | null {
  const tag = r.byte();
  switch (tag) {
    case 0:
      return null;
    case 1:
      return view.records.at(r.uvar());
    case 2:
      return at(book.referenceUuids, r.uvar(), 'reference-data index');
    case 3:
      return readId(r);
    default:
      throw new TidemarkError('malformed', `radio payload: bad reference tag ${tag}`);
  }
}

// ---- clocks and instants ------------------------------------------------------------------

const HLC_RE = /^(\d{13})\.(\d{6})$/;

function parseHlc(hlc: string): { ms: number; counter: number } | null {
  const m = HLC_RE.exec(hlc);
  return m ? { ms: Number(m[1]), counter: Number(m[2]) } : null;
}

/** Milliseconds of an instant written exactly as toISOString() writes it; null for anything else. */
function isoMs(s: string): number | null {
  const ms = Date.parse(s);
  return Number.isFinite(ms) && new Date(ms).toISOString() === s ? ms : null;
}

// Instants: 0 + signed ms delta against a reference, 1 + text (kept exactly when not canonical).
function writeInstant(w: ByteWriter, s: string, refMs: number): void {
  const ms = isoMs(s);
  if (ms !== null) w.byte(0).svar(ms - refMs);
  else w.byte(1).str(s);
}

function readInstant(r: ByteReader, refMs: number): string {
  const tag = r.byte();
  if (tag === 0) return isoString(refMs + r.svar());
  if (tag === 1) return r.str();
  throw new TidemarkError('malformed', `radio payload: bad instant tag ${tag}`);
}

function isoString(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new TidemarkError('malformed', 'radio payload: instant out of range');
  return d.toISOString();
}

// ---- version vectors ----------------------------------------------------------------------

function isBump(base: VersionVector, next: VersionVector, changer: string): boolean {
  const bk = Object.keys(base);
  const nk = Object.keys(next);
  const expectedKeys = base[changer] === undefined ? bk.length + 1 : bk.length;
  if (nk.length !== expectedKeys || next[changer] !== (base[changer] ?? 0) + 1) return false;
  // Same key order too, so that the record comes out byte-for-byte as it went in.
  const order = base[changer] === undefined ? [...bk, changer] : bk;
  return order.every((k, i) => nk[i] === k && (k === changer || next[k] === base[k]));
}

function bump(base: VersionVector, changer: string): VersionVector {
  return { ...base, [changer]: (base[changer] ?? 0) + 1 };
}

/** Full list (mode 1) or, when the keys keep their order, only the entries that changed (mode 0). */
function writeVersion(w: ByteWriter, base: VersionVector | null, next: VersionVector, view: View): void {
  const nk = Object.keys(next);
  if (base) {
    const bk = Object.keys(base);
    if (bk.length <= nk.length && bk.every((k, i) => nk[i] === k && next[k]! >= base[k]!)) {
      const changed = nk.filter((k) => next[k] !== base[k]);
      w.uvar(changed.length * 2);
      for (const k of changed) w.uvar(view.instances.id(k)!).uvar(next[k]! - (base[k] ?? 0));
      return;
    }
  }
  w.uvar(nk.length * 2 + 1);
  for (const k of nk) {
    const v = next[k]!;
    if (!Number.isSafeInteger(v) || v < 0) throw new TidemarkError('invalid', `version vector entry ${k}=${v} is not a counter`);
    w.uvar(view.instances.id(k)!).uvar(v);
  }
}

function readVersion(r: ByteReader, base: VersionVector | null, view: View): VersionVector {
  const head = r.uvar();
  const n = Math.floor(head / 2);
  const out: VersionVector = head % 2 === 1 || !base ? {} : { ...base };
  if (head % 2 === 0 && !base) throw new TidemarkError('malformed', 'radio payload: version delta without a base');
  for (let i = 0; i < n; i++) {
    const k = view.instances.at(r.uvar());
    const v = r.uvar();
    out[k] = head % 2 === 1 ? v : (out[k] ?? 0) + v;
  }
  return out;
}

// ---- fields -------------------------------------------------------------------------------

function same(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'object' && a !== null) return typeof b === 'object' && b !== null && JSON.stringify(a) === JSON.stringify(b);
  return Object.is(a, b);
}

/** The same version of the same record, field for field. */
export function sameVersion(a: RecordVersion, b: RecordVersion): boolean {
  if (a.resource !== b.resource || a.hlc !== b.hlc || a.modified_on !== b.modified_on || a.created_on !== b.created_on) return false;
  if (a.deleted !== b.deleted || a.replaced_by !== b.replaced_by || a.origin !== b.origin || a.changed_by !== b.changed_by) return false;
  if (JSON.stringify(a.version) !== JSON.stringify(b.version)) return false;
  const keys = new Set([...Object.keys(a.data), ...Object.keys(b.data)]);
  for (const k of keys) if (!same(a.data[k], b.data[k])) return false;
  return true;
}

/**
 * The per-field versions the receiver can work out itself: those of the version it holds, and
 * for a single change over it (a bump by the changer) that change's dot on every changed field.
 * Undefined when it cannot know (a new record whose history is not a plain creation, say).
 */
function deriveFields(res: ResourceDef, base: RecordVersion | undefined, rec: RecordVersion): Record<string, Dot> | undefined {
  if (!base) return JSON.stringify(rec.version) === JSON.stringify({ [rec.origin]: 1 }) ? {} : undefined;
  if (!base.fields) return undefined;
  const out: Record<string, Dot> = { ...base.fields };
  if (isBump(base.version, rec.version, rec.changed_by)) {
    const dot: Dot = [rec.changed_by, rec.version[rec.changed_by]!];
    for (const f of res.fields) if (!same(rec.data[f.name], base.data[f.name])) out[f.name] = dot;
    if (rec.deleted !== base.deleted || rec.replaced_by !== base.replaced_by) out[DELETED_FIELD] = dot;
  }
  return out;
}

/** Dots as stored: a field set at creation ([origin, 1]) is left out. */
function dotsOf(rec: RecordVersion, fields: Record<string, Dot> | undefined): Map<string, Dot> | undefined {
  if (!fields) return undefined;
  return new Map(Object.entries(fields).filter(([, d]) => !(d[0] === rec.origin && d[1] === 1)));
}

function sameDots(a: Record<string, Dot> | undefined, b: Record<string, Dot> | undefined): boolean {
  if (!a || !b) return a === b;
  const ka = Object.keys(a).filter((k) => a[k]![1] > 0);
  const kb = Object.keys(b);
  return ka.length === kb.length && kb.every((k) => a[k] !== undefined && a[k]![0] === b[k]![0] && a[k]![1] === b[k]![1]);
}

const fieldIndex = (res: ResourceDef, name: string): number => (name === DELETED_FIELD ? res.fields.length : res.fields.findIndex((f) => f.name === name));
const fieldName = (res: ResourceDef, i: number): string => (i === res.fields.length ? DELETED_FIELD : at(res.fields, i, 'field').name);

/**
 * The merge section: per listed record, its per-field versions as a difference from what the
 * receiver derives (uvar count*2 + unknown-flag, then field, instance, counter; counter 0 removes),
 * then its decisions as JSON ('' for none).
 */
interface MergeEntry {
  n: number;
  rec: RecordVersion;
  derived: Record<string, Dot> | undefined;
  base: RecordVersion | undefined;
}

const sameDecisions = (base: RecordVersion | undefined, rec: RecordVersion): boolean => JSON.stringify(base?.decisions ?? []) === JSON.stringify(rec.decisions ?? []);

function writeMerges(w: ByteWriter, registry: Registry, merges: MergeEntry[], view: View): void {
  w.uvar(merges.length);
  let prev = -1;
  for (const { n, rec, derived, base } of merges) {
    const res = registry.get(rec.resource);
    w.uvar(n - prev - 1);
    prev = n;
    const want = dotsOf(rec, rec.fields);
    const have = dotsOf(rec, derived) ?? new Map<string, Dot>();
    const diff: [string, Dot][] = [];
    if (want) {
      for (const [f, d] of want) {
        const h = have.get(f);
        if (!h || h[0] !== d[0] || h[1] !== d[1]) diff.push([f, d]);
      }
      for (const f of have.keys()) if (!want.has(f)) diff.push([f, [rec.origin, 0]]);
    }
    w.uvar(diff.length * 2 + (want ? 0 : 1));
    for (const [f, d] of diff) {
      w.uvar(fieldIndex(res, f));
      // A dot's instance made a change counted in the vector, so the receiver knows it already.
      const id = view.instances.id(d[0]);
      if (id === undefined) throw new TidemarkError('invalid', `per-field version names ${d[0]}, not in the version vector`, { resource: rec.resource, uuid: rec.uuid });
      w.uvar(id);
      w.uvar(d[1]);
    }
    // Decisions only when they differ from those of the version the receiver holds ('' = same).
    w.str(sameDecisions(base, rec) ? '' : JSON.stringify(rec.decisions ?? []));
  }
}

function readMerges(r: ByteReader, registry: Registry, changes: RecordVersion[], view: View): void {
  const count = r.uvar();
  let n = -1;
  for (let i = 0; i < count; i++) {
    n += r.uvar() + 1;
    const rec = at(changes, n, 'record');
    const res = registry.get(rec.resource);
    const head = r.uvar();
    const fields: Record<string, Dot> = { ...(rec.fields ?? {}) };
    for (let k = 0; k < head >> 1; k++) {
      const f = fieldName(res, r.uvar());
      const inst = view.instances.at(r.uvar());
      const c = r.uvar();
      if (c === 0) delete fields[f];
      else fields[f] = [inst, c];
    }
    if (head & 1) delete rec.fields;
    else rec.fields = fields;
    const text = r.str();
    if (text) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new TidemarkError('malformed', 'radio payload: decisions are not JSON');
      }
      const ds = readDecisions(parsed);
      if (!ds) throw new TidemarkError('malformed', 'radio payload: decisions malformed');
      if (ds.length) rec.decisions = ds;
      else delete rec.decisions;
    }
    view.setBase(rec);
  }
}

/** The record with every declared field present, in declaration order (null when unset). */
function normalise(res: ResourceDef, rec: RecordVersion): RecordVersion {
  const data: Record<string, FieldValue> = {};
  for (const f of res.fields) data[f.name] = rec.data[f.name] ?? null;
  return { ...rec, version: { ...rec.version }, data };
}

/**
 * Changed fields as a list of index gaps or a bitmap, whichever is shorter (uvar count*2+mode),
 * then each value packed by type; booleans last, two bits each (null / false / true).
 */
function writeFields(
  w: ByteWriter,
  res: ResourceDef,
  base: RecordVersion | undefined,
  rec: RecordVersion,
  refMs: number,
  view: View,
  book: RegistryCodebook,
): void {
  const changed: number[] = [];
  res.fields.forEach((f, i) => {
    if (!same(rec.data[f.name], base ? base.data[f.name] : null)) changed.push(i);
  });
  const bitmapBytes = Math.ceil(res.fields.length / 8);
  const useBitmap = changed.length > bitmapBytes;
  w.uvar(changed.length * 2 + (useBitmap ? 1 : 0));
  if (useBitmap) {
    const bits = new Uint8Array(bitmapBytes);
    for (const i of changed) bits[i >> 3]! |= 1 << (i & 7);
    w.bytes(bits);
  } else {
    let prev = -1;
    for (const i of changed) {
      w.uvar(i - prev - 1);
      prev = i;
    }
  }
  const bools: number[] = [];
  for (const i of changed) {
    const f = res.fields[i]!;
    const v = rec.data[f.name] ?? null;
    if (f.type === 'boolean') {
      if (v !== null && typeof v !== 'boolean') throw typeError(res, f, v);
      bools.push(v === null ? 0 : v ? 2 : 1);
    } else {
      writeValue(w, res, f, v, refMs, view, book);
    }
  }
  for (let i = 0; i < bools.length; i += 4) {
    let b = 0;
    for (let j = 0; j < 4 && i + j < bools.length; j++) b |= bools[i + j]! << (j * 2);
    w.byte(b);
  }
}

function readFields(
  r: ByteReader,
  res: ResourceDef,
  base: RecordVersion | undefined,
  refMs: number,
  view: View,
  book: RegistryCodebook,
): Record<string, FieldValue> {
  const data: Record<string, FieldValue> = {};
  for (const f of res.fields) data[f.name] = base ? (base.data[f.name] ?? null) : null;
  const head = r.uvar();
  const n = Math.floor(head / 2);
  const changed: number[] = [];
  if (head % 2 === 1) {
    const bits = r.bytes(Math.ceil(res.fields.length / 8));
    for (let i = 0; i < res.fields.length; i++) if (bits[i >> 3]! & (1 << (i & 7))) changed.push(i);
    if (changed.length !== n) throw new TidemarkError('malformed', 'radio payload: field bitmap does not match its count');
  } else {
    let prev = -1;
    for (let k = 0; k < n; k++) {
      prev += r.uvar() + 1;
      changed.push(prev);
    }
  }
  const boolFields: FieldDef[] = [];
  for (const i of changed) {
    const f = res.fields[i];
    if (!f) throw new TidemarkError('malformed', `radio payload: ${res.name} has no field #${i}`);
    if (f.type === 'boolean') boolFields.push(f);
    else data[f.name] = readValue(r, f, refMs, view, book);
  }
  for (let i = 0; i < boolFields.length; i += 4) {
    const b = r.byte();
    for (let j = 0; j < 4 && i + j < boolFields.length; j++) {
      const code = (b >> (j * 2)) & 3;
      if (code === 3) throw new TidemarkError('malformed', 'radio payload: bad boolean code');
      data[boolFields[i + j]!.name] = code === 0 ? null : code === 2;
    }
  }
  return data;
}

function typeError(res: ResourceDef, f: FieldDef, v: FieldValue): TidemarkError {
  return new TidemarkError('invalid', `value ${JSON.stringify(v)} does not fit a ${f.type} field`, { resource: res.name, field: f.name });
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY = 86_400_000;

function writeValue(w: ByteWriter, res: ResourceDef, f: FieldDef, v: FieldValue, refMs: number, view: View, book: RegistryCodebook): void {
  if (v === null) {
    w.byte(0);
    return;
  }
  switch (f.type) {
    case 'string':
    case 'text': {
      if (typeof v !== 'string') throw typeError(res, f, v);
      const k = f.options ? f.options.indexOf(v) : -1;
      // uvar: 0 null, 1..k option, k+1+len text (options are the common case).
      const nopt = f.options?.length ?? 0;
      if (k >= 0) {
        w.uvar(k + 1);
      } else {
        const b = Buffer.from(v, 'utf8');
        w.uvar(nopt + 1 + b.length).bytes(b);
      }
      return;
    }
    case 'integer': {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw typeError(res, f, v);
      // Null shares the tag: 0 null, else zigzag + 1.
      const zz = v >= 0 ? BigInt(v) * 2n : -BigInt(v) * 2n - 1n;
      w.uvar(zz + 1n < 2n ** 53n ? Number(zz + 1n) : zz + 1n);
      return;
    }
    case 'double': {
      if (typeof v !== 'number') throw typeError(res, f, v);
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) w.byte(1).svar(v);
      else if (Math.fround(v) === v || Number.isNaN(v)) w.byte(2).f32(v);
      else w.byte(3).f64(v);
      return;
    }
    case 'date': {
      if (typeof v !== 'string') throw typeError(res, f, v);
      const ms = DATE_RE.test(v) ? Date.parse(`${v}T00:00:00.000Z`) : NaN;
      if (Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === v) w.byte(1).svar(ms / DAY);
      else w.byte(2).str(v);
      return;
    }
    case 'datetime': {
      if (typeof v !== 'string') throw typeError(res, f, v);
      const ms = isoMs(v);
      if (ms !== null) w.byte(1).svar(ms - refMs);
      else w.byte(2).str(v);
      return;
    }
    case 'json': {
      const text = JSON.stringify(v);
      w.byte(1).str(text);
      return;
    }
    case 'reference': {
      if (typeof v !== 'string') throw typeError(res, f, v);
      writeRef(w, v, view, book);
      return;
    }
  }
}

function readValue(r: ByteReader, f: FieldDef, refMs: number, view: View, book: RegistryCodebook): FieldValue {
  switch (f.type) {
    case 'string':
    case 'text': {
      const u = r.uvar();
      if (u === 0) return null;
      const nopt = f.options?.length ?? 0;
      if (u <= nopt) return f.options![u - 1]!;
      return Buffer.from(r.bytes(u - nopt - 1)).toString('utf8');
    }
    case 'integer': {
      const u = r.uvarBig();
      if (u === 0n) return null;
      const zz = u - 1n;
      const v = zz % 2n === 0n ? zz / 2n : -(zz + 1n) / 2n;
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw new TidemarkError('malformed', 'radio payload: integer out of range');
      return Number(v);
    }
    case 'double': {
      const tag = r.byte();
      if (tag === 0) return null;
      if (tag === 1) return r.svar();
      if (tag === 2) return r.f32();
      if (tag === 3) return r.f64();
      break;
    }
    case 'date': {
      const tag = r.byte();
      if (tag === 0) return null;
      if (tag === 1) return isoString(r.svar() * DAY).slice(0, 10);
      if (tag === 2) return r.str();
      break;
    }
    case 'datetime': {
      const tag = r.byte();
      if (tag === 0) return null;
      if (tag === 1) return isoString(refMs + r.svar());
      if (tag === 2) return r.str();
      break;
    }
    case 'json': {
      const tag = r.byte();
      if (tag === 0) return null;
      if (tag === 1) {
        try {
          return JSON.parse(r.str()) as FieldValue;
        } catch {
          throw new TidemarkError('malformed', 'radio payload: bad JSON value');
        }
      }
      break;
    }
    case 'reference':
      return readRef(r, view, book);
    case 'boolean':
      break;
  }
  throw new TidemarkError('malformed', `radio payload: bad value for ${f.name}`);
}
