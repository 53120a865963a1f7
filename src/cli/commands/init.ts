import type { Command } from '../command.js';
import { str } from '../command.js';

export const initCommand: Command = {
  name: 'init',
  usage: 'tidemark init [--db URL] [--name NAME]',
  options: { name: { type: 'string' } },
  async run(ctx) {
    const store = await ctx.openStore({ instanceName: str(ctx.values, 'name') });
    try {
      ctx.stdout.write(`${store.instance.uuid}\n`);
      ctx.stderr.write(`instance "${store.instance.name}" ready on ${store.db.url}\n`);
    } finally {
      await store.close();
    }
  },
};
