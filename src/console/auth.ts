import type { FastifyRequest } from 'fastify';

/**
 * The console's view of the signed-in user. Accounts, roles, sessions and CSRF belong to the
 * trust layer; this module only adapts them for the pages.
 * TEMPORARY (not for landing): a stand-in until the trust layer lands.
 */
export type Role = 'reader' | 'editor' | 'operator' | 'admin';

export interface ConsoleUser {
  name: string;
  role: Role;
}

export function currentUser(_req: FastifyRequest): ConsoleUser | undefined {
  return { name: 'admin', role: 'admin' };
}

export function csrfToken(_req: FastifyRequest): string {
  return 'dev';
}

const RANK: Record<Role, number> = { reader: 0, editor: 1, operator: 1, admin: 2 };
export function can(u: ConsoleUser, perm: string): boolean {
  if (perm === 'console.read') return true;
  if (perm === 'records.write') return u.role === 'editor' || u.role === 'admin';
  if (perm === 'sync.operate') return u.role === 'operator' || u.role === 'admin';
  return RANK[u.role] >= 2;
}

export async function publishedItems(): Promise<string[]> {
  return [];
}
