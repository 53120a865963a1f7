import type { Command } from '../command.js';
import { positiveNumber, str, subcommand } from '../command.js';
import { TidemarkError } from '../../errors.js';
import { describeConflict, listConflicts, resolveConflict, reverseConflict, type Side } from '../../sync/conflicts.js';

const shown = (v: unknown): string => {
  if (v && typeof v === 'object' && 'deleted' in v) {
    const d = v as { deleted: boolean; replaced_by: string | null };
    return d.deleted ? (d.replaced_by ? `merged into ${d.replaced_by}` : 'deleted') : 'live';
  }
  return v === null ? '(empty)' : JSON.stringify(v);
};

export const conflictsCommand: Command = {
  name: 'conflicts',
  usage: 'tidemark conflicts [list] [--resource R] [--all] | show ID | resolve ID --take local|remote | resolve ID --field F=local|remote,.. | reverse ID [--take local|remote]',
  allowPositionals: true,
  options: { resource: { type: 'string' }, all: { type: 'boolean' }, take: { type: 'string' }, field: { type: 'string' }, limit: { type: 'string' } },
  async run(ctx) {
    const [given, id] = ctx.positionals;
    const sub = subcommand(given, ['list', 'show', 'resolve', 'reverse'], 'list');
    const store = await ctx.openStore();
    const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
    try {
      if (sub === 'list') {
        const rows = await listConflicts(store, { resource: str(ctx.values, 'resource'), all: Boolean(ctx.values.all), limit: positiveNumber(ctx.values, 'limit', 100, { allowZero: true }) });
        if (!rows.length) out('no conflicts');
        for (const c of rows) {
          out(`#${c.id}\t${c.decided_on}\t${c.resource}\t${c.uuid}\t${c.policy}/${c.rule}\twinner=${c.winner}\t${Object.keys(c.decision.fields).join(',')}${c.reversed_on ? `\treversed ${c.reversed_on}` : ''}`);
        }
        return 0;
      }
      if (!id || !/^\d+$/.test(id)) throw new TidemarkError('invalid', `conflicts ${sub} needs a conflict number`);
      if (sub === 'show') {
        const v = await describeConflict(store, Number(id));
        out(`conflict #${v.id} on ${v.resource} ${v.uuid} (${v.rule})${v.reversed_on ? `, reversed ${v.reversed_on}` : ''}`);
        out(`kept: the change by ${v.kept.site} at ${v.kept.at}`);
        out(`lost: the change by ${v.lost.site} at ${v.lost.at}`);
        const width = Math.max(6, ...v.fields.map((f) => f.field.length));
        for (const f of v.fields) out(`  ${(f.field === '$deleted' ? 'status' : f.field).padEnd(width)}  kept ${shown(f.kept)}, lost ${shown(f.lost)}`);
        return 0;
      }
      if (sub === 'resolve') {
        const take = str(ctx.values, 'take');
        const fields = str(ctx.values, 'field');
        if (!take === !fields) throw new TidemarkError('invalid', 'conflicts resolve needs --take local|remote or --field F=local|remote,..');
        const choice = take ? { take: take as Side } : { fields: Object.fromEntries(fields!.split(',').map((p) => p.split('=') as [string, Side])) };
        const { record: r, entry } = await resolveConflict(store, Number(id), choice);
        out(`conflict #${id} decided by hand as #${entry}: ${r.resource} ${r.uuid} stored as a new change; the decision travels on the next sync`);
        return 0;
      }
      // reverse
      const take = str(ctx.values, 'take') as 'local' | 'remote' | undefined;
      const r = await reverseConflict(store, Number(id), take);
      out(`conflict #${id} reversed: ${r.resource} ${r.uuid} has the lost values again (${r.deleted ? 'deleted' : 'live'}); the reversal travels on the next sync and can itself be reversed`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
