import { createHash, createHmac, sign as edSign, verify as edVerify, timingSafeEqual, type KeyObject } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createGunzip, gzipSync } from 'node:zlib';
import { TidemarkError } from '../../errors.js';
import type { Hello } from '../../sync/protocol.js';

/**
 * A bundle file: the sync messages for one or more peers, carried on a USB stick or mailed.
 *
 *   TIDEMARK-BUNDLE 2\n
 *   {header, one line of JSON}\n
 *   <body: gzip of JSON lines, one sync page per line; header.body.bytes long>
 *   \n-- sha256 <hex>\n                                   digest of everything above
 *   -- hmac-sha256 <receiver uuid> <hex>\n                 one per receiver, keyed by macKeyFor(receiver, 'out')
 *   -- ed25519 <key id> <base64>\n                         optional: signature by the sender's key
 *
 * Everything a receiver needs to refuse a bad file before touching the database is outside the
 * compressed body: who sent it, to whom, what range of changes it covers, the schema, a digest
 * that catches truncation and corruption, and authentication that catches tampering.
 *
 * Version 2 authenticates the digest: the HMACs and the signature are over authMessage(digest),
 * so a reader checks a file of any size in one streaming pass (sha256), and a writer never holds
 * the file (Node cannot sign a stream with Ed25519). Version 1 (HMAC and signature over the whole
 * file) is still read, from memory: such files are on sticks in the field.
 */
export const MAGIC = 'TIDEMARK-BUNDLE 2\n';
export const MAGIC_V1 = 'TIDEMARK-BUNDLE 1\n';
export const BUNDLE_MEDIA_TYPE = 'application/vnd.tidemark.bundle';
export const BUNDLE_EXTENSION = '.tmb';

/** The format version a file's first bytes announce (undefined: not a bundle this instance reads). */
export function bundleVersionOf(head: Buffer): 1 | 2 | undefined {
  const first = head.subarray(0, MAGIC.length).toString('latin1');
  return first === MAGIC ? 2 : first === MAGIC_V1 ? 1 : undefined;
}

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
  version: 1 | 2;
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

/** Where a file's body lies, for reading it as a stream. */
export interface BodyInFile {
  path: string;
  start: number;
  end: number;
  /** sha256 (hex) of the body as it was when the digest was checked: each later read is compared with it. */
  sha256: string;
}

export interface ParsedBundle {
  header: BundleHeader;
  version: 1 | 2;
  /** Size of the whole file. */
  size: number;
  /** sha256 (hex) of the bytes the digest covers, computed and checked. */
  digest: string;
  /** Version 1: the exact bytes its MACs and signature cover. */
  signed?: Buffer;
  /** The compressed body: in memory, or where it lies in a file. */
  body: Buffer | BodyInFile;
  macs: Map<string, string>;
  signature?: { keyId: string; value: Buffer };
}

const bad = (message: string): TidemarkError => new TidemarkError('malformed', message, { element: 'bundle' });
const cut = (message: string): TidemarkError => new TidemarkError('truncated', message, { element: 'bundle' });

export function macOf(key: Buffer, signed: Buffer): string {
  return createHmac('sha256', key).update(signed).digest('hex');
}

/** What the MACs and the signature of a version-2 bundle cover: its digest, named as such. */
export function authMessage(digest: string): Buffer {
  return Buffer.from(`TIDEMARK-BUNDLE 2 sha256 ${digest}`);
}

/**
 * One page (any JSON value) as a gzip member of the body. Members one after the other are one gzip
 * stream (RFC 1952), so a body is built page by page as the pages are collected: no string ever
 * holds the whole body (above about a million records one did not fit in a JavaScript string).
 */
export function encodePage(page: unknown): Buffer {
  return gzipSync(`${JSON.stringify(page)}\n`, { level: 6 });
}

/** An empty body: still a gzip stream. */
export const EMPTY_BODY = gzipSync('');

/** Encodes pages as the compressed body (an empty body is still a gzip stream). */
export function encodeBody(lines: readonly unknown[]): Buffer {
  return lines.length ? Buffer.concat(lines.map(encodePage)) : EMPTY_BODY;
}

/** The first line after the magic: the header with the body's size and count filled in. */
export function headerLine(header: Omit<BundleHeader, 'body' | 'version'>, bodyBytes: number, records: number): { header: BundleHeader; line: Buffer } {
  const full: BundleHeader = { ...header, version: 2, body: { encoding: 'gzip', bytes: bodyBytes, records } };
  return { header: full, line: Buffer.from(`${MAGIC}${JSON.stringify(full)}\n`) };
}

/** The lines after the body, given the digest of everything before them. */
export function trailerFor(digest: string, auth: BundleAuth = {}): Buffer {
  const message = authMessage(digest);
  const lines: string[] = [`\n-- sha256 ${digest}\n`];
  for (const [receiver, key] of Object.entries(auth.macKeys ?? {})) lines.push(`-- hmac-sha256 ${receiver} ${macOf(key, message)}\n`);
  if (auth.signingKey) lines.push(`-- ed25519 ${auth.signingKey.id} ${edSign(null, message, auth.signingKey.key).toString('base64')}\n`);
  return Buffer.from(lines.join(''));
}

