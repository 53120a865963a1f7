import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { TidemarkError } from '../../errors.js';

/**
 * Handing a bundle message to a mail server, through nodemailer: STARTTLS when the server offers
 * it (required with `?starttls=required`), implicit TLS with smtps://, AUTH (PLAIN/LOGIN) with a
 * user and password in the URL. Configured by
 *
 *   TIDEMARK_SMTP=smtp://[user:password@]host[:port][?starttls=required] | smtps://...
 *   TIDEMARK_SMTP_CA=FILE   PEM certificate(s) to trust for the server (a site's own relay with a
 *                           self-signed certificate); otherwise the system's CAs.
 */
export interface SmtpSettings {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (smtps://, usually port 465). */
  secure?: boolean;
  /** Refuse to send unless the connection is upgraded with STARTTLS. */
  requireTls?: boolean;
  user?: string;
  password?: string;
  /** PEM certificates to trust for the server. */
  ca?: string;
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
    throw new TidemarkError('invalid', 'TIDEMARK_SMTP is not a URL like smtp://host:25 or smtps://user:password@host:465', { field: 'TIDEMARK_SMTP' });
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new TidemarkError('unsupported', `TIDEMARK_SMTP: only smtp:// and smtps:// are supported, not ${u.protocol}`);
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname,
    port: Number(u.port || (secure ? 465 : 25)),
    secure,
    requireTls: u.searchParams.get('starttls') === 'required',
    ...(u.username ? { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
    ...(env.TIDEMARK_SMTP_CA ? { ca: readFileSync(env.TIDEMARK_SMTP_CA, 'utf8') } : {}),
  };
}

/** Sends one complete message (as bundleToEml writes it) to the given recipients. */
export async function sendMail(s: SmtpSettings, mail: { from: string; to: string[]; message: string }): Promise<void> {
  const timeout = s.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure ?? false,
    requireTLS: s.requireTls ?? false,
    ...(s.user ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
    ...(s.ca ? { tls: { ca: s.ca } } : {}),
    name: s.helo ?? 'tidemark.localdomain',
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  try {
    await transport.sendMail({ envelope: { from: mail.from, to: mail.to }, raw: mail.message });
  } catch (e) {
    const err = e as Error & { code?: string; responseCode?: number };
    // A refusal by the server (authentication, a recipient, the message) is not worth retrying as is;
    // a connection that could not be made or was lost is.
    const code = err.responseCode ? 'refused' : 'link_down';
    throw new TidemarkError(code, `cannot send through SMTP server ${s.host}:${s.port}: ${err.message}`);
  } finally {
    transport.close();
  }
}
