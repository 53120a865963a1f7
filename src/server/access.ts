import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { TidemarkError } from '../errors.js';
import { Accounts, atLeast, checkCsrf, createSession, destroySession, findSession, isPublished, type Role, type Session, type UserPrincipal } from '../auth/index.js';
import type { Partner } from '../interchange/partners.js';
import { authenticatePartner } from '../interchange/partner-tokens.js';
import { authenticate as authenticatePeer, type Peer } from '../sync/index.js';
import { edenRepository } from '../sync/eden.js';
import type { Store } from '../store/index.js';

/**
 * Who may call what: ONE table, method + route -> rule, enforced by one hook before the body is
 * read. A route without an entry is refused. Add a line here with every new route (the console's
 * included); docs/security.md lists the same table for people.
 *
 *   anyone     no credential (health, the API description, login)
 *   role       a user with at least that role (Basic password, `Bearer tmk_...` API token, or a
 *              console session cookie + X-CSRF-Token on writes); `published` names the item that,
 *              once an admin publishes it (`tidemark publish`), opens the route to anyone
 *   peer       a paired Tidemark instance (X-Tidemark-Instance + Bearer sync token)
 *   pairing    anyone presenting a pairing code; the handler checks the code
 *   partner    a partner's bearer token (the TIDEMARK_PARTNERS file, or added by an admin)
 *   eden       a registered Eden repository (repository= + Basic password); pulls also let in a
 *              reader, or anyone when the resource is published
 */
export type Rule =
  | { who: 'anyone' }
  | { who: 'role'; role: Role; published?: (req: FastifyRequest) => string | undefined }
  | { who: 'peer' }
  | { who: 'pairing' }
  | { who: 'partner' }
  | { who: 'eden'; pull?: boolean };

export type Principal =
  | { kind: 'anonymous'; published?: string }
  | UserPrincipal
  | { kind: 'peer'; peer: Peer }
  | { kind: 'partner'; partner: Partner };

const anyone: Rule = { who: 'anyone' };
const role = (r: Role, published?: (req: FastifyRequest) => string | undefined): Rule => ({ who: 'role', role: r, ...(published ? { published } : {}) });
const param = (req: FastifyRequest, name: string): string => String((req.params as Record<string, unknown> | undefined)?.[name] ?? '');
const query = (req: FastifyRequest, name: string): string => String((req.query as Record<string, unknown> | undefined)?.[name] ?? '');
/** `/s3xml/med_hospital.json` -> s3xml:med_hospital (one resource only: a list is never "published"). */
const s3xmlItem = (name: string): string | undefined => {
  const r = name.replace(/\.(json|xml)$/, '');
  return /^[a-z0-9_]+$/.test(r) ? `s3xml:${r}` : undefined;
};
/** CAP is served as the Atom feed unless one alert is asked for: both are "feed:cap". */
const feedItem = (format: string): string => `feed:${format === 'cap-atom' ? 'cap' : format}`;

