import type { Command } from '../command.js';
import { positiveNumber, subcommand } from '../command.js';
import { TidemarkError } from '../../errors.js';
import { historyKeep, setHistoryKeep } from '../../store/index.js';
import { localTime } from '../../sync/conflicts.js';
import { versionHistory, type VersionView } from '../../sync/history.js';

const shown = (v: unknown): string => (v === null || v === undefined ? '(empty)' : typeof v === 'string' && !/^[{["]/.test(v) ? v : JSON.stringify(v));

/** Where a version came from, in words. */
export function sourceText(v: Pick<VersionView, 'source' | 'source_label' | 'via'>): string {
  if (v.source === 'peer') return `from peer ${v.source_label ?? '?'}${v.via ? ` by ${v.via}` : ''}`;
  if (v.source === 'import') return `import${v.source_label ? ` ${v.source_label}` : ''}`;
  return `edit${v.source_label ? ` by ${v.source_label}` : ''}`;
}

export const recordCommand: Command = {
  name: 'record',
  usage: 'tidemark record history RESOURCE UUID [--limit N] | record keep [N]  (versions kept per record; 0 keeps none)',
  allowPositionals: true,
  options: { limit: { type: 'string' } },
  async run(ctx) {
    const [given, a, b] = ctx.positionals;
    const sub = subcommand(given, ['history', 'keep']);
    const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
    const store = await ctx.openStore();
    try {
      if (sub === 'history') {
        if (!a || !b) throw new TidemarkError('invalid', 'record history needs RESOURCE and UUID');
        const versions = await versionHistory(store, a, b, { limit: positiveNumber(ctx.values, 'limit', 20) });
        if (!versions.length) out('no versions kept (record keep 0, or written before versions were kept)');
        for (const v of versions) {
          out(`${localTime(v.modified_on)}\t${sourceText(v)}\tchanged at ${v.changed_by_site}\t${Object.entries(v.version).map(([k, n]) => `${k.slice(0, 8)}:${n}`).join(' ')}`);
          for (const c of v.changes) out(`  ${c.field === '$deleted' ? 'status' : c.field}: ${c.before === undefined ? '' : `${shown(c.before)} -> `}${shown(c.after)}`);
        }
        return 0;
      }
      // keep
      if (a !== undefined) {
        if (!/^\d+$/.test(a)) throw new TidemarkError('invalid', `record keep takes a whole number, not "${a}"`, { field: 'history_keep' });
        await setHistoryKeep(store.knex, Number(a));
      }
      out(`versions kept per record: ${await historyKeep(store.knex)}`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
