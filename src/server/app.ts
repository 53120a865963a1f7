import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { registerErrorHandling } from './errors.js';
import { schemaController } from './schemas.js';
import { loadPartners, type Partner } from '../interchange/partners.js';
import { enforceAccess } from './access.js';
import { authRoutes } from './routes/auth.js';
import { logger } from '../log.js';
import type { Store } from '../store/index.js';
import { healthRoutes } from './routes/health.js';
import { s3xmlRoutes } from './routes/s3xml.js';
import { syncRoutes } from './routes/sync.js';
import { interchangeRoutes } from './routes/interchange.js';
import { conflictRoutes } from './routes/conflicts.js';
import { consoleRoutes } from '../console/plugin.js';

export interface ServerOptions {
  store: Store;
  /** Largest request body accepted, in bytes (default 64 MiB). */
  bodyLimit?: number;
  /** Partners who push documents (default: the file TIDEMARK_PARTNERS names). */
  partners?: Partner[];
  /** Seconds a whole request (headers and body) may take (default TIDEMARK_REQUEST_TIMEOUT_S or 300). */
  requestTimeoutS?: number;
  /** TLS: PEM key and certificate (serve --tls-key, --tls-cert). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/**
 * Time limits, so that a slow or silent client holds a socket for a bounded time and nothing
 * else: headers within 30 s, no silence longer than 60 s, the whole request within
 * `requestTimeoutS` (large pushes on slow links need minutes: raise it there).
 */
function timeouts(opts: ServerOptions): { requestTimeout: number; connectionTimeout: number } {
  const env = Number(process.env.TIDEMARK_REQUEST_TIMEOUT_S);
  const s = opts.requestTimeoutS ?? (Number.isFinite(env) && env > 0 ? env : 300);
  return { requestTimeout: s * 1000, connectionTimeout: Math.min(60_000, s * 1000) };
}

/**
 * How often Node looks for requests past their header or request time (its default, 30 s, would
 * let a short limit run 30 s over): a quarter of the request time, between 1 and 30 s.
 */
function checkingInterval(opts: ServerOptions): number {
  return Math.min(30_000, Math.max(1000, Math.floor(timeouts(opts).requestTimeout / 4)));
}

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
  }
}

/** The HTTP service: a thin shell that maps requests onto the same functions as the CLI. */
export async function buildApp(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Per-request lines only when asked for: a busy sync peer would drown the log otherwise.
    loggerInstance: logger.child({ component: 'http' }, { level: process.env.TIDEMARK_LOG_REQUESTS === '1' ? 'info' : 'warn' }) as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 64 * 1024 * 1024,
    ...timeouts(opts),
    ...(opts.tls
      ? { https: { key: opts.tls.key, cert: opts.tls.cert, connectionsCheckingInterval: checkingInterval(opts) } }
      : { http: { connectionsCheckingInterval: checkingInterval(opts) } }),
    // Eden builds `{url}/sync/...` from a repository URL that may end in "/": `//sync/...` is the same route.
    routerOptions: { ignoreDuplicateSlashes: true },
    schemaController,
  });
  app.server.headersTimeout = Math.min(30_000, timeouts(opts).requestTimeout);
  app.decorate('store', opts.store);
  app.decorate('partners', opts.partners ?? (process.env.TIDEMARK_PARTNERS ? loadPartners(process.env.TIDEMARK_PARTNERS) : []));
  enforceAccess(app);

  registerErrorHandling(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tidemark',
        version: '1',
        description: 'Sync between Tidemark instances, the S3XML feed, and EDXL/CAP interchange.',
      },
      components: {
        securitySchemes: {
          peer: { type: 'http', scheme: 'bearer', description: 'A paired peer: its sync token, with its instance uuid in X-Tidemark-Instance' },
        },
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(s3xmlRoutes);
  await app.register(syncRoutes);
  await app.register(interchangeRoutes);
  await app.register(conflictRoutes);
  // The console's pages are HTML for people, not the API: /openapi.json leaves them out.
  app.addHook('onRoute', (route) => {
    if (route.url === '/' || route.url.startsWith('/console')) route.schema = { ...route.schema, hide: true };
  });
  await app.register(consoleRoutes);
  // Further route plugins are registered here, one line each.
  return app;
}
