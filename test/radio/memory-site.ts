import { registry } from '../../src/registry/registry.js';
import type { RecordVersion } from '../../src/store/types.js';
import { radioSync, newPeerKnowledge, type RadioPeerKnowledge, type RadioSyncResult } from '../../src/transports/radio/sync.js';
import type { RadioSession } from '../../src/transports/radio/session.js';
import { linkKey } from './fixtures.js';

/**
 * A site as the radio layer sees it: the versions it holds and what it still owes each peer.
 * Stands in for the record store and sync engine in protocol-level tests and benchmarks; the
 * engine-level test runs the same sync through real stores.
 */
export class MemorySite {
  readonly records = new Map<string, RecordVersion>();
  readonly pending = new Map<string, RecordVersion>();
  readonly knowledge: RadioPeerKnowledge = newPeerKnowledge();
  applied = 0;
  /** Resources of the versions applied, in the order they arrived. */
  readonly arrivals: string[] = [];

  constructor(readonly id: string) {}

  change(versions: readonly RecordVersion[]): void {
    for (const v of versions) {
      this.records.set(v.uuid, v);
      this.pending.set(v.uuid, v);
    }
  }

  sync(session: RadioSession, peer: string, role: 'initiator' | 'responder', batchSize?: number): Promise<RadioSyncResult> {
    return radioSync({
      batchSize,
      registry,
      session,
      local: this.id,
      peer,
      keys: { out: linkKey(this.id, peer), in: linkKey(peer, this.id) },
      role,
      knowledge: this.knowledge,
      outgoing: [...this.pending.values()],
      apply: (changes) => {
        for (const c of changes) {
          this.records.set(c.uuid, c);
          this.arrivals.push(c.resource);
        }
        this.applied += changes.length;
      },
      sent: (batch) => {
        for (const c of batch) if (this.pending.get(c.uuid) === c) this.pending.delete(c.uuid);
      },
    });
  }
}