/** A whole bundle in memory (small bundles: acknowledgements, mail, tests). src/transports/bundle/writer.ts streams one to a file. */
export function writeBundle(header: Omit<BundleHeader, 'body' | 'version'>, body: Buffer, records: number, auth: BundleAuth = {}): { bytes: Buffer; header: BundleHeader } {
  const { header: full, line } = headerLine(header, body.length, records);
  const digest = createHash('sha256').update(line).update(body).digest('hex');
  return { bytes: Buffer.concat([line, body, trailerFor(digest, auth)]), header: full };
}

/** Random access to the bytes of a bundle: a buffer, or an open file. */
interface ByteSource {
  size: number;
  read(pos: number, len: number): Buffer;
}

function bufferSource(b: Buffer): ByteSource {
  return { size: b.length, read: (pos, len) => b.subarray(pos, pos + len) };
}

function fileSource(fd: number): ByteSource {
  return {
    size: fstatSync(fd).size,
    read(pos, len) {
      const buf = Buffer.alloc(len);
      return buf.subarray(0, readSync(fd, buf, 0, len, pos));
    },
  };
}

/** The header may be long (a hello per receiver), but not without bound. */
const MAX_HEADER = 64 * 1024 * 1024;
/** The trailer: a digest, one MAC per receiver, a signature. */
const MAX_TRAILER = 4 * 1024 * 1024;

interface Envelope {
  header: BundleHeader;
  version: 1 | 2;
  bodyStart: number;
  bodyEnd: number;
  digest: string;
  macs: Map<string, string>;
  signature?: { keyId: string; value: Buffer };
}

/**
 * Reads the envelope (header, trailer) without the body. Says precisely what is wrong with a
 * damaged file: not a bundle, truncated, corrupted. The digest is compared by the caller, who
 * reads the body (checkDigest); authentication by the caller who knows the keys (verifyAuth).
 */
function readEnvelope(src: ByteSource): Envelope {
  const first = src.read(0, MAGIC.length);
  const version = bundleVersionOf(first);
  if (!version) {
    if (first.length < MAGIC.length && (Buffer.from(MAGIC).subarray(0, first.length).equals(first) || Buffer.from(MAGIC_V1).subarray(0, first.length).equals(first))) {
      throw cut('bundle is truncated (the file ends inside its first line)');
    }
    throw bad('not a Tidemark bundle (it does not start with "TIDEMARK-BUNDLE 2" or "TIDEMARK-BUNDLE 1")');
  }
  let nl = -1;
  for (let pos = MAGIC.length, len = 64 * 1024; nl < 0; pos += len, len = Math.min(len * 2, 8 * 1024 * 1024)) {
    if (pos >= src.size) throw cut('bundle is truncated (the header is incomplete)');
    if (pos - MAGIC.length > MAX_HEADER) throw bad('bundle is corrupted: its header line does not end');
    const i = src.read(pos, len).indexOf(0x0a);
    if (i >= 0) nl = pos + i;
  }
  let header: BundleHeader;
  try {
    header = JSON.parse(src.read(MAGIC.length, nl - MAGIC.length).toString('utf8')) as BundleHeader;
  } catch {
    throw bad('bundle is corrupted: its header is not valid JSON');
  }
  if (header?.format !== 'tidemark-bundle' || !header.body || !Number.isSafeInteger(header.body.bytes) || header.body.bytes < 0) {
    throw bad('bundle is corrupted: its header does not describe a bundle');
  }
  if (header.version !== version) throw bad(`bundle is corrupted: its first line says version ${version}, its header ${String(header.version)}`);
  const bodyEnd = nl + 1 + header.body.bytes;
  if (src.size < bodyEnd) throw cut(`bundle is truncated: ${src.size} of at least ${bodyEnd + 76} bytes present`);
  if (src.size - bodyEnd > MAX_TRAILER) throw bad('bundle is corrupted: more after the records than a checksum and its signatures');
  const trailer = src.read(bodyEnd, src.size - bodyEnd).toString('latin1');
  if (!trailer.startsWith('\n-- sha256 ')) {
    throw trailer.length < 80 && '\n-- sha256 '.startsWith(trailer.slice(0, 11)) ? cut('bundle is truncated (its checksum is missing)') : bad('bundle is corrupted: no checksum after the records');
  }
  const lines = trailer.slice(1).split('\n');
  if (lines[lines.length - 1] !== '') throw cut('bundle is truncated (its last line is incomplete)');
  const digest = /^-- sha256 ([0-9a-f]{64})$/.exec(lines[0]!);
  if (!digest) throw bad('bundle is truncated or corrupted: malformed checksum line');
  const macs = new Map<string, string>();
  let signature: Envelope['signature'];
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
  return { header, version, bodyStart: nl + 1, bodyEnd, digest: digest[1]!, macs, ...(signature ? { signature } : {}) };
}

