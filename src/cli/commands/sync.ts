import type { Command } from '../command.js';
import { positiveNumber, str } from '../command.js';
import { TidemarkError } from '../../errors.js';
import { describeReport, Peers } from '../../sync/index.js';
import { syncOverHttp } from '../../transports/http/index.js';
import { fileRouteAfterFailure } from '../../transports/bundle/outbox.js';

export const syncCommand: Command = {
  name: 'sync',
  usage: 'tidemark sync [PEER | --all] [--limit N]',
  allowPositionals: true,
  options: { all: { type: 'boolean' }, limit: { type: 'string' } },
  async run(ctx) {
    const store = await ctx.openStore();
    try {
      const peers = new Peers(store);
      const target = ctx.positionals[0];
      let list = target ? [await peers.get(target)] : await peers.list();
      if (!target && !ctx.values.all && list.length > 1) throw new TidemarkError('invalid', 'several peers: name one or pass --all');
      list = list.filter((p) => p.url || p.name === target || p.uuid === target);
      if (!list.length) throw new TidemarkError('not_found', 'no peer to sync with (pair with "tidemark peer add URL --code CODE")');
      let failed = 0;
      const limit = str(ctx.values, 'limit') ? positiveNumber(ctx.values, 'limit', 0, { allowZero: true }) : undefined;
      for (const p of list) {
        const rep = await syncOverHttp(store, p, {
          limit,
          // The daemon of `tidemark serve` may be syncing with this peer right now: wait for it.
          waitMs: 120_000,
          onPage: (r, dir) => ctx.progress(`${p.name}: ${dir} ${r.resource} ${dir === 'pull' ? r.received : r.sent}`),
        });
        ctx.progress('');
        for (const line of describeReport(rep)) ctx.stdout.write(`${line}\n`);
        if (rep.result === 'error' || rep.result === 'fatal') failed++;
        // Unreachable peer or dropped link: offer the file route (a bundle to carry over; an Eden reads none).
        const offer = rep.result === 'error' && p.kind !== 'eden' ? await fileRouteAfterFailure(store, rep).catch(() => undefined) : undefined;
        if (offer) ctx.stderr.write(`${offer.message}\n`);
      }
      return failed ? 1 : 0;
    } finally {
      await store.close();
    }
  },
};