export const ACCESS: Record<string, Rule> = {
  'GET /health': anyone,
  'GET /openapi.json': anyone,

  'POST /auth/login': anyone,
  'POST /auth/logout': anyone,
  'GET /auth/session': role('reader'),

  'GET /s3xml': role('reader'),
  'GET /s3xml.json': role('reader'),
  'GET /s3xml/:resource': role('reader', (req) => s3xmlItem(param(req, 'resource'))),
  'PUT /s3xml': role('editor'),
  'POST /s3xml': role('editor'),
  'PUT /s3xml/:resource': role('editor'),
  'POST /s3xml/:resource': role('editor'),

  'GET /feeds/:format': role('reader', (req) => feedItem(param(req, 'format'))),
  'POST /inbound/:format': { who: 'partner' },

  'POST /sync/v1/pair': { who: 'pairing' },
  'POST /sync/v1/hello': { who: 'peer' },
  'POST /sync/v1/pull': { who: 'peer' },
  'POST /sync/v1/push': { who: 'peer' },

  'POST /sync/repository/register.json': { who: 'pairing' },
  'GET /sync/sync.xml': { who: 'eden', pull: true },
  'PUT /sync/sync.xml': { who: 'eden' },
  'POST /sync/sync.xml': { who: 'eden' },

  // Conflicts over JSON: the same roles as the console's conflict pages.
  'GET /conflicts': role('reader'),
  'GET /conflicts/:id': role('reader'),
  'POST /conflicts/:id/resolve': role('operator'),
  'POST /conflicts/:id/reverse': role('operator'),

  // The web console (docs/console.md): the same roles as the API for the same actions.
  'GET /console/assets/:name': anyone,
  'GET /console/login': anyone,
  'POST /console/login': anyone,
  'POST /console/logout': anyone,
  'GET /': role('reader'),
  'GET /console': role('reader'),
  'GET /console/overview/peers': role('reader'),
  'GET /console/overview/runs': role('reader'),
  'GET /console/records': role('reader'),
  'GET /console/records/:resource': role('reader'),
  'GET /console/records/:resource/:uuid': role('reader'),
  'GET /console/records/:resource/new': role('editor'),
  'POST /console/records/:resource': role('editor'),
  'GET /console/records/:resource/:uuid/edit': role('editor'),
  'POST /console/records/:resource/:uuid': role('editor'),
  'GET /console/records/:resource/:uuid/delete': role('editor'),
  'POST /console/records/:resource/:uuid/delete': role('editor'),
  'GET /console/runs': role('reader'),
  'GET /console/runs.csv': role('reader'),
  'GET /console/conflicts': role('reader'),
  'GET /console/conflicts/:id': role('reader'),
  'POST /console/conflicts/:id/resolve': role('operator'),
  'POST /console/conflicts/:id/reverse': role('operator'),
  'POST /console/conflicts/batch': role('operator'),
  'GET /console/bundles': role('operator'),
  'POST /console/bundles/export': role('operator'),
  'POST /console/bundles/preview': role('operator'),
  'POST /console/bundles/import': role('operator'),
  'GET /console/bundles/ack/:id': role('operator'),
  'GET /console/standards': role('reader'),
  'POST /console/standards/validate': role('reader'),
  'POST /console/standards/import': role('editor'),
  'GET /console/peers': role('reader'),
  'POST /console/peers/invite': role('admin'),
  'POST /console/peers/pair': role('admin'),
  'GET /console/peers/:uuid': role('reader'),
  'POST /console/peers/:uuid/settings': role('operator'),
  'POST /console/peers/:uuid/dry-run': role('operator'),
  'POST /console/peers/:uuid/sync': role('operator'),
  'GET /console/peers/:uuid/jobs/:job': role('reader'),
  'POST /console/peers/:uuid/jobs/:job/cancel': role('operator'),
  'POST /console/peers/:uuid/remove': role('admin'),
  'GET /console/clusters': role('operator'),
  'GET /console/clusters/:name': role('reader'),
  'POST /console/clusters/:name': role('operator'),
  'GET /console/admin': role('admin'),
  'POST /console/admin/users': role('admin'),
  'POST /console/admin/users/:name/role': role('admin'),
  'POST /console/admin/users/:name/remove': role('admin'),
  'POST /console/admin/tokens': role('admin'),
  'POST /console/admin/tokens/:id/revoke': role('admin'),
  'POST /console/admin/partners': role('admin'),
  'POST /console/admin/partners/:name/revoke': role('admin'),
  'POST /console/admin/published': role('admin'),
  'POST /console/admin/settings': role('admin'),
};

