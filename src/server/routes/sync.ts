import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SYNC_PATH } from '../../transports/http/client.js';
import { answerHello, answerPair, answerPull, answerPush, authenticate } from '../../sync/serve.js';
import type { PairRequest, PullRequest } from '../../sync/protocol.js';

/** The native sync protocol (docs/sync-protocol.md): pair, hello, pull, push. */
export async function syncRoutes(app: FastifyInstance): Promise<void> {
  const peerOf = (req: FastifyRequest) => {
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const instance = req.headers['x-tidemark-instance'];
    return authenticate(app.store, typeof instance === 'string' ? instance : undefined, token);
  };
  const hide = { schema: { tags: ['sync'] } };
  app.post(`${SYNC_PATH}/pair`, { ...hide, schema: { ...hide.schema, summary: 'Register a peer that presents a pairing code' } }, async (req) =>
    answerPair(app.store, req.body as PairRequest),
  );
  app.post(`${SYNC_PATH}/hello`, { ...hide, schema: { ...hide.schema, summary: 'Handshake: schema check and per-resource summary' } }, async (req) =>
    answerHello(app.store, await peerOf(req), req.body),
  );
  app.post(`${SYNC_PATH}/pull`, { ...hide, schema: { ...hide.schema, summary: 'One page of this instance’s change feed' } }, async (req) =>
    answerPull(app.store, await peerOf(req), req.body as PullRequest),
  );
  app.post(`${SYNC_PATH}/push`, { ...hide, schema: { ...hide.schema, summary: 'Apply one page of the caller’s change feed' } }, async (req) =>
    answerPush(app.store, await peerOf(req), req.body),
  );
}
