import type { Command } from '../command.js';
import { list, subcommand } from '../command.js';
import { TidemarkError } from '../../errors.js';
import { loadPartners, type Partner } from '../../interchange/partners.js';
import { addPartner, listStoredPartners, revokePartner } from '../../interchange/partner-tokens.js';

const USAGE = [
  'tidemark partner add NAME --formats F,.. --resources R,..   a partner that pushes to /inbound/FORMAT; its token is shown once',
  '       tidemark partner list                                those added here and those of the TIDEMARK_PARTNERS file',
  '       tidemark partner revoke NAME                         its token stops working (the file\'s partners are changed in the file)',
].join('\n');

const filePartners = (): Partner[] => (process.env.TIDEMARK_PARTNERS ? loadPartners(process.env.TIDEMARK_PARTNERS) : []);

/** `tidemark partner ...`: the same functions as the console's Administration page. */
export const partnerCommand: Command = {
  name: 'partner',
  usage: USAGE,
  allowPositionals: true,
  options: { formats: { type: 'string' }, resources: { type: 'string' } },
  async run(ctx) {
    const [given, name] = ctx.positionals;
    const action = subcommand(given, ['add', 'list', 'revoke'], 'list');
    const need = (): string => {
      if (!name) throw new TidemarkError('invalid', `partner ${action}: name the partner\nUsage: ${USAGE}`);
      return name;
    };
    const store = await ctx.openStore();
    try {
      switch (action) {
        case 'add': {
          const { partner, token } = await addPartner(store, filePartners(), { name: need(), formats: list(ctx.values, 'formats') ?? [], resources: list(ctx.values, 'resources') ?? [], addedBy: 'cli' });
          ctx.stdout.write(`partner ${partner.name} added (${partner.formats.join(', ')}; ${partner.resources.join(', ')}); token (shown once): ${token}\n`);
          return;
        }
        case 'list':
          for (const p of await listStoredPartners(store)) ctx.stdout.write(`${p.name}\t${p.formats.join(',')}\t${p.resources.join(',')}\tadded ${p.created_on}\n`);
          for (const p of filePartners()) ctx.stdout.write(`${p.name}\t${p.formats.join(',')}\t${p.resources.join(',')}\tfile${p.requireSignature ? ', must sign' : ''}\n`);
          return;
        case 'revoke': {
          const p = await revokePartner(store, filePartners(), need());
          ctx.stdout.write(`partner ${p.name} revoked: its token no longer works\n`);
          return;
        }
      }
    } finally {
      await store.close();
    }
  },
};