/** The rule for a request's route, or undefined (refused). HEAD follows GET. */
export function ruleFor(method: string, url: string): Rule | undefined {
  return ACCESS[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyInstance {
    partners: Partner[];
  }
}

// ---- Credentials -----------------------------------------------------------------------------

export const SESSION_COOKIE = 'tidemark_session';
export const CSRF_HEADER = 'x-csrf-token';
/** The form field that carries the CSRF token where a plain HTML form cannot set a header. */
export const CSRF_FIELD = '_csrf';
const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

function basic(req: FastifyRequest): { user: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (!h || !/^Basic /i.test(h)) return undefined;
  const text = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : { user: text.slice(0, i), password: text.slice(i + 1) };
}

function bearer(req: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

export function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/**
 * Password checks cost ~0.1 s of scrypt each: at most two run at once and a short queue waits,
 * so guessing cannot starve the thread pool; a successful Basic login is remembered for a minute
 * so a program sending it with every request pays once.
 */
const MAX_CHECKS = 2;
const MAX_WAITING = 32;
let checking = 0;
const waiting: (() => void)[] = [];
const remembered = new Map<string, { user: string; until: number }>();

async function checkPassword(store: Store, user: string, password: string): Promise<UserPrincipal | undefined> {
  const key = createHash('sha256').update(`${store.instance.uuid}\0${user}\0${password}`).digest('hex');
  const hit = remembered.get(key);
  if (hit && hit.until > Date.now()) {
    const u = await new Accounts(store).find(hit.user);
    if (u) return { kind: 'user', user: u.name, role: u.role, via: 'password' };
  }
  if (checking >= MAX_CHECKS) {
    if (waiting.length >= MAX_WAITING) throw new TidemarkError('busy', 'too many sign-ins at once; try again shortly');
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  checking++;
  try {
    const p = await new Accounts(store).checkPassword(user, password);
    if (p) {
      if (remembered.size > 1000) remembered.clear();
      remembered.set(key, { user: p.user, until: Date.now() + 60_000 });
    }
    return p;
  } finally {
    checking--;
    waiting.shift()?.();
  }
}

/**
 * The person behind a request (Basic password, API token or session cookie), or anonymous.
 * Wrong credentials are a 401, never silently anonymous. A session-authenticated write must
 * carry the session's CSRF token in X-CSRF-Token.
 */
export async function authenticate(store: Store, req: FastifyRequest): Promise<UserPrincipal | { kind: 'anonymous' }> {
  const b = basic(req);
  if (b) {
    const p = await checkPassword(store, b.user, b.password);
    if (!p) throw new TidemarkError('unauthorized', 'wrong user name or password');
    return p;
  }
  const t = bearer(req);
  if (t) {
    const p = await new Accounts(store).checkToken(t);
    if (!p) throw new TidemarkError('unauthorized', 'unknown or revoked API token');
    return p;
  }
  const sid = cookie(req, SESSION_COOKIE);
  if (sid) {
    const s = await findSession(store, sid);
    if (!s) throw new TidemarkError('unauthorized', 'the session has ended; sign in again');
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method) && !checkCsrf(s.csrf, req.headers[CSRF_HEADER])) {
      // A plain HTML form (the console without JavaScript) carries the token as a field: checked
      // once the body is parsed, before the handler runs (the preHandler hook below).
      if (req.headers[CSRF_HEADER] === undefined && FORM_TYPES.test(req.headers['content-type'] ?? '')) formCsrf.set(req, s.csrf);
      else throw new TidemarkError('forbidden', `a console request that changes something must carry the session's ${CSRF_HEADER} header`);
    }
    return { kind: 'user', user: s.user, role: s.role, via: 'session' };
  }
  return { kind: 'anonymous' };
}

/** Session writes by plain form whose token is still to be checked against the parsed body. */
const formCsrf = new WeakMap<FastifyRequest, string>();

function formField(body: unknown, name: string): unknown {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  // @fastify/multipart with attachFieldsToBody gives { value }.
  return v && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : v;
}

/** Refuses (401/403) unless the request's principal is a user with at least `role`. */
export function requireRole(req: FastifyRequest, needed: Role): UserPrincipal {
  const p = req.principal;
  if (p?.kind !== 'user') throw new TidemarkError('unauthorized', `sign in as a user with the ${needed} role (Basic, Bearer API token or console session)`);
  if (!atLeast(p.role, needed)) throw new TidemarkError('forbidden', `${p.user} is ${p.role}; this needs ${needed}`);
  return p;
}

// ---- Sessions over HTTP (the console's sign-in) ------------------------------------------------

/** Signs a user in: checks the password, opens a session and sets its cookie. */
export async function login(store: Store, req: FastifyRequest, reply: FastifyReply, user: string, password: string): Promise<Session & { role: Role }> {
  const p = await checkPassword(store, user, password);
  if (!p) throw new TidemarkError('unauthorized', 'wrong user name or password');
  const s = await createSession(store, p.user);
  reply.header('set-cookie', sessionCookie(req, s.id, Math.floor((s.expiresAt - Date.now()) / 1000)));
  return { ...s, role: p.role };
}

export async function logout(store: Store, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const sid = cookie(req, SESSION_COOKIE);
  if (sid) await destroySession(store, sid);
  reply.header('set-cookie', sessionCookie(req, '', 0));
}

/** HttpOnly, SameSite=Strict; Secure whenever the request came over TLS. */
export function sessionCookie(req: FastifyRequest, value: string, maxAge: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${req.protocol === 'https' ? '; Secure' : ''}`;
}

// ---- The hook --------------------------------------------------------------------------------

/** Routes registered on `app` that have no rule: the service refuses to start with any. */
const registered = new WeakMap<FastifyInstance, string[]>();
export function unruledRoutes(app: FastifyInstance): string[] {
  return (registered.get(app) ?? []).filter((key) => {
    const [method, url] = key.split(' ') as [string, string];
    return !ruleFor(method, url);
  });
}

/** Enforces ACCESS on every request, before its body is read or inflated. */
export function enforceAccess(app: FastifyInstance): void {
  const keys: string[] = [];
  registered.set(app, keys);
  app.addHook('onRoute', (route) => {
    for (const m of [route.method].flat()) if (m !== 'HEAD' && m !== 'OPTIONS') keys.push(`${m} ${route.url}`);
  });
  app.addHook('onReady', async () => {
    const missing = unruledRoutes(app);
    if (missing.length) throw new Error(`routes without an access rule in src/server/access.ts: ${missing.join(', ')}`);
  });
  app.decorateRequest('principal', null as never);
  app.addHook('onRequest', async (req, reply) => {
    const url = req.routeOptions.url;
    if (url === undefined) return; // no such route: the 404 handler answers
    const rule = ruleFor(req.method, url);
    if (!rule) {
      req.log.error({ method: req.method, url }, 'route has no access rule');
      throw new TidemarkError('forbidden', 'this route has no access rule');
    }
    req.principal = await decide(app, req, rule);
    if (req.principal.kind === 'anonymous' && rule.who === 'role') reply.header('cache-control', 'public, max-age=0');
  });
  app.addHook('preHandler', async (req) => {
    const expected = formCsrf.get(req);
    if (expected !== undefined && !checkCsrf(expected, formField(req.body, CSRF_FIELD))) {
      throw new TidemarkError('forbidden', `a console form that changes something must carry the session's ${CSRF_FIELD} field`);
    }
  });
}