function checkDigest(env: Envelope, computed: string): void {
  if (computed !== env.digest) throw bad('bundle is corrupted: checksum mismatch (the file was damaged in transit or on the stick)');
}

function parsed(env: Envelope, size: number, body: Buffer | BodyInFile, signed?: Buffer): ParsedBundle {
  return { header: env.header, version: env.version, size, digest: env.digest, body, macs: env.macs, ...(signed ? { signed } : {}), ...(env.signature ? { signature: env.signature } : {}) };
}

/** A bundle in memory (either version), its digest checked. */
export function readBundle(file: Buffer): ParsedBundle & { body: Buffer } {
  const env = readEnvelope(bufferSource(file));
  const signed = file.subarray(0, env.bodyEnd);
  checkDigest(env, createHash('sha256').update(signed).digest('hex'));
  return { ...parsed(env, file.length, signed.subarray(env.bodyStart), env.version === 1 ? signed : undefined), body: signed.subarray(env.bodyStart) };
}

/** Only the header and envelope of a bundle (a buffer or a file), the digest not checked: cheap. */
export function peekBundle(file: Buffer | string): BundleHeader {
  if (Buffer.isBuffer(file)) return readEnvelope(bufferSource(file)).header;
  const fd = openSync(file, 'r');
  try {
    return readEnvelope(fileSource(fd)).header;
  } finally {
    closeSync(fd);
  }
}

/**
 * A bundle from a buffer or a file, its digest checked. A version-2 file is read as a stream (one
 * pass for the digest; the body is read again when the pages are); a version-1 file is read into
 * memory, as its authentication needs.
 */
export async function loadBundle(file: Buffer | string): Promise<ParsedBundle> {
  if (Buffer.isBuffer(file)) return readBundle(file);
  const fd = openSync(file, 'r');
  let env: Envelope;
  let size: number;
  try {
    const src = fileSource(fd);
    size = src.size;
    env = readEnvelope(src);
  } finally {
    closeSync(fd);
  }
  if (env.version === 1) return readBundle(readFileSync(file));
  const hash = createHash('sha256');
  const bodyHash = createHash('sha256');
  let pos = 0;
  for await (const chunk of createReadStream(file, { start: 0, end: env.bodyEnd - 1, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bodyHash.update(chunk.subarray(Math.max(0, env.bodyStart - pos)));
    pos += chunk.length;
  }
  checkDigest(env, hash.digest('hex'));
  return parsed(env, size, { path: file, start: env.bodyStart, end: env.bodyEnd, sha256: bodyHash.digest('hex') });
}

/** What a bundle's MACs and signature cover: version 1 the file, version 2 its digest. */
function signedPart(b: ParsedBundle): Buffer {
  return b.version === 1 ? b.signed! : authMessage(b.digest);
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
    const want = Buffer.from(macOf(macKey, signedPart(b)), 'hex');
    if (!timingSafeEqual(want, Buffer.from(mac, 'hex'))) throw tampered('its authentication code does not match the pairing with the sender');
  }
  if (trusted) {
    if (!b.signature) throw tampered(`it is not signed, but ${b.header.sender.name}'s key is registered`);
    if (b.signature.keyId !== trusted.id) throw tampered(`it is signed by key ${b.signature.keyId}, not by the registered key ${trusted.id}`);
    if (!edVerify(null, signedPart(b), trusted.key, b.signature.value)) throw tampered('its signature does not verify');
  }
}

/**
 * The pages inside the body, in order, decompressed as a stream: one page's line is held at a time,
 * never the whole body (as bytes or as a string).
 */
export async function* readBody(b: ParsedBundle): AsyncGenerator<unknown> {
  const gunzip = createGunzip();
  const inFile = Buffer.isBuffer(b.body) || b.body.end <= b.body.start ? undefined : b.body;
  const file = inFile && createReadStream(inFile.path, { start: inFile.start, end: inFile.end - 1, highWaterMark: 256 * 1024 });
  // The file is read again after its digest was checked: what is read now must be what was checked
  // (a file changed in between, or a stick that reads back differently, is caught, not trusted).
  const again = file && createHash('sha256');
  if (file) {
    file.on('error', (e) => gunzip.destroy(e));
    file.on('data', (chunk) => again!.update(chunk));
    file.pipe(gunzip);
  } else gunzip.end(Buffer.isBuffer(b.body) ? b.body : Buffer.alloc(0));
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
  } finally {
    file?.destroy(); // a reader that stops early leaves no file open
  }
  if (again && again.digest('hex') !== (b.body as BodyInFile).sha256) throw bad('bundle is corrupted: the file changed while it was being read (or the medium reads back differently)');
  if (parts.length) yield parse(Buffer.concat(parts));
}
