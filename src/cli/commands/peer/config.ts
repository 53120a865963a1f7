import { parseFilters, type Direction, type PolicyName, type SyncConfig } from '../../../sync/index.js';
import type { CommandContext } from '../../command.js';
import { list, positiveNumber, str } from '../../command.js';

/** The sync settings given as options (peer set, peer cluster). */
export function configFrom(ctx: CommandContext): SyncConfig {
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
