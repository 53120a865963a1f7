import type { Command } from '../command.js';
import { serveCommand } from './serve.js';
import { samplesCommand } from './samples.js';
import { firstAdmin } from './init.js';
import { publish } from '../../auth/index.js';

/** What the demo opens to anyone, said out loud when it starts. */
export const DEMO_PUBLISHED = ['feed:edxl-have', 'feed:cap', 's3xml:med_hospital', 's3xml:org_office'];

/** `npm start`: a newcomer's first run — database, samples, first admin, published feeds, service. */
export const demoCommand: Command = {
  name: 'demo',
  usage: 'tidemark demo [--db URL] [--host 127.0.0.1] [--port 8080]',
  options: serveCommand.options,
  async run(ctx) {
    await samplesCommand.run(ctx);
    const store = await ctx.openStore();
    try {
      await firstAdmin(ctx, store);
      await publish(store, DEMO_PUBLISHED);
      ctx.stdout.write(
        `published without sign-in (demo): ${DEMO_PUBLISHED.join(', ')}; close them with "tidemark publish --remove ITEM". Everything else needs a user (tidemark user add).\n`,
      );
    } finally {
      await store.close();
    }
    return serveCommand.run(ctx);
  },
};
