import type { FastifyReply, FastifyRequest } from 'fastify';
import { atLeast, findSession, published, type Role } from '../auth/index.js';
import type { Store } from '../store/index.js';
import { cookie, login, logout, SESSION_COOKIE } from '../server/access.js';

/**
 * The console's view of the signed-in user. Accounts, roles, sessions, CSRF and the access table
 * are the trust layer's (docs/security.md); this only adapts them for the pages, which use the
 * role to decide what to show (the access table decides what is allowed).
 */
export type { Role };

export interface ConsoleUser {
  name: string;
  role: Role;
}

export function currentUser(req: FastifyRequest): ConsoleUser | undefined {
  const p = req.principal;
  return p?.kind === 'user' ? { name: p.user, role: p.role } : undefined;
}

/** The session's CSRF token, for the hidden field of every form and the htmx header. */
export async function csrfToken(store: Store, req: FastifyRequest): Promise<string> {
  const sid = cookie(req, SESSION_COOKIE);
  const s = sid ? await findSession(store, sid) : undefined;
  return s?.csrf ?? '';
}

/** What the pages offer to whom; the same roles as the access table's entries. */
const NEEDS: Record<string, Role> = { 'console.read': 'reader', 'records.write': 'editor', 'sync.operate': 'operator', admin: 'admin' };

export function can(u: ConsoleUser, perm: keyof typeof NEEDS | string): boolean {
  return atLeast(u.role, NEEDS[perm] ?? 'admin');
}

export function publishedItems(store: Store): Promise<string[]> {
  return published(store);
}

export { login as signIn, logout as signOut };
export type { FastifyReply };
