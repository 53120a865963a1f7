import { resolve } from 'node:path';
import { TidemarkError } from '../../../errors.js';
import type { Store } from '../../../store/index.js';
import { watchFolder } from '../../../transports/bundle/watch.js';
import type { CommandContext } from '../../command.js';
import { positiveNumber, str } from '../../command.js';

/** `tidemark bundle watch DIR`: import what arrives in DIR/inbox, write what is due to DIR/outbox. */
export async function bundleWatch(ctx: CommandContext, store: Store, args: string[]): Promise<number> {
  if (args.length !== 1) throw new TidemarkError('invalid', 'usage: tidemark bundle watch DIR');
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const once = ctx.values.once === true;
  if (!once) ctx.stderr.write(`watching ${resolve(args[0]!)}/inbox and /outbox (Ctrl-C to stop)\n`);
  const reports = await watchFolder(store, resolve(args[0]!), {
    peer: str(ctx.values, 'peer'),
    cluster: str(ctx.values, 'cluster'),
    interval: positiveNumber(ctx.values, 'interval', 10, { allowZero: true }),
    once,
    signal: ac.signal,
    onEvent: (m) => ctx.stdout.write(`${m}\n`),
  });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  return reports.some((r) => r.refused.length) ? 1 : 0;
}
