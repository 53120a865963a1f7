import { parentPort } from 'node:worker_threads';
import { transform } from '../src/interchange/stylesheets.js';

/** A worker thread of bench/xslt.ts: transforms S3XML chunks with the (cached) SEF. */
parentPort!.on('message', (m: { id: number; chunk: string }) => {
  parentPort!.postMessage({ id: m.id, out: transform('s3xml-to-edxl-have.xsl', m.chunk) });
});
