import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TidemarkError } from '../errors.js';

/**
 * Receives a whole request body before anything is written: a slow or stalled upload then holds
 * a socket, never the database's write lock. Bounded by `maxBytes` (413) and by the server's
 * request timeouts (serve --request-timeout).
 */
export async function receiveBody(body: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > maxBytes) {
      body.resume();
      throw new TidemarkError('too_large', `the document is over ${maxBytes} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, size);
}

/**
 * A route-level onRequest hook that refuses (415) a body of another media type before it is
 * read. `patterns` match the type without parameters; a request without a body passes.
 */
export function mediaTypes(patterns: RegExp[], what: string) {
  return async (req: { headers: Record<string, string | string[] | undefined>; method: string }): Promise<void> => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const raw = req.headers['content-type'];
    const type = (Array.isArray(raw) ? raw[0] : raw)?.split(';')[0]?.trim().toLowerCase();
    if (type === undefined || type === '') return;
    if (!patterns.some((p) => p.test(type))) throw new TidemarkError('unsupported', `Content-Type ${type} is not ${what}`, { field: 'content-type' });
  };
}

/** XML media types: application/xml, text/xml and application/<anything>+xml. */
export const XML_TYPES = [/^application\/xml$/, /^text\/xml$/, /^application\/[a-z0-9.+-]+\+xml$/];
export const JSON_TYPES = [/^application\/json$/, /^text\/json$/, /^application\/[a-z0-9.+-]+\+json$/];

/**
 * Inflates a gzip request body with limits: at most `maxBytes` out, and at most `maxRatio` times
 * what came in once past the first MiB (a 64 KB bomb does not become 66 MB). Only ever used after
 * the access hook has authenticated the sender.
 */
export function boundedGunzip(payload: Readable, maxBytes: number, maxRatio = 100): Readable {
  let inBytes = 0;
  let outBytes = 0;
  const inflate = createGunzip();
  const counted = inflate as typeof inflate & { receivedEncodedLength: number };
  counted.receivedEncodedLength = 0;
  payload.on('data', (d: Buffer) => {
    inBytes += d.length;
    counted.receivedEncodedLength = inBytes;
  });
  const fail = (why: string): void => {
    payload.unpipe(inflate);
    payload.resume();
    const e = new TidemarkError('too_large', why, { field: 'content-encoding' });
    (e as unknown as { statusCode: number }).statusCode = 413;
    inflate.destroy(e);
  };
  inflate.on('data', (d: Buffer) => {
    outBytes += d.length;
    if (outBytes > maxBytes) fail(`the inflated body is over ${maxBytes} bytes`);
    else if (outBytes > 1 << 20 && outBytes > inBytes * maxRatio) fail(`the body inflates more than ${maxRatio} times: refused as a decompression bomb`);
  });
  payload.pipe(inflate);
  return inflate;
}
