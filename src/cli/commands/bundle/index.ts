import type { Store } from '../../../store/index.js';
import { subcommand, type Command, type CommandContext } from '../../command.js';
import { bundleExport } from './export.js';
import { bundleImport } from './import.js';
import { bundleKey } from './key.js';
import { bundleShow } from './show.js';
import { bundleTrust } from './trust.js';
import { bundleWatch } from './watch.js';

const USAGE = [
  'tidemark bundle export --peer P|--cluster C [-o FILE|DIR] [--eml [--to ADDR,...] [--from ADDR] [--send]]',
  '       tidemark bundle import FILE|MBOX|MAILDIR... [--ack-dir DIR] [--eml]',
  '       tidemark bundle watch DIR [--peer P|--cluster C] [--interval S] [--once]',
  '       tidemark bundle show FILE',
  '       tidemark bundle key [--generate] [--replace]',
  '       tidemark bundle trust PEER PUBLIC-KEY.pem',
].join('\n');

const SUBCOMMANDS = new Map<string, (ctx: CommandContext, store: Store, args: string[]) => Promise<number>>([
  ['export', bundleExport],
  ['import', bundleImport],
  ['watch', bundleWatch],
  ['key', bundleKey],
  ['trust', bundleTrust],
]);

/** `tidemark bundle`: the options and which sub-command runs (one module each). */
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
    const [given, ...args] = ctx.positionals;
    const sub = subcommand(given, ['export', 'import', 'watch', 'show', 'key', 'trust']);
    // `show` reads a file and needs no database.
    if (sub === 'show') return bundleShow(ctx, args);
    const run = SUBCOMMANDS.get(sub)!;
    const store = await ctx.openStore();
    try {
      return await run(ctx, store, args);
    } finally {
      await store.close();
    }
  },
};
