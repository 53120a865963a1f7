import type { FastifyInstance, FastifyRequest } from 'fastify';
import { COMPRESS_HEADER, COMPRESS_MIN, SYNC_PATH } from '../../transports/http/client.js';
import { gzipSync } from 'node:zlib';
import { answerHello, answerPair, answerPull, answerPush } from '../../sync/serve.js';
import type { Peer } from '../../sync/peers.js';
import { grantedAlong, grantedWhole, grantFor } from '../../sync/grant.js';
import { boundedGunzip, receiveBody } from '../body.js';
import { Type, type Static } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerErrorHandling } from '../errors.js';

/** The most a gzip sync page may inflate to (a page of 1,000 records is a few MB). */
const MAX_INFLATED = 32 * 1024 * 1024;
import { HelloSchema, PageResultSchema, PageSchema, PairRequestSchema, PairResponseSchema, PullRequestSchema } from '../../sync/protocol.js';
import { edenErrors, errors } from '../schemas.js';
import { edenRepository, edenResource, edenSince, registerEdenRepository } from '../../sync/eden.js';
import { TidemarkError } from '../../errors.js';
import { exportRecords, importRecords } from '../../s3xml/index.js';
import { PassThrough, type Readable } from 'node:stream';

/** The native sync protocol (docs/sync-protocol.md): pair, hello, pull, push. */
export async function syncRoutes(app: FastifyInstance): Promise<void> {
  await app.register(edenSyncRoutes);
  // Gzip pages for clients that ask (links that are not loopback): request bodies are inflated
  // before parsing, large answers deflated.
  app.addHook('preParsing', async (req, _reply, payload) => {
    if (!req.url.startsWith(SYNC_PATH) || req.headers['content-encoding'] === undefined) return payload;
    // Only a paired peer (authenticated by the access hook before this) may send gzip; a
    // pairing request is small and travels plain.
    if (req.headers['content-encoding'] !== 'gzip' || req.principal?.kind !== 'peer') {
      throw new TidemarkError('unsupported', 'only a paired peer may send a gzip body', { field: 'content-encoding' });
    }
    return boundedGunzip(payload, Math.min(app.initialConfig.bodyLimit ?? MAX_INFLATED, MAX_INFLATED));
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.url.startsWith(SYNC_PATH) || req.headers[COMPRESS_HEADER] !== 'gzip' || typeof payload !== 'string' || payload.length < COMPRESS_MIN) return payload;
    reply.header('content-encoding', 'gzip');
    return gzipSync(payload, { level: 1 });
  });
  // The access hook authenticated the peer before the body was read (src/server/access.ts).
  const peerOf = (req: FastifyRequest): Peer => {
    if (req.principal.kind !== 'peer') throw new TidemarkError('forbidden', 'registration required');
    return req.principal.peer;
  };
  const tags = ['sync'];
  const security = [{ peer: [] }];
  // Handlers see the bodies typed from the same schemas that validate them.
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    `${SYNC_PATH}/pair`,
    { schema: { tags, summary: 'Register a peer that presents a pairing code', body: PairRequestSchema, response: { 200: PairResponseSchema, ...errors } } },
    async (req) => answerPair(app.store, req.body),
  );
  api.post(
    `${SYNC_PATH}/hello`,
    { schema: { tags, security, summary: 'Handshake: schema check and per-resource summary', body: HelloSchema, response: { 200: HelloSchema, ...errors } } },
    async (req) => answerHello(app.store, peerOf(req), req.body),
  );
  api.post(
    `${SYNC_PATH}/pull`,
    { schema: { tags, security, summary: 'One page of this instance’s change feed', body: PullRequestSchema, response: { 200: PageSchema, ...errors } } },
    async (req) => answerPull(app.store, peerOf(req), req.body),
  );
  api.post(
    `${SYNC_PATH}/push`,
    {
      schema: {
        tags,
        security,
        summary: 'Apply one page of the caller’s change feed',
        description: 'The page is checked whole against the registry before anything is applied (unknown fields, values, required fields: 422 naming every problem).',
        body: PageSchema,
        response: { 200: PageResultSchema, ...errors },
      },
    },
    async (req) => answerPush(app.store, peerOf(req), req.body),
  );
}

