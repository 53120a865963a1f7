import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { TidemarkError } from '../../errors.js';
import { errors } from '../schemas.js';
import { findSession } from '../../auth/index.js';
import { cookie, login, logout, SESSION_COOKIE } from '../access.js';

/**
 * Console sign-in: POST /auth/login (JSON or form: user, password) opens a server-side session
 * and sets its HttpOnly cookie; the answer carries the CSRF token the console must send as
 * X-CSRF-Token on every write. GET /auth/session says who is signed in (and the token again);
 * POST /auth/logout ends the session.
 */
export async function authRoutes(app: FastifyInstance): Promise<void> {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  const tags = ['auth'];
  app.post(
    '/auth/login',
    {
      bodyLimit: 4096,
      schema: {
        tags,
        summary: 'Sign in: opens a session (cookie) and returns its CSRF token',
        body: Type.Object({ user: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 1024 }) }),
        response: { 200: Type.Object({ user: Type.String(), role: Type.String(), csrf: Type.String({ description: 'Send as X-CSRF-Token on every write' }), expires_at: Type.String() }), ...errors },
      },
    },
    async (req, reply) => {
      const { user, password } = req.body as { user: string; password: string };
      const s = await login(app.store, req, reply, user, password);
      return { user: s.user, role: s.role, csrf: s.csrf, expires_at: new Date(s.expiresAt).toISOString() };
    },
  );
  app.post('/auth/logout', { schema: { tags, summary: 'Sign out: ends the session', response: { 200: Type.Object({ status: Type.String() }), ...errors } } }, async (req, reply) => {
    await logout(app.store, req, reply);
    return { status: 'signed out' };
  });
  const Session = Type.Object({ user: Type.String(), role: Type.String(), via: Type.String({ description: 'session, token or basic' }), csrf: Type.Optional(Type.String()) });
  app.get('/auth/session', { schema: { tags, summary: 'Who is signed in, with the session CSRF token', response: { 200: Session, ...errors } } }, async (req) => {
    const p = req.principal;
    if (p.kind !== 'user') throw new TidemarkError('unauthorized', 'not signed in');
    const sid = cookie(req, SESSION_COOKIE);
    const s = p.via === 'session' && sid ? await findSession(app.store, sid) : undefined;
    return { user: p.user, role: p.role, via: p.via, ...(s ? { csrf: s.csrf } : {}) };
  });
}
