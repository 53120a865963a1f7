import type { Knex } from 'knex';

/** Per-peer radio link state lives in the instance's own database (internal table, never synced). */
export async function migrateRadioTable(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable('tm_radio_link')) return;
  await knex.schema
    .createTable('tm_radio_link', (t) => {
      t.string('peer', 64).primary();
      t.text('knowledge').notNullable();
      t.string('updated_on', 32).notNullable();
    })
    .catch(async (e: unknown) => {
      if (!(await knex.schema.hasTable('tm_radio_link'))) throw e; // another process made it first
    });
}
