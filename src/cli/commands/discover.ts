import { TidemarkError } from '../../errors.js';
import { registryHash, SCHEMA_VERSION } from '../../store/index.js';
import { listCandidates, saveCandidate, type Candidate } from '../../transports/discovery/candidates.js';
import { browseFor } from '../../transports/discovery/discovery.js';
import { pairCandidate } from '../../transports/discovery/pairing.js';
import { discoverySettings } from '../../transports/discovery/service.js';
import type { Command } from '../command.js';
import { positiveNumber, str, subcommand } from '../command.js';

function table(rows: Candidate[]): string {
  if (!rows.length) return 'No Tidemark instances found on this network. Peers can always be added by URL.\n';
  const lines = rows.map((c) => [c.uuid, c.name, c.url, c.clusters.join(',') || '-', c.lastSeen, c.pairedOn ? 'paired' : 'candidate']);
  const head = ['UUID', 'NAME', 'URL', 'CLUSTERS', 'LAST SEEN', 'STATE'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]): string => l.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[fmt(head), ...lines.map(fmt)].join('\n')}\n`;
}

export const discoverCommand: Command = {
  name: 'discover',
  usage: 'tidemark discover [--wait SECONDS] [--interface IPV4] [--json] | tidemark discover pair UUID|PREFIX|NAME --code CODE [--my-url URL]',
  options: { wait: { type: 'string' }, interface: { type: 'string' }, json: { type: 'boolean' }, code: { type: 'string' }, 'my-url': { type: 'string' } },
  allowPositionals: true,
  async run(ctx) {
    const [sub, target, ...extra] = ctx.positionals;
    // Without a sub-command it lists what it hears.
    if (sub !== undefined) subcommand(sub, ['pair']);
    const store = await ctx.openStore();
    try {
      if (sub === 'pair') {
        if (!target || extra.length) throw new TidemarkError('invalid', 'usage: tidemark discover pair UUID|PREFIX|NAME --code CODE');
        const { candidate, added } = await pairCandidate(store, target, str(ctx.values, 'code'), str(ctx.values, 'my-url'));
        ctx.stdout.write(`${added ? 'paired' : 'already paired'}: ${candidate.name} (${candidate.uuid}) at ${candidate.url}\n`);
        return 0;
      }
      const wait = positiveNumber(ctx.values, 'wait', 3, { allowZero: true });
      if (!Number.isFinite(wait) || wait < 0) throw new TidemarkError('invalid', '--wait takes a number of seconds');
      if (wait > 0) {
        ctx.progress(`listening for _tidemark._tcp for ${wait} s...`);
        const heard = await browseFor(wait * 1000, {
          self: { uuid: store.instance.uuid, name: store.instance.name, clusters: [], schemaVersion: SCHEMA_VERSION, registryHash: registryHash(store.registry), port: 0 },
          interfaceAddress: str(ctx.values, 'interface') ?? discoverySettings().interfaceAddress,
          refreshMs: 1000,
        });
        for (const h of heard) await saveCandidate(store.knex, h.ad, h.address);
      }
      const rows = await listCandidates(store.knex);
      ctx.stdout.write(ctx.values.json ? `${JSON.stringify(rows, null, 2)}\n` : table(rows));
      return 0;
    } finally {
      await store.close();
    }
  },
};
