import type { Command } from '../command.js';
import { positiveNumber, str } from '../command.js';
import { TidemarkError } from '../../errors.js';
import { getConflict, listConflicts, resolveConflict, reverseConflict, type Side } from '../../sync/index.js';
import type { RecordVersion } from '../../store/index.js';

const brief = (v: RecordVersion): string => `${v.deleted ? (v.replaced_by ? `merged into ${v.replaced_by}` : 'deleted') : 'live'} by ${v.changed_by.slice(0, 8)} at ${v.hlc}`;

export const conflictsCommand: Command = {
  name: 'conflicts',
  usage: 'tidemark conflicts [list] [--resource R] [--all] | show ID | resolve ID --take local|remote | resolve ID --field F=local|remote,.. | reverse ID [--take local|remote]',
  allowPositionals: true,
  options: { resource: { type: 'string' }, all: { type: 'boolean' }, take: { type: 'string' }, field: { type: 'string' }, limit: { type: 'string' } },
  async run(ctx) {
    const [sub = 'list', id] = ctx.positionals;
    const store = await ctx.openStore();
    const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
    try {
      if (sub === 'list') {
        const rows = await listConflicts(store, { resource: str(ctx.values, 'resource'), all: Boolean(ctx.values.all), limit: positiveNumber(ctx.values, 'limit', 100, { allowZero: true }) });
        if (!rows.length) out('no conflicts');
        for (const c of rows) {
          out(`#${c.id}\t${c.decided_on}\t${c.resource}\t${c.uuid}\t${c.policy}/${c.rule}\twinner=${c.winner}${c.reversed_on ? `\treversed ${c.reversed_on}` : ''}`);
        }
        return 0;
      }
      if (!id || !/^\d+$/.test(id)) throw new TidemarkError('invalid', `conflicts ${sub} needs a conflict number`);
      if (sub === 'show') {
        const c = await getConflict(store, Number(id));
        out(`conflict #${c.id} on ${c.resource} ${c.uuid}, decided ${c.decided_on} by ${c.policy} (${c.rule}): ${c.winner} won${c.reversed_on ? `, reversed ${c.reversed_on}` : ''}`);
        out(`local:  ${brief(c.local)}\n  ${JSON.stringify(c.local.data)}`);
        out(`remote: ${brief(c.remote)} (from peer ${c.peer})\n  ${JSON.stringify(c.remote.data)}`);
        out(`stored: ${brief(c.result)}\n  ${JSON.stringify(c.result.data)}`);
        return 0;
      }
      if (sub === 'resolve') {
        const take = str(ctx.values, 'take');
        const fields = str(ctx.values, 'field');
        if (!take === !fields) throw new TidemarkError('invalid', 'conflicts resolve needs --take local|remote or --field F=local|remote,..');
        const choice = take ? { take: take as Side } : { fields: Object.fromEntries(fields!.split(',').map((p) => p.split('=') as [string, Side])) };
        const r = await resolveConflict(store, Number(id), choice);
        out(`conflict #${id} decided by hand: ${r.resource} ${r.uuid} stored as a new change; it travels on the next sync`);
        return 0;
      }
      if (sub === 'reverse') {
        const take = str(ctx.values, 'take') as 'local' | 'remote' | undefined;
        const r = await reverseConflict(store, Number(id), take);
        out(`conflict #${id} reversed: ${r.resource} ${r.uuid} is now ${r.deleted ? 'deleted' : 'live'} with the other side's content; it travels on the next sync`);
        return 0;
      }
      ctx.stderr.write(`tidemark conflicts: unknown subcommand "${sub}"\n`);
      return 2;
    } finally {
      await store.close();
    }
  },
};
