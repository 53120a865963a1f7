import { TidemarkError } from '../errors.js';
import type { Store } from '../store/index.js';
import { Peers, type Peer } from './peers.js';
import type { PairRequest, PairResponse } from './protocol.js';
import { mySchema, newToken } from './serve.js';

/**
 * Pairs this instance with another: makes the token this side will present, presents the other
 * side's one-time code through `send` (the carrier) and records the peer with the token the other
 * side answers with (kept hashed). An older peer that answers none shares this side's token.
 */
export async function pairWith(
  store: Store,
  send: (req: PairRequest) => Promise<PairResponse>,
  opts: { code: string; url?: string | null; pin?: string | null; name?: string; clusters?: string[]; myUrl?: string | null },
): Promise<Peer> {
  const token = newToken();
  const res = await send({ instance: store.instance.uuid, name: store.instance.name, url: opts.myUrl ?? null, code: opts.code, token, split: true });
  const mine = mySchema(store);
  if (res.schema_version !== mine.schema_version || res.registry_hash !== mine.registry_hash) {
    throw new TidemarkError('unsupported', `the peer speaks schema ${res.schema_version}/${res.registry_hash}, this instance ${mine.schema_version}/${mine.registry_hash}`);
  }
  const tokenIn = typeof res.token === 'string' && res.token.length >= 32 && res.token.length <= 128 ? res.token : token;
  return new Peers(store).save({ uuid: res.instance, name: opts.name ?? res.name, url: opts.url ?? null, pin: opts.pin ?? null, token, tokenIn, clusters: opts.clusters });
}
