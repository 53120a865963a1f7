import { gzipSync } from 'node:zlib';
import { fetch, type Response } from 'undici';
import { isErrorCode, TidemarkError, type ErrorCode } from '../../errors.js';
import type { Hello, Page, PageResult, PairRequest, PairResponse, PullRequest } from '../../sync/protocol.js';
import type { SyncCarrier } from '../../sync/session.js';
import { pinnedDispatcher } from './pin.js';

/** The sync protocol over HTTP: one JSON POST per message, keep-alive connections. */
export const SYNC_PATH = '/sync/v1';
/** A request header by which the client asks for gzip answers (and says it may send gzip). */
export const COMPRESS_HEADER = 'x-tidemark-compress';
/** Bodies shorter than this travel uncompressed. */
export const COMPRESS_MIN = 2048;

export class HttpCarrier implements SyncCarrier {
  private bytes = 0;
  private trips = 0;

  /** Gzip pages both ways: on by default except to loopback (TIDEMARK_HTTP_GZIP=1/0 forces it). */
  readonly compress: boolean;

  constructor(
    readonly baseUrl: string,
    private readonly instance: string,
    private readonly token: string,
    private readonly timeoutMs = 120_000,
    /** A pinned certificate fingerprint (`sha256:AB:…`): trusted instead of a CA chain. */
    private readonly pin: string | null = null,
  ) {
    const env = process.env.TIDEMARK_HTTP_GZIP;
    this.compress = env === '1' ? true : env === '0' ? false : !/^https?:\/\/(127\.|localhost[:/]|\[::1\])/.test(baseUrl);
  }

  stats(): { bytes: number; roundTrips: number } {
    return { bytes: this.bytes, roundTrips: this.trips };
  }

  hello(mine: Hello): Promise<unknown> {
    return this.post('/hello', mine);
  }

  pull(req: PullRequest): Promise<unknown> {
    return this.post('/pull', req);
  }

  push(page: Page): Promise<PageResult> {
    return this.post('/push', page) as Promise<PageResult>;
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    const text = JSON.stringify(body);
    this.trips++;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, 'x-tidemark-instance': this.instance };
    let payload: string | Buffer = text;
    if (this.compress) {
      headers[COMPRESS_HEADER] = 'gzip';
      if (text.length >= COMPRESS_MIN) {
        payload = gzipSync(text, { level: 1 });
        headers['content-encoding'] = 'gzip';
      }
    }
    this.bytes += Buffer.byteLength(payload);
    const res = await postJson(`${this.baseUrl.replace(/\/$/, '')}${SYNC_PATH}${path}`, payload, headers, this.timeoutMs, this.pin);
    this.bytes += res.bytes;
    return res.json;
  }
}

/** For answers without a Tidemark error body (a proxy in between, say): the status's nearest code. */
const CODES: Record<number, ErrorCode> = { 400: 'malformed', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'too_large', 415: 'unsupported', 422: 'invalid', 503: 'busy', 504: 'timeout' };

/** The most of a peer's answer this side reads (a page of 10,000 records is well under it). */
export const MAX_ANSWER = 64 * 1024 * 1024;

/** A response body as text, cut off (and refused) past `max` bytes: a hostile peer cannot flood us. */
export async function boundedText(res: Response, max: number, url: string): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) throw new TidemarkError('too_large', `${url}: the answer is over ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A busy peer (503, nothing written there) is asked again after the Retry-After it gives (at
 * most 10 s, three tries) before the sync reports it.
 */
async function postJson(url: string, text: string | Buffer, headers: Record<string, string>, timeoutMs: number, pin: string | null): Promise<{ json: unknown; bytes: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await postOnce(url, text, headers, timeoutMs, pin);
    } catch (e) {
      if (!(e instanceof TidemarkError) || e.code !== 'busy' || attempt >= 3) throw e;
      const wait = Math.min(10, Math.max(1, Number((e as TidemarkError & { retryAfter?: number }).retryAfter) || 1));
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
  }
}

async function postOnce(url: string, text: string | Buffer, headers: Record<string, string>, timeoutMs: number, pin: string | null): Promise<{ json: unknown; bytes: number }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof text === 'string' ? text : new Uint8Array(text),
    signal: AbortSignal.timeout(timeoutMs),
    ...(pin ? { dispatcher: pinnedDispatcher(pin) } : {}),
  }).catch((e: unknown) => {
    // A refused pin is the connector's coded error, wrapped by fetch.
    const cause = (e as { cause?: unknown }).cause;
    throw cause instanceof TidemarkError ? cause : e;
  });
  const body = await boundedText(res, MAX_ANSWER, url);
  // fetch inflates a gzip answer itself; the wire size is the header's.
  const wire = Number(res.headers.get('content-length') ?? NaN);
  let json: unknown;
  try {
    json = body ? JSON.parse(body) : null;
  } catch {
    throw new TidemarkError('refused', `${url}: HTTP ${res.status}, not JSON: ${body.slice(0, 120)}`);
  }
  if (!res.ok) {
    const e = json as { error?: string; message?: string } | null;
    const code = isErrorCode(e?.error) ? e!.error : CODES[res.status];
    const msg = `peer answered ${res.status}: ${e?.message ?? body.slice(0, 200)}`;
    const err = new TidemarkError(code ?? 'refused', msg);
    if (code === 'busy') Object.assign(err, { retryAfter: Number(res.headers.get('retry-after')) });
    throw err;
  }
  return { json, bytes: Number.isFinite(wire) ? wire : Buffer.byteLength(body) };
}

/** Pairing: presents the other side's one-time code and the token this side made. */
export async function pairOverHttp(url: string, req: PairRequest, pin: string | null = null): Promise<PairResponse> {
  const res = await postJson(`${url.replace(/\/$/, '')}${SYNC_PATH}/pair`, JSON.stringify(req), {}, 30_000, pin);
  return res.json as PairResponse;
}
