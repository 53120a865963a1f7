import type { Store } from '../../../store/index.js';
import { exportBundle } from '../../../transports/bundle/export.js';
import type { CommandContext } from '../../command.js';
import { str } from '../../command.js';
import { deliver } from './deliver.js';

/** `tidemark bundle export`: the changes a peer or a cluster has not acknowledged, as a file or a message. */
export async function bundleExport(ctx: CommandContext, store: Store): Promise<number> {
  const b = await exportBundle(store, {
    peer: str(ctx.values, 'peer'),
    cluster: str(ctx.values, 'cluster'),
    onProgress: (n) => ctx.progress(`${n} records...`),
  });
  const path = await deliver(ctx, store, b, str(ctx.values, 'output'), process.cwd());
  const ranges = Object.entries(b.header.ranges).filter(([, x]) => x.records > 0).map(([r, x]) => `${r} ${x.records}`);
  ctx.stdout.write(`${path}\n`);
  ctx.stderr.write(
    `bundle ${b.header.id}: ${b.header.body.records} change(s) for ${b.receivers.map((r) => r.name).join(', ')}, ${b.bytes.length} bytes${ranges.length ? ` (${ranges.join(', ')})` : ' (nothing new: it only acknowledges what was received)'}\n`,
  );
  return 0;
}
