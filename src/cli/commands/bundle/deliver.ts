import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TidemarkError } from '../../../errors.js';
import type { Store } from '../../../store/index.js';
import { bundleFileName, type BundleName, type WrittenBundle } from '../../../transports/bundle/export.js';
import { bundleToEml, checkAddress } from '../../../transports/bundle/mail.js';
import { writeAtomically } from '../../../transports/bundle/outbox.js';
import { sendMail, smtpSettings } from '../../../transports/bundle/smtp.js';
import type { CommandContext } from '../../command.js';
import { list, str } from '../../command.js';

function mailFrom(ctx: CommandContext, store: Store): string {
  return checkAddress(str(ctx.values, 'from') ?? process.env.TIDEMARK_MAIL_FROM ?? `tidemark-${store.instance.uuid.slice(0, 8)}@localhost`);
}

/** Where a bundle goes: -o FILE, -o DIR (named after the bundle), or the default folder. */
export function bundlePath(b: BundleName, target: string | undefined, defaultDir: string): string {
  const name = bundleFileName(b);
  const path = target ? resolve(target) : join(defaultDir, name);
  return existsSync(path) && statSync(path).isDirectory() ? join(path, name) : path;
}

/** Writes a bundle as a file, or as a .eml message (and sends it when SMTP is configured and asked for). */
export async function deliver(ctx: CommandContext, store: Store, b: WrittenBundle, target: string | undefined, defaultDir: string): Promise<string> {
  const name = bundleFileName(b);
  const asEml = ctx.values.eml === true;
  let path = bundlePath(b, target, defaultDir);
  if (!asEml) {
    writeAtomically(path, b.bytes);
    return path;
  }
  const to = list(ctx.values, 'to') ?? b.receivers.map((r) => r.contact ?? '').filter((c) => /@/.test(c));
  if (!to.length) throw new TidemarkError('invalid', 'no recipient address: give --to ADDR (or set the peer\'s contact to an e-mail address)');
  to.forEach(checkAddress);
  const eml = bundleToEml(b.bytes, b.header, name, { from: mailFrom(ctx, store), to });
  if (!path.endsWith('.eml')) path = path.replace(/\.tmb$/, '') + '.eml';
  writeAtomically(path, eml);
  if (ctx.values.send === true) {
    const smtp = smtpSettings();
    if (!smtp) throw new TidemarkError('invalid', `--send needs TIDEMARK_SMTP (smtp://host:port); the message was written to ${path}`);
    await sendMail(smtp, { from: mailFrom(ctx, store), to, message: eml });
    ctx.stderr.write(`sent to ${to.join(', ')} via ${smtp.host}:${smtp.port}\n`);
  }
  return path;
}
