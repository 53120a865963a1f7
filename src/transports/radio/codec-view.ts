import { coded, TidemarkError } from '../../errors.js';
import { type RecordVersion } from '../../store/types.js';
import type { KnowledgeUpdate, LinkKnowledge } from './knowledge.js';

/** The radio codec's view of the link knowledge during one payload: short ids and bases. */

/** Short ids of one kind (instances, records): the committed table plus what this payload adds. */
export class ShortIds {
  readonly added: string[] = [];
  private readonly addedIds = new Map<string, number>();

  constructor(
    private readonly committed: readonly string[],
    private readonly lookup: (v: string) => number | undefined,
    private readonly what: string,
  ) {}

  id(v: string): number | undefined {
    return this.addedIds.get(v) ?? this.lookup(v);
  }

  add(v: string): number {
    const id = this.committed.length + this.added.length;
    this.added.push(v);
    this.addedIds.set(v, id);
    return id;
  }

  /** The value behind short id `i`; an unknown id is a malformed payload. */
  at(i: number): string {
    const v = i < this.committed.length ? this.committed[i] : this.added[i - this.committed.length];
    // Knowledge out of step with the sender's: the sender must start over with a reset payload.
    if (v === undefined) throw coded('reset_needed', { detail: `names unknown ${this.what} ${i}` });
    return v;
  }
}

/** The knowledge as it stands during one payload: committed state plus what the payload adds. */
export class View {
  readonly instances: ShortIds;
  readonly records: ShortIds;
  private readonly newBases = new Map<string, RecordVersion>();

  constructor(private readonly known: LinkKnowledge | null) {
    this.instances = new ShortIds(known?.instances ?? [], (v) => known?.instanceId(v), 'instance');
    this.records = new ShortIds(known?.uuids ?? [], (v) => known?.sid(v), 'record short id');
  }

  base(uuid: string): RecordVersion | undefined {
    return this.newBases.get(uuid) ?? this.known?.bases.get(uuid);
  }

  setBase(r: RecordVersion): void {
    this.newBases.set(r.uuid, r);
  }

  update(epoch: number, reset: boolean): KnowledgeUpdate {
    return { epoch, reset, instances: this.instances.added, uuids: this.records.added, bases: [...this.newBases.values()] };
  }
}

export function at<T>(list: readonly T[], i: number, what: string): T {
  const v = list[i];
  if (v === undefined) throw new TidemarkError('malformed', `radio payload: unknown ${what} ${i}`);
  return v;
}
