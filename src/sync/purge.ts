import type { Store } from '../store/index.js';
import { syncableResources } from './peers.js';

export interface PurgeReport {
  resource: string;
  /** Tombstones removed. */
  purged: number;
  /** Tombstones kept because some peer has not acknowledged them yet. */
  kept: number;
}

/**
 * Removes tombstones every known peer has acknowledged (their cursor into my feed passed them),
 * optionally only those deleted before `olderThan`. Purging is explicit, never automatic.
 */
export async function purgeTombstones(store: Store, opts: { olderThan?: string; dryRun?: boolean } = {}): Promise<PurgeReport[]> {
  const knex = store.knex;
  const peers = (await knex('tm_peer').select('uuid')) as { uuid: string }[];
  const acks = (await knex('tm_peer_ack').select('peer', 'resource', 'seq', 'reset')) as { peer: string; resource: string; seq: number; reset: boolean | number }[];
  const out: PurgeReport[] = [];
  for (const resource of syncableResources(store.registry)) {
    // The lowest position any peer holds in my feed of this resource (0 when one holds nothing).
    let floor = Number.MAX_SAFE_INTEGER;
    for (const p of peers) {
      const a = acks.find((x) => x.peer === p.uuid && x.resource === resource);
      floor = Math.min(floor, a && !a.reset ? Number(a.seq) : 0);
    }
    const base = knex(resource).where({ deleted: true });
    if (opts.olderThan) base.andWhere('modified_on', '<', opts.olderThan);
    const total = Number(((await base.clone().count({ n: '*' }))[0] as { n: number | string }).n);
    if (!total) continue;
    const purgeable = base.clone().andWhere('tm_seq', '<=', floor);
    const n = Number(((await purgeable.clone().count({ n: '*' }))[0] as { n: number | string }).n);
    if (n && !opts.dryRun) await purgeable.clone().delete();
    out.push({ resource, purged: n, kept: total - n });
  }
  return out;
}
