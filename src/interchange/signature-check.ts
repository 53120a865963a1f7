import { Worker } from 'node:worker_threads';
import { TidemarkError, type ErrorCode, type ErrorLocation } from '../errors.js';
import type { Element } from 'libxmljs2';
import type { TrustStore } from './dsig.js';
import { verifyTree, type VerifiedDocument } from './signature-verify.js';
import type { VerifyRequest } from './signature-worker.js';
import { parseXml } from './xml.js';

/**
 * Signature verification off the main thread, with a time limit: a hostile document can cost one
 * worker its time, never the service's event loop (health checks, other requests, the sync
 * daemon). One worker, started on first use, verifies one document at a time; one that overruns is
 * terminated and the next document gets a fresh worker.
 */
export interface VerifyOptions {
  /** Longest a verification may take once it has started, in ms. */
  timeoutMs?: number;
  limits?: SignatureLimits;
  now?: Date;
}

export interface SignatureLimits {
  /** Largest signed document accepted, in bytes. */
  maxBytes: number;
  /** Most elements a signed document may have. */
  maxElements: number;
}

export const SIGNATURE_LIMITS: SignatureLimits = {
  maxBytes: Number(process.env.TIDEMARK_SIGNED_MAX_BYTES ?? 16 * 1024 * 1024),
  maxElements: Number(process.env.TIDEMARK_SIGNED_MAX_ELEMENTS ?? 50_000),
};

const refuse = (message: string, line?: number): TidemarkError => new TidemarkError('forbidden', `signature refused: ${message}`, line ? { line } : {});

/**
 * The bounds and XML-level rules, with libxml2 (C, linear) before any JavaScript tree is built:
 * size, well-formedness, no DTD tricks, nesting depth, element count, no processing instruction.
 */
function precheck(xml: string, limits: SignatureLimits): void {
  const doc = parseXml(xml, { maxBytes: limits.maxBytes });
  const count = doc.get('count(//*)') as unknown as number;
  if (count > limits.maxElements) {
    throw new TidemarkError('too_large', `a signed document may have at most ${limits.maxElements} elements; this one has ${count}`);
  }
  const pi = doc.get<Element>('//processing-instruction()');
  if (pi) throw refuse('processing instructions are not allowed in a signed document', pi.line());
}

/** Verifies on the calling thread (tests, tools): precheck, then verifyTree. */
export function verifyDocument(xml: string, trust: TrustStore, now = new Date(), limits: SignatureLimits = SIGNATURE_LIMITS): VerifiedDocument {
  precheck(xml, limits);
  return verifyTree(xml, trust, now);
}

export const VERIFY_TIMEOUT_MS = Number(process.env.TIDEMARK_VERIFY_TIMEOUT_MS ?? 10_000);

interface Job {
  req: VerifyRequest;
  timeoutMs: number;
  resolve: (v: VerifiedDocument) => void;
  reject: (e: TidemarkError) => void;
  timer?: NodeJS.Timeout;
}

type Answer = { id: number; ok?: VerifiedDocument; error?: { code: ErrorCode; message: string; where: ErrorLocation }; ready?: true };

function startWorker(): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // Running from TypeScript sources: worker threads do not inherit tsx's loader, so register it first.
    const entry = new URL('./signature-worker.ts', self).href;
    return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
  }
  return new Worker(new URL('./signature-worker.js', self));
}

class VerifierThread {
  private worker?: Worker;
  private ready = false;
  private current?: Job;
  private readonly queue: Job[] = [];
  private nextId = 1;

  run(xml: string, trust: TrustStore, opts: VerifyOptions): Promise<VerifiedDocument> {
    return new Promise((resolve, reject) => {
      try {
        precheck(xml, opts.limits ?? SIGNATURE_LIMITS);
      } catch (e) {
        reject(e as TidemarkError);
        return;
      }
      const req: VerifyRequest = { id: this.nextId++, xml, certificates: trust.pems(), now: (opts.now ?? new Date()).getTime() };
      this.queue.push({ req, timeoutMs: opts.timeoutMs ?? VERIFY_TIMEOUT_MS, resolve, reject });
      this.pump();
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker();
    this.worker = w;
    this.ready = false;
    w.on('message', (m: Answer) => {
      if (m.ready) {
        this.ready = true;
        this.pump();
        return;
      }
      const job = this.current;
      if (!job || job.req.id !== m.id) return;
      clearTimeout(job.timer);
      this.current = undefined;
      if (m.ok) job.resolve(m.ok);
      else job.reject(new TidemarkError(m.error!.code, m.error!.message, m.error!.where));
      this.pump();
    });
    w.on('error', (e: Error) => this.fail(w, new TidemarkError('forbidden', `signature refused: the verifier failed (${e.message.slice(0, 200)})`)));
    w.on('exit', () => this.fail(w, new TidemarkError('forbidden', 'signature refused: the verifier stopped')));
    return w;
  }

  /**
   * The worker is gone (overran, crashed): refuse its job and carry on with a new one. One that
   * never became ready cannot verify anything: every waiting document is refused.
   */
  private fail(w: Worker, e: TidemarkError): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    const job = this.current;
    this.current = undefined;
    if (job) {
      clearTimeout(job.timer);
      job.reject(e);
    }
    if (!this.ready) for (const waiting of this.queue.splice(0)) waiting.reject(e);
    this.pump();
  }

  private pump(): void {
    if (this.current) return;
    if (!this.queue.length) {
      this.worker?.unref();
      return;
    }
    const w = this.ensureWorker();
    w.ref();
    if (!this.ready) return;
    const job = this.queue.shift()!;
    this.current = job;
    job.timer = setTimeout(() => {
      this.fail(w, new TidemarkError('too_large', `signature refused: verification took longer than ${job.timeoutMs} ms (the document is too large or too complex)`));
      void w.terminate();
    }, job.timeoutMs);
    w.postMessage(job.req);
  }
}

const thread = new VerifierThread();

/** Verifies a signed document in the verifier worker; rejects with the same coded errors as verifyDocument. */
export function verifySigned(xml: string, trust: TrustStore, opts: VerifyOptions = {}): Promise<VerifiedDocument> {
  return thread.run(xml, trust, opts);
}
