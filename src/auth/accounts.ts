import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TidemarkError } from '../errors.js';
import { nowIso } from '../registry/values.js';
import type { Store } from '../store/index.js';
import { hashPassword, newPassword, verifyPassword } from './password.js';
import { parseRole, type Role } from './roles.js';

/** Someone who has proved who they are: a person (password, API token or console session). */
export interface UserPrincipal {
  kind: 'user';
  user: string;
  role: Role;
  via: 'password' | 'token' | 'session';
}

export interface User {
  name: string;
  role: Role;
  created_on: string;
}

export interface TokenInfo {
  id: string;
  user: string;
  label: string;
  created_on: string;
  last_used_on: string | null;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const TOKEN = /^tmk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

function checkName(name: string): string {
  if (!NAME.test(name)) throw new TidemarkError('invalid', `user name "${name}" must be 1-64 letters, digits, . _ @ - (not starting with a sign)`, { field: 'user' });
  return name;
}

function checkPassword(password: string): string {
  if (password.length < 10) throw new TidemarkError('invalid', 'a password needs at least 10 characters', { field: 'password' });
  if (password.length > 1024) throw new TidemarkError('invalid', 'a password has at most 1024 characters', { field: 'password' });
  return password;
}

/** Users and their API tokens, kept in this instance's database. */
export class Accounts {
  constructor(readonly store: Store) {}

  private async ready(): Promise<void> {
  }

  async list(): Promise<User[]> {
    await this.ready();
    return (await this.store.knex('tm_user').select('name', 'role', 'created_on').orderBy('name')) as User[];
  }

  async find(name: string): Promise<User | undefined> {
    await this.ready();
    return (await this.store.knex('tm_user').select('name', 'role', 'created_on').where({ name }).first()) as User | undefined;
  }

  async get(name: string): Promise<User> {
    const u = await this.find(name);
    if (!u) throw new TidemarkError('not_found', `no user "${name}" (see "tidemark user list")`, { field: 'user' });
    return u;
  }

  async add(name: string, role: Role, password: string): Promise<User> {
    await this.ready();
    checkName(name);
    parseRole(role);
    if (await this.find(name)) throw new TidemarkError('conflict', `user "${name}" exists already`, { field: 'user' });
    await this.store.knex('tm_user').insert({ name, role, password_hash: await hashPassword(checkPassword(password)), created_on: nowIso() });
    return this.get(name);
  }

  async setPassword(name: string, password: string): Promise<void> {
    await this.get(name);
    const password_hash = await hashPassword(checkPassword(password));
    await this.store.knex.transaction(async (trx) => {
      await trx('tm_user').where({ name }).update({ password_hash });
      // A new password ends the sessions opened with the old one.
      await trx('tm_session').where({ user: name }).delete();
    });
  }

  async setRole(name: string, role: Role): Promise<User> {
    const u = await this.get(name);
    parseRole(role);
    if (u.role === 'admin' && role !== 'admin') await this.keepAnAdmin(name);
    await this.store.knex('tm_user').where({ name }).update({ role });
    return this.get(name);
  }

  async remove(name: string): Promise<User> {
    const u = await this.get(name);
    if (u.role === 'admin') await this.keepAnAdmin(name);
    await this.store.knex.transaction(async (trx) => {
      await trx('tm_token').where({ user: name }).delete();
      await trx('tm_session').where({ user: name }).delete();
      await trx('tm_user').where({ name }).delete();
    });
    return u;
  }

  /** Nobody could manage the instance any more: refused. */
  private async keepAnAdmin(leaving: string): Promise<void> {
    const admins = (await this.list()).filter((u) => u.role === 'admin' && u.name !== leaving);
    if (!admins.length) throw new TidemarkError('conflict', `"${leaving}" is the last admin; make another user admin first`, { field: 'user' });
  }

  /** The user whose name and password these are, or undefined (same cost whether the user exists or not). */
  async checkPassword(name: string, password: string): Promise<UserPrincipal | undefined> {
    await this.ready();
    const row = (await this.store.knex('tm_user').where({ name }).first()) as { name: string; role: Role; password_hash: string } | undefined;
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    return row && ok ? { kind: 'user', user: row.name, role: row.role, via: 'password' } : undefined;
  }

  /** A new API token for `user`: the only time its secret is shown; only its hash is kept. */
  async createToken(user: string, label: string): Promise<{ token: string; info: TokenInfo }> {
    await this.get(user);
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const created_on = nowIso();
    await this.store.knex('tm_token').insert({ id, user, label: label.slice(0, 128), secret_hash: sha256(secret), created_on });
    return { token: `tmk_${id}_${secret}`, info: { id, user, label, created_on, last_used_on: null } };
  }

  async tokens(user?: string): Promise<TokenInfo[]> {
    await this.ready();
    const q = this.store.knex('tm_token').select('id', 'user', 'label', 'created_on', 'last_used_on').orderBy(['user', 'created_on']);
    return (await (user ? q.where({ user }) : q)) as TokenInfo[];
  }

  async revokeToken(id: string): Promise<TokenInfo> {
    await this.ready();
    const t = (await this.tokens()).find((x) => x.id === id);
    if (!t) throw new TidemarkError('not_found', `no token "${id}" (see "tidemark token list")`, { field: 'token' });
    await this.store.knex('tm_token').where({ id }).delete();
    return t;
  }

  /** The user an API token belongs to, or undefined. */
  async checkToken(token: string): Promise<UserPrincipal | undefined> {
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    await this.ready();
    const row = (await this.store.knex('tm_token as t').join('tm_user as u', 'u.name', 't.user').where('t.id', m[1]!).select('t.secret_hash', 'u.name', 'u.role').first()) as
      | { secret_hash: string; name: string; role: Role }
      | undefined;
    if (!row || !timingSafeEqual(Buffer.from(row.secret_hash), Buffer.from(sha256(m[2]!)))) return undefined;
    // Noted at most once a minute and never waited for: a read must not queue behind a writer.
    const id = m[1]!;
    if ((lastNoted.get(id) ?? 0) < Date.now() - 60_000) {
      lastNoted.set(id, Date.now());
      void this.store.knex('tm_token').where({ id }).update({ last_used_on: nowIso() }).catch(() => undefined);
    }
    return { kind: 'user', user: row.name, role: row.role, via: 'token' };
  }
}

const lastNoted = new Map<string, number>();

/** Checked against when the user does not exist, so a wrong name costs as long as a wrong password. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * The first admin of a new instance: created only when nobody has an account yet. The password
 * is the one given (TIDEMARK_ADMIN_PASSWORD, for scripts) or a new random one, returned so it
 * can be printed once.
 */
export async function ensureFirstAdmin(store: Store, name = 'admin', password?: string): Promise<{ name: string; password: string } | undefined> {
  const accounts = new Accounts(store);
  if ((await accounts.list()).length) return undefined;
  const pw = password ?? newPassword();
  await accounts.add(name, 'admin', pw);
  return { name, password: pw };
}
