import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import compress from '@fastify/compress';
import formbody from '@fastify/formbody';
import multipart, { type MultipartFile } from '@fastify/multipart';
import { TidemarkError } from '../errors.js';
import { toCatalogueError } from '../server/errors.js';
import type { ResourceDef } from '../registry/types.js';
import { ASSETS } from './assets.js';
import { can, csrfToken, currentUser, publishedItems, signIn, signOut } from './auth.js';
import { recordLabel } from './format.js';
import { html, type Html } from './html.js';
import { layout, navItems, type PageContext } from './layout.js';
import { M } from './messages.js';
import { overviewPage, peersSection, runsSection } from './pages/overview.js';
import { loginPage } from './pages/login.js';
import { configForm, configFromForm, inviteResult, jobPanel, peerPage, peersPage, planPanel } from './pages/peers.js';
import { createInvite, setStaleAfterSeconds, resolveConflict, reverseConflict, type Side, readSyncLog, syncLogCsv, getSyncJob, latestSyncJob, Peers, planSync, recentPlan, rememberPlan, startSyncJob } from '../sync/index.js';
import { addHttpPeer, httpCarrierFor } from '../transports/http/index.js';
import { runsPage, runsQuery } from './pages/runs.js';
import { adminPage, publishable } from './pages/admin.js';
import { Accounts, newPassword, parseRole, publish, unpublish } from '../auth/index.js';
import { conflictPage, conflictsPage } from './pages/conflicts.js';
import { importedPage, standardsPage, validationPage } from './pages/standards.js';
import { validateText } from '../interchange/validate.js';
import { importDocument } from '../interchange/inbound.js';
import { addPartner, revokePartner } from '../interchange/partner-tokens.js';
import { bundlesPage, importResultPage, previewPage } from './pages/bundles.js';
import { hold, takeHeld } from './held.js';
import { bundleFileName, exportBundleFile } from '../transports/bundle/export.js';
import { importBundle, previewBundle } from '../transports/bundle/import.js';
import { BUNDLE_MEDIA_TYPE } from '../transports/bundle/format.js';
import { setHistoryKeep } from '../store/index.js';
import { deleteConfirmPage, formPatch, formValues, listPage, recordForm, recordPage, resourcesPage, type FormState } from './pages/records.js';

