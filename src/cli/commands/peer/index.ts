import type { Store } from '../../../store/index.js';
import { subcommand, type Command, type CommandContext } from '../../command.js';

const USAGE = [
  'tidemark peer invite [--ttl SECONDS] [--repair PEER] one-time pairing code for a new site (--repair: lets a known peer pair again)',
  '       tidemark peer add URL --code CODE [--pin sha256:AB:CD:..] [--name N] [--cluster C,..] [--my-url URL]',
  '                                   --pin: trust the https:// peer\'s self-signed certificate with this SHA-256 fingerprint',
  '       tidemark peer add EDEN_URL --eden --user U [--password P] [--name N] [--cluster C,..]   a Sahana Eden (e.g. http://host:8000/eden); P also from TIDEMARK_EDEN_PASSWORD',
  '       tidemark peer list',
  '       tidemark peer show PEER                       settings in force and the cursors in both directions',
  '       tidemark peer remove PEER',
  '       tidemark peer set PEER [--policy P] [--direction pull|push|both] [--resources a,b|all] [--filter RES.FIELD=VALUE,..] [--interval S] [--window HH:MM-HH:MM|none] [--cluster C,..] [--url URL] [--pin sha256:..|none]',
  '       tidemark peer cluster NAME [--policy P] [--direction D] [--resources a,b] [--filter ..] [--interval S] [--window HH:MM-HH:MM|none]',
].join('\n');

type Subcommand = (ctx: CommandContext, store: Store, arg: string | undefined) => Promise<number>;

/** Each sub-command's module loads when it runs: `peer list` does not load Eden's HTTP client or the sync engine. */
const SUBCOMMANDS = new Map<string, () => Promise<Subcommand>>([
  ['invite', async () => (await import('./invite.js')).peerInvite],
  ['add', async () => (await import('./add.js')).peerAdd],
  ['list', async () => (await import('./list.js')).peerList],
  ['show', async () => (await import('./show.js')).peerShow],
  ['remove', async () => (await import('./remove.js')).peerRemove],
  ['set', async () => (await import('./set.js')).peerSet],
  ['cluster', async () => (await import('./cluster.js')).peerCluster],
]);

/** `tidemark peer`: the options and which sub-command runs (one module each). */
export const peerCommand: Command = {
  name: 'peer',
  usage: USAGE,
  allowPositionals: true,
  options: {
    code: { type: 'string' },
    eden: { type: 'boolean' },
    user: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
    cluster: { type: 'string' },
    'my-url': { type: 'string' },
    url: { type: 'string' },
    pin: { type: 'string' },
    owner: { type: 'string' },
    contact: { type: 'string' },
    ttl: { type: 'string' },
    repair: { type: 'string' },
    policy: { type: 'string' },
    policies: { type: 'string' },
    direction: { type: 'string' },
    resources: { type: 'string' },
    filter: { type: 'string' },
    interval: { type: 'string' },
    window: { type: 'string' },
  },
  async run(ctx) {
    const [sub, arg] = ctx.positionals;
    const run = await SUBCOMMANDS.get(subcommand(sub, [...SUBCOMMANDS.keys()], 'list'))!();
    const store = await ctx.openStore();
    try {
      return await run(ctx, store, arg);
    } finally {
      await store.close();
    }
  },
};
