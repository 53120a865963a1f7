import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Store } from '../store/index.js';
import { wallClockMs } from '../store/clock.js';
import { resolveRelativeTimes } from './relative-time.js';

interface SampleRecord {
  resource: string;
  uuid: string;
  data: Record<string, unknown>;
}

export const SAMPLES_FILE = fileURLToPath(new URL('../../samples/dataset.json', import.meta.url));

/**
 * Loads the sample data set in one transaction. Records are keyed by fixed uuids and only the
 * missing ones are created, so loading twice changes nothing (and never overwrites local edits).
 * Times in the file are relative to `nowMs` (this instance's clock by default): the alerts are
 * current and the reports recent on whatever date the samples are loaded.
 */
export async function loadSamples(store: Store, file: string = SAMPLES_FILE, nowMs: number = wallClockMs()): Promise<{ created: number; present: number }> {
  const { records } = JSON.parse(readFileSync(file, 'utf8')) as { records: SampleRecord[] };
  const order = store.registry.dependencyOrder();
  const sorted = [...records].sort((a, b) => order.indexOf(a.resource) - order.indexOf(b.resource));
  return store.transaction(async (w) => {
    let created = 0;
    let present = 0;
    const byResource = new Map<string, SampleRecord[]>();
    for (const r of sorted) byResource.set(r.resource, [...(byResource.get(r.resource) ?? []), r]);
    for (const [resource, list] of byResource) {
      const have = await w.existing(resource, list.map((r) => r.uuid));
      const def = store.registry.get(resource);
      const fresh = list.filter((r) => !have.has(r.uuid));
      present += list.length - fresh.length;
      // Locations refer to their parents within the same resource: insert parents first.
      for (const r of fresh) {
        await w.insertLocal(def, [{ uuid: r.uuid, data: w.checkData(def, resolveRelativeTimes(r.data, nowMs), undefined, { uuid: r.uuid }) }]);
        created++;
      }
    }
    return { created, present };
  }, { kind: 'import', name: 'samples' });
}
