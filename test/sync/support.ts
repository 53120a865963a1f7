import { Peers, answerHello, answerPull, answerPush, syncPeer, newToken, type Page, type PageResult, type SyncCarrier, type SyncReport, type Hello, type PullRequest } from '../../src/sync/index.js';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { freshDatabase, type DbKind } from '../support/databases.js';

/**
 * An in-process carrier: the peer's own answering functions, with every message passed through
 * JSON as on a wire. Used where many syncs must run fast (property test); the end-to-end tests
 * use real processes and HTTP.
 */
export class LoopbackCarrier implements SyncCarrier {
  private bytes = 0;
  private trips = 0;
  /** Fails the n-th message (counting from 1) after the peer handled it, or before. */
  failAt?: { n: number; after: boolean };

  constructor(
    private readonly remote: Store,
    private readonly me: string,
  ) {}

  stats(): { bytes: number; roundTrips: number } {
    return { bytes: this.bytes, roundTrips: this.trips };
  }

  private async call<T>(body: unknown, fn: (b: unknown) => Promise<T>): Promise<T> {
    this.trips++;
    const text = JSON.stringify(body);
    this.bytes += text.length;
    const fail = this.failAt && this.failAt.n === this.trips;
    if (fail && !this.failAt!.after) throw new Error('link dropped (before delivery)');
    const out = await fn(JSON.parse(text));
    const back = JSON.stringify(out);
    this.bytes += back.length;
    if (fail) throw new Error('link dropped (answer lost)');
    return JSON.parse(back) as T;
  }

  private peer() {
    return new Peers(this.remote).get(this.me);
  }

  async hello(mine: Hello): Promise<unknown> {
    const p = await this.peer();
    return this.call(mine, (b) => answerHello(this.remote, p, b));
  }

  async pull(req: PullRequest): Promise<unknown> {
    const p = await this.peer();
    return this.call(req, (b) => answerPull(this.remote, p, b as PullRequest));
  }

  async push(page: Page): Promise<PageResult> {
    const p = await this.peer();
    return this.call(page, (b) => answerPush(this.remote, p, b));
  }
}

/** Registers each store with each other (as pairing does). */
export async function pairAll(stores: Store[]): Promise<void> {
  for (let i = 0; i < stores.length; i++) {
    for (let j = i + 1; j < stores.length; j++) {
      const token = newToken();
      const a = stores[i]!;
      const b = stores[j]!;
      await new Peers(a).save({ uuid: b.instance.uuid, name: b.instance.name, token });
      await new Peers(b).save({ uuid: a.instance.uuid, name: a.instance.name, token });
    }
  }
}

export async function loopSync(a: Store, b: Store, carrier?: LoopbackCarrier): Promise<SyncReport> {
  const peer = await new Peers(a).get(b.instance.uuid);
  return syncPeer(a, peer, carrier ?? new LoopbackCarrier(b, a.instance.uuid));
}

export async function openStores(kind: DbKind, n: number): Promise<Store[]> {
  const out: Store[] = [];
  for (let i = 0; i < n; i++) out.push(await openStore(await freshDatabase(kind), { instanceName: `site-${String.fromCharCode(97 + i)}` }));
  return out;
}

/** Every syncable record of a store, tombstones included, without local-only columns. */
export async function snapshot(store: Store, resources: readonly string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const r of resources) {
    const rows = await store.list(r, { includeDeleted: true });
    out[r] = rows
      .map(({ id: _i, seq: _s, ...v }) => v)
      .sort((x, y) => (x.uuid < y.uuid ? -1 : 1));
  }
  return out;
}
