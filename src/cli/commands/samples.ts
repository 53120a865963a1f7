import type { Command } from '../command.js';
import { loadSamples } from '../../samples/load.js';

export const samplesCommand: Command = {
  name: 'samples',
  usage: 'tidemark samples [--db URL]',
  async run(ctx) {
    const store = await ctx.openStore();
    try {
      ctx.progress('loading samples...');
      const { created, present } = await loadSamples(store);
      ctx.stdout.write(`samples: ${created} records created, ${present} already present\n`);
    } finally {
      await store.close();
    }
  },
};
