import { parentPort } from 'node:worker_threads';
import { TidemarkError } from '../errors.js';
import { TrustStore } from './dsig.js';
import { verifyTree } from './signature-verify.js';

/**
 * Worker side of signature-check.ts: verifies one prechecked document per message, answers with the
 * result or the refusal. Loads no libxml2 (see dsig.ts).
 */
export interface VerifyRequest {
  id: number;
  xml: string;
  certificates: string[];
  now: number;
}

parentPort!.on('message', (req: VerifyRequest) => {
  try {
    const trust = new TrustStore();
    for (const pem of req.certificates) trust.add(pem);
    parentPort!.postMessage({ id: req.id, ok: verifyTree(req.xml, trust, new Date(req.now)) });
  } catch (e) {
    const err = e instanceof TidemarkError ? e : new TidemarkError('forbidden', `signature refused: ${(e as Error).message}`);
    parentPort!.postMessage({ id: req.id, error: { code: err.code, message: err.message, where: err.where } });
  }
});

parentPort!.postMessage({ ready: true });
