import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { TidemarkError } from '../errors.js';

/**
 * The secrets of a pairing, one token per direction. Each side keeps in plain text only the
 * token it presents to the other (it must send it), and of the token the other presents to it
 * only a SHA-256 (to check it) and a MAC key derived from it (to check what the other sends by
 * offline carriers: bundles, radio). A stolen database therefore lets nobody sign in to this
 * instance as its peers.
 */
export interface PeerSecrets {
  /** The token this instance presents to the peer (plain). */
  token: string;
  /** SHA-256 (hex) of the token the peer presents to this instance. */
  token_in_hash: string | null;
  /** MAC key (hex) derived from the token the peer presents: checks its bundles and frames. */
  mac_in: string | null;
}

const MAC_LABEL = 'tidemark-mac';

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** The MAC key a token's holder signs offline messages with (HMAC-SHA256(token, "tidemark-mac")). */
export function deriveMacKey(token: string): Buffer {
  return createHmac('sha256', token).update(MAC_LABEL).digest();
}

/** What a receiving side stores of the token presented to it. */
export function receivedSecrets(tokenIn: string): Pick<PeerSecrets, 'token_in_hash' | 'mac_in'> {
  return { token_in_hash: hashToken(tokenIn), mac_in: deriveMacKey(tokenIn).toString('hex') };
}

/** Whether `given` is the token the peer presents to this instance (constant time). */
export function presents(peer: PeerSecrets, given: string | undefined): boolean {
  if (!given || !peer.token_in_hash) return false;
  return timingSafeEqual(Buffer.from(peer.token_in_hash, 'hex'), Buffer.from(hashToken(given), 'hex'));
}

/**
 * The key that authenticates offline messages with a peer: 'out' signs what this instance sends
 * to it, 'in' checks what it sends here. The one helper every offline carrier uses.
 */
export function macKeyFor(peer: PeerSecrets, direction: 'in' | 'out'): Buffer {
  if (direction === 'out') return deriveMacKey(peer.token);
  if (!peer.mac_in) throw new TidemarkError('forbidden', 'this peer has no key for its messages: pair with it again');
  return Buffer.from(peer.mac_in, 'hex');
}
