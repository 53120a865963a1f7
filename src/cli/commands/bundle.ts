import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TidemarkError } from '../../errors.js';
import { bundleFileName, exportBundle, type WrittenBundle } from '../../transports/bundle/export.js';
import { readBundle } from '../../transports/bundle/format.js';
import { importBundle } from '../../transports/bundle/import.js';
import { generateSigningKey, signingKey, trustKey } from '../../transports/bundle/keys.js';
import { Peers } from '../../sync/peers.js';
import { bundleToEml, checkAddress, findBundles } from '../../transports/bundle/mail.js';
import { writeAtomically } from '../../transports/bundle/outbox.js';
import { sendMail, smtpSettings } from '../../transports/bundle/smtp.js';
import { watchFolder } from '../../transports/bundle/watch.js';
import type { Store } from '../../store/index.js';
import type { Command, CommandContext } from '../command.js';
import { list, positiveNumber, str } from '../command.js';

const USAGE = [
  'tidemark bundle export --peer P|--cluster C [-o FILE|DIR] [--eml [--to ADDR,...] [--from ADDR] [--send]]',
  '       tidemark bundle import FILE|MBOX|MAILDIR... [--ack-dir DIR] [--eml]',
  '       tidemark bundle watch DIR [--peer P|--cluster C] [--interval S] [--once]',
  '       tidemark bundle show FILE',
  '       tidemark bundle key [--generate] [--replace]',
  '       tidemark bundle trust PEER PUBLIC-KEY.pem',
].join('\n');

function mailFrom(ctx: CommandContext, store: Store): string {
  return checkAddress(str(ctx.values, 'from') ?? process.env.TIDEMARK_MAIL_FROM ?? `tidemark-${store.instance.uuid.slice(0, 8)}@localhost`);
}

/** Writes a bundle as a file, or as a .eml message (and sends it when SMTP is configured and asked for). */
async function deliver(ctx: CommandContext, store: Store, b: WrittenBundle, target: string | undefined, defaultDir: string): Promise<string> {
  const name = bundleFileName(b);
  const asEml = ctx.values.eml === true;
  let path = target ? resolve(target) : join(defaultDir, name);
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, name);
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

