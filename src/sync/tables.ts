import type { Knex } from 'knex';
import { receivedSecrets } from './tokens.js';

/**
 * The sync stage's internal tables. They never sync: they describe this instance's view of its
 * peers (who they are, how far each side has seen the other's feed, what was decided in
 * conflicts, what happened in each sync).
 */
export async function migrateSyncTables(knex: Knex): Promise<void> {
  const has = (t: string): Promise<boolean> => knex.schema.hasTable(t);
  if (!(await has('tm_cluster'))) {
    await knex.schema.createTable('tm_cluster', (t) => {
      t.string('name', 64).primary();
      t.text('config').notNullable(); // SyncConfig JSON
    });
  }
  if (!(await has('tm_peer'))) {
    await knex.schema.createTable('tm_peer', (t) => {
      t.string('uuid', 36).primary(); // the peer's instance uuid
      t.string('name', 128).notNullable();
      t.string('owner', 128);
      t.string('contact', 255);
      t.string('url', 512);
      t.string('token', 128).notNullable(); // the token this instance presents to the peer
      t.string('token_in_hash', 64); // SHA-256 of the token the peer presents here
      t.string('mac_in', 64); // MAC key derived from it (bundles, radio)
      t.text('clusters').notNullable(); // JSON array of cluster names
      t.text('config').notNullable(); // SyncConfig JSON (overrides the clusters')
      t.string('created_on', 24).notNullable();
      t.string('last_sync_on', 24);
      t.string('last_result', 16);
      t.integer('failures').notNullable().defaultTo(0);
    });
  }
  if (!(await knex.schema.hasColumn('tm_peer', 'token_in_hash'))) {
    // One shared token becomes both directions' token, the received side kept only hashed.
    await knex.schema.alterTable('tm_peer', (t) => {
      t.string('token_in_hash', 64);
      t.string('mac_in', 64);
    });
  }
  for (const r of (await knex('tm_peer').whereNull('token_in_hash').select('uuid', 'token')) as { uuid: string; token: string }[]) {
    await knex('tm_peer').where({ uuid: r.uuid }).update(receivedSecrets(r.token));
  }
  if (!(await knex.schema.hasColumn('tm_peer', 'pin'))) {
    await knex.schema.alterTable('tm_peer', (t) => t.string('pin', 104)); // sha256:AB:… of a self-signed peer's certificate
  }
  if (!(await knex.schema.hasColumn('tm_peer', 'kind'))) {
    // A peer is another Tidemark (paired, shared token) or a Sahana Eden this instance calls
    // (its REST S3XML with a user's Basic credentials; the password is kept in `token`).
    await knex.schema.alterTable('tm_peer', (t) => {
      t.string('kind', 16).notNullable().defaultTo('tidemark');
      t.string('username', 255);
    });
  }
  if (!(await has('tm_peer_cursor'))) {
    // How far I have applied the peer's feed of a resource: the peer's own cursor, stored in the
    // same transaction as the data it covers.
    await knex.schema.createTable('tm_peer_cursor', (t) => {
      t.string('peer', 36).notNullable();
      t.string('resource', 64).notNullable();
      t.string('cursor', 128).notNullable();
      t.string('updated_on', 24).notNullable();
      t.primary(['peer', 'resource']);
    });
  }
  if (!(await has('tm_peer_ack'))) {
    // How far the peer holds *my* feed (learned at handshake / push); decides tombstone purges.
    // `reset` asks the next push to start from zero (a filter changed).
    await knex.schema.createTable('tm_peer_ack', (t) => {
      t.string('peer', 36).notNullable();
      t.string('resource', 64).notNullable();
      t.bigInteger('seq').notNullable();
      t.boolean('reset').notNullable().defaultTo(false);
      t.string('updated_on', 24).notNullable();
      t.primary(['peer', 'resource']);
    });
  }
  if (!(await has('tm_conflict'))) {
    await knex.schema.createTable('tm_conflict', (t) => {
      t.increments('id');
      t.string('resource', 64).notNullable();
      t.string('uuid', 64).notNullable().index();
      t.string('peer', 36).notNullable();
      t.string('policy', 16).notNullable();
      t.string('rule', 64).notNullable();
      t.string('winner', 8).notNullable(); // local | remote | merged
      t.text('local').notNullable(); // RecordVersion JSON as held here
      t.text('remote').notNullable(); // RecordVersion JSON as received
      t.text('result').notNullable(); // RecordVersion JSON stored
      t.string('decided_on', 24).notNullable();
      t.string('reversed_on', 24);
    });
  }
  if (!(await knex.schema.hasColumn('tm_conflict', 'decision'))) {
    // The decision's id (the same on every instance that logs it) and the decision as it travels.
    await knex.schema.alterTable('tm_conflict', (t) => {
      t.string('decision', 64).index();
      t.text('detail');
      t.integer('reverses');
    });
  }
  if (!(await has('tm_sync_log'))) {
    await knex.schema.createTable('tm_sync_log', (t) => {
      t.increments('id');
      t.string('at', 24).notNullable().index();
      t.string('peer', 36).notNullable().index();
      t.string('peer_name', 128);
      t.string('direction', 16).notNullable(); // pull | push | sync | send | receive
      t.string('resource', 64);
      t.string('result', 8).notNullable(); // success | warning | error | fatal
      t.integer('sent').notNullable().defaultTo(0);
      t.integer('received').notNullable().defaultTo(0);
      t.integer('conflicts').notNullable().defaultTo(0);
      t.bigInteger('bytes').notNullable().defaultTo(0);
      t.integer('duration_ms').notNullable().defaultTo(0);
      t.text('message');
    });
  }
  if (!(await knex.schema.hasColumn('tm_sync_log', 'created'))) {
    // What the receiving side did with the records: created, changed, refused (rows written
    // before this column existed read 0).
    await knex.schema.alterTable('tm_sync_log', (t) => {
      t.integer('created').notNullable().defaultTo(0);
      t.integer('updated').notNullable().defaultTo(0);
      t.integer('refused').notNullable().defaultTo(0);
    });
  }
  if (!(await has('tm_sync_lease'))) {
    // One active sync per peer, across every process serving this database.
    await knex.schema.createTable('tm_sync_lease', (t) => {
      t.string('peer', 36).primary();
      t.string('holder', 64).notNullable();
      t.bigInteger('expires_at').notNullable();
    });
  }
  if (!(await has('tm_invite'))) {
    await knex.schema.createTable('tm_invite', (t) => {
      t.string('code_hash', 64).primary();
      t.bigInteger('expires_at').notNullable();
      t.string('used_by', 36);
      t.string('for_peer', 36); // set: re-pairs that known peer (an admin's decision); else new peers only
    });
  } else if (!(await knex.schema.hasColumn('tm_invite', 'for_peer'))) {
    await knex.schema.alterTable('tm_invite', (t) => t.string('for_peer', 36));
  }
}
