import type { Store } from '../../src/store/index.js';
import { Accounts, type Role } from '../../src/auth/index.js';

export const basicAuth = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A user of `role` on `store`; returns the Authorization header that signs in as them. */
export async function userOn(store: Store, role: Role, name: string = role): Promise<string> {
  const password = `${name}-test-password`;
  if (!(await new Accounts(store).find(name))) await new Accounts(store).add(name, role, password);
  return basicAuth(name, password);
}

/** fetch with an Authorization header (unless the call sets its own). */
export const fetchAs =
  (authorization: string) =>
  (url: string, init: RequestInit = {}): Promise<Response> =>
    fetch(url, { ...init, headers: { authorization, ...(init.headers as Record<string, string> | undefined) } });
