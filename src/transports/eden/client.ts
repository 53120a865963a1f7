import { fetch, type Response } from 'undici';
import { TidemarkError, type ErrorCode } from '../../errors.js';
import { boundedText, MAX_ANSWER } from '../http/client.js';

/** Eden's JSON status message (`{"status":"success","statuscode":"200",...}`). */
export interface EdenStatus {
  status?: string;
  statuscode?: string;
  message?: string;
  created?: number[];
  updated?: number[];
  sender?: string;
  tree?: unknown;
}

const CODES: Record<number, ErrorCode> = { 400: 'malformed', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 413: 'too_large', 415: 'unsupported', 503: 'busy', 504: 'timeout' };

/** The first `@error` in Eden's validation tree, with the field it is on ("facility_type: Value not allowed"). */
function firstError(tree: unknown, depth = 0): string | undefined {
  if (!tree || typeof tree !== 'object' || depth > 8) return undefined;
  for (const [k, v] of Object.entries(tree as Record<string, unknown>)) {
    if (k === '@error' && typeof v === 'string' && v !== 'Validation error') return v;
    const inner = firstError(v, depth + 1);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * HTTP to one Sahana Eden as one of its users (HTTP Basic: Eden signs in by e-mail): S3XML
 * exports by GET, REST imports by POST, registration. Every failure is a coded error: HTTP
 * statuses by their code, Eden's `{"status":"failed"}` (which it answers with HTTP 200) as
 * `refused` with Eden's message, an unreachable Eden as `link_down`.
 */
export class EdenClient {
  private bytes = 0;
  private trips = 0;
  private readonly auth: string;
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    user: string,
    password: string,
    private readonly timeoutMs = 120_000,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  stats(): { bytes: number; roundTrips: number } {
    return { bytes: this.bytes, roundTrips: this.trips };
  }

  /** GET a document; `date` is Eden's own clock (the Date header), for the next `msince`. */
  async get(path: string): Promise<{ text: string; date: Date | null }> {
    const { res, body } = await this.request('GET', path);
    const date = res.headers.get('date');
    const d = date ? new Date(date) : null;
    return { text: body, date: d && !Number.isNaN(d.getTime()) ? d : null };
  }

  /** POST a body to an Eden import; its JSON status must say success. */
  async post(path: string, body: string, type = 'application/xml'): Promise<EdenStatus> {
    const { body: text } = await this.request('POST', path, body, type);
    let status: EdenStatus;
    try {
      status = JSON.parse(text) as EdenStatus;
    } catch {
      throw new TidemarkError('refused', `Eden ${path}: the answer is not Eden's JSON status: ${text.slice(0, 160)}`);
    }
    if (status.status !== 'success') {
      const detail = firstError(status.tree);
      throw new TidemarkError('refused', `Eden ${path}: ${status.statuscode ?? ''} ${status.message ?? status.status ?? 'no status'}${detail ? ` (${detail})` : ''}`.replace(/\s+/g, ' '));
    }
    return status;
  }

  private async request(method: 'GET' | 'POST', path: string, body?: string, type?: string): Promise<{ res: Response; body: string }> {
    const url = `${this.baseUrl}${path}`;
    this.trips++;
    if (body !== undefined) this.bytes += Buffer.byteLength(body);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: this.auth, accept: 'application/xml, application/json', ...(type ? { 'content-type': type } : {}) },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError') throw new TidemarkError('timeout', `Eden ${method} ${path} did not answer in ${this.timeoutMs / 1000} s`);
      throw new TidemarkError('link_down', `Eden at ${this.baseUrl} cannot be reached: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
    }
    const text = await boundedText(res, MAX_ANSWER, url);
    this.bytes += Buffer.byteLength(text);
    if (res.status === 401 || (res.status >= 300 && res.status < 400)) {
      // Eden answers HTML pages it will not serve with a redirect to its login page.
      throw new TidemarkError('unauthorized', `Eden ${method} ${path}: HTTP ${res.status}, Eden refused the user's credentials`);
    }
    if (!res.ok) {
      let message = text.slice(0, 200);
      try {
        message = (JSON.parse(text) as EdenStatus).message ?? message;
      } catch {
        // not JSON: Eden's HTML error page
      }
      throw new TidemarkError(CODES[res.status] ?? 'refused', `Eden ${method} ${path}: HTTP ${res.status}: ${message.replace(/\s+/g, ' ').trim()}`);
    }
    return { res, body: text };
  }
}
