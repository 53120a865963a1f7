import type { Command, CommandContext } from '../command.js';
import { str, subcommand } from '../command.js';
import { TidemarkError } from '../../errors.js';
import { Accounts, newPassword, parseRole, published, publish, unpublish } from '../../auth/index.js';

/**
 * A password for a command: read from stdin with --password-stdin (scripts), else a new random
 * one that is printed once.
 */
async function passwordFrom(ctx: CommandContext): Promise<{ password: string; generated: boolean }> {
  if (!ctx.values['password-stdin']) return { password: newPassword(), generated: true };
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  return { password, generated: false };
}

const USER_USAGE = [
  'tidemark user add NAME --role reader|editor|operator|admin [--password-stdin]',
  '       tidemark user list',
  '       tidemark user passwd NAME [--password-stdin]',
  '       tidemark user role NAME ROLE',
  '       tidemark user remove NAME',
  'Without --password-stdin a random password is made and printed once.',
].join('\n');

export const userCommand: Command = {
  name: 'user',
  usage: USER_USAGE,
  allowPositionals: true,
  options: { role: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  async run(ctx) {
    const [given, name, arg] = ctx.positionals;
    const action = subcommand(given, ['add', 'list', 'passwd', 'role', 'remove'], 'list');
    const store = await ctx.openStore();
    try {
      const accounts = new Accounts(store);
      const need = (): string => {
        if (!name) throw new TidemarkError('invalid', `user ${action}: name the user\nUsage: ${USER_USAGE}`);
        return name;
      };
      switch (action) {
        case 'add': {
          const role = parseRole(str(ctx.values, 'role') ?? 'reader');
          const { password, generated } = await passwordFrom(ctx);
          const u = await accounts.add(need(), role, password);
          ctx.stdout.write(`user ${u.name} added as ${u.role}${generated ? `; password (shown once): ${password}` : ''}\n`);
          return;
        }
        case 'list':
          for (const u of await accounts.list()) ctx.stdout.write(`${u.name}\t${u.role}\t${u.created_on}\n`);
          return;
        case 'passwd': {
          const { password, generated } = await passwordFrom(ctx);
          await accounts.setPassword(need(), password);
          ctx.stdout.write(`password of ${name} changed${generated ? ` (shown once): ${password}` : ''}; their sessions are closed\n`);
          return;
        }
        case 'role': {
          const u = await accounts.setRole(need(), parseRole(arg));
          ctx.stdout.write(`${u.name} is now ${u.role}\n`);
          return;
        }
        case 'remove': {
          const u = await accounts.remove(need());
          ctx.stdout.write(`user ${u.name} removed, with their tokens and sessions\n`);
          return;
        }
      }
    } finally {
      await store.close();
    }
  },
};

const TOKEN_USAGE = [
  'tidemark token create USER [--label TEXT]   an API token for programs (Authorization: Bearer ...), shown once',
  '       tidemark token list [USER]',
  '       tidemark token revoke ID',
].join('\n');

export const tokenCommand: Command = {
  name: 'token',
  usage: TOKEN_USAGE,
  allowPositionals: true,
  options: { label: { type: 'string' } },
  async run(ctx) {
    const [given, arg] = ctx.positionals;
    const action = subcommand(given, ['create', 'list', 'revoke'], 'list');
    const store = await ctx.openStore();
    try {
      const accounts = new Accounts(store);
      switch (action) {
        case 'create': {
          if (!arg) throw new TidemarkError('invalid', `token create: name the user\nUsage: ${TOKEN_USAGE}`);
          const { token, info } = await accounts.createToken(arg, str(ctx.values, 'label') ?? '');
          ctx.stdout.write(`${token}\n`);
          ctx.stderr.write(`token ${info.id} for ${info.user}: shown once, only its hash is kept; send it as "Authorization: Bearer TOKEN"\n`);
          return;
        }
        case 'list':
          for (const t of await accounts.tokens(arg)) ctx.stdout.write(`${t.id}\t${t.user}\t${t.label}\t${t.created_on}\t${t.last_used_on ?? 'never used'}\n`);
          return;
        case 'revoke': {
          if (!arg) throw new TidemarkError('invalid', `token revoke: name the token id\nUsage: ${TOKEN_USAGE}`);
          const t = await accounts.revokeToken(arg);
          ctx.stdout.write(`token ${t.id} of ${t.user} revoked\n`);
          return;
        }
      }
    } finally {
      await store.close();
    }
  },
};

export const publishCommand: Command = {
  name: 'publish',
  usage: 'tidemark publish [ITEM ...] [--remove] [--list]   ITEM is feed:FORMAT or s3xml:RESOURCE',
  allowPositionals: true,
  options: { remove: { type: 'boolean' }, list: { type: 'boolean' } },
  async run(ctx) {
    const store = await ctx.openStore();
    try {
      const items = ctx.positionals;
      const now = !items.length ? await published(store) : ctx.values.remove ? await unpublish(store, items) : await publish(store, items);
      ctx.stdout.write(now.length ? `${now.join('\n')}\n` : 'nothing is published: every read needs a reader\n');
    } finally {
      await store.close();
    }
  },
};
