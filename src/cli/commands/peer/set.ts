import { TidemarkError } from '../../../errors.js';
import { Peers } from '../../../sync/index.js';
import { list, str } from '../../command.js';
import { configFrom } from './config.js';
import type { Store } from '../../../store/index.js';
import type { CommandContext } from '../../command.js';

/** `tidemark peer set PEER ...`: a peer's own settings, clusters, address and pin. */
export async function peerSet(ctx: CommandContext, store: Store, arg: string | undefined): Promise<number> {
  const peers = new Peers(store);
  const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
  if (!arg) throw new TidemarkError('invalid', 'peer set needs a peer name or uuid');
  const p = await peers.configure(arg, {
    ...configFrom(ctx),
    clusters: list(ctx.values, 'cluster'),
    url: str(ctx.values, 'url'),
    pin: str(ctx.values, 'pin') === 'none' ? null : str(ctx.values, 'pin'),
    name: str(ctx.values, 'name'),
    owner: str(ctx.values, 'owner'),
    contact: str(ctx.values, 'contact'),
  });
  out(`${p.name}: ${JSON.stringify({ clusters: p.clusters, url: p.url, pin: p.pin, ...p.config })}`);
  return 0;
}
