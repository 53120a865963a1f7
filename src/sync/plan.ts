import type { Store } from '../store/index.js';
import { sendingStarts } from './drive.js';
import type { Peer } from './peers.js';
import { buildHello, checkPeerHello, learnPositions, mySchema, planFor } from './pipeline.js';
import { checkHello } from './protocol.js';
import { measureFeed } from './serve.js';
import type { SyncCarrier } from './session.js';

export interface ResourcePlan {
  resource: string;
  receive: number;
  receiveBytes: number;
  send: number;
  sendBytes: number;
}

export interface SyncPlan {
  peer: string;
  name: string;
  resources: ResourcePlan[];
  receive: number;
  send: number;
  /** Bytes of the pages as JSON before compression (the wire carries less when gzip is on). */
  bytes: number;
}

/**
 * A dry run: what a sync with `peer` would move now, per resource, without applying or sending
 * any record. One handshake asks the peer to measure its side; this side measures its own.
 */
export async function planSync(store: Store, peer: Peer, carrier: SyncCarrier): Promise<SyncPlan> {
  const cfg = await planFor(store, peer, 'http');
  const order = cfg.order;
  const mine = await buildHello(store, peer.uuid, order);
  const theirs = checkHello(mySchema(store), await carrier.hello({ ...mine, plan: { filters: cfg.filters } }));
  checkPeerHello(peer, theirs);
  await learnPositions(store, peer.uuid, theirs);
  // From where the peer holds my feed, as the push of a sync would start (the driver's rule).
  const starts = new Map((await sendingStarts(store, cfg, { theirs, echoPeer: peer.uuid })).map((s) => [s.resource, s]));
  const plan: SyncPlan = { peer: peer.uuid, name: peer.name, resources: [], receive: 0, send: 0, bytes: 0 };
  for (const resource of order) {
    const t = theirs.resources[resource];
    if (!t) continue;
    const p: ResourcePlan = { resource, receive: 0, receiveBytes: 0, send: 0, sendBytes: 0 };
    if (cfg.direction !== 'push' && t.head !== mine.resources[resource]!.have) {
      p.receive = t.plan?.records ?? 0;
      p.receiveBytes = t.plan?.bytes ?? 0;
    }
    const start = starts.get(resource);
    if (cfg.direction !== 'pull' && start) {
      const m = await measureFeed(store, peer.uuid, resource, start.from, cfg.filters[resource]);
      p.send = m.records;
      p.sendBytes = m.bytes;
    }
    if (p.receive || p.send) plan.resources.push(p);
    plan.receive += p.receive;
    plan.send += p.send;
    plan.bytes += p.receiveBytes + p.sendBytes;
  }
  return plan;
}