/**
 * The web console (docs/console.md): server-rendered pages over the same functions as the CLI
 * and the HTTP API. Every route here has its line in the access table (src/server/access.ts).
 */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  // Compressed answers for this scope only (the sync routes compress on their own terms).
  await app.register(compress, { global: true, threshold: 1024, encodings: ['br', 'gzip'] });
  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  // Uploads are read whole (bundles, documents) and their fields, the CSRF token among them,
  // are in the body before the access hook checks it.
  await app.register(multipart, { attachFieldsToBody: true, limits: { files: 1, fields: 4, fileSize: app.initialConfig.bodyLimit ?? 64 * 1024 * 1024 } });
  const store = app.store;
  // Pages run only the scripts Tidemark serves, cannot be framed (clickjacking), post only here.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
    }
    return payload;
  });

  const ctxOf = async (req: FastifyRequest): Promise<PageContext> => ({
    user: currentUser(req),
    csrf: await csrfToken(store, req),
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
  const myUrl = (req: FastifyRequest): string => `${req.protocol}://${req.headers.host ?? ''}`;
  const resourceOf = (req: FastifyRequest): ResourceDef => store.registry.get((req.params as { resource: string }).resource);

  // People get pages, not JSON: sign-in for 401, a page saying why for the rest.
  app.setErrorHandler(async (err, req, reply) => {
    const e = toCatalogueError(err);
    if (e?.code === 'unauthorized' && req.headers['hx-request']) return reply.status(401).header('hx-redirect', '/console/login').send('');
    if (e?.code === 'unauthorized' && req.method === 'GET') return reply.redirect(`/console/login?next=${encodeURIComponent(req.url)}`, 303);
    if (!e) req.log.error({ err }, 'console request failed');
    if (e?.code === 'busy') void reply.header('retry-after', '1');
    const status = e?.status ?? 500;
    const title = status === 403 ? M.auth.forbidden : status === 404 ? M.common.notFound : M.common.error;
    return page(req, reply, title, html`<p>${e ? e.describe() : M.common.error}</p><p><a href="/">${M.nav.overview}</a></p>`, { status });
  });

  app.get('/console/assets/:name', async (req, reply) => {
    const a = ASSETS[(req.params as { name: string }).name];
    if (!a) throw new TidemarkError('not_found', 'no such asset');
    return reply.type(a.type).header('cache-control', 'public, max-age=31536000, immutable').send(a.body);
  });

  // ---- Sign in and out -----------------------------------------------------------------------
  const safeNext = (n: unknown): string => (typeof n === 'string' && /^\/(?!\/)[^\s]*$/.test(n) ? n : '/');
  app.get('/console/login', async (req, reply) => page(req, reply, M.auth.title, loginPage(safeNext((req.query as { next?: string }).next))));
  app.post('/console/login', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, string | undefined>;
    const next = safeNext(b.next);
    try {
      await signIn(store, req, reply, String(b.user ?? ''), String(b.password ?? ''));
    } catch (e) {
      const c = toCatalogueError(e);
      if (c?.code !== 'unauthorized') throw e;
      return page(req, reply, M.auth.title, loginPage(next, M.auth.failed), { status: 401 });
    }
    return reply.redirect(next, 303);
  });
  app.post('/console/logout', async (req, reply) => {
    await signOut(store, req, reply);
    return reply.redirect('/console/login', 303);
  });

  // ---- Overview ------------------------------------------------------------------------------
  const overview = async (req: FastifyRequest, reply: FastifyReply) => {
    return page(req, reply, M.overview.title, await overviewPage(store));
  };
  app.get('/', overview);
  app.get('/console', overview);
  app.get('/console/overview/peers', async (req, reply) => {
    return fragment(reply, await peersSection(store));
  });
  app.get('/console/overview/runs', async (req, reply) => {
    return fragment(reply, await runsSection(store));
  });

  // ---- Records -------------------------------------------------------------------------------
  app.get('/console/records', async (req, reply) => {
    return page(req, reply, M.records.title, await resourcesPage(store));
  });
  app.get('/console/records/:resource', async (req, reply) => {
    const def = resourceOf(req);
    const q = req.query as { q?: string; page?: string };
    const n = Number(q.page ?? 1);
    return page(req, reply, def.title, await listPage(store, def, { search: q.q, page: Number.isInteger(n) && n > 0 ? n : 1, canWrite: can(currentUser(req)!, 'records.write') }));
  });
  app.get('/console/records/:resource/new', async (req, reply) => {
    const def = resourceOf(req);
    if (def.referenceData) throw new TidemarkError('forbidden', M.records.referenceData);
    const q = req.query as Record<string, string>;
    const fixed = def.component && q[def.component.joinField] ? def.component.joinField : undefined;
    const values = fixed ? { [fixed]: q[fixed]! } : {};
    return page(req, reply, M.records.newRecord(def.title), await recordForm(store, def, { action: `/console/records/${def.name}`, csrf: await csrfToken(store, req), state: { values }, fixed }));
  });
  app.post('/console/records/:resource', async (req, reply) => {
    const def = resourceOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const rec = await store.create(def.name, formPatch(def, body), { by: currentUser(req)?.name });
      return redirectWith(reply, recordUrl(def.name, rec.uuid), 'saved');
    } catch (e) {
      if (!(e instanceof TidemarkError) || e.status >= 500) throw e;
      const fixed = def.component && body[def.component.joinField] ? def.component.joinField : undefined;
      return page(req, reply, M.records.newRecord(def.title), await recordForm(store, def, { action: `/console/records/${def.name}`, csrf: await csrfToken(store, req), state: failed(body, e), fixed }), { status: e.status });
    }
  });
  app.get('/console/records/:resource/:uuid', async (req, reply) => {
    const def = resourceOf(req);
    const rec = await store.get(def.name, (req.params as { uuid: string }).uuid, { includeDeleted: true });
    if (!rec) throw new TidemarkError('not_found', 'no such record', { resource: def.name });
    return page(req, reply, `${def.title}: ${recordLabel(def, rec.data, rec.uuid)}`, await recordPage(store, def, rec, can(currentUser(req)!, 'records.write')));
  });
  app.get('/console/records/:resource/:uuid/edit', async (req, reply) => {
    const def = resourceOf(req);
    const rec = await store.get(def.name, (req.params as { uuid: string }).uuid);
    if (!rec) throw new TidemarkError('not_found', 'no such record', { resource: def.name });
    const fixed = def.component?.joinField;
    return page(req, reply, M.records.editRecord(def.title), await recordForm(store, def, { action: recordUrl(def.name, rec.uuid), csrf: await csrfToken(store, req), state: { values: formValues(def, rec.data) }, fixed }));
  });
  app.post('/console/records/:resource/:uuid', async (req, reply) => {
    const def = resourceOf(req);
    const uuid = (req.params as { uuid: string }).uuid;
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      await store.update(def.name, uuid, formPatch(def, body), { by: currentUser(req)?.name });
      return redirectWith(reply, recordUrl(def.name, uuid), 'saved');
    } catch (e) {
      if (!(e instanceof TidemarkError) || e.status >= 500 || e.code === 'not_found') throw e;
      return page(req, reply, M.records.editRecord(def.title), await recordForm(store, def, { action: recordUrl(def.name, uuid), csrf: await csrfToken(store, req), state: failed(body, e), fixed: def.component?.joinField }), { status: e.status });
    }
  });
  app.get('/console/records/:resource/:uuid/delete', async (req, reply) => {
    const def = resourceOf(req);
    const rec = await store.get(def.name, (req.params as { uuid: string }).uuid);
    if (!rec) throw new TidemarkError('not_found', 'no such record', { resource: def.name });
    return page(req, reply, M.common.delete, deleteConfirmPage(def, rec, await csrfToken(store, req)));
  });
  app.post('/console/records/:resource/:uuid/delete', async (req, reply) => {
    const def = resourceOf(req);
    const rec = await store.remove(def.name, (req.params as { uuid: string }).uuid, { by: currentUser(req)?.name });
    const master = def.component ? (rec.data[def.component.joinField] as string | null) : null;
    return redirectWith(reply, master ? recordUrl(def.component!.master, master) : `/console/records/${def.name}`, 'deleted');
  });

  // ---- Run history ---------------------------------------------------------------------------
  app.get('/console/runs', async (req, reply) => {
    return page(req, reply, M.runs.title, await runsPage(store, req.query as Record<string, string | undefined>));
  });
  app.get('/console/runs.csv', async (req, reply) => {
    const { page: _p, ...f } = runsQuery(req.query as Record<string, string | undefined>);
    const rows = await readSyncLog(store.knex, { ...f, limit: 100_000 });
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="tidemark-runs.csv"').header('cache-control', 'no-store').send(syncLogCsv(rows));
  });

  // ---- Bundles -------------------------------------------------------------------------------
  app.get('/console/bundles', async (req, reply) => {
    return page(req, reply, M.bundles.title, await bundlesPage(store, await csrfToken(store, req)));
  });
  const download = (reply: FastifyReply, bytes: Buffer | Readable, name: string) =>
    reply.type(BUNDLE_MEDIA_TYPE).header('content-disposition', `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`).header('cache-control', 'no-store').send(bytes);
  app.post('/console/bundles/export', async (req, reply) => {
    const target = String((req.body as { target?: string } | undefined)?.target ?? '');
    const m = /^(peer|cluster):(.+)$/.exec(target);
    if (!m) throw new TidemarkError('invalid', 'choose a peer or a cluster', { field: 'target' });
    // Streamed through a temporary file: the server's memory stays flat whatever the bundle's size.
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-bundle-'));
    try {
      const b = (await exportBundleFile(store, m[1] === 'peer' ? { peer: m[2] } : { cluster: m[2] }, (name) => join(dir, bundleFileName(name))))!;
      const file = createReadStream(b.path);
      file.once('close', () => rmSync(dir, { recursive: true, force: true }));
      return download(reply, file, bundleFileName(b));
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  });
  app.post('/console/bundles/preview', async (req, reply) => {
    const file = uploaded(req.body, 'bundle');
    if (!file) throw new TidemarkError('invalid', 'no bundle file in the form', { field: 'bundle' });
    const bytes = await file.toBuffer();
    const preview = await previewBundle(store, bytes);
    return page(req, reply, M.bundles.previewTitle, previewPage(preview, hold(bytes, file.filename), await csrfToken(store, req)));
  });
  app.post('/console/bundles/import', async (req, reply) => {
    const upload = takeHeld(String((req.body as { upload?: string } | undefined)?.upload ?? ''));
    if (!upload) throw new TidemarkError('not_found', M.bundles.expired);
    const r = await importBundle(store, upload.bytes);
    const ackId = r.ack ? hold(r.ack.bytes, bundleFileName(r.ack)) : null;
    return page(req, reply, M.bundles.result, importResultPage(r, ackId));
  });
  app.get('/console/bundles/ack/:id', async (req, reply) => {
    const ack = takeHeld((req.params as { id: string }).id);
    if (!ack) throw new TidemarkError('not_found', M.bundles.expired);
    return download(reply, ack.bytes, ack.name);
  });

  // ---- Standards -----------------------------------------------------------------------------
  app.get('/console/standards', async (req, reply) => {
    const open = new Set(await publishedItems(store));
    return page(req, reply, M.standards.title, standardsPage({ base: myUrl(req), csrf: await csrfToken(store, req), isPublic: (i) => open.has(i) }));
  });
  app.post('/console/standards/validate', async (req, reply) => {
    const file = uploaded(req.body, 'document');
    if (!file) throw new TidemarkError('invalid', 'no document in the form', { field: 'document' });
    const text = (await file.toBuffer()).toString('utf8');
    const name = file.filename;
    const format = fieldOf(req.body, 'format');
    const v = validateText(text, { format: format || undefined });
    const id = hold(Buffer.from(text), name);
    return page(req, reply, M.standards.validate, validationPage(v, { uploadId: id, csrf: await csrfToken(store, req), canImport: can(currentUser(req)!, 'records.write') }), { status: v.valid ? 200 : 422 });
  });
  app.post('/console/standards/import', async (req, reply) => {
    const b = (req.body ?? {}) as { upload?: string; format?: string };
    const upload = takeHeld(String(b.upload ?? ''));
    if (!upload) throw new TidemarkError('not_found', M.bundles.expired);
    const s = await importDocument(store, String(b.format ?? ''), upload.bytes.toString('utf8'));
    return page(req, reply, M.standards.imported, importedPage(s));
  });

  // ---- Conflicts -----------------------------------------------------------------------------
  const conflictId = (req: FastifyRequest): number => {
    const id = Number((req.params as { id: string }).id);
    if (!Number.isInteger(id) || id < 1) throw new TidemarkError('not_found', 'no such conflict');
    return id;
  };
  app.get('/console/conflicts', async (req, reply) => {
    return page(req, reply, M.conflicts.title, await conflictsPage(store, req.query as Record<string, string | undefined>, { csrf: await csrfToken(store, req), canResolve: can(currentUser(req)!, 'sync.operate') }));
  });
  app.get('/console/conflicts/:id', async (req, reply) => {
    const id = conflictId(req);
    return page(req, reply, M.conflicts.entry(id), await conflictPage(store, id, { csrf: await csrfToken(store, req), canResolve: can(currentUser(req)!, 'sync.operate') }));
  });
  app.post('/console/conflicts/:id/resolve', async (req, reply) => {
    const id = conflictId(req);
    const b = (req.body ?? {}) as Record<string, string>;
    let entry: number;
    if (b.take === 'local' || b.take === 'remote') ({ entry } = await resolveConflict(store, id, { take: b.take }));
    else {
      const fields: Record<string, Side> = {};
      for (const [k, v] of Object.entries(b)) if (k.startsWith('field_')) fields[k.slice(6)] = v as Side;
      ({ entry } = await resolveConflict(store, id, { fields }));
    }
    // The decision by hand is an entry of its own (the automatic one no longer stands).
    return redirectWith(reply, `/console/conflicts/${entry}`, 'saved');
  });
  app.post('/console/conflicts/:id/reverse', async (req, reply) => {
    const id = conflictId(req);
    const take = (req.body as { take?: string } | undefined)?.take;
    await reverseConflict(store, id, take === 'local' || take === 'remote' ? take : undefined);
    return redirectWith(reply, `/console/conflicts/${id}`, 'saved');
  });
  app.post('/console/conflicts/batch', async (req, reply) => {
    const b = (req.body ?? {}) as { ids?: string | string[]; take?: string };
    const ids = (Array.isArray(b.ids) ? b.ids : b.ids ? [b.ids] : []).map(Number).filter((n) => Number.isInteger(n) && n > 0);
    if (!ids.length) throw new TidemarkError('invalid', M.conflicts.selected, { field: 'ids' });
    if (b.take !== 'local' && b.take !== 'remote') throw new TidemarkError('invalid', 'take local or remote', { field: 'take' });
    for (const id of ids) await resolveConflict(store, id, { take: b.take });
    return redirectWith(reply, '/console/conflicts', 'saved');
  });

  // ---- Administration (the same functions as tidemark user, token, publish) --------------------
  const accounts = new Accounts(store);
  const admin = async (req: FastifyRequest, reply: FastifyReply, notice?: string) =>
    page(req, reply, M.admin.title, await adminPage(store, { csrf: await csrfToken(store, req), partners: app.partners ?? [], notice }));
  const form = (req: FastifyRequest): Record<string, unknown> => (req.body ?? {}) as Record<string, unknown>;
  const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
  const userParam = (req: FastifyRequest): string => (req.params as { name: string }).name;
  app.get('/console/admin', async (req, reply) => admin(req, reply));
  app.post('/console/admin/users', async (req, reply) => {
    const b = form(req);
    const given = typeof b.password === 'string' ? b.password : '';
    const password = given || newPassword();
    const u = await accounts.add(text(b.name), parseRole(text(b.role)), password);
    return admin(req, reply, given ? M.common.saved : M.admin.newPassword(u.name, password));
  });
  app.post('/console/admin/users/:name/role', async (req, reply) => {
    await accounts.setRole(userParam(req), parseRole(text(form(req).role)));
    return redirectWith(reply, '/console/admin', 'saved');
  });
  app.post('/console/admin/users/:name/remove', async (req, reply) => {
    await accounts.remove(userParam(req));
    return redirectWith(reply, '/console/admin', 'deleted');
  });
  app.post('/console/admin/tokens', async (req, reply) => {
    const b = form(req);
    const t = await accounts.createToken(text(b.user), text(b.label) || 'console');
    return admin(req, reply, M.admin.tokenMade(t.token));
  });
  app.post('/console/admin/tokens/:id/revoke', async (req, reply) => {
    await accounts.revokeToken((req.params as { id: string }).id);
    return redirectWith(reply, '/console/admin', 'saved');
  });
  const many = (v: unknown): string[] => (Array.isArray(v) ? v : v ? [v] : []).map(String);
  app.post('/console/admin/partners', async (req, reply) => {
    const b = form(req);
    const { partner, token } = await addPartner(store, app.partners ?? [], { name: text(b.name), formats: many(b.formats), resources: many(b.resources), addedBy: currentUser(req)!.name });
    return admin(req, reply, M.admin.partnerMade(partner.name, token));
  });
  app.post('/console/admin/partners/:name/revoke', async (req, reply) => {
    await revokePartner(store, app.partners ?? [], userParam(req));
    return redirectWith(reply, '/console/admin', 'saved');
  });
  app.post('/console/admin/published', async (req, reply) => {
    const raw = form(req).items;
    const chosen = new Set((Array.isArray(raw) ? raw : raw ? [raw] : []).map(String));
    const all = publishable(store);
    await publish(store, all.filter((i) => chosen.has(i)));
    await unpublish(store, all.filter((i) => !chosen.has(i)));
    return redirectWith(reply, '/console/admin', 'saved');
  });
  app.post('/console/admin/settings', async (req, reply) => {
    const b = form(req);
    const hours = Number(text(b.stale_hours));
    if (!Number.isInteger(hours) || hours < 1) throw new TidemarkError('invalid', 'a whole number of hours, at least 1', { field: 'stale_hours' });
    const keep = text(b.history_keep);
    if (keep && !/^\d+$/.test(keep)) throw new TidemarkError('invalid', 'a whole number of versions, 0 or more', { field: 'history_keep' });
    await setStaleAfterSeconds(store, hours * 3600);
    if (keep) await setHistoryKeep(store.knex, Number(keep));
    return redirectWith(reply, '/console/admin', 'saved');
  });

  // ---- Peers and clusters --------------------------------------------------------------------
  const peers = new Peers(store);
  const peerOf = async (req: FastifyRequest) => peers.get((req.params as { uuid: string }).uuid);
  app.get('/console/peers', async (req, reply) => {
    const pairUrl = (req.query as { url?: string }).url;
    return page(req, reply, M.peers.title, await peersPage(store, { csrf: await csrfToken(store, req), canAdmin: can(currentUser(req)!, 'admin'), myUrl: myUrl(req), pairUrl: pairUrl && /^https?:\/\/\S+$/.test(pairUrl) ? pairUrl : undefined }));
  });
  app.post('/console/peers/invite', async (req, reply) => {
    const inv = await createInvite(store, 3600);
    return page(req, reply, M.peers.inviteMade, inviteResult(inv.code, inv.expires_at));
  });
  app.post('/console/peers/pair', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, string>;
    const url = (b.url ?? '').trim();
    if (!/^https?:\/\/\S+$/.test(url)) throw new TidemarkError('invalid', 'the address must start with http:// or https://', { field: 'url' });
    if (!b.code?.trim()) throw new TidemarkError('invalid', 'the invite code is missing', { field: 'code' });
    const p = await addHttpPeer(store, url, { code: b.code.trim(), pin: b.pin?.trim() || null, name: b.name?.trim() || undefined, myUrl: b.my_url?.trim() || null });
    return reply.redirect(`/console/peers/${encodeURIComponent(p.uuid)}?done=paired`, 303);
  });
  app.get('/console/peers/:uuid', async (req, reply) => {
    const peer = await peerOf(req);
    const u = currentUser(req)!;
    return page(req, reply, peer.name, await peerPage(store, peer, { csrf: await csrfToken(store, req), canOperate: can(u, 'sync.operate'), canAdmin: can(u, 'admin'), job: latestSyncJob(peer.uuid) }));
  });
  app.post('/console/peers/:uuid/settings', async (req, reply) => {
    const peer = await peerOf(req);
    try {
      await peers.configure(peer.uuid, configFromForm(store, (req.body ?? {}) as Record<string, unknown>));
    } catch (e) {
      if (!(e instanceof TidemarkError) || e.status >= 500) throw e;
      const u = currentUser(req)!;
      return page(req, reply, peer.name, await peerPage(store, peer, { csrf: await csrfToken(store, req), canOperate: true, canAdmin: can(u, 'admin'), error: e.describe() }), { status: e.status });
    }
    return redirectWith(reply, `/console/peers/${encodeURIComponent(peer.uuid)}`, 'saved');
  });
  const carrierOf = (peer: Awaited<ReturnType<typeof peerOf>>) => {
    const c = httpCarrierFor(store, peer);
    if (!c) throw new TidemarkError('invalid', M.peers.noUrl);
    return c;
  };
  app.post('/console/peers/:uuid/dry-run', async (req, reply) => {
    const peer = await peerOf(req);
    const plan = await planSync(store, peer, carrierOf(peer));
    rememberPlan(plan);
    const body = planPanel(peer, plan, await csrfToken(store, req));
    return req.headers['hx-request'] ? fragment(reply, body) : page(req, reply, `${peer.name}: ${M.peers.plan}`, body);
  });
  app.post('/console/peers/:uuid/sync', async (req, reply) => {
    const peer = await peerOf(req);
    const running = latestSyncJob(peer.uuid);
    const job = running?.state === 'running' ? running : startSyncJob(store, peer, carrierOf(peer), { plan: recentPlan(peer.uuid) });
    if (req.headers['hx-request']) return fragment(reply, jobPanel(peer, job, await csrfToken(store, req), true));
    return reply.redirect(`/console/peers/${encodeURIComponent(peer.uuid)}/jobs/${job.id}`, 303);
  });
  app.get('/console/peers/:uuid/jobs/:job', async (req, reply) => {
    const peer = await peerOf(req);
    const job = getSyncJob((req.params as { job: string }).job);
    if (!job || job.peer !== peer.uuid) throw new TidemarkError('not_found', 'no such sync job');
    const body = jobPanel(peer, job, await csrfToken(store, req), can(currentUser(req)!, 'sync.operate'));
    return req.headers['hx-request'] ? fragment(reply, body) : page(req, reply, `${peer.name}: ${M.peers.progress}`, html`${body}<p><a href="/console/peers/${encodeURIComponent(peer.uuid)}">${M.common.back}</a></p>`);
  });
  app.post('/console/peers/:uuid/jobs/:job/cancel', async (req, reply) => {
    const peer = await peerOf(req);
    const job = getSyncJob((req.params as { job: string }).job);
    if (!job || job.peer !== peer.uuid) throw new TidemarkError('not_found', 'no such sync job');
    job.cancel();
    if (req.headers['hx-request']) return fragment(reply, jobPanel(peer, job, await csrfToken(store, req), true));
    return reply.redirect(`/console/peers/${encodeURIComponent(peer.uuid)}/jobs/${job.id}`, 303);
  });
  app.post('/console/peers/:uuid/remove', async (req, reply) => {
    const peer = await peers.remove((req.params as { uuid: string }).uuid);
    return page(req, reply, M.peers.title, html`<p role="status">${M.peers.removed(peer.name)}</p><p><a href="/console/peers">${M.common.back}</a></p>`);
  });
  app.get('/console/clusters', async (req, reply) => {
    const name = String((req.query as { name?: string }).name ?? '');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new TidemarkError('invalid', 'a cluster name is 1 to 64 letters, digits, _ . -', { field: 'name' });
    return reply.redirect(`/console/clusters/${encodeURIComponent(name)}`, 303);
  });
  app.get('/console/clusters/:name', async (req, reply) => {
    const name = (req.params as { name: string }).name;
    const own = (await peers.clusters()).find((c) => c.name === name)?.config ?? {};
    const body = can(currentUser(req)!, 'sync.operate') ? configForm(store, { action: `/console/clusters/${encodeURIComponent(name)}`, csrf: await csrfToken(store, req), own }) : html`<pre>${JSON.stringify(own, null, 2)}</pre>`;
    return page(req, reply, M.peers.clusterSettings(name), body);
  });
  app.post('/console/clusters/:name', async (req, reply) => {
    const name = (req.params as { name: string }).name;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new TidemarkError('invalid', 'a cluster name is 1 to 64 letters, digits, _ . -', { field: 'name' });
    const { clusters: _ignored, ...cfg } = configFromForm(store, (req.body ?? {}) as Record<string, unknown>);
    await peers.setCluster(name, cfg);
    return redirectWith(reply, `/console/clusters/${encodeURIComponent(name)}`, 'saved');
  });
}

