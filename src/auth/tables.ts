import type { Knex } from 'knex';

/** Accounts, API tokens and console sessions. They never sync: each site has its own people. */
export async function migrateAuthTables(knex: Knex): Promise<void> {
  const has = (t: string): Promise<boolean> => knex.schema.hasTable(t);
  if (!(await has('tm_user'))) {
    await knex.schema.createTable('tm_user', (t) => {
      t.string('name', 64).primary();
      t.string('role', 16).notNullable();
      t.string('password_hash', 255).notNullable();
      t.string('created_on', 24).notNullable();
    });
  }
  if (!(await has('tm_token'))) {
    await knex.schema.createTable('tm_token', (t) => {
      t.string('id', 16).primary(); // shown in listings; the secret follows it in the token
      t.string('user', 64).notNullable().index();
      t.string('label', 128).notNullable();
      t.string('secret_hash', 64).notNullable(); // SHA-256: the secret is random, not a password
      t.string('created_on', 24).notNullable();
      t.string('last_used_on', 24);
    });
  }
  if (!(await has('tm_session'))) {
    await knex.schema.createTable('tm_session', (t) => {
      t.string('id_hash', 64).primary();
      t.string('user', 64).notNullable().index();
      t.string('csrf', 64).notNullable();
      t.bigInteger('expires_at').notNullable();
      t.string('created_on', 24).notNullable();
    });
  }
}

