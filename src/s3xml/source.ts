import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { TidemarkError } from '../errors.js';

/** Text of a document in pieces, however it arrives: a stream, a string or a buffer. */
export type DocumentInput = Readable | string | Buffer;

const PIECE = 1 << 20;

/**
 * Yields the document as UTF-8 text pieces, refusing it as soon as it passes `maxBytes` (before
 * anything is parsed further, so an oversized upload never fills memory or the database).
 */
export async function* textPieces(input: DocumentInput, maxBytes: number): AsyncGenerator<string> {
  let bytes = 0;
  const tooLarge = (): TidemarkError => new TidemarkError('too_large', `document is larger than the limit of ${maxBytes} bytes`);
  if (typeof input === 'string') {
    if (Buffer.byteLength(input) > maxBytes) throw tooLarge();
    for (let i = 0; i < input.length; i += PIECE) yield input.slice(i, i + PIECE);
    return;
  }
  if (Buffer.isBuffer(input)) {
    if (input.length > maxBytes) throw tooLarge();
    const decoder = new StringDecoder('utf8');
    for (let i = 0; i < input.length; i += PIECE) yield decoder.write(input.subarray(i, i + PIECE));
    const rest = decoder.end();
    if (rest) yield rest;
    return;
  }
  const decoder = new StringDecoder('utf8');
  for await (const chunk of input.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buf.length;
    // The stream is left to its owner: a server drains it so the client can read the answer.
    if (bytes > maxBytes) throw tooLarge();
    const text = decoder.write(buf);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}
