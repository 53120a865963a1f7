import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PassThrough, type Readable } from 'node:stream';
import { TidemarkError } from '../../errors.js';
import { exportRecords, importRecords, type ImportSummary, type NativeFormat } from '../../s3xml/index.js';
import { decodeCursor } from '../../store/index.js';
import { JSON_TYPES, mediaTypes, receiveBody, XML_TYPES } from '../body.js';
import { errors } from '../schemas.js';

/**
 * The S3XML feed and import, as Eden serves them (`/<c>/<f>.xml`, `.json`): GET streams records
 * with the cursor to continue from; PUT/POST stream the body into one import transaction and
 * answer with Eden's JSON status message.
 */

interface FeedQuery {
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
  include_deleted?: boolean;
}

interface ImportQuery {
  ignore_errors?: boolean;
  strict?: boolean;
}

const feedQuery = {
  type: 'object',
  properties: {
    since: { type: 'string', description: 'Only records modified at or after this ISO 8601 instant' },
    until: { type: 'string', description: 'Only records modified before this ISO 8601 instant' },
    cursor: { type: 'string', description: 'Continue after this cursor (from a previous answer)' },
    limit: { type: 'integer', minimum: 0, maximum: 1000000, description: 'At most this many top-level records' },
    include_deleted: { type: 'boolean', description: 'Include tombstones (deleted and merged records)' },
  },
  additionalProperties: false,
} as const;

const resourceParam = {
  type: 'object',
  properties: { resource: { type: 'string', description: 'Resource name, e.g. med_hospital; a .json suffix asks for S3JSON, .xml for S3XML' } },
  required: ['resource'],
} as const;

