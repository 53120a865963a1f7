import type { FastifyInstance } from 'fastify';
import { coded, TidemarkError, type ErrorCode } from '../errors.js';
import { busyError } from '../store/busy.js';

interface FastifyErrorLike {
  statusCode?: number;
  code?: string;
  message: string;
  validation?: { instancePath?: string; params?: Record<string, unknown>; message?: string }[];
  validationContext?: string;
}

/** Fastify's own failures by their code; anything else 4xx falls back to its status. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed',
  FST_ERR_BAD_URL: 'malformed',
};
const BY_STATUS: Record<number, ErrorCode> = { 400: 'malformed', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 409: 'conflict', 413: 'too_large', 415: 'unsupported', 422: 'invalid', 503: 'busy' };

/**
 * Any error a request can end in, as a catalogue error: Tidemark's own as they are, fastify's
 * (bad JSON, body too large, schema validation) mapped to the same codes, so a client meets one
 * vocabulary. Returns undefined for a failure of ours (a bug): the caller answers 500.
 */
export function toCatalogueError(err: unknown): TidemarkError | undefined {
  if (err instanceof TidemarkError) return err;
  const busy = busyError(err);
  if (busy) return busy;
  const e = err as FastifyErrorLike;
  if (e.validation?.length) {
    // "body/records/0/uuid must match pattern ..." names the field.
    const first = e.validation[0]!;
    const missing = typeof first.params?.missingProperty === 'string' ? `/${first.params.missingProperty}` : '';
    const field = `${e.validationContext ?? 'request'}${first.instancePath ?? ''}${missing}`;
    const problems = e.validation.slice(1).map((v) => new TidemarkError('invalid', v.message ?? 'invalid', { field: `${e.validationContext ?? 'request'}${v.instancePath ?? ''}` }));
    return new TidemarkError('invalid', first.message ?? e.message, { field }, problems);
  }
  const code = (e.code && FASTIFY_CODES[e.code]) || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? (BY_STATUS[e.statusCode] ?? 'malformed') : undefined);
  return code ? new TidemarkError(code, e.message) : undefined;
}

/**
 * Sahana Eden's JSON status shape, which its sync client reads and logs
 * (`{"status":"failed","statuscode":"403","message":…}`); `error` keeps the catalogue code.
 */
export function edenShaped(e: TidemarkError): Record<string, unknown> {
  return { status: 'failed', statuscode: String(e.status), message: e.describe(), error: e.code };
}

/**
 * The one error handler of the service (`shape`: Tidemark's JSON, or Eden's on Eden's sync
 * endpoints, whose client logs only its own shape), and the answer for routes that do not exist.
 */
export function registerErrorHandling(app: FastifyInstance, shape: 'tidemark' | 'eden' = 'tidemark'): void {
  app.setErrorHandler((err, req, reply) => {
    let known = toCatalogueError(err);
    if (!known) {
      req.log.error({ err }, 'request failed');
      known = coded('internal');
    }
    if (known.code === 'busy') void reply.header('retry-after', '1');
    // Never a Basic challenge: browsers would cache the credentials and send them cross-site.
    if (known.code === 'unauthorized') void reply.header('www-authenticate', 'Bearer realm="tidemark"');
    return reply.status(known.status).send(shape === 'eden' ? edenShaped(known) : known.toJSON());
  });
  if (shape === 'eden') return;
  app.setNotFoundHandler((req, reply) => {
    const e = coded('not_found', { what: `${req.method} ${req.url.split('?')[0]}` });
    return reply.status(e.status).send(e.toJSON());
  });
}
