import type { Store } from '../../../store/index.js';
import type { Peer } from '../../../sync/peers.js';
import { exportBundle, exportBundleFile } from '../../../transports/bundle/export.js';
import type { BundleHeader } from '../../../transports/bundle/format.js';
import type { CommandContext } from '../../command.js';
import { str } from '../../command.js';
import { bundlePath, deliver } from './deliver.js';

/** `tidemark bundle export`: the changes a peer or a cluster has not acknowledged, as a file or a message. */
export async function bundleExport(ctx: CommandContext, store: Store): Promise<number> {
  const opts = { peer: str(ctx.values, 'peer'), cluster: str(ctx.values, 'cluster'), onProgress: (n: number) => ctx.progress(`${n} records...`) };
  const target = str(ctx.values, 'output');
  let b: { header: BundleHeader; receivers: Peer[] };
  let path: string;
  let size: number;
  if (ctx.values.eml === true) {
    // A message holds its attachment in memory anyway (mail-size bundles).
    const m = await exportBundle(store, opts);
    [b, path, size] = [m, await deliver(ctx, store, m, target, process.cwd()), m.bytes.length];
  } else {
    // A file is streamed: flat memory whatever the number of records.
    const f = (await exportBundleFile(store, opts, (name) => bundlePath(name, target, process.cwd())))!;
    [b, path, size] = [f, f.path, f.size];
  }
  const ranges = Object.entries(b.header.ranges).filter(([, x]) => x.records > 0).map(([r, x]) => `${r} ${x.records}`);
  ctx.stdout.write(`${path}\n`);
  ctx.stderr.write(
    `bundle ${b.header.id}: ${b.header.body.records} change(s) for ${b.receivers.map((r) => r.name).join(', ')}, ${size} bytes${ranges.length ? ` (${ranges.join(', ')})` : ' (nothing new: it only acknowledges what was received)'}\n`,
  );
  return 0;
}
