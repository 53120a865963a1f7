import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** This process, as a lease holder: host, pid and a random tag. */
export const PROCESS_HOLDER = `${hostname().slice(0, 30)}:${process.pid}:${randomUUID().slice(0, 8)}`;

export const LEASE_MS = 30_000;

/** A holder on this machine whose process is gone (killed with -9, say) holds nothing. */
function holderIsDead(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname().slice(0, 30) || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * One sync per peer at a time, across every process serving the same database: a lease row
 * that expires on its own if its holder dies, and is taken over at once when the holder is a
 * dead process on this machine.
 */
export async function acquireLease(knex: Knex, peer: string, ttlMs = LEASE_MS, holder = PROCESS_HOLDER): Promise<boolean> {
  const now = Date.now();
  // Conditional writes only: atomic on SQLite and PostgreSQL without explicit row locks.
  await knex('tm_sync_lease').insert({ peer, holder, expires_at: now + ttlMs }).onConflict('peer').ignore();
  const n = await knex('tm_sync_lease')
    .where({ peer })
    .andWhere((b) => b.where({ holder }).orWhere('expires_at', '<', now))
    .update({ holder, expires_at: now + ttlMs });
  if (Number(n) > 0) return true;
  const row = (await knex('tm_sync_lease').where({ peer }).first()) as { holder: string } | undefined;
  if (row && holderIsDead(row.holder)) {
    const m = await knex('tm_sync_lease').where({ peer, holder: row.holder }).update({ holder, expires_at: now + ttlMs });
    return Number(m) > 0;
  }
  return false;
}

export async function renewLease(knex: Knex, peer: string, ttlMs = LEASE_MS, holder = PROCESS_HOLDER): Promise<void> {
  await knex('tm_sync_lease').where({ peer, holder }).update({ expires_at: Date.now() + ttlMs });
}

export async function releaseLease(knex: Knex, peer: string, holder = PROCESS_HOLDER): Promise<void> {
  await knex('tm_sync_lease').where({ peer, holder }).delete();
}
