import { createInvite } from '../../../sync/index.js';
import { positiveNumber, str } from '../../command.js';
import type { Store } from '../../../store/index.js';
import type { CommandContext } from '../../command.js';

/** `tidemark peer invite`: a one-time pairing code (--repair: for a known peer to pair again). */
export async function peerInvite(ctx: CommandContext, store: Store): Promise<number> {
  const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
  const repair = str(ctx.values, 'repair');
  const inv = await createInvite(store, positiveNumber(ctx.values, 'ttl', 3600, { allowZero: true }), repair ? { forPeer: repair } : {});
  out(inv.code);
  ctx.stderr.write(`pairing code for "${store.instance.name}", valid until ${inv.expires_at}, usable once:\n  tidemark peer add <this instance's URL> --code ${inv.code}\n`);
  return 0;
}
