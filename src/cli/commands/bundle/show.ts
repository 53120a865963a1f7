import { TidemarkError } from '../../../errors.js';
import { loadBundle } from '../../../transports/bundle/format.js';
import { findBundles } from '../../../transports/bundle/mail.js';
import type { CommandContext } from '../../command.js';

/** `tidemark bundle show FILE`: a bundle's header, without a database. */
export async function bundleShow(ctx: CommandContext, args: string[]): Promise<number> {
    if (args.length !== 1) throw new TidemarkError('invalid', 'usage: tidemark bundle show FILE');
    for (const f of await findBundles(args[0]!)) {
      const b = await loadBundle(f.bundle);
      ctx.stdout.write(`${f.source}\n${JSON.stringify({ ...b.header, hello: undefined, authenticated_for: [...b.macs.keys()], signed_by: b.signature?.keyId ?? null }, null, 2)}\n`);
    }
    return 0;
}
