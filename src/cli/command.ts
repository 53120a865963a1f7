import { TidemarkError } from '../errors.js';
import type { ParseArgsConfig } from 'node:util';
import type { Writable } from 'node:stream';
import type { Store } from '../store/index.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  values: OptionValues;
  positionals: string[];
  stdout: Writable;
  stderr: Writable;
  /** The database named by --db / TIDEMARK_DB, migrated; the command closes it. */
  openStore(opts?: { migrate?: boolean; instanceName?: string }): Promise<Store>;
  /** Progress on a terminal (stderr), silent otherwise. */
  progress(message: string): void;
}

/** One `tidemark <name>` command: a thin shell over library functions (its summary is in commands/index.ts). */
export interface Command {
  name: string;
  usage: string;
  options?: OptionSpec;
  allowPositionals?: boolean;
  /** Returns the exit code (0 when omitted). */
  run(ctx: CommandContext): Promise<number | void>;
}

export function str(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * A number option (`--limit 50`): `dflt` when absent, a clear error when it is not a number, is
 * negative, or is zero where zero means nothing (`allowZero: false`, the default).
 */
export function positiveNumber(values: OptionValues, name: string, dflt: number, opts: { allowZero?: boolean } = {}): number {
  const v = str(values, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !opts.allowZero)) {
    throw new TidemarkError('invalid', `--${name} takes a ${opts.allowZero ? 'number of 0 or more' : 'positive number'}, not "${v}"`);
  }
  return n;
}

export function list(values: OptionValues, name: string): string[] | undefined {
  const v = str(values, name);
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

/**
 * Which sub-command runs: `given` when it is one of `known`, `dflt` when none was given. Anything
 * else is a `usage` error (exit 2, like an unknown command or option) naming what was given and
 * the sub-commands there are; main() prints the command's usage under it. Checked before the
 * command opens its store, so a typo creates no database.
 */
export function subcommand<S extends string>(given: string | undefined, known: readonly S[], dflt?: S): S {
  if (given === undefined && dflt !== undefined) return dflt;
  if (given !== undefined && (known as readonly string[]).includes(given)) return given as S;
  const expected = `one of: ${known.join(', ')}`;
  throw new TidemarkError('usage', given === undefined ? `name a sub-command, ${expected}` : `unknown sub-command "${given}" (expected ${expected})`);
}
