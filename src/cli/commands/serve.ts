import type { Command } from '../command.js';
import { positiveNumber, str } from '../command.js';
import { readFileSync } from 'node:fs';
import { TidemarkError } from '../../errors.js';
import { startService } from '../../service.js';
import { logger } from '../../log.js';

export const serveCommand: Command = {
  name: 'serve',
  usage: 'tidemark serve [--db URL] [--host 127.0.0.1] [--port 8080] [--tls-cert PEM --tls-key PEM] [--request-timeout SECONDS]',
  options: { host: { type: 'string' }, port: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'request-timeout': { type: 'string' } },
  async run(ctx) {
    const given = str(ctx.values, 'port') ?? process.env.TIDEMARK_PORT ?? '8080';
    const port = /^\d+$/.test(given) ? Number(given) : NaN;
    if (!Number.isInteger(port) || port > 65535) throw new TidemarkError('invalid', `--port takes a port number (0-65535), not "${given}"`, { field: 'port' });
    const cert = str(ctx.values, 'tls-cert');
    const key = str(ctx.values, 'tls-key');
    if (Boolean(cert) !== Boolean(key)) throw new TidemarkError('invalid', '--tls-cert and --tls-key go together', { field: cert ? 'tls-key' : 'tls-cert' });
    const tls = cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : undefined;
    const timeout = str(ctx.values, 'request-timeout');
    const requestTimeoutS = timeout === undefined ? undefined : positiveNumber(ctx.values, 'request-timeout', 300);
    const store = await ctx.openStore();
    let server;
    try {
      server = await startService(store, { host: str(ctx.values, 'host'), port, tls, requestTimeoutS });
    } catch (e) {
      await store.close(); // an open pool would keep the process alive after the error is said
      throw e;
    }
    ctx.stdout.write(
      [
        `Tidemark instance "${store.instance.name}" (${store.instance.uuid}) on ${store.db.url}`,
        `  ${server.url}/   the web console (sign in; docs/console.md)`,
        `  ${server.url}/health`,
        `  ${server.url}/openapi.json`,
        `  ${server.url}/s3xml/med_hospital`,
        `  ${server.url}/s3xml/med_hospital.json?limit=5`,
        `  ${server.url}/s3xml/org_office`,
        `  ${server.url}/feeds/edxl-have`,
        `  ${server.url}/feeds/cap`,
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        logger.info('shutting down');
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    await store.close();
  },
};
