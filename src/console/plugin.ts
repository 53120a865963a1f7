import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import compress from '@fastify/compress';
import formbody from '@fastify/formbody';
import { TidemarkError } from '../errors.js';
import type { ResourceDef } from '../registry/types.js';
import { ASSETS } from './assets.js';
import { can, csrfToken, currentUser } from './auth.js';
import { recordLabel } from './format.js';
import { html, type Html } from './html.js';
import { layout, navItems, type PageContext } from './layout.js';
import { M } from './messages.js';
import { overviewPage, peersSection, runsSection } from './pages/overview.js';
import { deleteConfirmPage, formPatch, formValues, listPage, recordForm, recordPage, resourcesPage, type FormState } from './pages/records.js';

/**
 * The web console (docs/console.md): server-rendered pages over the same functions as the CLI
 * and the HTTP API. Every route here has its line in the access table (src/server/access.ts).
 */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  // Compressed answers for this scope only (the sync routes compress on their own terms).
  await app.register(compress, { global: true, threshold: 1024, encodings: ['br', 'gzip'] });
  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  const store = app.store;

  const ctxOf = async (req: FastifyRequest): Promise<PageContext> => ({
    user: currentUser(req),
    csrf: await csrfToken(req),
    path: req.url.split('?')[0]!,
    instanceName: store.instance.name,
  });
  const nav = navItems(can);
  const page = async (req: FastifyRequest, reply: FastifyReply, title: string, body: Html, opts: { status?: number; flash?: { kind: 'ok' | 'bad'; text: string } } = {}) =>
    reply
      .status(opts.status ?? 200)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(layout(await ctxOf(req), title, body, nav, opts.flash ?? flashOf(req)));
  const fragment = (reply: FastifyReply, body: Html) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body.text);
  const need = (req: FastifyRequest, perm: string): void => {
    const u = currentUser(req);
    if (!u) throw new TidemarkError('unauthorized', M.auth.title);
    if (!can(u, perm)) throw new TidemarkError('forbidden', M.auth.forbidden);
  };
  const resourceOf = (req: FastifyRequest): ResourceDef => store.registry.get((req.params as { resource: string }).resource);

  // People get pages, not JSON: sign-in for 401, a page saying why for the rest.
  app.setErrorHandler(async (err, req, reply) => {
    const e = err instanceof TidemarkError ? err : undefined;
    if (e?.code === 'unauthorized' && req.method === 'GET') return reply.redirect(`/console/login?next=${encodeURIComponent(req.url)}`, 303);
    const status = e?.status ?? ((err as { statusCode?: number }).statusCode && (err as { statusCode: number }).statusCode < 500 ? (err as { statusCode: number }).statusCode : 500);
    if (status >= 500) req.log.error({ err }, 'console request failed');
    const title = status === 403 ? M.auth.forbidden : status === 404 ? M.common.notFound : M.common.error;
    return page(req, reply, title, html`<p>${e ? e.describe() : status >= 500 ? M.common.error : (err as Error).message}</p><p><a href="/">${M.nav.overview}</a></p>`, { status });
  });

  app.get('/console/assets/:name', async (req, reply) => {
    const a = ASSETS[(req.params as { name: string }).name];
    if (!a) throw new TidemarkError('not_found', 'no such asset');
    return reply.type(a.type).header('cache-control', 'public, max-age=31536000, immutable').send(a.body);
  });

  // ---- Overview ------------------------------------------------------------------------------
  const overview = async (req: FastifyRequest, reply: FastifyReply) => {
    need(req, 'console.read');
    return page(req, reply, M.overview.title, await overviewPage(store));
  };
  app.get('/', overview);
  app.get('/console', overview);
  app.get('/console/overview/peers', async (req, reply) => {
    need(req, 'console.read');
    return fragment(reply, await peersSection(store));
  });
  app.get('/console/overview/runs', async (req, reply) => {
    need(req, 'console.read');
    return fragment(reply, await runsSection(store));
  });

  // ---- Records -------------------------------------------------------------------------------
  app.get('/console/records', async (req, reply) => {
    need(req, 'console.read');
    return page(req, reply, M.records.title, await resourcesPage(store));
  });
  app.get('/console/records/:resource', async (req, reply) => {
    need(req, 'console.read');
    const def = resourceOf(req);
    const q = req.query as { q?: string; page?: string };
    const n = Number(q.page ?? 1);
    return page(req, reply, def.title, await listPage(store, def, { search: q.q, page: Number.isInteger(n) && n > 0 ? n : 1, canWrite: can(currentUser(req)!, 'records.write') }));
  });
  app.get('/console/records/:resource/new', async (req, reply) => {
    need(req, 'records.write');
    const def = resourceOf(req);
    if (def.referenceData) throw new TidemarkError('forbidden', M.records.referenceData);
    const q = req.query as Record<string, string>;
    const fixed = def.component && q[def.component.joinField] ? def.component.joinField : undefined;
    const values = fixed ? { [fixed]: q[fixed]! } : {};
    return page(req, reply, M.records.newRecord(def.title), await recordForm(store, def, { action: `/console/records/${def.name}`, csrf: await csrfToken(req), state: { values }, fixed }));
  });
  app.post('/console/records/:resource', async (req, reply) => {
    need(req, 'records.write');
    const def = resourceOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const rec = await store.create(def.name, formPatch(def, body));
      return redirectWith(reply, recordUrl(def.name, rec.uuid), 'saved');
    } catch (e) {
      if (!(e instanceof TidemarkError) || e.status >= 500) throw e;
      const fixed = def.component && body[def.component.joinField] ? def.component.joinField : undefined;
      return page(req, reply, M.records.newRecord(def.title), await recordForm(store, def, { action: `/console/records/${def.name}`, csrf: await csrfToken(req), state: failed(body, e), fixed }), { status: e.status });
    }
  });
  app.get('/console/records/:resource/:uuid', async (req, reply) => {
    need(req, 'console.read');
    const def = resourceOf(req);
    const rec = await store.get(def.name, (req.params as { uuid: string }).uuid, { includeDeleted: true });
    if (!rec) throw new TidemarkError('not_found', 'no such record', { resource: def.name });
    return page(req, reply, `${def.title}: ${recordLabel(def, rec.data, rec.uuid)}`, await recordPage(store, def, rec, can(currentUser(req)!, 'records.write')));
  });
  app.get('/console/records/:resource/:uuid/edit', async (req, reply) => {
    need(req, 'records.write');
    const def = resourceOf(req);
    const rec = await store.get(def.name, (req.params as { uuid: string }).uuid);
    if (!rec) throw new TidemarkError('not_found', 'no such record', { resource: def.name });
    const fixed = def.component?.joinField;
    return page(req, reply, M.records.editRecord(def.title), await recordForm(store, def, { action: recordUrl(def.name, rec.uuid), csrf: await csrfToken(req), state: { values: formValues(def, rec.data) }, fixed }));
  });
  app.post('/console/records/:resource/:uuid', async (req, reply) => {
    need(req, 'records.write');
    const def = resourceOf(req);
    const uuid = (req.params as { uuid: string }).uuid;
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      await store.update(def.name, uuid, formPatch(def, body));
      return redirectWith(reply, recordUrl(def.name, uuid), 'saved');
    } catch (e) {
      if (!(e instanceof TidemarkError) || e.status >= 500 || e.code === 'not_found') throw e;
      return page(req, reply, M.records.editRecord(def.title), await recordForm(store, def, { action: recordUrl(def.name, uuid), csrf: await csrfToken(req), state: failed(body, e), fixed: def.component?.joinField }), { status: e.status });
    }
  });
  app.get('/console/records/:resource/:uuid/delete', async (req, reply) => {
    need(req, 'records.write');
    const def = resourceOf(req);
    const rec = await store.get(def.name, (req.params as { uuid: string }).uuid);
    if (!rec) throw new TidemarkError('not_found', 'no such record', { resource: def.name });
    return page(req, reply, M.common.delete, deleteConfirmPage(def, rec, await csrfToken(req)));
  });
  app.post('/console/records/:resource/:uuid/delete', async (req, reply) => {
    need(req, 'records.write');
    const def = resourceOf(req);
    const rec = await store.remove(def.name, (req.params as { uuid: string }).uuid);
    const master = def.component ? (rec.data[def.component.joinField] as string | null) : null;
    return redirectWith(reply, master ? recordUrl(def.component!.master, master) : `/console/records/${def.name}`, 'deleted');
  });
}

const recordUrl = (resource: string, uuid: string): string => `/console/records/${encodeURIComponent(resource)}/${encodeURIComponent(uuid)}`;

/** After a write, a redirect (so reloading does not repeat it) that says what happened. */
function redirectWith(reply: FastifyReply, url: string, done: 'saved' | 'deleted'): FastifyReply {
  return reply.redirect(`${url}${url.includes('?') ? '&' : '?'}done=${done}`, 303);
}

function flashOf(req: FastifyRequest): { kind: 'ok'; text: string } | undefined {
  const d = (req.query as { done?: string } | undefined)?.done;
  return d === 'saved' ? { kind: 'ok', text: M.common.saved } : d === 'deleted' ? { kind: 'ok', text: M.common.deleted } : undefined;
}

function failed(body: Record<string, unknown>, e: TidemarkError): FormState {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') values[k] = v;
  return { values, error: { field: e.where.field, message: e.message } };
}
