import type { Command } from '../command.js';
import { str } from '../command.js';
import { TidemarkError } from '../../errors.js';
import { purgeTombstones } from '../../sync/index.js';

/** "30d", "12h" or an ISO instant. */
function olderThan(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const m = /^(\d+)([dh])$/.exec(v);
  if (m) return new Date(Date.now() - Number(m[1]) * (m[2] === 'd' ? 86_400_000 : 3_600_000)).toISOString();
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new TidemarkError('invalid', `--older-than ${v}: expected e.g. 30d, 12h or an ISO date`);
  return d.toISOString();
}

export const purgeCommand: Command = {
  name: 'purge',
  usage: 'tidemark purge [--older-than 30d|ISO] [--dry-run]',
  options: { 'older-than': { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run(ctx) {
    const store = await ctx.openStore();
    try {
      const rep = await purgeTombstones(store, { olderThan: olderThan(str(ctx.values, 'older-than')), dryRun: Boolean(ctx.values['dry-run']) });
      let n = 0;
      for (const r of rep) {
        n += r.purged;
        ctx.stdout.write(`${r.resource}: ${ctx.values['dry-run'] ? 'would purge' : 'purged'} ${r.purged}, kept ${r.kept} (not yet acknowledged by every peer)\n`);
      }
      if (!rep.length) ctx.stdout.write('no tombstones\n');
      else ctx.stderr.write(`${n} tombstone(s) ${ctx.values['dry-run'] ? 'purgeable' : 'purged'}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
