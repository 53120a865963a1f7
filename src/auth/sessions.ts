import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { nowIso } from '../registry/values.js';
import type { Store } from '../store/index.js';
import type { UserPrincipal } from './accounts.js';
import type { Role } from './roles.js';

/**
 * Console sessions, kept on the server: the browser holds only a random id (in an HttpOnly
 * cookie), the database only its hash, so a copied database opens no session. Each session has
 * its own CSRF token that every state-changing request from the console must echo in a header.
 */
export const SESSION_TTL_MS = 12 * 3600 * 1000;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface Session {
  /** The cookie value: shown to the browser once, at login. */
  id: string;
  csrf: string;
  user: string;
  expiresAt: number;
}

export async function createSession(store: Store, user: string, ttlMs = SESSION_TTL_MS): Promise<Session> {
  const id = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const expiresAt = Date.now() + ttlMs;
  // Expired sessions are swept as new ones open.
  await store.knex('tm_session').where('expires_at', '<', Date.now()).delete();
  await store.knex('tm_session').insert({ id_hash: sha256(id), user, csrf, expires_at: expiresAt, created_on: nowIso() });
  return { id, csrf, user, expiresAt };
}

export async function destroySession(store: Store, id: string): Promise<void> {
  await store.knex('tm_session').where({ id_hash: sha256(id) }).delete();
}

/** The live session behind a cookie value, with its user's current role. */
export async function findSession(store: Store, id: string): Promise<(UserPrincipal & { csrf: string }) | undefined> {
  if (!id || id.length > 128) return undefined;
  const row = (await store.knex('tm_session as s').join('tm_user as u', 'u.name', 's.user').where('s.id_hash', sha256(id)).select('s.csrf', 's.expires_at', 'u.name', 'u.role').first()) as
    | { csrf: string; expires_at: number; name: string; role: Role }
    | undefined;
  if (!row || Number(row.expires_at) < Date.now()) return undefined;
  return { kind: 'user', user: row.name, role: row.role, via: 'session', csrf: row.csrf };
}

/** True when `given` is the session's CSRF token (constant time). */
export function checkCsrf(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
