import { parseArgs } from 'node:util';
import { CATALOGUE, TidemarkError } from '../errors.js';
import { busyError } from '../store/busy.js';
import { COMMANDS, type CommandEntry } from './commands/index.js';
import type { Command, CommandContext, OptionSpec } from './command.js';

const COMMON: OptionSpec = {
  db: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: tidemark <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --db URL (sqlite:PATH or postgres://...; default TIDEMARK_DB or sqlite:./tidemark.db).',
    'Run "tidemark <command> --help" for its options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // `tidemark log | head`: a reader that stops early is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const entry: CommandEntry | undefined = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`tidemark: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const command: Command = await entry.load();
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: { ...COMMON, ...command.options }, allowPositionals: command.allowPositionals ?? false, strict: true });
  } catch (e) {
    process.stderr.write(`tidemark ${name}: ${(e as Error).message}\nUsage: ${command.usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`Usage: ${command.usage}\n\n${entry.summary}\n`);
    return 0;
  }
  const dbUrl = typeof parsed.values.db === 'string' ? parsed.values.db : undefined;
  const tty = Boolean(process.stderr.isTTY);
  const ctx: CommandContext = {
    values: parsed.values,
    positionals: parsed.positionals,
    stdout: process.stdout,
    stderr: process.stderr,
    // The store (knex, the database driver) loads only for commands that open it.
    openStore: async (opts) => (await import('../open.js')).openStore(dbUrl, opts),
    progress: (message) => {
      if (tty) process.stderr.write(`\r\x1b[K${message}`);
    },
  };
  try {
    const code = await command.run(ctx);
    if (tty) process.stderr.write('\r\x1b[K');
    return code ?? 0;
  } catch (thrown) {
    if (tty) process.stderr.write('\r\x1b[K');
    const e = busyError(thrown) ?? thrown;
    if (e instanceof TidemarkError) {
      if (e.code === 'busy') {
        process.stderr.write(`tidemark ${name}: busy, try again (${e.message})\n`);
        return e.exit;
      }
      process.stderr.write(`tidemark ${name}: ${e.describe()}\n`);
      // A usage error shows the usage, as an unknown option does.
      if (e.code === 'usage') process.stderr.write(`Usage: ${command.usage}\n`);
      for (const p of e.problems.slice(0, 20)) process.stderr.write(`  ${p.describe()}\n`);
      if (e.problems.length > 20) process.stderr.write(`  ... and ${e.problems.length - 20} more\n`);
      return e.exit;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'ECONNREFUSED') {
      process.stderr.write(`tidemark ${name}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`tidemark ${name}: internal error: ${err.stack ?? String(e)}\n`);
    return CATALOGUE.internal.exit;
  }
}
