import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { TidemarkError } from '../../errors.js';
import { BUNDLE_EXTENSION, BUNDLE_MEDIA_TYPE, bundleVersionOf, type BundleHeader } from './format.js';

/**
 * E-mail as a carrier: a bundle travels as the attachment of an ordinary MIME message, so any
 * mail system (a satellite terminal's webmail, a USB-carried .eml, a Maildir on a relay) can
 * move it. Reading accepts one .eml, an mbox, or a Maildir, and finds every bundle inside; the
 * MIME parsing is mailparser's (nodemailer's authors), not ours.
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

export interface FoundBundle {
  /** Where it was found: "message.eml", "mbox message 3", "Maildir/new/1234". */
  source: string;
  /** The bundle: its bytes (out of a message), or the path of a bundle file (read as a stream). */
  bundle: Buffer | string;
}

/**
 * Every bundle attached to one MIME message, parsed by mailparser (nested multiparts, base64 and
 * quoted-printable, RFC 2047 and RFC 2231 file names as other mail programs write them).
 */
export async function bundlesInMessage(raw: Buffer, source: string): Promise<FoundBundle[]> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  } catch (e) {
    throw new TidemarkError('malformed', `${source} is not a readable e-mail message: ${(e as Error).message}`);
  }
  const out: FoundBundle[] = [];
  for (const a of parsed.attachments) {
    const name = a.filename ?? '';
    const looksLike = a.contentType === BUNDLE_MEDIA_TYPE || name.endsWith(BUNDLE_EXTENSION) || bundleVersionOf(a.content) !== undefined;
    if (looksLike) out.push({ source: name ? `${source} (${name})` : source, bundle: a.content });
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

function firstBytes(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Finds the bundles in a file or folder: a bundle file, a .eml message, an mbox, a Maildir
 * (cur/ and new/), or a folder of any of these.
 */
export async function findBundles(path: string): Promise<FoundBundle[]> {
  if (!existsSync(path)) throw new TidemarkError('not_found', `${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const maildir = ['cur', 'new'].filter((d) => existsSync(join(path, d)));
    const dirs = maildir.length ? maildir.map((d) => join(path, d)) : [path];
    const out: FoundBundle[] = [];
    for (const d of dirs) {
      for (const f of readdirSync(d).sort()) {
        const p = join(d, f);
        if (statSync(p).isFile()) out.push(...(await findBundles(p)));
      }
    }
    return out;
  }
  const head = firstBytes(path, 64);
  // A bundle file is not loaded: it is read as a stream when imported.
  if (bundleVersionOf(head) !== undefined || path.endsWith(BUNDLE_EXTENSION)) return [{ source: path, bundle: path }];
  const raw = readFileSync(path);
  if (head.toString('latin1').startsWith('From ')) {
    const out: FoundBundle[] = [];
    for (const [i, m] of mboxMessages(raw).entries()) out.push(...(await bundlesInMessage(m, `${path}, message ${i + 1}`)));
    return out;
  }
  return bundlesInMessage(raw, path);
}
