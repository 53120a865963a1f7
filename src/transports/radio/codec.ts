import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { coded, TidemarkError } from '../../errors.js';
import type { Registry } from '../../registry/registry.js';
import type { ResourceDef } from '../../registry/types.js';
import { type RecordVersion } from '../../store/types.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { codebookFor } from './dictionary.js';
import type { KnowledgeUpdate, LinkKnowledge } from './knowledge.js';
import { readFields, writeFields } from './codec-fields.js';
import { deriveFields, normalise, readMerges, sameDecisions, sameDots, sameVersion, writeMerges, type MergeEntry } from './codec-merges.js';
import { isoMs, parseHlc, readId, readInstant, readRef, writeId, writeInstant, writeRef } from './codec-scalars.js';
import { bump, isBump, readVersion, writeVersion } from './codec-versions.js';
import { View, at } from './codec-view.js';

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
 *   u8 format << 4 | flags (1 deflated, 2 reset, 4 final, 8 reach) | u16 registry fingerprint |
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
 *
 * This module is the payload (header, MAC, record loop, reach); the parts it packs live beside
 * it: codec-view (short ids, bases), codec-scalars (ids, references, clock stamps), codec-versions
 * (version vectors), codec-fields (field values), codec-merges (per-field versions, decisions).
 */
export { sameVersion };

export const RADIO_FORMAT = 1;
const F_DEFLATED = 1;
const F_RESET = 2;
const F_FINAL = 4;
/** A reach section follows the merge section (final payloads that carried any of the feed). */
const F_REACH = 8;

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
  reach: boolean;
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
  const reach = opts.final ? (opts.reach ?? []) : [];
  if (reach.length) writeReach(body, resourceIndex, reach);

  const raw = body.finish();
  const packed = deflateRawSync(raw, { dictionary: book.dictionary, level: 9, memLevel: 9 });
  const deflated = packed.length < raw.length;
  const head = new ByteWriter()
    .byte((RADIO_FORMAT << 4) | (deflated ? F_DEFLATED : 0) | (reset ? F_RESET : 0) | (opts.final ? F_FINAL : 0) | (reach.length ? F_REACH : 0))
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
    reach: (flags & F_REACH) !== 0,
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
  const reach = h.reach ? readReach(r, resources) : [];
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
