import { createHash, createHmac, sign as edSign, verify as edVerify, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createGunzip, gzipSync } from 'node:zlib';
import { TidemarkError } from '../../errors.js';
import type { Hello } from '../../sync/protocol.js';

/**
 * A bundle file: the sync messages for one or more peers, carried on a USB stick or mailed.
 *
 *   TIDEMARK-BUNDLE 1\n
 *   {header, one line of JSON}\n
 *   <body: gzip of JSON lines, one sync page per line; header.body.bytes long>
 *   \n-- sha256 <hex>\n                                   digest of everything above
 *   -- hmac-sha256 <receiver uuid> <hex>\n                 one per receiver, keyed by macKeyFor(receiver, 'out')
 *   -- ed25519 <key id> <base64>\n                         optional: signature by the sender's key
 *
 * Everything a receiver needs to refuse a bad file before touching the database is outside the
 * compressed body: who sent it, to whom, what range of changes it covers, the schema, a digest
 * that catches truncation and corruption, and authentication that catches tampering.
 */
export const MAGIC = 'TIDEMARK-BUNDLE 1\n';
export const BUNDLE_MEDIA_TYPE = 'application/vnd.tidemark.bundle';
export const BUNDLE_EXTENSION = '.tmb';

export type BundleKind = 'changes' | 'ack';

/** The part of the sender's feed a bundle carries, per resource: after `from`, up to `to`. */
export interface BundleRange {
  /** Cursor (issued by the sender) the range starts after; null = from the start of the feed. */
  from: string | null;
  /** Cursor (issued by the sender) of the last change included. */
  to: string;
  records: number;
}

export interface BundleHeader {
  format: 'tidemark-bundle';
  version: 1;
  kind: BundleKind;
  /** Unique per bundle: importing the same id twice is recognised as a repeat. */
  id: string;
  created_on: string;
  sender: { uuid: string; name: string };
  receivers: string[];
  cluster: string | null;
  protocol: number;
  schema_version: number;
  registry_hash: string;
  /** Changes bundles: what of the sender's feed is inside, per resource. */
  ranges: Record<string, BundleRange>;
  /**
   * Per receiver, the sender's sync hello: its feed heads, and how far it holds that receiver's
   * feed. Importing any bundle therefore also acknowledges what the receiver sent earlier.
   */
  hello: Record<string, Hello>;
  /** For ack bundles: the ids of the bundles being acknowledged. */
  acknowledges?: string[];
  body: { encoding: 'gzip'; bytes: number; records: number };
}

export interface BundleAuth {
  /** MAC key per receiver uuid (macKeyFor(receiver, 'out')): an HMAC line each. */
  macKeys?: Record<string, Buffer>;
  /** Sender's signing key (Ed25519), with its id (a fingerprint of the public key). */
  signingKey?: { id: string; key: KeyObject };
}

export interface ParsedBundle {
  header: BundleHeader;
  /** The exact bytes the digest, MACs and signature cover. */
  signed: Buffer;
  body: Buffer;
  macs: Map<string, string>;
  signature?: { keyId: string; value: Buffer };
}

const bad = (message: string): TidemarkError => new TidemarkError('malformed', message, { element: 'bundle' });
const cut = (message: string): TidemarkError => new TidemarkError('truncated', message, { element: 'bundle' });

export function macOf(key: Buffer, signed: Buffer): string {
  return createHmac('sha256', key).update(signed).digest('hex');
}

/**
 * One page (any JSON value) as a gzip member of the body. Members one after the other are one gzip
 * stream (RFC 1952), so a body is built page by page as the pages are collected: no string ever
 * holds the whole body (above about a million records one did not fit in a JavaScript string).
 */
export function encodePage(page: unknown): Buffer {
  return gzipSync(`${JSON.stringify(page)}\n`, { level: 6 });
}

/** Encodes pages as the compressed body (an empty body is still a gzip stream). */
export function encodeBody(lines: readonly unknown[]): Buffer {
  return lines.length ? Buffer.concat(lines.map(encodePage)) : gzipSync('');
}

export function writeBundle(header: Omit<BundleHeader, 'body'>, body: Buffer, records: number, auth: BundleAuth = {}): { bytes: Buffer; header: BundleHeader } {
  const full: BundleHeader = { ...header, body: { encoding: 'gzip', bytes: body.length, records } };
  const signed = Buffer.concat([Buffer.from(MAGIC), Buffer.from(`${JSON.stringify(full)}\n`), body]);
  const trailer: string[] = [`\n-- sha256 ${createHash('sha256').update(signed).digest('hex')}\n`];
  for (const [receiver, key] of Object.entries(auth.macKeys ?? {})) trailer.push(`-- hmac-sha256 ${receiver} ${macOf(key, signed)}\n`);
  if (auth.signingKey) trailer.push(`-- ed25519 ${auth.signingKey.id} ${edSign(null, signed, auth.signingKey.key).toString('base64')}\n`);
  return { bytes: Buffer.concat([signed, Buffer.from(trailer.join(''))]), header: full };
}

/**
 * Reads the envelope and checks the digest. Says precisely what is wrong with a damaged file:
 * not a bundle, truncated, corrupted. Authentication is checked by the caller, who knows the
 * keys (verifyAuth).
 */
