import { Peers } from '../../../sync/index.js';
import { configFrom } from './config.js';
import type { Store } from '../../../store/index.js';
import type { CommandContext } from '../../command.js';

/** `tidemark peer cluster [NAME ...]`: list clusters, or set one's settings. */
export async function peerCluster(ctx: CommandContext, store: Store, arg: string | undefined): Promise<number> {
  const peers = new Peers(store);
  const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
  if (!arg) {
    for (const c of await peers.clusters()) out(`${c.name}\t${JSON.stringify(c.config)}`);
    return 0;
  }
  const existing = (await peers.clusters()).find((c) => c.name === arg)?.config ?? {};
  await peers.setCluster(arg, { ...existing, ...configFrom(ctx) });
  out(`cluster ${arg}: ${JSON.stringify({ ...existing, ...configFrom(ctx) })}`);
  return 0;
}
