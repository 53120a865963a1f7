import type { Knex } from 'knex';
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from '../registry/registry.js';
import { REFERENCE_DATA, REFERENCE_EPOCH } from '../registry/reference-data.js';
import type { FieldDef, ResourceDef } from '../registry/types.js';
import { ZERO_HLC } from './clock.js';
import { migrateToEdenModel } from './eden-migration.js';

/** Bumped when the meaning of stored or exchanged data changes; peers compare it in the handshake. */
// 2: versions carry per-field versions and conflict decisions.
// 3: the med tables in Sahana Eden's model (integer codes, med_hospital_services; eden-migration.ts).
export const SCHEMA_VERSION = 3;

/** The creator of reference rows: not an instance, the same everywhere. */
export const REFERENCE_ORIGIN = '00000000-0000-0000-0000-000000000000';

/** Columns every syncable table has besides its own fields. */
export const META_COLUMNS = [
  'id',
  'uuid',
  'created_on',
  'modified_on',
  'deleted',
  'replaced_by',
  'tm_seq',
  'tm_origin',
  'tm_changed_by',
  'tm_version',
  'tm_hlc',
  'tm_fields',
  'tm_decisions',
  'tm_from',
] as const;

/** Columns added to every resource table after its first release (migrated in place). */
const LATER_META: [string, (t: Knex.AlterTableBuilder) => void][] = [
  ['tm_fields', (t) => t.text('tm_fields')],
  ['tm_decisions', (t) => t.text('tm_decisions')],
  ['tm_from', (t) => t.string('tm_from', 36)],
];

function addField(t: Knex.CreateTableBuilder | Knex.AlterTableBuilder, f: FieldDef): void {
  switch (f.type) {
    case 'string':
      t.string(f.name, f.length ?? 255);
      break;
    case 'text':
    case 'json':
      t.text(f.name);
      break;
    case 'integer':
      t.bigInteger(f.name);
      break;
    case 'double':
      t.double(f.name);
      break;
    case 'boolean':
      t.boolean(f.name);
      break;
    case 'date':
      t.string(f.name, 10);
      break;
    case 'datetime':
      // Instants are stored as ISO text (UTC, ms, Z): identical on SQLite and PostgreSQL, and
      // they sort correctly as text.
      t.string(f.name, 24);
      break;
    case 'reference':
      t.string(f.name, 64).index();
      break;
  }
}

async function createResourceTable(knex: Knex, def: ResourceDef): Promise<void> {
  await knex.schema.createTable(def.name, (t) => {
    t.increments('id');
    t.string('uuid', 64).notNullable().unique();
    t.string('created_on', 24).notNullable();
    t.string('modified_on', 24).notNullable().index();
    t.boolean('deleted').notNullable().defaultTo(false);
    t.string('replaced_by', 64);
    t.bigInteger('tm_seq').notNullable().index();
    t.string('tm_origin', 36).notNullable();
    t.string('tm_changed_by', 36).notNullable();
    t.text('tm_version').notNullable();
    t.string('tm_hlc', 24).notNullable();
    // Per-field versions (JSON), decisions travelling with the version (JSON), and the peer this
    // version was taken from unchanged (never offered back to it).
    t.text('tm_fields');
    t.text('tm_decisions');
    t.string('tm_from', 36);
    for (const f of def.fields) addField(t, f);
  });
}

/**
 * Migrations of later stages' internal tables (the sync stage's peers, cursors, conflict log...).
 * The store runs the ones it is given on open and knows nothing of their meaning; the list is
 * assembled in one place (`src/open.ts`).
 */
export type ExtraMigration = (knex: Knex) => Promise<void>;

