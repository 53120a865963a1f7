import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/index.js';
import { buildApp } from './app.js';

export interface RunningServer {
  app: FastifyInstance;
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  host?: string;
  port?: number;
  bodyLimit?: number;
  /** TLS: PEM key and certificate (serve --tls-key, --tls-cert). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Seconds a whole request may take (serve --request-timeout). */
  requestTimeoutS?: number;
}

export async function startServer(store: Store, opts: ListenOptions = {}): Promise<RunningServer> {
  const app = await buildApp({ store, bodyLimit: opts.bodyLimit, tls: opts.tls, requestTimeoutS: opts.requestTimeoutS });
  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
  const url = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { app, url, close: () => app.close() };
}