export const bundleCommand: Command = {
  name: 'bundle',
  usage: USAGE,
  options: {
    peer: { type: 'string' },
    cluster: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'ack-dir': { type: 'string' },
    eml: { type: 'boolean' },
    to: { type: 'string' },
    from: { type: 'string' },
    send: { type: 'boolean' },
    interval: { type: 'string' },
    once: { type: 'boolean' },
    generate: { type: 'boolean' },
    replace: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(ctx) {
    const [sub, ...args] = ctx.positionals;
    if (sub === 'show') {
      if (args.length !== 1) throw new TidemarkError('invalid', 'usage: tidemark bundle show FILE');
      for (const f of await findBundles(args[0]!)) {
        const b = readBundle(f.bytes);
        ctx.stdout.write(`${f.source}\n${JSON.stringify({ ...b.header, hello: undefined, authenticated_for: [...b.macs.keys()], signed_by: b.signature?.keyId ?? null }, null, 2)}\n`);
      }
      return 0;
    }
    const store = await ctx.openStore();
    try {
      switch (sub) {
        case 'export': {
          const b = await exportBundle(store, {
            peer: str(ctx.values, 'peer'),
            cluster: str(ctx.values, 'cluster'),
            onProgress: (n) => ctx.progress(`${n} records...`),
          });
          const path = await deliver(ctx, store, b, str(ctx.values, 'output'), process.cwd());
          const ranges = Object.entries(b.header.ranges).filter(([, x]) => x.records > 0).map(([r, x]) => `${r} ${x.records}`);
          ctx.stdout.write(`${path}\n`);
          ctx.stderr.write(
            `bundle ${b.header.id}: ${b.header.body.records} change(s) for ${b.receivers.map((r) => r.name).join(', ')}, ${b.bytes.length} bytes${ranges.length ? ` (${ranges.join(', ')})` : ' (nothing new: it only acknowledges what was received)'}\n`,
          );
          return 0;
        }
        case 'import': {
          if (!args.length) throw new TidemarkError('invalid', 'usage: tidemark bundle import FILE|MBOX|MAILDIR...');
          let failed = 0;
          for (const input of args) {
            const found = await findBundles(input);
            if (!found.length) {
              ctx.stderr.write(`${input}: no Tidemark bundle found\n`);
              failed++;
              continue;
            }
            for (const f of found) {
              try {
                const r = await importBundle(store, f.bytes);
                const what = r.repeat
                  ? 'imported before, nothing applied again'
                  : r.header.kind === 'ack'
                    ? r.acknowledged.length
                      ? `${r.sender.name} confirms it holds this instance's changes (${r.acknowledged.length} resource(s) moved forward)`
                      : 'nothing new confirmed'
                    : `${r.received} record(s), ${r.applied} applied, ${r.conflicts} conflict(s)${r.acknowledged.length ? `; ${r.sender.name} acknowledged ${r.acknowledged.length} resource(s)` : ''}`;
                ctx.stdout.write(`${f.source}: ${r.header.kind} bundle from ${r.sender.name}: ${what}\n`);
                for (const w of r.warnings.filter((x) => !r.repeat || !x.includes('imported already'))) ctx.stderr.write(`  ${w}\n`);
                if (r.ack) {
                  const dir = str(ctx.values, 'ack-dir') ?? (existsSync(input) && statSync(input).isDirectory() ? input : dirname(input));
                  try {
                    const path = await deliver(ctx, store, r.ack, undefined, resolve(dir));
                    ctx.stdout.write(`  acknowledgement for ${r.sender.name}: ${path}\n`);
                  } catch (e) {
                    // The import stands; only the receipt is missing (importing again rewrites it).
                    if (!(e instanceof TidemarkError)) throw e;
                    failed++;
                    ctx.stderr.write(`  imported, but no acknowledgement was written: ${e.describe()}\n`);
                  }
                }
              } catch (e) {
                if (!(e instanceof TidemarkError)) throw e;
                failed++;
                ctx.stderr.write(`${f.source}: refused: ${e.describe()}\n`);
                for (const p of e.problems.slice(0, 10)) ctx.stderr.write(`  ${p.describe()}\n`);
              }
            }
          }
          return failed ? 1 : 0;
        }
        case 'watch': {
          if (args.length !== 1) throw new TidemarkError('invalid', 'usage: tidemark bundle watch DIR');
          const ac = new AbortController();
          const stop = (): void => ac.abort();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          const once = ctx.values.once === true;
          if (!once) ctx.stderr.write(`watching ${resolve(args[0]!)}/inbox and /outbox (Ctrl-C to stop)\n`);
          const reports = await watchFolder(store, resolve(args[0]!), {
            peer: str(ctx.values, 'peer'),
            cluster: str(ctx.values, 'cluster'),
            interval: positiveNumber(ctx.values, 'interval', 10, { allowZero: true }),
            once,
            signal: ac.signal,
            onEvent: (m) => ctx.stdout.write(`${m}\n`),
          });
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          return reports.some((r) => r.refused.length) ? 1 : 0;
        }
        case 'key': {
          let k: { id: string; publicPem: string };
          if (ctx.values.generate === true) k = await generateSigningKey(store, { replace: ctx.values.replace === true });
          else {
            const current = await signingKey(store);
            if (!current) {
              ctx.stderr.write('no signing key: bundles are authenticated by the pairing token only ("tidemark bundle key --generate" makes one)\n');
              return 1;
            }
            k = { id: current.id, publicPem: createPublicKey(current.key).export({ type: 'spki', format: 'pem' }).toString() };
          }
          ctx.stdout.write(k.publicPem);
          ctx.stderr.write(`key ${k.id}: give this public key to your peers ("tidemark bundle trust ${store.instance.uuid} KEY.pem")\n`);
          return 0;
        }
        case 'trust': {
          if (args.length !== 2) throw new TidemarkError('invalid', 'usage: tidemark bundle trust PEER PUBLIC-KEY.pem');
          const peer = await new Peers(store).get(args[0]!);
          const id = await trustKey(store, peer.uuid, readFileSync(args[1]!, 'utf8'));
          ctx.stdout.write(`bundles from ${peer.name} must now be signed by key ${id}\n`);
          return 0;
        }
        default:
          throw new TidemarkError('invalid', `usage: ${USAGE}`);
      }
    } finally {
      await store.close();
    }
  },
};
