import type { Command } from '../../command.js';
import { positiveNumber as num, subcommand } from '../../command.js';
import { radioCall } from './call.js';
import { radioEstimate } from './estimate.js';

/** `tidemark radio`: the options and which sub-command runs (one module each). */
export const radioCommand: Command = {
  name: 'radio',
  usage:
    'tidemark radio --kiss HOST:PORT --peer P --call MYCALL --peer-call CALL [--answer] [--bitrate 1200] [--kiss-port 0] [--txdelay MS] [--window N] [--wait SECONDS]\n' +
    '       tidemark radio estimate [--peer P] [--bitrate 1200]',
  options: {
    kiss: { type: 'string' },
    peer: { type: 'string' },
    call: { type: 'string' },
    'peer-call': { type: 'string' },
    answer: { type: 'boolean' },
    bitrate: { type: 'string' },
    'kiss-port': { type: 'string' },
    txdelay: { type: 'string' },
    window: { type: 'string' },
    wait: { type: 'string' },
    batch: { type: 'string' },
  },
  allowPositionals: true,
  async run(ctx) {
    const [sub, ...extra] = ctx.positionals;
    // Without a sub-command it calls the peer.
    if (sub !== undefined) subcommand(sub, ['estimate']);
    const bitrate = num(ctx.values, 'bitrate', 1200);
    return sub === undefined ? radioCall(ctx, bitrate) : radioEstimate(ctx, extra, bitrate);
  },
};
