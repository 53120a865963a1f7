import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { TidemarkError } from '../../errors.js';
import { mediaTypes, XML_TYPES } from '../body.js';
import { Type } from 'typebox';
import { errors } from '../schemas.js';
import { getFormat } from '../../interchange/formats.js';
import { importDocument } from '../../interchange/inbound.js';

import { exportFromStore, parseArea, warmFeeds } from '../../interchange/records.js';
import { officialSchemasDir } from '../../interchange/schemas.js';
import { isSigned, signDocument, type SigningKey } from '../../interchange/signature.js';
import { verifySigned } from '../../interchange/signature-check.js';
import { logger } from '../../log.js';

/**
 * Standard feeds for agencies and pushes from partners.
 *
 *   GET  /feeds/{format}   edxl-have, cap (one alert with ?uuid=, else the Atom feed of current
 *                          alerts), cap-atom, edxl-de, edxl-de-1.0; filters since, resource, area.
 *                          Signed when TIDEMARK_SIGN_KEY and TIDEMARK_SIGN_CERT name a key and its
 *                          certificate (CAP and EDXL-DE 2.0).
 *   POST /inbound/{format} a partner's document (Authorization: Bearer TOKEN); partners, their
 *                          formats, resources and certificates come from TIDEMARK_PARTNERS.
 *
 * Every document is validated before it is served or mapped (and against the official schemas
 * when TIDEMARK_SCHEMAS names them).
 */
interface FeedQuery {
  since?: string;
  resource?: string;
  area?: string;
  uuid?: string;
  limit?: number;
}

function signingKey(): SigningKey | undefined {
  const key = process.env.TIDEMARK_SIGN_KEY;
  const cert = process.env.TIDEMARK_SIGN_CERT;
  return key && cert ? { privateKey: readFileSync(key, 'utf8'), certificate: readFileSync(cert, 'utf8') } : undefined;
}

export async function interchangeRoutes(app: FastifyInstance): Promise<void> {
  const signer = signingKey();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // Once listening, ready the feeds in the background: the first request then does not pay for
  // loading SaxonJS, the compiled stylesheets and the schemas (docs/operations.md, "Start-up").
  app.addHook('onListen', async () => {
    // TIDEMARK_WARM_FEEDS=off: no warm-up (the tests, which start dozens of short-lived services
    // on two cores and would pay ~4 s of background CPU each).
    if ((process.env.TIDEMARK_WARM_FEEDS ?? 'on').toLowerCase() === 'off') return;
    setImmediate(() => {
      const started = Date.now();
      warmFeeds(app.store).then(
        (rounds) => logger.info({ ms: Date.now() - started, rounds }, 'feeds ready'),
        // not a fault of its own: the feed's first request meets and reports the same error
        (e: unknown) => logger.info({ err: e }, 'feed warm-up stopped'),
      );
    });
  });

  app.get(
    '/feeds/:format',
    {
      schema: {
        tags: ['interchange'],
        summary: 'A standard document of current records (EDXL-HAVE, CAP, Atom of CAP, EDXL-DE)',
        params: { type: 'object', properties: { format: { type: 'string' } }, required: ['format'] },
        querystring: {
          type: 'object',
          properties: {
            since: { type: 'string', description: 'Only records modified at or after this ISO 8601 instant' },
            resource: { type: 'string', description: 'Resources to include (comma-separated), e.g. cap_alert for an EDXL-DE of alerts' },
            area: { type: 'string', description: 'Bounding box minLat,minLon,maxLat,maxLon' },
            uuid: { type: 'string', description: 'CAP: the one alert to serve' },
            limit: { type: 'integer', minimum: 1, maximum: 100000 },
          },
          additionalProperties: false,
        },
        response: { 200: { description: 'The document (signed when a signing key is set)', content: { 'application/xml': { schema: Type.String() } } }, ...errors },
      },
    },
    async (req, reply) => {
      const q = req.query as FeedQuery;
      let name = (req.params as { format: string }).format;
      const params: Record<string, string> = {};
      if (name === 'cap') {
        if (q.uuid) params.uuid = q.uuid;
        else name = 'cap-atom';
      }
      if (name === 'cap-atom') params['feed-url'] = `${req.protocol}://${req.headers.host ?? 'localhost'}${req.url}`;
      const format = getFormat(name);
      if (!format.export) throw new TidemarkError('unsupported', `format ${name} is not served as a feed`);
      const { documents } = await exportFromStore(app.store, name, format, {
        ...(q.resource ? { resources: q.resource.split(',').filter(Boolean) } : {}),
        ...(q.since ? { since: q.since } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
        ...(q.area ? { area: parseArea(q.area) } : {}),
        params,
      });
      if (!documents.length) throw new TidemarkError('not_found', 'no records match');
      let xml = documents[0]!.xml;
      if (signer && format.signable) xml = signDocument(xml, signer);
      return reply.type(`${format.mediaType}; charset=utf-8`).send(xml);
    },
  );

  app.post(
    '/inbound/:format',
    {
      onRequest: mediaTypes(XML_TYPES, 'an XML document (application/xml or the format\'s +xml type)'),
      schema: {
        tags: ['interchange'],
        summary: "A partner's standard document (EDXL-HAVE, CAP, EDXL-DE) into the store",
        params: { type: 'object', properties: { format: { type: 'string' } }, required: ['format'] },
        description: "An XML document of the format in the body (Authorization: Bearer the partner's token); validated before it is mapped.",
        response: {
          200: Type.Object({
            status: Type.String(),
            partner: Type.String(),
            signer: Type.Optional(Type.String({ description: 'Subject of the certificate that signed the document' })),
            format: Type.String(),
            contents: Type.Unknown({ description: 'What the document held' }),
            records: Type.Integer(),
            created: Type.Integer(),
            updated: Type.Integer(),
            deleted: Type.Integer(),
            merged: Type.Integer(),
            unchanged: Type.Integer(),
          }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      if (req.principal.kind !== 'partner') throw new TidemarkError('unauthorized', 'a partner credential is required');
      const partner = req.principal.partner;
      const name = (req.params as { format: string }).format;
      if (!partner.formats.includes(name)) throw new TidemarkError('forbidden', `partner ${partner.name} may not push ${name}`);
      const body = req.body;
      if (typeof body !== 'string' || !body.trim()) throw new TidemarkError('malformed', 'no document in the request body');
      let text = body;
      let signer: string | undefined;
      if (partner.requireSignature || isSigned(body)) {
        // What is imported is exactly what the signature covers.
        const v = await verifySigned(body, partner.trust);
        text = v.xml;
        signer = v.signer;
      }
      const dir = officialSchemasDir();
      const summary = await importDocument(app.store, name, text, {
        allowedResources: partner.resources,
        maxBytes: app.initialConfig.bodyLimit ?? 64 * 1024 * 1024,
        ...(dir ? { schemasDir: dir } : {}),
      });
      return reply.send({
        status: 'success',
        partner: partner.name,
        ...(signer ? { signer } : {}),
        format: summary.format,
        contents: summary.contents,
        records: summary.records,
        created: summary.created,
        updated: summary.updated,
        deleted: summary.deleted,
        merged: summary.merged,
        unchanged: summary.unchanged + summary.skipped,
      });
    },
  );
}
