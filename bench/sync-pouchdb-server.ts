/**
 * The PouchDB side of bench/sync.ts: express-pouchdb over the memory adapter in its own process,
 * as in the reference measurement. Counts the bytes of request and response bodies.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';

const require = createRequire(import.meta.url);
type Fn = (...args: unknown[]) => unknown;
const PouchDB = require('pouchdb') as { plugin(p: unknown): void; defaults(o: unknown): unknown };
PouchDB.plugin(require('pouchdb-adapter-memory'));
const MemPouch = PouchDB.defaults({ adapter: 'memory' });
const express = require('express') as () => { use: Fn; get: Fn; listen: (port: number, host: string, cb: () => void) => { address(): { port: number } } };
const expressPouch = require('express-pouchdb') as (db: unknown, opts: unknown) => unknown;

let bytes = 0;
const app = express();
app.get('/_bench_bytes', (_req: IncomingMessage, res: ServerResponse) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ bytes }));
});
app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
  bytes += Number(req.headers['content-length'] ?? 0);
  const write = res.write.bind(res) as Fn;
  const end = res.end.bind(res) as Fn;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (chunk) bytes += Buffer.byteLength(chunk as string);
    return write(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((chunk: unknown, ...rest: unknown[]) => {
    if (chunk && typeof chunk !== 'function') bytes += Buffer.byteLength(chunk as string);
    return end(chunk, ...rest);
  }) as typeof res.end;
  next();
});
app.use('/', expressPouch(MemPouch, { mode: 'minimumForPouchDB', inMemoryConfig: true }));
const srv = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${srv.address().port}\n`);
});