const statusMessage = {
  type: 'object',
  properties: {
    // error and where: the coded refusals of the access hook and the error handler.
    error: { type: 'string' },
    where: { type: 'object', additionalProperties: true },
    status: { type: 'string' },
    statuscode: { type: 'string' },
    records: { type: 'integer' },
    created: { type: 'integer' },
    updated: { type: 'integer' },
    deleted: { type: 'integer' },
    merged: { type: 'integer' },
    skipped: { type: 'integer' },
    message: { type: 'string' },
    problems: { type: 'array', items: { type: 'object', additionalProperties: true } },
    warnings: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

/** `med_hospital.json` -> resource and format; otherwise the Accept (GET) or Content-Type (PUT) header decides. */
function target(raw: string | undefined, header: string | undefined): { resources?: string[]; format: NativeFormat } {
  let name = raw;
  let format: NativeFormat | undefined;
  if (name?.endsWith('.json')) {
    format = 's3json';
    name = name.slice(0, -5);
  } else if (name?.endsWith('.xml')) {
    format = 's3xml';
    name = name.slice(0, -4);
  }
  format ??= header && /\bjson\b/i.test(header) && !/\bxml\b/i.test(header) ? 's3json' : 's3xml';
  return { resources: name ? name.split(',').filter(Boolean) : undefined, format };
}

const MEDIA: Record<NativeFormat, string> = { s3xml: 'application/xml; charset=utf-8', s3json: 'application/json; charset=utf-8' };

async function feed(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply, resource?: string): Promise<FastifyReply> {
  const store = app.store;
  const q = req.query as FeedQuery;
  const { resources, format } = target(resource, req.headers.accept);
  if (resources) for (const r of resources) store.registry.get(r);
  const out = new PassThrough();
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const run = exportRecords(
    store,
    {
      format,
      resources,
      since: q.since,
      until: q.until,
      after: q.cursor ? decodeCursor(q.cursor, store.instance.uuid) : undefined,
      limit: q.limit,
      includeDeleted: q.include_deleted ?? false,
      rootAttributes: { domain: store.instance.name },
      onStart: (head) => {
        reply.header('X-Tidemark-Cursor', head.cursor);
        reply.header('X-Tidemark-More', String(head.more));
        reply.header('X-Tidemark-Results', String(head.results));
        started();
      },
    },
    out,
  );
  // Errors before the first byte (unknown resource, bad cursor or date) become a 4xx answer;
  // later ones can only cut the stream short.
  await Promise.race([ready, run]);
  run.then(
    () => out.end(),
    (err: Error) => {
      req.log.warn({ err }, 'export stopped');
      out.destroy(err);
    },
  );
  return reply.type(MEDIA[format]).send(out);
}

function message(summary: ImportSummary): Record<string, unknown> {
  const m: Record<string, unknown> = {
    status: 'success',
    statuscode: '200',
    records: summary.records,
    created: summary.created,
    updated: summary.updated,
    deleted: summary.deleted,
    merged: summary.merged,
    skipped: summary.skipped,
  };
  if (summary.warnings.length) m.warnings = summary.warnings.map((e) => ({ message: e.describe(), where: e.where }));
  if (summary.errors.length) {
    m.message = `${summary.errors.length} invalid item${summary.errors.length > 1 ? 's' : ''} ignored`;
    m.problems = summary.errors.map((e) => ({ message: e.describe(), where: e.where }));
  }
  return m;
}

async function upload(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply, resource?: string): Promise<FastifyReply> {
  const store = app.store;
  const { resources, format } = target(resource, req.headers['content-type']);
  const body = req.body as Readable | undefined;
  if (!body) throw new TidemarkError('malformed', 'no document in the request body');
  try {
    if (resources) for (const r of resources) store.registry.get(r);
    // The body first, the write lock after (a slow upload must not freeze the instance).
    const text = await receiveBody(body, app.initialConfig.bodyLimit ?? 64 * 1024 * 1024);
    const summary = await importRecords(store, text, {
      format,
      resources,
      ignoreErrors: (req.query as ImportQuery).ignore_errors ?? false,
      strict: (req.query as ImportQuery).strict ?? false,
      maxBytes: app.initialConfig.bodyLimit,
      // The records' history names who sent the document.
      source: { kind: 'import', name: req.principal?.kind === 'user' ? `${req.principal.user} over HTTP` : 'HTTP' },
    });
    return reply.status(200).send(message(summary));
  } catch (e) {
    if (!(e instanceof TidemarkError)) throw e;
    // Let the client finish sending (or the socket will reset before it reads the answer).
    body.resume();
    if (e.code === 'too_large') reply.header('connection', 'close');
    return reply.status(e.status).send({
      status: 'failed',
      statuscode: String(e.status),
      message: e.describe(),
      problems: (e.problems.length ? e.problems : [e]).map((p) => ({ message: p.describe(), where: p.where })),
    });
  }
}

export async function s3xmlRoutes(app: FastifyInstance): Promise<void> {
  // Bodies reach the importer as streams, whatever their type: it parses them itself, as they arrive.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  const tags = ['s3xml'];
  const feedSchema = (summary: string, params?: object) => ({
    tags,
    summary,
    description: 'S3XML (Sahana Eden) or S3JSON with `Accept: application/json` or a `.json` suffix. Components are nested in their master; the `cursor` root attribute and the X-Tidemark-Cursor header say where to continue.',
    querystring: feedQuery,
    ...(params ? { params } : {}),
    response: {
      200: { description: 'The records; X-Tidemark-Cursor, X-Tidemark-More and X-Tidemark-Results headers say where to continue', content: { 'application/xml': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } } },
      ...errors,
    },
  });
  const importSchema = (summary: string, params?: object) => ({
    tags,
    summary,
    description: 'Streams an S3XML or S3JSON document (by Content-Type or a `.json` suffix) into one transaction: all or nothing, unless ignore_errors=true.',
    querystring: { type: 'object', properties: { ignore_errors: { type: 'boolean' }, strict: { type: 'boolean' } }, additionalProperties: false },
    ...(params ? { params } : {}),
    response: { 200: statusMessage, '4xx': statusMessage },
  });

  app.get('/s3xml', { schema: feedSchema('Records of every resource, referenced ones first') }, (req, reply) => feed(app, req, reply));
  app.get('/s3xml.json', { schema: feedSchema('Records of every resource as S3JSON') }, (req, reply) => feed(app, req, reply, '.json'));
  app.get('/s3xml/:resource', { schema: feedSchema('Records of one resource (comma-separate several)', resourceParam) }, (req, reply) =>
    feed(app, req, reply, (req.params as { resource: string }).resource),
  );
  // S3XML or S3JSON; text/plain too (what a bare `curl --data` or fetch of a string sends).
  const onRequest = mediaTypes([...XML_TYPES, ...JSON_TYPES, /^text\/plain$/], 'S3XML or S3JSON (application/xml, application/json)');
  for (const method of ['PUT', 'POST'] as const) {
    app.route({ method, url: '/s3xml', onRequest, schema: importSchema('Import a document of any resources'), handler: (req, reply) => upload(app, req, reply) });
    app.route({
      method,
      url: '/s3xml/:resource',
      onRequest,
      schema: importSchema('Import records of one resource', resourceParam),
      handler: (req, reply) => upload(app, req, reply, (req.params as { resource: string }).resource),
    });
  }
}
