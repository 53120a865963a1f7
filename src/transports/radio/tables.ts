import type { Knex } from 'knex';

/** Per-peer radio link state lives in the instance's own database (internal table, never synced). */
export async function migrateRadioTable(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable('tm_radio_link')) return migrateLinkStatus(knex);
  await knex.schema
    .createTable('tm_radio_link', (t) => {
      t.string('peer', 64).primary();
      t.text('knowledge').notNullable();
      t.string('updated_on', 32).notNullable();
    })
    .catch(async (e: unknown) => {
      if (!(await knex.schema.hasTable('tm_radio_link'))) throw e; // another process made it first
    });
  await migrateLinkStatus(knex);
}

/** How the link fared in the last session: when a frame was last heard and the frame counts. */
async function migrateLinkStatus(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('tm_radio_link', 'last_heard')) return;
  await knex.schema.alterTable('tm_radio_link', (t) => {
    t.string('last_heard', 32);
    t.string('session_on', 32);
    t.integer('frames_received').notNullable().defaultTo(0);
    t.integer('frames_dropped').notNullable().defaultTo(0);
    t.integer('chunks_sent').notNullable().defaultTo(0);
    t.integer('chunks_resent').notNullable().defaultTo(0);
  });
}
