import type { RecordVersion } from '../../store/types.js';

/**
 * What one side of a radio link knows the other side holds, for one direction (sender -> receiver).
 * The sender keeps it to encode deltas and short ids; the receiver keeps an identical mirror to
 * decode them. Both advance together, one payload ("epoch") at a time: the sender commits an
 * update only once the receiver acknowledged the payload, the receiver when it decoded it.
 *
 * - instances: short id (index) -> instance id, for version vectors, origin, changed_by
 * - uuids: short id (index) -> record uuid
 * - bases: the last version of each record the receiver is known to have (delta base)
 */
export class LinkKnowledge {
  epoch = 0;
  instances: string[] = [];
  uuids: string[] = [];
  bases = new Map<string, RecordVersion>();
  private instanceIds = new Map<string, number>();
  private sids = new Map<string, number>();
  /** The state before the last committed update, so a payload the sender never saw acknowledged can be taken back. */
  private undo: Undo | null = null;

  instanceId(instance: string): number | undefined {
    return this.instanceIds.get(instance);
  }

  sid(uuid: string): number | undefined {
    return this.sids.get(uuid);
  }

  commit(update: KnowledgeUpdate): void {
    if (update.epoch !== (update.reset ? 1 : this.epoch + 1)) {
      throw new Error(`knowledge update for epoch ${update.epoch} does not follow epoch ${this.epoch}`);
    }
    const undo: Undo = {
      epoch: this.epoch,
      instances: this.instances.length,
      uuids: this.uuids.length,
      bases: [],
      snapshot: update.reset ? this.snapshot() : null,
    };
    if (update.reset) this.clear();
    for (const i of update.instances) {
      this.instanceIds.set(i, this.instances.length);
      this.instances.push(i);
    }
    for (const u of update.uuids) {
      this.sids.set(u, this.uuids.length);
      this.uuids.push(u);
    }
    for (const r of update.bases) {
      if (!update.reset) undo.bases.push([r.uuid, this.bases.get(r.uuid)]);
      this.bases.set(r.uuid, r);
    }
    this.epoch = update.epoch;
    this.undo = undo;
  }

  /** Takes back the last committed update (receiver side: its sender never saw the acknowledgement). */
  rollback(): boolean {
    const u = this.undo;
    if (!u) return false;
    this.undo = null;
    if (u.snapshot) {
      this.restore(u.snapshot);
      return true;
    }
    for (const i of this.instances.splice(u.instances)) this.instanceIds.delete(i);
    for (const id of this.uuids.splice(u.uuids)) this.sids.delete(id);
    for (const [uuid, base] of u.bases.reverse()) {
      if (base) this.bases.set(uuid, base);
      else this.bases.delete(uuid);
    }
    this.epoch = u.epoch;
    return true;
  }

  canRollback(): boolean {
    return this.undo !== null;
  }

  /** Forget everything: the next payload must be a reset payload with full uuids and full records. */
  clear(): void {
    this.epoch = 0;
    this.instances = [];
    this.uuids = [];
    this.bases = new Map();
    this.instanceIds = new Map();
    this.sids = new Map();
    this.undo = null;
  }

  private snapshot(): Snapshot {
    return { epoch: this.epoch, instances: this.instances, uuids: this.uuids, bases: this.bases };
  }

  private restore(s: Snapshot): void {
    this.epoch = s.epoch;
    this.instances = s.instances;
    this.uuids = s.uuids;
    this.bases = s.bases;
    this.instanceIds = new Map(s.instances.map((v, i) => [v, i]));
    this.sids = new Map(s.uuids.map((v, i) => [v, i]));
  }

  /**
   * Plain JSON, to keep per peer between runs. The undo step is kept too (so a receiver that
   * restarts can still take back a payload whose acknowledgement was lost), except after a reset.
   */
  toJSON(): LinkKnowledgeJson {
    const u = this.undo;
    const undo = u && !u.snapshot ? { epoch: u.epoch, instances: u.instances, uuids: u.uuids, bases: u.bases.map(([uuid, b]) => ({ uuid, base: b ?? null })) } : undefined;
    return { epoch: this.epoch, instances: this.instances, uuids: this.uuids, bases: [...this.bases.values()], ...(undo ? { undo } : {}) };
  }

  static fromJSON(j: LinkKnowledgeJson): LinkKnowledge {
    const k = new LinkKnowledge();
    k.restore({ epoch: j.epoch, instances: [...j.instances], uuids: [...j.uuids], bases: new Map(j.bases.map((b) => [b.uuid, b])) });
    if (j.undo) {
      k.undo = { epoch: j.undo.epoch, instances: j.undo.instances, uuids: j.undo.uuids, bases: j.undo.bases.map((x) => [x.uuid, x.base ?? undefined]), snapshot: null };
    }
    return k;
  }
}

/** The knowledge a payload adds: committed by the sender on acknowledgement, by the receiver on decoding. */
export interface KnowledgeUpdate {
  epoch: number;
  /** The payload starts from nothing (full uuids, full records); the receiver forgets its mirror. */
  reset: boolean;
  instances: string[];
  uuids: string[];
  bases: RecordVersion[];
}

export interface LinkKnowledgeJson {
  epoch: number;
  instances: string[];
  uuids: string[];
  bases: RecordVersion[];
  undo?: { epoch: number; instances: number; uuids: number; bases: { uuid: string; base: RecordVersion | null }[] };
}

interface Snapshot {
  epoch: number;
  instances: string[];
  uuids: string[];
  bases: Map<string, RecordVersion>;
}

interface Undo {
  epoch: number;
  instances: number;
  uuids: number;
  bases: [string, RecordVersion | undefined][];
  snapshot: Snapshot | null;
}
