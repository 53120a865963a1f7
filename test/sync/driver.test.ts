import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { logger } from '../../src/log.js';
import type { Store } from '../../src/store/index.js';
import { acks, Peers } from '../../src/sync/index.js';
import { exportBundle } from '../../src/transports/bundle/export.js';
import { importBundle } from '../../src/transports/bundle/import.js';
import { syncPeerByRadio } from '../../src/transports/radio/engine.js';
import { stationPair } from '../radio/pair.js';
import { DB_KINDS, dropTestDatabases } from '../support/databases.js';
import { openStores, pairAll } from './support.js';

logger.level = process.env.TIDEMARK_LOG_LEVEL ?? 'silent';
after(() => dropTestDatabases());

const kinds = process.env.TIDEMARK_TEST_PG ? DB_KINDS : (['sqlite'] as const);

/** A bundle from `from` to `to`, imported there; its acknowledgement carried back. */
async function bundleRound(from: Store, to: Store): Promise<number> {
  const written = await exportBundle(from, { peer: to.instance.uuid });
  const imported = await importBundle(to, written.bytes);
  await importBundle(from, imported.ack!.bytes);
  return written.header.body.records;
}

for (const kind of kinds) {
  test(`a widened grant restarts sending from the start of the feed on bundles (${kind}), whichever side widened it`, async () => {
    const [a, b] = await openStores(kind, 2);
    try {
      await pairAll([a!, b!]);
      const sender = a!.instance.uuid;
      // B takes only organisations marked OK from A: the other one is refused, B's position moves past it.
      await new Peers(b!).configure(sender, { resources: ['org_organisation'], filters: { org_organisation: { acronym: 'OK' } } });
      await a!.create('org_organisation', { name: 'Granted relief org', acronym: 'OK' });
      const outside = await a!.create('org_organisation', { name: 'Outside the grant', acronym: 'NO' });
      assert.equal(await bundleRound(a!, b!), 2);
      assert.equal(await b!.get('org_organisation', outside.uuid, { includeDeleted: true }), undefined);
      assert.equal(await bundleRound(a!, b!), 0, "B's acknowledgement reached A: nothing left to send");

      // B widens what it takes from A. Its next bundle to A (a hello saying it holds nothing) restarts A's sending.
      await new Peers(b!).configure(sender, { filters: {} });
      const back = await exportBundle(b!, { peer: sender });
      assert.deepEqual((await importBundle(a!, back.bytes, { writeAck: false })).acknowledged, ['org_organisation']);
      assert.equal(await bundleRound(a!, b!), 2, 'sending restarted from the start of the feed');
      assert.equal((await b!.get('org_organisation', outside.uuid))?.data.acronym, 'NO', 'the record the narrower grant refused arrives');
      assert.equal(await bundleRound(a!, b!), 0, 'once acknowledged, the restart is not repeated');

      // A narrows, then widens, what it sends to B: the widening restarts A's sending too.
      await new Peers(a!).configure(b!.instance.uuid, { filters: { org_organisation: { acronym: 'OK' } } });
      const late = await a!.create('org_organisation', { name: 'Late outside the grant', acronym: 'NO' });
      await bundleRound(a!, b!);
      assert.equal(await b!.get('org_organisation', late.uuid, { includeDeleted: true }), undefined, "A's narrower grant leaves it out");
      await new Peers(a!).configure(b!.instance.uuid, { filters: {} });
      assert.equal(await bundleRound(a!, b!), 3);
      assert.ok(await b!.get('org_organisation', late.uuid));
      const ack = (await acks(a!.knex, b!.instance.uuid)).get('org_organisation');
      assert.equal(ack?.reset, false, 'the restart is spent');
      assert.equal(await bundleRound(a!, b!), 0);
    } finally {
      for (const s of [a, b]) await s?.close();
    }
  });

  test(`a widened grant restarts sending from the start of the feed over radio (${kind}), and an acknowledged restart is not repeated`, async () => {
    const [a, b] = await openStores(kind, 2);
    const link = await stationPair({ bitrate: 38_400, latencyMs: 5, loss: 0, corruption: 0, seed: 5 });
    const round = async (): Promise<number> => {
      const [ra] = await Promise.all([
        syncPeerByRadio(a!, b!.instance.uuid, link.a.session, 'initiator', { batchSize: 5 }),
        syncPeerByRadio(b!, a!.instance.uuid, link.b.session, 'responder', { batchSize: 5 }),
      ]);
      await link.a.session.linger(200);
      return ra.sent + ra.skipped;
    };
    try {
      await pairAll([a!, b!]);
      // A sends B only the organisations marked OK.
      await new Peers(a!).configure(b!.instance.uuid, { resources: ['org_organisation'], filters: { org_organisation: { acronym: 'OK' } } });
      await a!.create('org_organisation', { name: 'Granted relief org', acronym: 'OK' });
      const outside = await a!.create('org_organisation', { name: 'Outside the grant', acronym: 'NO' });
      assert.equal(await round(), 1);
      assert.equal(await b!.get('org_organisation', outside.uuid, { includeDeleted: true }), undefined);
      assert.equal(await round(), 0, 'acknowledged: nothing left to send');

      await new Peers(a!).configure(b!.instance.uuid, { filters: {} });
      assert.equal(await round(), 2, 'sending restarted from the start of the feed');
      assert.equal((await b!.get('org_organisation', outside.uuid))?.data.acronym, 'NO');
      assert.equal((await acks(a!.knex, b!.instance.uuid)).get('org_organisation')?.reset, false, 'the restart is spent');
      assert.equal(await round(), 0, 'once acknowledged, the restart is not repeated');
    } finally {
      await link.close();
      for (const s of [a, b]) await s?.close();
    }
  });
}
