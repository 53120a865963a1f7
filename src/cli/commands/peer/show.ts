import { TidemarkError } from '../../../errors.js';
import { peerCursors, Peers } from '../../../sync/index.js';
import type { Store } from '../../../store/index.js';
import type { CommandContext } from '../../command.js';

/** `tidemark peer show PEER`: settings in force and the cursors in both directions. */
export async function peerShow(ctx: CommandContext, store: Store, arg: string | undefined): Promise<number> {
  const peers = new Peers(store);
  const out = (s: string): boolean => ctx.stdout.write(`${s}\n`);
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
