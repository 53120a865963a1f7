import type { Command, CommandContext } from '../command.js';
import { str } from '../command.js';
import { ensureFirstAdmin } from '../../auth/index.js';
import type { Store } from '../../store/index.js';

/** Creates the first admin if nobody has an account yet, and says how to sign in. */
export async function firstAdmin(ctx: CommandContext, store: Store): Promise<void> {
  const made = await ensureFirstAdmin(store, str(ctx.values, 'admin') ?? 'admin', process.env.TIDEMARK_ADMIN_PASSWORD || undefined);
  if (!made) return;
  const shown = process.env.TIDEMARK_ADMIN_PASSWORD ? '(from TIDEMARK_ADMIN_PASSWORD)' : `${made.password}   (shown once: keep it, or change it with "tidemark user passwd ${made.name}")`;
  // stderr, like the other human lines: stdout stays the instance uuid for scripts.
  ctx.stderr.write(
    [
      `admin account: ${made.name}`,
      `  password: ${shown}`,
      `  sign in with HTTP Basic (curl -u ${made.name}:PASSWORD ...), or make a token for programs: tidemark token create ${made.name}`,
      '',
    ].join('\n'),
  );
}

export const initCommand: Command = {
  name: 'init',
  usage: 'tidemark init [--db URL] [--name NAME] [--admin NAME]   (TIDEMARK_ADMIN_PASSWORD sets the admin password for scripts)',
  options: { name: { type: 'string' }, admin: { type: 'string' } },
  async run(ctx) {
    const store = await ctx.openStore({ instanceName: str(ctx.values, 'name') });
    try {
      ctx.stdout.write(`${store.instance.uuid}\n`);
      await firstAdmin(ctx, store);
      ctx.stderr.write(`instance "${store.instance.name}" ready on ${store.db.url}\n`);
    } finally {
      await store.close();
    }
  },
};
