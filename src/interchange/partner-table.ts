import type { Knex } from 'knex';

/**
 * The table of partners added by an admin (partner-tokens.ts), apart from that module so opening
 * a store, which runs every migration, does not load the signature code it needs.
 */
export const PARTNER_TABLE = 'tm_partner';

/** Partners never sync: each site decides who may push to it. */
export async function migratePartnerTable(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(PARTNER_TABLE)) return;
  await knex.schema.createTable(PARTNER_TABLE, (t) => {
    t.string('name', 64).primary();
    t.string('token_sha256', 64).notNullable().unique();
    t.text('formats').notNullable(); // JSON arrays
    t.text('resources').notNullable();
    t.string('created_on', 24).notNullable();
    t.string('added_by', 64);
  });
}
