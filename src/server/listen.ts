import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/index.js';
import { coded } from '../errors.js';
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
  const host = opts.host ?? '127.0.0.1';
  const wanted = opts.port ?? 8080;
  try {
    await app.listen({ host, port: wanted });
  } catch (thrown) {
    await app.close();
    // A port taken or not ours to take is the user's to fix, not a crash.
    const err = thrown as NodeJS.ErrnoException;
    const address = `${host}:${wanted}`;
    if (err.code === 'EADDRINUSE') throw coded('address_in_use', { address });
    if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') throw coded('address_not_allowed', { address, detail: err.code });
    throw thrown;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const shown = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
  const url = `${opts.tls ? 'https' : 'http'}://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
  return { app, url, close: () => app.close() };
}