/** Creates what is missing and adds new columns; never drops data. Idempotent. */
export async function migrateSchema(knex: Knex, registry: Registry, extraMigrations: readonly ExtraMigration[] = []): Promise<{ created: string[]; altered: string[] }> {
  const created: string[] = [];
  const altered: string[] = [];
  if (!(await knex.schema.hasTable('tm_settings'))) {
    await knex.schema.createTable('tm_settings', (t) => {
      t.string('key', 64).primary();
      t.text('value');
    });
  }
  if (!(await knex.schema.hasTable('tm_counter'))) {
    await knex.schema.createTable('tm_counter', (t) => {
      t.string('name', 32).primary();
      t.bigInteger('value').notNullable();
      t.string('hlc', 24).notNullable();
    });
    await knex('tm_counter').insert({ name: 'changes', value: 0, hlc: ZERO_HLC });
  }
  const converted = await migrateToEdenModel(knex);
  if (converted.length) altered.push(...converted);
  for (const def of registry.all()) {
    if (!(await knex.schema.hasTable(def.name))) {
      await createResourceTable(knex, def);
      created.push(def.name);
      continue;
    }
    const info = await knex(def.name).columnInfo();
    const missing = def.fields.filter((f) => !(f.name in info));
    const meta = LATER_META.filter(([c]) => !(c in info));
    if (missing.length || meta.length) {
      await knex.schema.alterTable(def.name, (t) => {
        for (const f of missing) addField(t, f);
        for (const [, add] of meta) add(t);
      });
      altered.push(def.name);
    }
  }
  await seedReferenceData(knex);
  await knex('tm_settings')
    .insert({ key: 'schema_version', value: String(SCHEMA_VERSION) })
    .onConflict('key')
    .merge();
  await knex('tm_settings').insert({ key: 'registry_hash', value: registryHash(registry) }).onConflict('key').merge();
  for (const m of extraMigrations) await m(knex);
  return { created, altered };
}

/** A short digest of the declared resources, so peers can tell they speak the same schema. */
export function registryHash(registry: Registry): string {
  const shape = registry.all().map((r) => [r.name, r.fields.map((f) => `${f.name}:${f.type}`)]);
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

async function seedReferenceData(knex: Knex): Promise<void> {
  for (const [table, rows] of Object.entries(REFERENCE_DATA)) {
    const have = new Set((await knex(table).select('uuid')).map((r: { uuid: string }) => r.uuid));
    const fresh = rows.filter((r) => !have.has(r.uuid));
    if (!fresh.length) continue;
    await knex(table).insert(
      fresh.map((r) => ({
        uuid: r.uuid,
        code: r.code,
        name: r.name,
        created_on: REFERENCE_EPOCH,
        modified_on: REFERENCE_EPOCH,
        deleted: false,
        // seq 0: shipped with the code, so never part of a change feed.
        tm_seq: 0,
        tm_origin: REFERENCE_ORIGIN,
        tm_changed_by: REFERENCE_ORIGIN,
        tm_version: '{}',
        tm_hlc: ZERO_HLC,
      })),
    );
  }
}

export interface Instance {
  /** Plain RFC 4122 uuid (no urn prefix): the key of version vectors. */
  uuid: string;
  name: string;
}

/** This instance's identity, made once at `init` and kept in the database. */
export async function ensureInstance(knex: Knex, name?: string): Promise<Instance> {
  const rows: { key: string; value: string }[] = await knex('tm_settings').whereIn('key', ['instance_uuid', 'instance_name']);
  const get = (k: string): string | undefined => rows.find((r) => r.key === k)?.value;
  let uuid = get('instance_uuid');
  let current = get('instance_name');
  if (!uuid) {
    uuid = randomUUID();
    await knex('tm_settings').insert({ key: 'instance_uuid', value: uuid }).onConflict('key').ignore();
    // Another process may have won the race: read back what is stored.
    uuid = (await knex('tm_settings').where({ key: 'instance_uuid' }).first()).value as string;
  }
  if (!current || (name && name !== current)) {
    current = name ?? current ?? `${hostname()}-${uuid.slice(0, 4)}`;
    await knex('tm_settings').insert({ key: 'instance_name', value: current }).onConflict('key').merge();
  }
  return { uuid, name: current };
}
