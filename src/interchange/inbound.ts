import { createHash } from 'node:crypto';
import type { Document, Element } from 'libxmljs2';
import { TidemarkError } from '../errors.js';
import { logger } from '../log.js';
import { toUtcIso } from '../registry/values.js';
import { importRecords, type ImportSummary } from '../s3xml/index.js';
import type { Store } from '../store/index.js';
import { type FormatDef, getFormat } from './formats.js';
import { transform } from './stylesheets.js';
import { assertDocumentValid, embeddedContent } from './validate.js';
import { detachXml, parseXml, qname, serialize, type XmlLimits } from './xml.js';

/**
 * Standard documents in, uuid-keyed upserts out: parse safely, check the root, validate (project
 * schema, and official schemas when a folder is given), unwrap envelopes routing each content
 * object by its type, map to S3XML with the format's stylesheet, turn partner identities into
 * stable uuids, drop what is not newer than what is stored, and import through the S3XML
 * importer in one transaction. Anything wrong stops before the first write.
 */
/** Namespace of Tidemark's name-based (v5) uuids for partner identifiers. Never change it. */
export const IDENTITY_NAMESPACE = '5b0f6d0e-7d1c-4c55-9a7e-2f3b8e1d4a60';

/** RFC 4122 version 5 uuid (SHA-1, name-based) as `urn:uuid:...`. */
export function uuidV5(name: string, namespace = IDENTITY_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const KEY = 'urn:tidemark:key:';

export interface InboundOptions extends Partial<XmlLimits> {
  /** Folder of official schemas: inbound documents must pass them too. */
  schemasDir?: string;
  /** Master resources the sender may write (a partner's allowance); default any. */
  allowedResources?: readonly string[];
}

export interface MappedDocument {
  /** The format the document was read as, and the content formats found inside an envelope. */
  format: string;
  contents: string[];
  /** S3XML documents (one per content object for an envelope), identities still unresolved. */
  s3xml: string[];
  doc: Document;
}

/** Checks that the document is the format it claims to be: namespace and root element. */
function checkRoot(doc: Document, format: FormatDef): void {
  const root = doc.root()!;
  const ns = root.namespace()?.href() ?? '';
  if (root.name() !== format.root || ns !== (format.namespace ?? '')) {
    throw new TidemarkError(
      'malformed',
      `not a ${format.name} document: root is ${qname(root)}, expected {${format.namespace ?? ''}}${format.root}`,
      { line: root.line(), element: root.name() },
    );
  }
}

/** Parses, validates and maps a document to S3XML; writes nothing. */
export function mapDocument(formatName: string, text: string, opts: InboundOptions = {}): MappedDocument {
  const format = getFormat(formatName);
  if (format.native) throw new TidemarkError('unsupported', `${format.name} is read by the S3XML importer directly`);
  if (!format.import && !format.envelope) throw new TidemarkError('unsupported', `format ${format.name} cannot be imported`);
  // Read only: the mapping runs on the text; the document is checked, validated and queried.
  const doc = parseXml(text, { ...opts, readOnly: true });
  checkRoot(doc, format);
  assertDocumentValid(doc, format, { ...(opts.schemasDir ? { schemasDir: opts.schemasDir } : {}), code: 'malformed' });
  if (!format.envelope) {
    return { format: format.name, contents: [], s3xml: [transform(format.import!, text)], doc };
  }
  const contents = embeddedContent(doc);
  const other = doc.find('//*[local-name()="otherContent" or local-name()="nonXMLContent"]') as Element[];
  if (other.length) {
    const el = other[0]!;
    throw new TidemarkError('unsupported', 'the envelope carries non-XML content, which Tidemark does not import', {
      line: el.line(),
      element: el.name(),
    });
  }
  if (!contents.length) throw new TidemarkError('malformed', 'the envelope carries no XML content');
  const s3xml: string[] = [];
  const names: string[] = [];
  for (const { el, format: inner } of contents) {
    if (!inner?.import || inner.envelope) {
      throw new TidemarkError('unsupported', `content of type ${qname(el)} cannot be imported`, { line: el.line(), element: el.name() });
    }
    s3xml.push(transform(inner.import, detachXml(el)));
    names.push(inner.name === 's3xml-embedded' ? 's3xml' : inner.name);
  }
  return { format: format.name, contents: names, s3xml, doc };
}

/** The master resources an S3XML document writes (top-level resources that are not tombstones of nothing). */
function mastersOf(doc: Document): string[] {
  return [...new Set((doc.find('/s3xml/resource') as Element[]).map((r) => r.attr('name')?.value() ?? ''))];
}

/**
 * Turns identity placeholders into uuids: an existing record matching `tm_match` (e.g. the same
 * government identifier, or the same CAP sender and identifier) keeps its uuid; otherwise a
 * UUIDv5 of the key. Without a store only UUIDv5 is used.
 */
async function resolveIdentities(doc: Document, store?: Store): Promise<void> {
  const resolved = new Map<string, string>();
  for (const r of doc.find('//resource[@tm_match]') as Element[]) {
    const uuid = r.attr('uuid')?.value() ?? '';
    const match = JSON.parse(r.attr('tm_match')!.value()) as Record<string, string>;
    r.attr('tm_match')!.remove();
    if (!uuid.startsWith(KEY) || resolved.has(uuid) || !store) continue;
    const found = await store.list(r.attr('name')!.value(), { where: match, includeDeleted: true, limit: 1 });
    if (found[0]) resolved.set(uuid, found[0].uuid);
  }
  for (const el of doc.find('//resource[@uuid] | //reference[@uuid] | //resource[@replaced_by]') as Element[]) {
    for (const name of ['uuid', 'replaced_by']) {
      const a = el.attr(name);
      const v = a?.value();
      if (!a || !v?.startsWith(KEY)) continue;
      let u = resolved.get(v);
      if (!u) {
        u = uuidV5(v.slice(KEY.length));
        resolved.set(v, u);
      }
      a.value(u);
    }
  }
}

/**
 * Drops records whose stored version is as new as the document's or newer: pushing the same
 * document twice changes nothing, and an older report never overwrites a newer one.
 */
async function dropStale(doc: Document, store: Store): Promise<number> {
  let dropped = 0;
  for (const r of doc.find('//resource[@uuid and @modified_on]') as Element[]) {
    const name = r.attr('name')!.value();
    const prior = await store.get(name, r.attr('uuid')!.value(), { includeDeleted: true });
    if (!prior) continue;
    const incoming = toUtcIso(r.attr('modified_on')!.value());
    if (prior.modified_on >= incoming) {
      r.remove();
      dropped++;
    }
  }
  // Components without a uuid of their own (status, services) go with their master's element.
  return dropped;
}

/** Maps a document to S3XML with identities resolved (uuidv5 only): what would be imported. */
export async function toS3xml(formatName: string, text: string, opts: InboundOptions = {}): Promise<string[]> {
  const mapped = mapDocument(formatName, text, opts);
  const out: string[] = [];
  for (const s of mapped.s3xml) {
    const d = parseXml(s);
    await resolveIdentities(d);
    out.push(serialize(d));
  }
  return out;
}

export interface InboundSummary extends ImportSummary {
  format: string;
  contents: string[];
  /** Records left out because the stored version is at least as new. */
  unchanged: number;
}

/** Imports a standard document into the store as uuid-keyed upserts. */
export async function importDocument(store: Store, formatName: string, text: string, opts: InboundOptions = {}): Promise<InboundSummary> {
  const mapped = mapDocument(formatName, text, opts);
  const docs = mapped.s3xml.map((s) => parseXml(s));
  if (opts.allowedResources) {
    for (const d of docs) {
      for (const m of mastersOf(d)) {
        if (m === 'gis_location' || opts.allowedResources.includes(m)) continue;
        throw new TidemarkError('forbidden', `this partner may not write ${m}`, { resource: m });
      }
    }
  }
  const total: InboundSummary = {
    format: mapped.format,
    contents: mapped.contents,
    records: 0,
    created: 0,
    updated: 0,
    deleted: 0,
    merged: 0,
    skipped: 0,
    unchanged: 0,
    errors: [],
    warnings: [],
  };
  // Every content object of an envelope goes into one S3XML document: one transaction, so a
  // problem anywhere writes nothing.
  const parts: string[] = [];
  for (const d of docs) {
    await resolveIdentities(d, store);
    total.unchanged += await dropStale(d, store);
    for (const r of d.find('/s3xml/resource') as Element[]) parts.push(r.toString(false));
  }
  if (parts.length) {
    const s = await importRecords(store, `<s3xml>${parts.join('')}</s3xml>`, { format: 's3xml', strict: true });
    for (const k of ['records', 'created', 'updated', 'deleted', 'merged', 'skipped'] as const) total[k] += s[k];
    total.errors.push(...s.errors);
  }
  logger.info({ ...total, errors: total.errors.length }, 'imported standard document');
  return total;
}