export function readBundle(file: Buffer): ParsedBundle {
  if (file.length < MAGIC.length || !file.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) {
    if (file.length < MAGIC.length && Buffer.from(MAGIC).subarray(0, file.length).equals(file)) throw cut('bundle is truncated (the file ends inside its first line)');
    throw bad('not a Tidemark bundle (it does not start with "TIDEMARK-BUNDLE 1")');
  }
  const nl = file.indexOf(0x0a, MAGIC.length);
  if (nl < 0) throw cut('bundle is truncated (the header is incomplete)');
  let header: BundleHeader;
  try {
    header = JSON.parse(file.subarray(MAGIC.length, nl).toString('utf8')) as BundleHeader;
  } catch {
    throw bad('bundle is corrupted: its header is not valid JSON');
  }
  if (header?.format !== 'tidemark-bundle' || !header.body || !Number.isSafeInteger(header.body.bytes) || header.body.bytes < 0) {
    throw bad('bundle is corrupted: its header does not describe a bundle');
  }
  if (header.version !== 1) throw new TidemarkError('unsupported', `bundle format version ${String(header.version)} is not supported (this instance reads version 1)`);
  const bodyEnd = nl + 1 + header.body.bytes;
  if (file.length < bodyEnd) throw cut(`bundle is truncated: ${file.length} of at least ${bodyEnd + 76} bytes present`);
  const signed = file.subarray(0, bodyEnd);
  const trailer = file.subarray(bodyEnd).toString('latin1');
  if (!trailer.startsWith('\n-- sha256 ')) {
    throw trailer.length < 80 && '\n-- sha256 '.startsWith(trailer.slice(0, 11)) ? cut('bundle is truncated (its checksum is missing)') : bad('bundle is corrupted: no checksum after the records');
  }
  const lines = trailer.slice(1).split('\n');
  if (lines[lines.length - 1] !== '') throw cut('bundle is truncated (its last line is incomplete)');
  const digest = /^-- sha256 ([0-9a-f]{64})$/.exec(lines[0]!);
  if (!digest) throw bad('bundle is truncated or corrupted: malformed checksum line');
  if (createHash('sha256').update(signed).digest('hex') !== digest[1]) {
    throw bad('bundle is corrupted: checksum mismatch (the file was damaged in transit or on the stick)');
  }
  const macs = new Map<string, string>();
  let signature: ParsedBundle['signature'];
  for (const line of lines.slice(1, -1)) {
    let m = /^-- hmac-sha256 ([0-9a-f-]{36}) ([0-9a-f]{64})$/.exec(line);
    if (m) {
      macs.set(m[1]!, m[2]!);
      continue;
    }
    m = /^-- ed25519 ([0-9a-f]{16,64}) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (m) {
      signature = { keyId: m[1]!, value: Buffer.from(m[2]!, 'base64') };
      continue;
    }
    throw bad(`bundle is corrupted: unexpected trailer line "${line.slice(0, 40)}"`);
  }
  return { header, signed, body: file.subarray(nl + 1, bodyEnd), macs, ...(signature ? { signature } : {}) };
}

/**
 * Authenticates a bundle for one receiver: the HMAC keyed by the sender's pairing key proves it comes
 * from that peer unchanged; a trusted public key, when one is registered, must have signed it.
 */
export function verifyAuth(b: ParsedBundle, receiver: string, macKey: Buffer | undefined, trusted?: { id: string; key: KeyObject }): void {
  const tampered = (why: string): TidemarkError => new TidemarkError('forbidden', `bundle refused: ${why}; it may have been tampered with`, { element: 'bundle' });
  if (macKey !== undefined) {
    const mac = b.macs.get(receiver);
    if (!mac) throw tampered(`it carries no authentication code for this instance (${receiver})`);
    const want = Buffer.from(macOf(macKey, b.signed), 'hex');
    if (!timingSafeEqual(want, Buffer.from(mac, 'hex'))) throw tampered('its authentication code does not match the pairing with the sender');
  }
  if (trusted) {
    if (!b.signature) throw tampered(`it is not signed, but ${b.header.sender.name}'s key is registered`);
    if (b.signature.keyId !== trusted.id) throw tampered(`it is signed by key ${b.signature.keyId}, not by the registered key ${trusted.id}`);
    if (!edVerify(null, b.signed, trusted.key, b.signature.value)) throw tampered('its signature does not verify');
  }
}

/**
 * The pages inside the body, in order, decompressed as a stream: one page's line is held at a time,
 * never the whole body (as bytes or as a string).
 */
export async function* readBody(b: ParsedBundle): AsyncGenerator<unknown> {
  const gunzip = createGunzip();
  gunzip.end(b.body);
  let parts: Buffer[] = [];
  let line = 1;
  const parse = (bytes: Buffer): unknown => {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw bad(`bundle is corrupted: record line ${line} is not JSON`);
    }
  };
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        const bytes = parts.length ? Buffer.concat([...parts, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
        parts = [];
        if (bytes.length) yield parse(bytes);
        line++;
        start = nl + 1;
      }
      if (start < chunk.length) parts.push(chunk.subarray(start));
    }
  } catch (e) {
    if (e instanceof TidemarkError) throw e;
    throw bad('bundle is corrupted: its records cannot be decompressed');
  }
  if (parts.length) yield parse(Buffer.concat(parts));
}
