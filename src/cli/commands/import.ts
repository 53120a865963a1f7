import { basename } from 'node:path';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from '../command.js';
import { str } from '../command.js';
import { TidemarkError } from '../../errors.js';
// The EDXL/CAP formats join the record-format table (--format edxl-have, cap, ...).
import '../../interchange/register.js';
import { recordFormat, recordFormats } from '../../s3xml/index.js';

export const importCommand: Command = {
  name: 'import',
  usage: `tidemark import [--db URL] [--format ${recordFormats()
    .filter((f) => f.import)
    .map((f) => f.name)
    .join('|')}] [--ignore-errors] [--keep-versions] [--strict] [--max-bytes N] [--trust CERT.pem|DIR] FILE|-`,
  options: {
    format: { type: 'string' },
    'ignore-errors': { type: 'boolean' },
    // Moving or restoring this site's own data: keep the tm_version / tm_hlc the file carries.
    // Without it (and always over HTTP) imported records get fresh local versions.
    'keep-versions': { type: 'boolean' },
    // Refuse fields and components Tidemark does not model instead of skipping them with a warning.
    strict: { type: 'boolean' },
    'max-bytes': { type: 'string' },
    // A signed CAP alert or EDXL-DE envelope is verified against these and imported as verified.
    trust: { type: 'string' },
  },
  allowPositionals: true,
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (!file || extra.length) throw new TidemarkError('invalid', 'name one document to import (FILE, or - for stdin)');
    // The format: --format, else the file's suffix (.json is S3JSON), else S3XML.
    const format = recordFormat(str(ctx.values, 'format') ?? (/\.json$/i.test(file) ? 's3json' : 's3xml'), 'import');
    const maxText = str(ctx.values, 'max-bytes');
    const maxBytes = maxText === undefined ? undefined : Number(maxText);
    if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0)) throw new TidemarkError('invalid', `--max-bytes ${maxText} is not a size`);
    const size = file === '-' ? undefined : (await stat(file)).size;
    const input = file === '-' ? process.stdin : createReadStream(file);
    const store = await ctx.openStore();
    try {
      const summary = await format.import!(store, input, {
        ignoreErrors: ctx.values['ignore-errors'] === true,
        trustVersions: ctx.values['keep-versions'] === true,
        strict: ctx.values.strict === true,
        maxBytes,
        source: { kind: 'import', name: file === '-' ? 'stdin' : basename(file) },
        ...(str(ctx.values, 'trust') ? { trust: str(ctx.values, 'trust') } : {}),
        onProgress: (p) => ctx.progress(`imported ${p.records} records${size ? ` (${Math.min(100, Math.round((100 * p.chars) / size))}%)` : ''}`),
      });
      ctx.stdout.write(
        `${summary.records} records: ${summary.created} created, ${summary.updated} updated, ${summary.deleted} deleted, ${summary.merged} merged, ${summary.skipped} unchanged\n`,
      );
      if (summary.warnings.length) {
        ctx.stderr.write(`${summary.warnings.length} warning${summary.warnings.length > 1 ? 's' : ''} (not modelled by Tidemark, skipped; --strict refuses them):\n`);
        for (const e of summary.warnings.slice(0, 20)) ctx.stderr.write(`  ${e.describe()}\n`);
        if (summary.warnings.length > 20) ctx.stderr.write(`  ... and ${summary.warnings.length - 20} more\n`);
      }
      if (summary.errors.length) {
        ctx.stderr.write(`${summary.errors.length} invalid item${summary.errors.length > 1 ? 's' : ''} left out:\n`);
        for (const e of summary.errors.slice(0, 20)) ctx.stderr.write(`  ${e.describe()}\n`);
        if (summary.errors.length > 20) ctx.stderr.write(`  ... and ${summary.errors.length - 20} more\n`);
      }
    } finally {
      await store.close();
    }
  },
};
