import { TidemarkError } from '../../../errors.js';
import { Peers } from '../../../sync/peers.js';
import { estimateRadio } from '../../../transports/radio/engine.js';
import type { CommandContext } from '../../command.js';
import { str } from '../../command.js';
import { f1 } from './format.js';

/** `tidemark radio estimate`: what a radio sync with each peer (or one) would put on the air now. */
export async function radioEstimate(ctx: CommandContext, extra: string[], bitrate: number): Promise<number> {
  if (extra.length) throw new TidemarkError('invalid', 'usage: tidemark radio estimate [--peer P] [--bitrate N]');
  const store = await ctx.openStore();
  try {
    const peer = str(ctx.values, 'peer');
    const peers = peer ? [await new Peers(store).get(peer)] : await new Peers(store).list();
    if (!peers.length) ctx.stdout.write('No peers yet (see "tidemark peer add").\n');
    for (const p of peers) {
      const e = await estimateRadio(store, p.uuid, bitrate);
      ctx.stdout.write(
        `${p.name}: ${e.records} record(s) to send${e.pending > e.records ? ` (${e.pending - e.records} more pending that the peer holds already)` : ''}, ${e.bytes} bytes, ` +
          `${f1(e.seconds)} s of air time at ${bitrate} bit/s (about ${f1(e.secondsWithOverhead)} s with framing, acknowledgements and 10% loss)\n`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}
