import { connect, type Socket } from 'node:net';
import { TidemarkError } from '../../errors.js';

/**
 * A minimal SMTP client (RFC 5321: EHLO, MAIL, RCPT, DATA) for handing a bundle message to the
 * site's own relay, e.g. the mail server of a satellite terminal. No TLS and no authentication:
 * it is meant for a relay on the local network or on this machine (TIDEMARK_SMTP=smtp://host:port).
 */
export interface SmtpSettings {
  host: string;
  port: number;
  /** Name this client gives in EHLO. */
  helo?: string;
  timeoutMs?: number;
}

export function smtpSettings(env: NodeJS.ProcessEnv = process.env): SmtpSettings | undefined {
  const raw = env.TIDEMARK_SMTP;
  if (!raw) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TidemarkError('invalid', `TIDEMARK_SMTP "${raw}" is not a URL like smtp://host:25`);
  }
  if (u.protocol !== 'smtp:') throw new TidemarkError('unsupported', `TIDEMARK_SMTP: only smtp:// is supported, not ${u.protocol}`);
  return { host: u.hostname, port: Number(u.port || 25) };
}

/** Reads SMTP replies (multi-line "250-..." ... "250 ...") one at a time. */
class Replies {
  private buffer = '';
  private waiting: ((r: { code: number; text: string }) => void)[] = [];
  private ready: { code: number; text: string }[] = [];
  private failure: Error | undefined;
  private failed: ((e: Error) => void)[] = [];

  constructor(socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      for (;;) {
        const m = /^((?:\d{3}-[^\n]*\n)*)(\d{3})(?: [^\n]*)?\n/.exec(this.buffer.replace(/\r/g, ''));
        if (!m) break;
        const text = this.buffer.replace(/\r/g, '').slice(0, m[0].length);
        this.buffer = this.buffer.replace(/\r/g, '').slice(m[0].length);
        const reply = { code: Number(m[2]), text: text.trim() };
        const w = this.waiting.shift();
        if (w) {
          this.failed.shift();
          w(reply);
        } else this.ready.push(reply);
      }
    });
    const fail = (e: Error): void => {
      this.failure = e;
      for (const f of this.failed.splice(0)) f(e);
      this.waiting = [];
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the SMTP server')));
  }

  next(): Promise<{ code: number; text: string }> {
    const r = this.ready.shift();
    if (r) return Promise.resolve(r);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      this.failed.push(reject);
    });
  }
}

/** Dot-stuffing and CRLF line ends for DATA (RFC 5321 §4.5.2). */
function dataBlock(message: string): string {
  const lines = message.replace(/\r?\n/g, '\r\n').split('\r\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return `${lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n')}\r\n.\r\n`;
}

export async function sendMail(s: SmtpSettings, mail: { from: string; to: string[]; message: string }): Promise<void> {
  const socket = connect({ host: s.host, port: s.port });
  socket.setTimeout(s.timeoutMs ?? 30_000, () => socket.destroy(new Error(`SMTP server ${s.host}:${s.port} did not answer in time`)));
  const replies = new Replies(socket);
  const expect = async (what: string, ok: (code: number) => boolean): Promise<void> => {
    const r = await replies.next();
    if (!ok(r.code)) throw new TidemarkError('invalid', `SMTP server ${s.host}:${s.port} refused ${what}: ${r.text}`);
  };
  const send = (line: string): void => {
    socket.write(`${line}\r\n`);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    await expect('the connection', (c) => c === 220);
    send(`EHLO ${s.helo ?? 'tidemark.localdomain'}`);
    await expect('EHLO', (c) => c === 250);
    send(`MAIL FROM:<${mail.from}>`);
    await expect(`sender ${mail.from}`, (c) => c === 250);
    for (const to of mail.to) {
      send(`RCPT TO:<${to}>`);
      await expect(`recipient ${to}`, (c) => c === 250 || c === 251);
    }
    send('DATA');
    await expect('DATA', (c) => c === 354);
    socket.write(dataBlock(mail.message));
    await expect('the message', (c) => c === 250);
    send('QUIT');
    await replies.next().catch(() => undefined);
  } catch (e) {
    if (e instanceof TidemarkError) throw e;
    throw new TidemarkError('invalid', `cannot send through SMTP server ${s.host}:${s.port}: ${(e as Error).message}`);
  } finally {
    socket.destroy();
  }
}
