import { TidemarkError } from '../errors.js';

/**
 * Who a person is allowed to be, from least to most: a reader sees records; an editor writes
 * them; an operator runs syncs and bundles, resolves conflicts and sets what syncs with peers;
 * an admin manages users, tokens, peers, partners, settings and what is published.
 */
export const ROLES = ['reader', 'editor', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (r: unknown): r is Role => typeof r === 'string' && (ROLES as readonly string[]).includes(r);

/** True when `held` includes everything `needed` may do. */
export const atLeast = (held: Role, needed: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(needed);

export function parseRole(r: unknown): Role {
  if (!isRole(r)) throw new TidemarkError('invalid', `role "${String(r)}" is not one of ${ROLES.join(', ')}`, { field: 'role' });
  return r;
}
