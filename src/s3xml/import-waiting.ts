import { key, type Unit } from './import-units.js';

/**
 * Units that refer to records neither in the database nor in their batch: they wait, indexed by
 * what they need, and are released as soon as the last of it is written (import.ts explains why
 * waiting instead of a second pass).
 */
export class WaitingUnits {
  private readonly byNeed = new Map<string, Set<Unit>>();
  private readonly units = new Set<Unit>();

  get size(): number {
    return this.units.size;
  }

  has(u: Unit): boolean {
    return this.units.has(u);
  }

  /** `u` waits for everything it still needs. */
  add(u: Unit): void {
    this.units.add(u);
    this.index(u);
  }

  /** Files `u` under each of its needs (again, after a need has changed). */
  index(u: Unit): void {
    for (const k of u.needs.keys()) {
      const set = this.byNeed.get(k) ?? new Set();
      set.add(u);
      this.byNeed.set(k, set);
    }
  }

  /** The units waiting for `k`, no longer filed under it. */
  take(k: string): Set<Unit> {
    const units = this.byNeed.get(k) ?? new Set<Unit>();
    this.byNeed.delete(k);
    return units;
  }

  /** `k` has been written: the units that needed nothing else leave the queue and are returned. */
  written(k: string): Unit[] {
    const ready: Unit[] = [];
    for (const u of this.take(k)) {
      u.needs.delete(k);
      if (!u.needs.size && this.units.delete(u)) ready.push(u);
    }
    return ready;
  }

  /** Every unit still waiting; the queue is empty afterwards. */
  drain(): Unit[] {
    const all = [...this.units];
    this.units.clear();
    this.byNeed.clear();
    return all;
  }
}

/**
 * The units among `units` that can be written together: every need is satisfied by `exists` or
 * by another unit of the set. Repeatedly drops units with an outside need (a fixpoint), so
 * chains and cycles inside the set are kept and anything hanging off a missing record is not.
 */
export function resolvable(units: Unit[], exists: (k: string) => boolean): Set<Unit> {
  const set = new Set(units);
  for (;;) {
    const provided = new Set<string>();
    for (const u of set) for (const r of u.recs) provided.add(key(r.def.name, r.uuid));
    let dropped = false;
    for (const u of set) {
      for (const k of u.needs.keys()) {
        if (!exists(k) && !provided.has(k)) {
          set.delete(u);
          dropped = true;
          break;
        }
      }
    }
    if (!dropped) return set;
  }
}
