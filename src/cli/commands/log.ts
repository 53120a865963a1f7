import type { Command } from '../command.js';
import { positiveNumber, str } from '../command.js';
import { readSyncLog, syncLogCsv, type SyncResult } from '../../sync/synclog.js';

export const logCommand: Command = {
  name: 'log',
  usage: 'tidemark log [--peer PEER] [--result success|warning|error|fatal] [--limit 50] [--json | --csv]',
  options: { peer: { type: 'string' }, limit: { type: 'string' }, result: { type: 'string' }, json: { type: 'boolean' }, csv: { type: 'boolean' } },
  async run(ctx) {
    const store = await ctx.openStore();
    try {
      const rows = await readSyncLog(store.knex, { peer: str(ctx.values, 'peer'), limit: positiveNumber(ctx.values, 'limit', 50, { allowZero: true }), result: str(ctx.values, 'result') as SyncResult | undefined });
      if (ctx.values.csv) {
        ctx.stdout.write(syncLogCsv(rows));
        return 0;
      }
      if (ctx.values.json) {
        ctx.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
        return 0;
      }
      if (!rows.length) ctx.stdout.write('the sync log is empty\n');
      for (const r of rows) {
        ctx.stdout.write(
          `${r.at}\t${r.peer_name ?? r.peer.slice(0, 8)}\t${r.direction}\t${r.resource ?? '*'}\t${r.result}\tsent=${r.sent} received=${r.received} conflicts=${r.conflicts} bytes=${r.bytes} ${r.duration_ms}ms${r.message ? `\t${r.message}` : ''}\n`,
        );
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};
