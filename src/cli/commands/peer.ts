import type { Command, CommandContext } from '../command.js';
import { list, positiveNumber, str } from '../command.js';
import { TidemarkError } from '../../errors.js';
import { createInvite, parseFilters, peerCursors, Peers, type Direction, type PolicyName, type SyncConfig } from '../../sync/index.js';
import { addHttpPeer } from '../../transports/http/index.js';
import { addEdenPeer } from '../../transports/eden/index.js';

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

function configFrom(ctx: CommandContext): SyncConfig {
  const c: SyncConfig = {};
  const v = ctx.values;
  if (str(v, 'policy')) c.policy = str(v, 'policy')!.toUpperCase() as PolicyName;
  if (str(v, 'direction')) c.direction = str(v, 'direction') as Direction;
  // --resources all: back to every syncable resource (the default).
  if (list(v, 'resources')) c.resources = list(v, 'resources')!.join() === 'all' ? undefined : list(v, 'resources');
  if (str(v, 'interval')) c.interval = positiveNumber(v, 'interval', 0, { allowZero: true });
  // Off-peak window in local time; "none" removes it (the daemon may then sync at any hour).
  if (str(v, 'window') !== undefined) c.window = str(v, 'window');
  const filters = list(v, 'filter');
  if (filters) c.filters = parseFilters(filters);
  for (const p of list(v, 'policies') ?? []) {
    const [r, pol] = p.split('=');
    (c.policies ??= {})[r!] = pol!.toUpperCase() as PolicyName;
  }
  return c;
}

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
    const store = await ctx.openStore();
    const peers = new Peers(store);
    const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
    try {
      switch (sub) {
        case 'invite': {
          const repair = str(ctx.values, 'repair');
          const inv = await createInvite(store, positiveNumber(ctx.values, 'ttl', 3600, { allowZero: true }), repair ? { forPeer: repair } : {});
          out(inv.code);
          ctx.stderr.write(`pairing code for "${store.instance.name}", valid until ${inv.expires_at}, usable once:\n  tidemark peer add <this instance's URL> --code ${inv.code}\n`);
          return 0;
        }
        case 'add': {
          if (!arg) throw new TidemarkError('invalid', 'peer add needs the URL of the other instance');
          if (ctx.values.eden) {
            const password = str(ctx.values, 'password') ?? process.env.TIDEMARK_EDEN_PASSWORD ?? '';
            const p = await addEdenPeer(store, arg, { user: str(ctx.values, 'user') ?? '', password, name: str(ctx.values, 'name'), clusters: list(ctx.values, 'cluster') });
            out(`added Sahana Eden "${p.name}" (${p.uuid}) at ${p.url} as ${p.user}`);
            return 0;
          }
          const code = str(ctx.values, 'code');
          if (!code) throw new TidemarkError('invalid', 'peer add needs --code (run "tidemark peer invite" on the other instance)');
          const p = await addHttpPeer(store, arg, { code, pin: str(ctx.values, 'pin') ?? null, name: str(ctx.values, 'name'), clusters: list(ctx.values, 'cluster'), myUrl: str(ctx.values, 'my-url') ?? null });
          out(`paired with "${p.name}" (${p.uuid}) at ${p.url}${p.pin ? `, certificate pinned to ${p.pin}` : ''}`);
          return 0;
        }
        case 'list':
        case undefined: {
          const all = await peers.list();
          if (!all.length) out('no peers (pair with "tidemark peer add URL --code CODE")');
          for (const p of all) {
            const e = await peers.effective(p);
            out(
              `${p.name}\t${p.uuid}\t${p.kind === 'eden' ? `eden ${p.url} as ${p.user ?? '-'}` : (p.url ?? '(calls us)')}\tclusters=${p.clusters.join(',') || '-'}\t${e.direction} ${e.policy} every ${e.interval}s${e.window ? ` in ${e.window}` : ''}\tlast=${p.last_sync_on ?? 'never'} ${p.last_result ?? ''}${p.failures ? ` failures=${p.failures}` : ''}`,
            );
          }
          return 0;
        }
        case 'show': {
          if (!arg) throw new TidemarkError('invalid', 'peer show needs a peer name or uuid');
          const p = await peers.get(arg);
          const e = await peers.effective(p);
          out(`${p.name} (${p.uuid})\n  url ${p.url ?? '(none: it calls this instance)'}${p.pin ? `, certificate pinned to ${p.pin}` : ''}\n  owner ${p.owner ?? '-'}, contact ${p.contact ?? '-'}\n  clusters ${p.clusters.join(', ') || '-'}`);
          out(`  in force: ${JSON.stringify(e)}\n  paired ${p.created_on}, last sync ${p.last_sync_on ?? 'never'} ${p.last_result ?? ''}, failures ${p.failures}`);
          const held = await peerCursors(store, p.uuid);
          out('  resource\tI hold its feed up to\tit holds my feed up to (seq)');
          for (const [r, c] of held) out(`  ${r}\t${c.held ?? '-'}\t${c.acked ?? '-'}${c.reset ? ' (restart from zero)' : ''}`);
          return 0;
        }
        case 'remove': {
          if (!arg) throw new TidemarkError('invalid', 'peer remove needs a peer name or uuid');
          const p = await peers.remove(arg);
          out(`removed peer "${p.name}" (${p.uuid})`);
          return 0;
        }
        case 'set': {
          if (!arg) throw new TidemarkError('invalid', 'peer set needs a peer name or uuid');
          const p = await peers.configure(arg, {
            ...configFrom(ctx),
            clusters: list(ctx.values, 'cluster'),
            url: str(ctx.values, 'url'),
            pin: str(ctx.values, 'pin') === 'none' ? null : str(ctx.values, 'pin'),
            name: str(ctx.values, 'name'),
            owner: str(ctx.values, 'owner'),
            contact: str(ctx.values, 'contact'),
          });
          out(`${p.name}: ${JSON.stringify({ clusters: p.clusters, url: p.url, pin: p.pin, ...p.config })}`);
          return 0;
        }
        case 'cluster': {
          if (!arg) {
            for (const c of await peers.clusters()) out(`${c.name}\t${JSON.stringify(c.config)}`);
            return 0;
          }
          const existing = (await peers.clusters()).find((c) => c.name === arg)?.config ?? {};
          await peers.setCluster(arg, { ...existing, ...configFrom(ctx) });
          out(`cluster ${arg}: ${JSON.stringify({ ...existing, ...configFrom(ctx) })}`);
          return 0;
        }
        default:
          ctx.stderr.write(`tidemark peer: unknown subcommand "${sub}"\nUsage: ${USAGE}\n`);
          return 2;
      }
    } finally {
      await store.close();
    }
  },
};
