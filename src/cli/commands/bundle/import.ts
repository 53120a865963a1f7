import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TidemarkError } from '../../../errors.js';
import type { Store } from '../../../store/index.js';
import { importBundle } from '../../../transports/bundle/import.js';
import { findBundles } from '../../../transports/bundle/mail.js';
import type { CommandContext } from '../../command.js';
import { str } from '../../command.js';
import { deliver } from './deliver.js';

/** `tidemark bundle import`: bundles from files, mbox files or Maildirs; writes the acknowledgements. */
export async function bundleImport(ctx: CommandContext, store: Store, args: string[]): Promise<number> {
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
        const r = await importBundle(store, f.bundle);
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
