import { TidemarkError } from '../../../errors.js';
import { Peers } from '../../../sync/index.js';
import type { Store } from '../../../store/index.js';
import type { CommandContext } from '../../command.js';

/** `tidemark peer remove PEER`. */
export async function peerRemove(ctx: CommandContext, store: Store, arg: string | undefined): Promise<number> {
  const peers = new Peers(store);
  const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
  if (!arg) throw new TidemarkError('invalid', 'peer remove needs a peer name or uuid');
  const p = await peers.remove(arg);
  out(`removed peer "${p.name}" (${p.uuid})`);
  return 0;
}
