import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { coded } from '../../errors.js';
import { parsePin } from '../../sync/peers.js';

/**
 * Certificate pinning for peers with self-signed certificates: with a pin, the peer's certificate
 * is trusted when its SHA-256 fingerprint is the pinned one, instead of through a CA chain and
 * host name (a field site seldom has a CA-signed name). Any other certificate is refused.
 */

const agents = new Map<string, Dispatcher>();

/** The connection pool for one pin: every connection it opens checks the fingerprint before use. */
export function pinnedDispatcher(pin: string): Dispatcher {
  const pinned = parsePin(pin);
  let agent = agents.get(pinned);
  if (agent) return agent;
  // The chain is not checked (a self-signed certificate has none); the fingerprint is, on every
  // connection: no TLS session is resumed, so every handshake shows the certificate.
  const connect = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0 });
  agent = new Agent({
    connect: (opts, callback) =>
      connect(opts, (err, socket) => {
        if (err) return callback(err, null);
        const got = `sha256:${(socket as TLSSocket).getPeerCertificate?.()?.fingerprint256 ?? 'none'}`;
        if (got === pinned) return callback(null, socket);
        socket.destroy();
        callback(coded('certificate_mismatch', { url: `${opts.protocol}//${opts.hostname}:${opts.port}`, got, pinned }), null);
      }),
  });
  agents.set(pinned, agent);
  return agent;
}
