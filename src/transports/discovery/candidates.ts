import type { Knex } from 'knex';
import { coded, TidemarkError } from '../../errors.js';
import type { Advertisement } from './txt.js';

/**
 * Instances heard on the LAN. A candidate is only a name and an address: nothing is sent to it
 * or accepted from it until a person pairs it (then it becomes a sync peer). The table is
 * internal (never synced) and lets `tidemark discover` show what the running service heard.
 */
export interface Candidate extends Advertisement {
  /** Address the announcement came from (preferred) or the first advertised IPv4 address. */
  address: string;
  /** http://address:port — where the sync service of the candidate answers. */
  url: string;
  firstSeen: string;
  lastSeen: string;
  /** When it was paired, if it was. */
  pairedOn: string | null;
}

const TABLE = 'tm_discovered';

/** The discovery stage's table of candidates seen on the LAN (internal, never synced). */
export async function migrateCandidateTable(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  try {
    await knex.schema.createTable(TABLE, (t) => {
      t.string('uuid', 36).primary();
      t.string('name', 64).notNullable();
      t.text('clusters').notNullable();
      t.integer('schema_version').notNullable();
      t.string('registry_hash', 64);
      t.string('address', 64).notNullable();
      t.integer('port').notNullable();
      t.string('first_seen', 24).notNullable();
      t.string('last_seen', 24).notNullable();
      t.string('paired_on', 24);
    });
  } catch (e) {
    // Another process (the service and the CLI share a database) may have created it meanwhile.
    if (!(await knex.schema.hasTable(TABLE))) throw e;
  }
}

export function candidateUrl(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

function fromRow(r: Record<string, unknown>): Candidate {
  const address = String(r.address);
  const port = Number(r.port);
  return {
    uuid: String(r.uuid),
    name: String(r.name),
    clusters: JSON.parse(String(r.clusters)) as string[],
    schemaVersion: Number(r.schema_version),
    ...(r.registry_hash ? { registryHash: String(r.registry_hash) } : {}),
    port,
    address,
    url: candidateUrl(address, port),
    firstSeen: String(r.first_seen),
    lastSeen: String(r.last_seen),
    pairedOn: r.paired_on ? String(r.paired_on) : null,
  };
}

/** Records (or refreshes) an instance heard on the network. */
export async function saveCandidate(knex: Knex, ad: Advertisement, address: string, seen: string = new Date().toISOString()): Promise<void> {
  const row = {
    uuid: ad.uuid,
    name: ad.name,
    clusters: JSON.stringify(ad.clusters),
    schema_version: ad.schemaVersion,
    registry_hash: ad.registryHash ?? null,
    address,
    port: ad.port,
    last_seen: seen,
  };
  await knex(TABLE)
    .insert({ ...row, first_seen: seen })
    .onConflict('uuid')
    .merge(row);
}

export async function listCandidates(knex: Knex): Promise<Candidate[]> {
  return ((await knex(TABLE).orderBy('last_seen', 'desc')) as Record<string, unknown>[]).map(fromRow);
}

/** A candidate by uuid, or by a unique prefix of it (people type the first few characters). */
export async function findCandidate(knex: Knex, idOrPrefix: string): Promise<Candidate> {
  const key = idOrPrefix.toLowerCase().replace(/^urn:uuid:/, '');
  const rows = (await knex(TABLE).where('uuid', 'like', `${key}%`)) as Record<string, unknown>[];
  const byName = rows.length ? rows : ((await knex(TABLE).where({ name: idOrPrefix })) as Record<string, unknown>[]);
  if (byName.length > 1) throw coded('ambiguous', { name: idOrPrefix, count: byName.length, what: 'discovered instances' });
  if (!byName.length) throw new TidemarkError('not_found', `no discovered instance "${idOrPrefix}": run "tidemark discover" to list them`);
  return fromRow(byName[0]!);
}

export async function markPaired(knex: Knex, uuid: string, when: string = new Date().toISOString()): Promise<void> {
  await knex(TABLE).where({ uuid }).update({ paired_on: when });
}
