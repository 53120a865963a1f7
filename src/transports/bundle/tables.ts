import type { Knex } from 'knex';

/**
 * The bundle carrier's internal tables (never synced): which bundles were imported (a repeat is
 * recognised by id), and the public keys trusted to sign bundles from each peer.
 */
export async function migrateBundleTables(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable('tm_bundle_log'))) {
    await knex.schema.createTable('tm_bundle_log', (t) => {
      t.string('id', 36).primary();
      t.string('sender', 36).notNullable().index();
      t.string('kind', 8).notNullable();
      t.string('imported_on', 24).notNullable();
      t.text('summary').notNullable(); // JSON: received, applied, conflicts, warnings
    });
  }
  if (!(await knex.schema.hasTable('tm_bundle_key'))) {
    await knex.schema.createTable('tm_bundle_key', (t) => {
      t.string('peer', 36).primary();
      t.string('key_id', 64).notNullable();
      t.text('public_key').notNullable(); // SPKI PEM
      t.string('added_on', 24).notNullable();
    });
  }
}
