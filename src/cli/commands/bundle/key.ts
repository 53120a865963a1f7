import { createPublicKey } from 'node:crypto';
import type { Store } from '../../../store/index.js';
import { generateSigningKey, signingKey } from '../../../transports/bundle/keys.js';
import type { CommandContext } from '../../command.js';

/** `tidemark bundle key`: this instance's bundle signing key (made with --generate). */
export async function bundleKey(ctx: CommandContext, store: Store): Promise<number> {
  let k: { id: string; publicPem: string };
  if (ctx.values.generate === true) k = await generateSigningKey(store, { replace: ctx.values.replace === true });
  else {
    const current = await signingKey(store);
    if (!current) {
      ctx.stderr.write('no signing key: bundles are authenticated by the pairing token only ("tidemark bundle key --generate" makes one)\n');
      return 1;
    }
    k = { id: current.id, publicPem: createPublicKey(current.key).export({ type: 'spki', format: 'pem' }).toString() };
  }
  ctx.stdout.write(k.publicPem);
  ctx.stderr.write(`key ${k.id}: give this public key to your peers ("tidemark bundle trust ${store.instance.uuid} KEY.pem")\n`);
  return 0;
}
