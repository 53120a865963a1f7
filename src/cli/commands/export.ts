import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from '../command.js';
import { list, str } from '../command.js';
import { TidemarkError } from '../../errors.js';
// The EDXL/CAP formats join the record-format table (--format edxl-have, cap, ...).
import '../../interchange/register.js';
import { recordFormat, recordFormats } from '../../s3xml/index.js';
import { decodeCursor } from '../../store/index.js';

export const exportCommand: Command = {
  name: 'export',
  usage: `tidemark export [--db URL] [--resource a,b] [--since ISO] [--until ISO] [--include-deleted] [--cursor C] [--limit N] [--format ${recordFormats()
    .filter((f) => f.export)
    .map((f) => f.name)
    .join('|')}] [-o FILE]`,
  options: {
    resource: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    'include-deleted': { type: 'boolean' },
    cursor: { type: 'string' },
    limit: { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  async run(ctx) {
    const format = recordFormat(str(ctx.values, 'format') ?? 's3xml', 'export');
    const limitText = str(ctx.values, 'limit');
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new TidemarkError('invalid', `--limit ${limitText} is not a count`);
    const store = await ctx.openStore({ migrate: false });
    const file = str(ctx.values, 'output');
    const out = file && file !== '-' ? createWriteStream(file) : ctx.stdout;
    try {
      const cursor = str(ctx.values, 'cursor');
      const summary = await format.export!(
        store,
        {
          resources: list(ctx.values, 'resource'),
          since: str(ctx.values, 'since'),
          until: str(ctx.values, 'until'),
          includeDeleted: ctx.values['include-deleted'] === true,
          after: cursor ? decodeCursor(cursor, store.instance.uuid) : undefined,
          limit,
          onProgress: (n, total) => ctx.progress(`exported ${n} of ${total} records`),
        },
        out,
      );
      if (out !== ctx.stdout) {
        out.end();
        await finished(out);
      }
      ctx.stderr.write(`exported ${summary.count} records${summary.more ? ' (more follow)' : ''}; cursor ${summary.cursor}\n`);
    } catch (e) {
      // The reader went away (`tidemark export | head`): say so in one line, not with a stack.
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
      ctx.stderr.write('tidemark export: the output was closed before the export finished\n');
      return 1;
    } finally {
      await store.close();
    }
  },
};