/** Eden's registration body, JSON whatever its Content-Type says (a form-encoded one is read too). */
async function registrationBody(body: Readable | undefined): Promise<unknown> {
  if (!body || typeof body.on !== 'function') return {};
  let text = '';
  for await (const chunk of body) {
    text += String(chunk);
    if (text.length > 64 * 1024) throw new TidemarkError('too_large', 'a registration is a few hundred bytes');
  }
  const trimmed = text.trim();
  if (!trimmed) return {};
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      throw new TidemarkError('malformed', 'the registration is not valid JSON', { line: 1 });
    }
  }
  return Object.fromEntries(new URLSearchParams(trimmed));
}

/** The password of HTTP Basic credentials (Eden sends them unsolicited). */
function basicPassword(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return undefined;
  const text = Buffer.from(h.slice(6), 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : text.slice(i + 1);
}

const EdenResource = Type.Optional(Type.String({ description: 'The resource (one per request; Eden\'s "mixed" is refused)' }));
/** Eden's pull: what its sync client sends (unknown parameters are let through, as Eden does). */
const EdenPullQuery = Type.Object({
  resource: EdenResource,
  repository: Type.Optional(Type.String({ description: 'The asking repository\'s uuid (its own records are not sent back)' })),
  msince: Type.Optional(Type.String({ description: 'Only records modified since this instant (Eden\'s ISO form)' })),
  include_deleted: Type.Optional(Type.String({ description: '"True" sends deleted and merged records too' })),
  start: Type.Optional(Type.Integer({ minimum: 0, description: 'Index of the first record to send' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000000, description: 'At most this many records' })),
});
const EdenPushQuery = Type.Object({ resource: EdenResource, repository: Type.Optional(Type.String({ description: 'The pushing repository\'s uuid, as registered' })) });
/** Eden's JSON status message, which its client logs. */
const EdenStatusSchema = Type.Object({
  status: Type.String({ enum: ['success', 'failed'] }),
  statuscode: Type.String(),
  message: Type.Optional(Type.String()),
  records: Type.Optional(Type.Integer()),
  warnings: Type.Optional(Type.Array(Type.String())),
  sender: Type.Optional(Type.String({ description: 'A registration: this instance\'s uuid' })),
});
const S3XML_ANSWER = { description: 'S3XML of the resource', content: { 'text/xml': { schema: Type.String() } } };

/**
 * Sahana Eden's endpoints (reference notes 2.3): GET /sync/sync.xml is a pull (anonymous pulls
 * are served, as Eden does, like the open /s3xml feed); PUT/POST is a push, refused with 403
 * "Registration required" unless the repository registered with a pairing code.
 */
export async function edenSyncRoutes(app: FastifyInstance): Promise<void> {
  // Every Eden sends its registration and pushes as application/x-www-form-urlencoded, whatever
  // the body is (urllib's default wins over the type Eden sets): bodies are read by their content.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  // Every refusal here, the access hook's included, in Eden's JSON status shape.
  registerErrorHandling(app, 'eden');
  const tags = ['eden'];
  app.post(
    '/sync/repository/register.json',
    {
      schema: {
        tags,
        summary: 'Eden: register a repository (Basic password = pairing code)',
        description: "JSON or form-encoded (Eden sends `{uuid, name, url, ...}` whatever its Content-Type says), so it is read by content, not by a body schema.",
        response: { 200: EdenStatusSchema, ...edenErrors },
      },
    },
    async (req) =>
    registerEdenRepository(app.store, await registrationBody(req.body as Readable | undefined), basicPassword(req)),
  );
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/sync/sync.xml', { schema: { tags, summary: 'Eden: pull a resource as S3XML (msince, include_deleted)', querystring: EdenPullQuery, response: { 200: S3XML_ANSWER, ...edenErrors } } }, async (req, reply) => {
    // Streamed XML: typed by hand (the answer is a stream, which the provider's types do not take).
    const q = req.query as Static<typeof EdenPullQuery>;
    const resource = edenResource(app.store, q.resource);
    // What came from this repository is not sent back to it (echo suppression, as for any peer).
    const peer = req.principal.kind === 'peer' ? req.principal.peer : undefined;
    if (peer) grantedWhole(await grantFor(app.store, peer), resource, 'send');
    const out = new PassThrough();
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    const start = q.start ?? 0;
    const limit = q.limit;
    const run = exportRecords(
      app.store,
      {
        format: 's3xml',
        resources: [resource],
        since: edenSince(q.msince),
        includeDeleted: /^true$/i.test(q.include_deleted ?? ''),
        notFrom: peer?.uuid,
        componentTimes: true,
        withReferences: true,
        limit: limit && !start ? limit : undefined,
        rootAttributes: { domain: app.store.instance.name },
        onStart: () => started(),
      },
      out,
    );
    await Promise.race([ready, run]);
    run.then(
      () => out.end(),
      (err: Error) => out.destroy(err),
    );
    return reply.type('text/xml; charset=utf-8').send(out);
  });
  for (const method of ['PUT', 'POST'] as const) {
    api.route({
      method,
      url: '/sync/sync.xml',
      schema: {
        tags,
        summary: 'Eden: push S3XML of one resource (registered repositories only)',
        description: 'An S3XML document in the body, read by content whatever its Content-Type (Eden sends form-encoded).',
        querystring: EdenPushQuery,
        response: { 200: EdenStatusSchema, ...edenErrors },
      },
      handler: async (req, reply) => {
        const q = req.query;
        const body = req.body as Readable | undefined;
        try {
          const repository = await edenRepository(app.store, q.repository, basicPassword(req));
          const resource = edenResource(app.store, q.resource);
          const grant = await grantFor(app.store, repository);
          grantedWhole(grant, resource, 'receive');
          if (!body || typeof (body as Readable).on !== 'function') throw new TidemarkError('malformed', 'no S3XML document in the request body');
          // Eden imports what it can and reports the rest (ignore_errors on receive)...
          // The body first, the write lock after (a slow upload must not freeze the instance).
          const text = await receiveBody(body, app.initialConfig.bodyLimit ?? 64 * 1024 * 1024);
          const s = await importRecords(app.store, text, {
            format: 's3xml',
            resources: [resource],
            // Eden sends the records its records refer to along: written where the grant allows.
            referenced: grantedAlong(grant),
            takenFrom: repository.uuid,
            olderLoses: true,
            ignoreErrors: true,
            maxBytes: app.initialConfig.bodyLimit,
            // A registered repository is a paired peer: its versions are kept (clock stamps still bounded).
            trustVersions: true,
            source: { kind: 'peer', name: repository.uuid, via: 'eden' },
          });
          const warned = s.warnings.length ? `; ${s.warnings.length} warning(s), first: ${s.warnings[0]!.describe()}` : '';
          const counts = `${s.created} created, ${s.updated} updated, ${s.deleted} deleted, ${s.merged} merged, ${s.skipped} unchanged${warned}`;
          if (s.errors.length) {
            // ...but Eden's client logs any 2xx as a success whatever the JSON says: a push that
            // could not be applied in full is an HTTP error, which Eden logs as a failure.
            const first = s.errors[0]!;
            return reply.status(422).send({
              status: 'failed',
              statuscode: '422',
              message: `${s.errors.length} invalid item(s) not imported (${counts}); first: ${first.describe()}`,
              records: s.records,
            });
          }
          return reply.send({ status: 'success', statuscode: '200', message: counts, records: s.records, ...(s.warnings.length ? { warnings: s.warnings.slice(0, 100).map((w) => w.describe()) } : {}) });
        } catch (e) {
          body?.resume?.();
          throw e;
        }
      },
    });
  }
}
