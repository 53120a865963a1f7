import { randomBytes } from 'node:crypto';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { Peers, syncableResources } from '../../src/sync/peers.js';
import { dropTestDatabases, freshDatabase, type DbKind } from '../support/databases.js';

/** Two instances that know each other (as pairing leaves them) but share no network. */
export async function twoSites(kind: DbKind, names: [string, string] = ['site-a', 'site-b']): Promise<[Store, Store]> {
  const a = await openStore(await freshDatabase(kind), { instanceName: names[0] });
  const b = await openStore(await freshDatabase(kind), { instanceName: names[1] });
  await pair(a, b);
  return [a, b];
}

/** As pairing leaves them: a token per direction, each side keeping only the hash of the other's. */
export async function pair(a: Store, b: Store): Promise<void> {
  const aToB = randomBytes(24).toString('base64url');
  const bToA = randomBytes(24).toString('base64url');
  await new Peers(a).save({ uuid: b.instance.uuid, name: b.instance.name, token: aToB, tokenIn: bToA });
  await new Peers(b).save({ uuid: a.instance.uuid, name: a.instance.name, token: bToA, tokenIn: aToB });
}

/** Every syncable record, tombstones included, as comparable text: what "converged" means. */
export async function snapshot(store: Store): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of syncableResources(store.registry)) {
    for (const rec of await store.list(r, { includeDeleted: true })) {
      const keys = Object.keys(rec.version).sort();
      out.set(`${r}/${rec.uuid}`, JSON.stringify([rec.deleted, rec.replaced_by, rec.data, keys.map((k) => [k, rec.version[k]])]));
    }
  }
  return out;
}

/** Everything in the database that an import could change: records, feed head, cursors, conflicts. */
export async function fingerprint(store: Store): Promise<string> {
  const cursors = await store.knex('tm_peer_cursor').orderBy(['peer', 'resource']);
  const peerAcks = await store.knex('tm_peer_ack').orderBy(['peer', 'resource']).select('peer', 'resource', 'seq');
  const conflicts = await store.knex('tm_conflict').count({ n: '*' });
  return JSON.stringify([await store.head(), [...(await snapshot(store))], cursors.map((c: { cursor: string }) => c.cursor), peerAcks, conflicts]);
}

/** A few organisations and hospitals, as a site would enter them. */
export async function enterSomeData(store: Store, tag: string, n = 3): Promise<string[]> {
  const made: string[] = [];
  for (let i = 0; i < n; i++) {
    const org = await store.create('org_organisation', { name: `${tag} relief org ${i}`, acronym: `${tag}${i}` });
    const hosp = await store.create('med_hospital', { name: `${tag} hospital ${i}`, organisation_id: org.uuid, total_beds: 10 + i, available_beds: i });
    made.push(org.uuid, hosp.uuid);
  }
  return made;
}

/** Stores a test file opened; `closeAll` (in `after`) closes them and drops the databases. */
export class OpenedStores {
  private readonly stores: Store[] = [];

  keep<T extends Store | Store[]>(s: T): T {
    this.stores.push(...(Array.isArray(s) ? s : [s]));
    return s;
  }

  /** Two paired sites, closed at the end. */
  async sites(kind: DbKind): Promise<[Store, Store]> {
    return this.keep(await twoSites(kind));
  }

  async closeAll(): Promise<void> {
    for (const s of this.stores.splice(0)) await s.close().catch(() => undefined);
    await dropTestDatabases();
  }
}