const recordUrl = (resource: string, uuid: string): string => `/console/records/${encodeURIComponent(resource)}/${encodeURIComponent(uuid)}`;

/** After a write, a redirect (so reloading does not repeat it) that says what happened. */
function redirectWith(reply: FastifyReply, url: string, done: 'saved' | 'deleted'): FastifyReply {
  return reply.redirect(`${url}${url.includes('?') ? '&' : '?'}done=${done}`, 303);
}

function flashOf(req: FastifyRequest): { kind: 'ok'; text: string } | undefined {
  const d = (req.query as { done?: string } | undefined)?.done;
  return d === 'saved' || d === 'paired' ? { kind: 'ok', text: M.common.saved } : d === 'deleted' ? { kind: 'ok', text: M.common.deleted } : undefined;
}

/** A file of a multipart form (fields attached to the body). */
function uploaded(body: unknown, name: string): MultipartFile | undefined {
  const f = (body as Record<string, unknown> | undefined)?.[name] as MultipartFile | undefined;
  return f && typeof f === 'object' && 'toBuffer' in f && f.filename ? f : undefined;
}

function fieldOf(body: unknown, name: string): string {
  const f = (body as Record<string, { value?: unknown } | undefined> | undefined)?.[name];
  return typeof f?.value === 'string' ? f.value : '';
}

function failed(body: Record<string, unknown>, e: TidemarkError): FormState {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') values[k] = v;
  return { values, error: { field: e.where.field, message: e.message } };
}