async function decide(app: FastifyInstance, req: FastifyRequest, rule: Rule): Promise<Principal> {
  const store = app.store;
  switch (rule.who) {
    case 'anyone':
    case 'pairing':
      return { kind: 'anonymous' };
    case 'role': {
      const p = await authenticate(store, req);
      if (p.kind === 'anonymous') {
        const item = rule.published?.(req);
        if (item && (await isPublished(store, item))) return { kind: 'anonymous', published: item };
      }
      req.principal = p;
      requireRole(req, rule.role);
      return p;
    }
    case 'peer': {
      const instance = req.headers['x-tidemark-instance'];
      return { kind: 'peer', peer: await authenticatePeer(store, typeof instance === 'string' ? instance : undefined, bearer(req)) };
    }
    case 'partner':
      return { kind: 'partner', partner: await authenticatePartner(store, app.partners, req.headers.authorization) };
    case 'eden': {
      const repository = query(req, 'repository');
      const b = basic(req);
      if (rule.pull) {
        // A registered repository, a reader, or anyone for a published resource.
        if (repository && b) {
          const peer = await edenRepository(store, repository, b.password).catch(() => undefined);
          if (peer) return { kind: 'peer', peer };
        }
        const item = s3xmlItem(query(req, 'resource'));
        if (item && (await isPublished(store, item))) return { kind: 'anonymous', published: item };
        const p = await authenticate(store, req);
        req.principal = p;
        requireRole(req, 'reader');
        return p;
      }
      return { kind: 'peer', peer: await edenRepository(store, repository, b?.password) };
    }
  }
}
