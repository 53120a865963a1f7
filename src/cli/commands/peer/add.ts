import { TidemarkError } from '../../../errors.js';
import { addEdenPeer } from '../../../transports/eden/index.js';
import { addHttpPeer } from '../../../transports/http/index.js';
import { list, str } from '../../command.js';
import type { Store } from '../../../store/index.js';
import type { CommandContext } from '../../command.js';

/** `tidemark peer add URL --code C`: pair with another instance over HTTP (--eden: add a Sahana Eden). */
export async function peerAdd(ctx: CommandContext, store: Store, arg: string | undefined): Promise<number> {
  const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
  if (!arg) throw new TidemarkError('invalid', 'peer add needs the URL of the other instance');
  if (ctx.values.eden) {
    const password = str(ctx.values, 'password') ?? process.env.TIDEMARK_EDEN_PASSWORD ?? '';
    const p = await addEdenPeer(store, arg, { user: str(ctx.values, 'user') ?? '', password, name: str(ctx.values, 'name'), clusters: list(ctx.values, 'cluster') });
    out(`added Sahana Eden "${p.name}" (${p.uuid}) at ${p.url} as ${p.user}`);
    return 0;
  }
  const code = str(ctx.values, 'code');
  if (!code) throw new TidemarkError('invalid', 'peer add needs --code (run "tidemark peer invite" on the other instance)');
  const p = await addHttpPeer(store, arg, { code, pin: str(ctx.values, 'pin') ?? null, name: str(ctx.values, 'name'), clusters: list(ctx.values, 'cluster'), myUrl: str(ctx.values, 'my-url') ?? null });
  out(`paired with "${p.name}" (${p.uuid}) at ${p.url}${p.pin ? `, certificate pinned to ${p.pin}` : ''}`);
  return 0;
}
