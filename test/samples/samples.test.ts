import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { loadSamples } from '../../src/samples/load.js';
import { resolveRelativeTime } from '../../src/samples/relative-time.js';
import { exportFromStore, registerInterchangeFormats } from '../../src/interchange/records.js';
import { getFormat } from '../../src/interchange/formats.js';
import { parseXml } from '../../src/interchange/xml.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';

after(dropTestDatabases);

const HOUR = 3_600_000;
const YEARS_AHEAD = Date.UTC(2031, 5, 1) - Date.UTC(2026, 5, 1);

/** Every record of the resources whose values depend on time, by uuid. */
async function snapshot(store: Store): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const r of ['cap_alert', 'cap_info', 'med_bed_capacity', 'med_hospital_activity', 'med_hospital']) {
    for (const rec of await store.list(r)) out.set(rec.uuid, rec.data as Record<string, unknown>);
  }
  return out;
}

describe('relative times in the sample data set', () => {
  it('resolve against the load time, floored to the hour or the day', () => {
    const at = Date.UTC(2040, 1, 29, 13, 47, 12);
    assert.equal(resolveRelativeTime({ $now: '-6h' }, at), '2040-02-29T07:00:00.000Z');
    assert.equal(resolveRelativeTime({ $now: '+3d' }, at), '2040-03-03T13:00:00.000Z');
    assert.equal(resolveRelativeTime({ $today: '-1d' }, at), '2040-02-28T00:00:00.000Z');
    assert.throws(() => resolveRelativeTime({ $now: 'yesterday' }, at), /relative time offset/);
  });
});

for (const kind of DB_KINDS) {
  describe(`sample data set on ${kind}`, () => {
    it('is current whenever it is loaded, with the same uuids and values, and loading twice changes nothing', async () => {
      const started = Date.now();
      const today = await openStore(await freshDatabase(kind));
      const later = await openStore(await freshDatabase(kind));
      try {
        const first = await loadSamples(today, undefined, started);
        assert.ok(first.created > 500, `${first.created} records`);
        const again = await loadSamples(today, undefined, started + 7 * 24 * HOUR);
        assert.deepEqual(again, { created: 0, present: first.created });
        await loadSamples(later, undefined, started + YEARS_AHEAD);

        for (const store of [today, later]) {
          const now = store === today ? started : started + YEARS_AHEAD;
          const infos = await store.list('cap_info');
          assert.equal(infos.length, 4);
          for (const info of infos) {
            const d = info.data as { expires: string; effective: string };
            assert.ok(Date.parse(d.expires) > now + 24 * HOUR, `alert expires ${d.expires}, loaded at ${new Date(now).toISOString()}`);
            assert.ok(Date.parse(d.effective) <= now, `alert effective ${d.effective}`);
          }
          for (const beds of await store.list('med_bed_capacity')) {
            const age = now - Date.parse((beds.data as { date: string }).date);
            assert.ok(age >= 0 && age < 8 * HOUR, `bed report ${age / HOUR} h old`);
          }
        }

        // Same uuids, same values; only the instants moved, and all by the same span.
        const a = await snapshot(today);
        const b = await snapshot(later);
        assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
        const shift = Math.floor((started + YEARS_AHEAD) / HOUR) * HOUR - Math.floor(started / HOUR) * HOUR;
        for (const [uuid, data] of a) {
          const other = b.get(uuid)!;
          for (const [field, value] of Object.entries(data)) {
            if (['sent', 'effective', 'onset', 'expires'].includes(field) || (field === 'date' && 'beds_baseline' in data)) {
              assert.equal(Date.parse(other[field] as string) - Date.parse(value as string), shift, `${uuid} ${field}`);
            } else if (field !== 'date') {
              assert.deepEqual(other[field], value, `${uuid} ${field}`);
            }
          }
        }
      } finally {
        await today.close();
        await later.close();
      }
    });
  });
}

describe('the CAP Atom feed of the samples', () => {
  it("lists the alerts current by this instance's clock: all of them now, none on a clock moved years ahead", async () => {
    registerInterchangeFormats();
    const store = await openStore(await freshDatabase('sqlite'));
    const entries = async (): Promise<number> => {
      const { documents } = await exportFromStore(store, 'cap-atom', getFormat('cap-atom'), {});
      return parseXml(documents[0]!.xml).find('//*[local-name()="entry"]').length;
    };
    try {
      await loadSamples(store);
      assert.equal(await entries(), 4);
      process.env.TIDEMARK_CLOCK_OFFSET_MS = String(YEARS_AHEAD);
      assert.equal(await entries(), 0, 'five years on, the sample alerts loaded today have expired');
    } finally {
      delete process.env.TIDEMARK_CLOCK_OFFSET_MS;
      await store.close();
    }
  });
});
