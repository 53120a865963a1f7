import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { dropTestDatabases } from '../support/databases.js';
import { LoopbackCarrier, loopSync, openStores, pairAll } from './support.js';
import { inWindow, parseWindow, peerStatuses, Peers, readSyncLog, startDaemon, windowOpensAt } from '../../src/sync/index.js';
import { TidemarkError } from '../../src/errors.js';

after(dropTestDatabases);

/** Local `hh:mm` on the day of `base` (the test's start), as the daemon's clock reads it. */
const at = (base: number, hh: number, mm: number, dayOffset = 0): number => {
  const d = new Date(base);
  d.setDate(d.getDate() + dayOffset);
  d.setHours(hh, mm, 0, 0);
  return d.getTime();
};

test('an off-peak window: read across midnight, and the opening instant found from any hour', () => {
  const base = Date.now();
  assert.equal(inWindow('22:00-06:00', at(base, 23, 10)), true);
  assert.equal(inWindow('22:00-06:00', at(base, 5, 59)), true);
  assert.equal(inWindow('22:00-06:00', at(base, 6, 0)), false);
  assert.equal(inWindow('01:30-04:00', at(base, 1, 30)), true);
  assert.equal(inWindow(undefined, at(base, 12, 0)), true);
  assert.equal(windowOpensAt('22:00-06:00', at(base, 12, 0) + 17_123), at(base, 22, 0));
  assert.equal(windowOpensAt('01:30-04:00', at(base, 4, 0)), at(base, 1, 30, 1));
  assert.equal(windowOpensAt('22:00-06:00', at(base, 23, 0)), at(base, 23, 0));
  for (const bad of ['22-06', '25:00-06:00', '10:00-10:00', '']) {
    assert.throws(() => parseWindow(bad), (e) => e instanceof TidemarkError && e.code === 'invalid' && e.where.field === 'window', bad);
  }
});

test("the daemon starts no scheduled sync outside the window (its own clock moved), a manual sync still runs, and the next run waits for the window", async () => {
  const [a, b] = await openStores('sqlite', 2);
  const base = Date.now();
  let now = at(base, 12, 0);
  const peers = new Peers(a!);
  try {
    await pairAll([a!, b!]);
    // A URL makes the peer one this instance calls on a schedule; the carrier stays in-process.
    await peers.save({ ...(await peers.get(b!.instance.uuid)), url: 'http://127.0.0.1:9' });
    await peers.configure(b!.instance.uuid, { window: '22:00 - 06:00', interval: 600 });
    assert.equal((await peers.effective(await peers.get(b!.instance.uuid))).window, '22:00-06:00');
    await assert.rejects(peers.configure(b!.instance.uuid, { window: '9 to 5' }), (e) => e instanceof TidemarkError && e.where.field === 'window');
    await a!.create('org_organisation', { name: 'waits for the night' });

    const daemon = startDaemon(a!, { carrierFor: () => new LoopbackCarrier(b!, a!.instance.uuid), tickMs: 3_600_000, now: () => now });
    try {
      const syncs = async (): Promise<number> => (await readSyncLog(a!.knex, { direction: 'sync' })).length;
      await daemon.tick();
      await daemon.idle();
      assert.equal(await syncs(), 0, 'noon: outside the window, nothing starts');
      const [st] = await peerStatuses(a!, now);
      assert.equal(st!.nextRun, new Date(at(base, 22, 0)).toISOString(), 'the overview promises the opening of the window');
      assert.equal(st!.window, '22:00-06:00');

      // Sync now, asked for by a person: runs at any hour.
      assert.equal((await loopSync(a!, b!)).result, 'success');
      assert.equal(await syncs(), 1);
      await a!.create('org_organisation', { name: 'made at one in the afternoon' });
      now = at(base, 13, 0);
      await daemon.tick();
      await daemon.idle();
      assert.equal(await syncs(), 1, 'a local change outside the window waits too');

      now = at(base, 22, 30);
      await daemon.tick();
      await daemon.idle();
      assert.equal(await syncs(), 2, 'inside the window the daemon syncs');
      assert.equal((await b!.list('org_organisation', { search: 'afternoon' })).length, 1);

      // Removing the window: the daemon may sync at any hour again.
      await peers.configure(b!.instance.uuid, { window: 'none' });
      assert.equal((await peers.effective(await peers.get(b!.instance.uuid))).window, undefined);
      await a!.create('org_organisation', { name: 'made at noon the next day' });
      now = at(base, 12, 0, 1);
      await daemon.tick();
      await daemon.idle();
      assert.equal(await syncs(), 3);
    } finally {
      await daemon.stop();
    }
  } finally {
    await a!.close();
    await b!.close();
  }
});
