import { Peers } from '../../../sync/peers.js';
import type { Store } from '../../../store/index.js';
import type { CommandContext } from '../../command.js';

/** `tidemark peer list`: every peer, the settings in force and the last sync. */
export async function peerList(ctx: CommandContext, store: Store): Promise<number> {
  const peers = new Peers(store);
  const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
  const all = await peers.list();
  if (!all.length) out('no peers (pair with "tidemark peer add URL --code CODE")');
  for (const p of all) {
    const e = await peers.effective(p);
    out(
      `${p.name}\t${p.uuid}\t${p.kind === 'eden' ? `eden ${p.url} as ${p.user ?? '-'}` : (p.url ?? '(calls us)')}\tclusters=${p.clusters.join(',') || '-'}\t${e.direction} ${e.policy} every ${e.interval}s${e.window ? ` in ${e.window}` : ''}\tlast=${p.last_sync_on ?? 'never'} ${p.last_result ?? ''}${p.failures ? ` failures=${p.failures}` : ''}`,
    );
  }
  return 0;
}
