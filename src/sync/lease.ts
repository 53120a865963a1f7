import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

/** This process, as a lease holder. */
export const PROCESS_HOLDER = `${process.pid}-${randomUUID().slice(0, 8)}`;

/**
 * One sync per peer at a time, across every process serving the same database: a lease row
 * that expires on its own if its holder dies (kill -9 included).
 */
export async function acquireLease(knex: Knex, peer: string, ttlMs = 60_000, holder = PROCESS_HOLDER): Promise<boolean> {
  const now = Date.now();
  // Conditional writes only: atomic on SQLite and PostgreSQL without explicit row locks.
  await knex('tm_sync_lease').insert({ peer, holder, expires_at: now + ttlMs }).onConflict('peer').ignore();
  const n = await knex('tm_sync_lease')
    .where({ peer })
    .andWhere((b) => b.where({ holder }).orWhere('expires_at', '<', now))
    .update({ holder, expires_at: now + ttlMs });
  return Number(n) > 0;
}

export async function renewLease(knex: Knex, peer: string, ttlMs = 60_000, holder = PROCESS_HOLDER): Promise<void> {
  await knex('tm_sync_lease').where({ peer, holder }).update({ expires_at: Date.now() + ttlMs });
}

export async function releaseLease(knex: Knex, peer: string, holder = PROCESS_HOLDER): Promise<void> {
  await knex('tm_sync_lease').where({ peer, holder }).delete();
}
