import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { dropTestDatabases, freshDatabase, pgServerUrl } from '../support/databases.js';
import { serveInstance, type Instance } from './processes.js';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { acquireLease, createInvite, Peers, readSyncLog, releaseLease } from '../../src/sync/index.js';
import { addHttpPeer } from '../../src/transports/http/index.js';

after(dropTestDatabases);

const DAEMON = { TIDEMARK_DAEMON: '1', TIDEMARK_DAEMON_TICK_MS: '100', TIDEMARK_DAEMON_DEBOUNCE_MS: '200', TIDEMARK_DAEMON_BACKOFF_MS: '300' };

async function until(what: string, probe: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('the daemon pushes soon after a local change, backs off while the peer is down, and catches up', async () => {
  const dbA = await freshDatabase('sqlite');
  const dbB = await freshDatabase('sqlite');
  const a: Store = await openStore(dbA, { instanceName: 'alpha' });
  const b: Store = await openStore(dbB, { instanceName: 'bravo' });
  const A: Instance = await serveInstance(dbA, { env: DAEMON });
  let B: Instance = await serveInstance(dbB, { env: DAEMON });
  try {
    const { code } = await createInvite(b);
    await addHttpPeer(a, B.url, { code, myUrl: A.url });
    // A schedule of an hour: anything that moves within seconds was pushed on the change.
    await new Peers(a).configure(b.instance.uuid, { interval: 3600 });
    await new Peers(b).configure(a.instance.uuid, { interval: 3600 });
    await until('the first scheduled sync', async () => (await readSyncLog(a.knex)).some((l) => l.direction === 'sync' && l.result === 'success'));
    const org = await a.create('org_organisation', { name: 'pushed by the daemon' });
    await until('the change at bravo', async () => (await b.get('org_organisation', org.uuid)) !== undefined, 30_000);
    // And the other way round: bravo's daemon pushes bravo's change.
    const loc = await b.create('gis_location', { name: 'from bravo' });
    await until('the change at alpha', async () => (await a.get('gis_location', loc.uuid)) !== undefined, 30_000);

    // Peer down: failures are logged and counted, then the daemon catches up when it is back.
    const port = Number(new URL(B.url).port);
    await B.stop();
    await a.update('org_organisation', org.uuid, { name: 'changed while bravo was down' });
    await until('failures', async () => (await new Peers(a).get(b.instance.uuid)).failures >= 2);
    const errors = (await readSyncLog(a.knex, { result: 'error' })).length;
    assert.ok(errors >= 2);
    B = await serveInstance(dbB, { port, env: DAEMON });
    await until('catch-up', async () => (await b.get('org_organisation', org.uuid))?.data.name === 'changed while bravo was down', 30_000);
    const p = await new Peers(a).get(b.instance.uuid);
    await until('failures reset', async () => (await new Peers(a).get(b.instance.uuid)).failures === 0);
    assert.ok(p);
  } finally {
    await A.stop();
    await B.stop();
    await a.close();
    await b.close();
  }
});

test('one sync per peer at a time, across processes sharing one PostgreSQL database', async (t) => {
  try {
    pgServerUrl();
  } catch {
    t.skip('TIDEMARK_TEST_PG not set');
    return;
  }
  const db = await freshDatabase('postgres');
  const one = await openStore(db);
  const two = await openStore(db); // a second pool, as a second process would have
  try {
    const peer = '11111111-2222-4333-8444-555555555555';
    assert.equal(await acquireLease(one.knex, peer, 30_000, 'host-x:1:a'), true);
    assert.equal(await acquireLease(two.knex, peer, 30_000, 'host-y:2:b'), false);
    assert.equal(await acquireLease(one.knex, peer, 30_000, 'host-x:1:a'), true, 'the holder renews');
    await releaseLease(one.knex, peer, 'host-x:1:a');
    assert.equal(await acquireLease(two.knex, peer, 30_000, 'host-y:2:b'), true);
    // An expired lease is taken over.
    assert.equal(await acquireLease(one.knex, 'p2', -1, 'host-x:1:a'), true);
    assert.equal(await acquireLease(two.knex, 'p2', 30_000, 'host-y:2:b'), true);
    // Both at once: exactly one wins.
    const both = await Promise.all([acquireLease(one.knex, 'p3', 30_000, 'h:1:a'), acquireLease(two.knex, 'p3', 30_000, 'h:2:b')]);
    assert.equal(both.filter(Boolean).length, 1);
  } finally {
    await one.close();
    await two.close();
  }
});
