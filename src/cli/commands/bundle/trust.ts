import { readFileSync } from 'node:fs';
import { TidemarkError } from '../../../errors.js';
import type { Store } from '../../../store/index.js';
import { Peers } from '../../../sync/peers.js';
import { trustKey } from '../../../transports/bundle/keys.js';
import type { CommandContext } from '../../command.js';

/** `tidemark bundle trust PEER KEY.pem`: bundles from PEER must be signed by that key. */
export async function bundleTrust(ctx: CommandContext, store: Store, args: string[]): Promise<number> {
  if (args.length !== 2) throw new TidemarkError('invalid', 'usage: tidemark bundle trust PEER PUBLIC-KEY.pem');
  const peer = await new Peers(store).get(args[0]!);
  const id = await trustKey(store, peer.uuid, readFileSync(args[1]!, 'utf8'));
  ctx.stdout.write(`bundles from ${peer.name} must now be signed by key ${id}\n`);
  return 0;
}
