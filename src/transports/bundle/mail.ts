import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TidemarkError } from '../../errors.js';
import { BUNDLE_EXTENSION, BUNDLE_MEDIA_TYPE, MAGIC, type BundleHeader } from './format.js';

/**
 * E-mail as a carrier: a bundle travels as the attachment of an ordinary MIME message, so any
 * mail system (a satellite terminal's webmail, a USB-carried .eml, a Maildir on a relay) can
 * move it. Reading accepts one .eml, an mbox, or a Maildir, and finds every bundle inside.
 */

export interface MailAddressing {
  from: string;
  to: string[];
  subject?: string;
  date?: Date;
}

const CRLF = '\r\n';

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
function headerText(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
}

function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;
export function checkAddress(a: string): string {
  if (!ADDRESS.test(a)) throw new TidemarkError('invalid', `"${a}" is not an e-mail address`, { field: 'to' });
  return a;
}

/** The whole message (CRLF line ends, as on the wire), with the bundle base64-encoded. */
export function bundleToEml(bundle: Buffer, header: BundleHeader, fileName: string, addr: MailAddressing): string {
  const boundary = `tidemark-${randomBytes(12).toString('hex')}`;
  const date = addr.date ?? new Date();
  const what = header.kind === 'ack' ? 'acknowledgement' : `${header.body.records} change(s)`;
  const subject = addr.subject ?? `[tidemark] ${header.kind === 'ack' ? 'Acknowledgement' : 'Sync bundle'} from ${header.sender.name} (${what})`;
  const text = [
    `This message carries a Tidemark sync bundle from ${header.sender.name} (${header.sender.uuid}).`,
    `Bundle ${header.id}, ${what}, written ${header.created_on}.`,
    '',
    'To import it, save the attachment or this whole message and run:',
    `  tidemark bundle import ${fileName}`,
    'An instance can also read it straight out of an mbox or Maildir.',
    '',
  ].join(CRLF);
  const b64 = bundle.toString('base64').replace(/.{1,76}/g, (l) => `${l}${CRLF}`);
  return [
    `From: ${addr.from}`,
    `To: ${addr.to.join(', ')}`,
    `Subject: ${headerText(subject)}`,
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: <${header.id}.${header.kind}@${header.sender.uuid}.tidemark.invalid>`,
    'MIME-Version: 1.0',
    `X-Tidemark-Bundle: ${header.id}`,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    'This is a multi-part message in MIME format.',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    text,
    `--${boundary}`,
    `Content-Type: ${BUNDLE_MEDIA_TYPE}; name="${fileName}"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${fileName}"`,
    '',
    `${b64}--${boundary}--`,
    '',
  ].join(CRLF);
}

// ---- Reading ------------------------------------------------------------------------------------

interface Part {
  headers: Map<string, string>;
  body: Buffer;
}

function splitHeaders(raw: Buffer): Part {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  let end: number;
  let skip: number;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) [end, skip] = [crlf, 4];
  else if (lf >= 0) [end, skip] = [lf, 2];
  else [end, skip] = [raw.length, 0];
  const headers = new Map<string, string>();
  const text = raw.subarray(0, end).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return { headers, body: raw.subarray(Math.min(raw.length, end + skip)) };
}

/** `value; key="x"; k2=y` -> { '': value, key: 'x', k2: 'y' } */
function params(v: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v) return out;
  const [first, ...rest] = v.split(/;(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  out[''] = first!.trim().toLowerCase();
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i < 0) continue;
    out[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return out;
}

function decodeTransfer(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable': {
      const s = body.toString('latin1').replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
          bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
          i += 2;
        } else bytes.push(s.charCodeAt(i));
      }
      return Buffer.from(bytes);
    }
    default:
      return body;
  }
}

function* leafParts(raw: Buffer, depth = 0): Generator<Part> {
  const part = splitHeaders(raw);
  const ct = params(part.headers.get('content-type'));
  if (ct['']?.startsWith('multipart/') && ct.boundary && depth < 8) {
    const delimiter = Buffer.from(`--${ct.boundary}`);
    let pos = part.body.indexOf(delimiter);
    while (pos >= 0) {
      let start = pos + delimiter.length;
      if (part.body.subarray(start, start + 2).toString() === '--') return; // closing delimiter
      if (part.body[start] === 0x0d) start++;
      if (part.body[start] === 0x0a) start++;
      const next = part.body.indexOf(delimiter, start);
      if (next < 0) return; // unterminated part: a truncated message
      let end = next;
      if (part.body[end - 1] === 0x0a) end--;
      if (part.body[end - 1] === 0x0d) end--;
      yield* leafParts(part.body.subarray(start, end), depth + 1);
      pos = next;
    }
    return;
  }
  yield { headers: part.headers, body: decodeTransfer(part.body, part.headers.get('content-transfer-encoding')) };
}

export interface FoundBundle {
  /** Where it was found: "message.eml", "mbox message 3", "Maildir/new/1234". */
  source: string;
  bytes: Buffer;
}

/** Every bundle attached to one MIME message. */
export function bundlesInMessage(raw: Buffer, source: string): FoundBundle[] {
  const out: FoundBundle[] = [];
  for (const p of leafParts(raw)) {
    const ct = params(p.headers.get('content-type'));
    const name = params(p.headers.get('content-disposition')).filename ?? ct.name ?? '';
    const looksLike = ct[''] === BUNDLE_MEDIA_TYPE || name.endsWith(BUNDLE_EXTENSION) || p.body.subarray(0, MAGIC.length).toString('latin1') === MAGIC;
    if (looksLike) out.push({ source: name ? `${source} (${name})` : source, bytes: p.body });
  }
  return out;
}

/** Splits an mbox (mboxo/mboxrd) into messages: each starts with a "From " line after a blank line. */
export function mboxMessages(raw: Buffer): Buffer[] {
  const text = raw.toString('latin1');
  const starts: number[] = [];
  const re = /(^|\n)From [^\n]*\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index + m[1]!.length);
  return starts.map((s, i) => {
    const body = text.slice(text.indexOf('\n', s) + 1, starts[i + 1] ?? text.length);
    // mboxrd: ">From " at the start of a line was escaped on writing.
    return Buffer.from(body.replace(/\n>(>*From )/g, '\n$1'), 'latin1');
  });
}

/**
 * Finds the bundles in a file or folder: a bundle file, a .eml message, an mbox, a Maildir
 * (cur/ and new/), or a folder of any of these.
 */
export function findBundles(path: string): FoundBundle[] {
  if (!existsSync(path)) throw new TidemarkError('not_found', `${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const maildir = ['cur', 'new'].filter((d) => existsSync(join(path, d)));
    const dirs = maildir.length ? maildir.map((d) => join(path, d)) : [path];
    const out: FoundBundle[] = [];
    for (const d of dirs) {
      for (const f of readdirSync(d).sort()) {
        const p = join(d, f);
        if (statSync(p).isFile()) out.push(...findBundles(p));
      }
    }
    return out;
  }
  const raw = readFileSync(path);
  const head = raw.subarray(0, 64).toString('latin1');
  if (head.startsWith(MAGIC) || path.endsWith(BUNDLE_EXTENSION)) return [{ source: path, bytes: raw }];
  if (head.startsWith('From ')) return mboxMessages(raw).flatMap((m, i) => bundlesInMessage(m, `${path}, message ${i + 1}`));
  return bundlesInMessage(raw, path);
}
