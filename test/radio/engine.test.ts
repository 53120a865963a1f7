import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { logger } from '../../src/log.js';
import type { Store } from '../../src/store/index.js';
import { Peers } from '../../src/sync/peers.js';
import { buildHello } from '../../src/sync/pipeline.js';
import { estimateRadio, loadRadioKnowledge, pendingForPeer, syncPeerByRadio } from '../../src/transports/radio/engine.js';
import { DB_KINDS, dropTestDatabases } from '../support/databases.js';
import { loopSync, openStores, pairAll, snapshot } from '../sync/support.js';
import { stationPair, type Pair } from './pair.js';

logger.level = process.env.TIDEMARK_LOG_LEVEL ?? 'silent';

const kinds = process.env.TIDEMARK_TEST_PG ? DB_KINDS : (['sqlite'] as const);
const RESOURCES = ['org_organisation', 'med_hospital', 'med_hospital_status', 'cr_shelter'];

after(() => dropTestDatabases());

async function radioRound(pair: Pair, a: Store, b: Store) {
  const [ra, rb] = await Promise.all([
    syncPeerByRadio(a, b.instance.uuid, pair.a.session, 'initiator', { batchSize: 3 }),
    syncPeerByRadio(b, a.instance.uuid, pair.b.session, 'responder', { batchSize: 3 }),
  ]);
  await pair.a.session.linger(200);
  return { ra, rb };
}

for (const kind of kinds) {
  test(`two ${kind} instances converge through the sync engine over a lossy simulated radio link`, async () => {
    const [a, b] = await openStores(kind, 2);
    const pair = await stationPair({ bitrate: 38_400, latencyMs: 5, loss: 0.1, corruption: 0.02, seed: 31 });
    try {
      await pairAll([a!, b!]);
      const org = await a!.create('org_organisation', { name: 'District Health Office' });
      const hosp = await a!.create('med_hospital', { name: 'Riverside General', organisation_id: org.uuid, total_beds: 120 });
      const status = await a!.create('med_hospital_status', { hospital_id: hosp.uuid, ems_status: 1, facility_status: 1, morgue_units: 3 });
      const shelter = await b!.create('cr_shelter', { name: 'School 4', capacity_day: 300, status: 'Open' });
      const hosp2 = await b!.create('med_hospital', { name: 'Hill Clinic', total_beds: 12 });

      const first = await radioRound(pair, a!, b!);
      assert.equal(first.ra.sent, 3);
      assert.equal(first.rb.sent, 2);
      assert.equal(first.ra.received, 2);
      assert.deepStrictEqual(await snapshot(a!, RESOURCES), await snapshot(b!, RESOURCES));
      // Acknowledged positions moved: nothing is pending any more, and echoes are not sent back.
      const peerB = await new Peers(a!).get(b!.instance.uuid);
      assert.equal((await pendingForPeer(a!, peerB)).records.length, 0);
      // Each side's position in the other's feed moved as after an HTTP pull (the final payload
      // carries the part of the feed the turn covered), so the next sync by any carrier starts there.
      const helloA = await buildHello(a!, b!.instance.uuid, RESOURCES);
      const helloB = await buildHello(b!, a!.instance.uuid, RESOURCES);
      for (const r of ['org_organisation', 'med_hospital_status']) assert.equal(helloB.resources[r]!.have, helloA.resources[r]!.head, r);
      assert.equal(helloA.resources.cr_shelter!.have, helloB.resources.cr_shelter!.head);
      // So an HTTP sync right after the radio one moves nothing either way.
      const online = await loopSync(a!, b!);
      assert.equal(online.result, 'success');
      assert.deepEqual([online.received, online.sent], [0, 0]);

      // Changes on both sides: an update travels as a field delta, a deletion as a tombstone.
      await a!.update('med_hospital_status', status.uuid, { ems_status: 3, morgue_units: 9 });
      await b!.remove('cr_shelter', shelter.uuid);
      await b!.update('med_hospital', hosp2.uuid, { available_beds: 4 });
      const est = await estimateRadio(a!, b!.instance.uuid, 1200);
      // The hospital is pending too (a component change moves its master in the feed), but the
      // peer holds that version already: only the status travels.
      assert.equal(est.pending, 2);
      assert.equal(est.records, 1);
      assert.ok(est.bytes < 40, `one status update estimated at ${est.bytes} B`);
      const second = await radioRound(pair, a!, b!);
      assert.equal(second.ra.sent, 1);
      assert.equal(second.ra.skipped, 1);
      assert.equal(second.rb.sent, 2);
      // The hospital B re-sequenced on receiving the status came from A: it is not even collected.
      assert.equal(second.rb.skipped, 0);
      assert.ok(second.ra.payloadBytesSent < 40, `${second.ra.payloadBytesSent} B`);
      assert.deepStrictEqual(await snapshot(a!, RESOURCES), await snapshot(b!, RESOURCES));
      assert.equal((await a!.get('cr_shelter', shelter.uuid)), undefined, 'the deletion arrived');
      assert.equal((await a!.get('med_hospital_status', status.uuid))?.data.ems_status, 3);
      assert.equal((await b!.get('med_hospital_status', status.uuid))?.data.morgue_units, 9);

      // A merge travels as a tombstone with replaced_by, and the references follow it.
      const org2 = await b!.create('org_organisation', { name: 'District Health Office (duplicate)' });
      const hosp3 = await b!.create('med_hospital', { name: 'Lakeside', organisation_id: org2.uuid });
      await radioRound(pair, a!, b!);
      await a!.merge('org_organisation', org2.uuid, org.uuid);
      const merged = await radioRound(pair, a!, b!);
      assert.ok(merged.ra.sent >= 2);
      const tomb = await b!.get('org_organisation', org2.uuid, { includeDeleted: true });
      assert.equal(tomb?.deleted, true);
      assert.equal(tomb?.replaced_by, org.uuid);
      assert.equal((await b!.get('med_hospital', hosp3.uuid))?.data.organisation_id, org.uuid);
      assert.deepStrictEqual(await snapshot(a!, RESOURCES), await snapshot(b!, RESOURCES));

      // Nothing to exchange: one empty payload each way, under 100 bytes on air in all.
      await pair.sim.settled();
      const air0 = pair.sim.bytesOnAir();
      const third = await radioRound(pair, a!, b!);
      await pair.sim.settled();
      assert.ok(pair.sim.bytesOnAir() - air0 <= 100 + 2 * 256 * (pair.sim.stats[0].lost + pair.sim.stats[1].lost), `${pair.sim.bytesOnAir() - air0} B on air`);
      assert.equal(third.ra.sent + third.rb.sent + third.ra.received + third.rb.received, 0);
      const log = (await a!.knex('tm_sync_log').where({ peer: b!.instance.uuid, message: 'radio' })) as unknown[];
      assert.equal(log.length, 5);
    } finally {
      await pair.close();
      await a!.close();
      await b!.close();
    }
  });
}

for (const kind of kinds) {
  test(`${kind}: a radio sync cut off mid-way resumes, and payloads already applied do not travel again`, async () => {
    const [a, b] = await openStores(kind, 2);
    try {
      await pairAll([a!, b!]);
      for (let i = 0; i < 30; i++) await a!.create('med_hospital', { name: `Hospital ${i}`, total_beds: 10 + i });
      // Slow enough that the cut lands between two payloads.
      const pair1 = await stationPair({ bitrate: 4_800, latencyMs: 5, seed: 61 });
      const runs = Promise.allSettled([
        syncPeerByRadio(a!, b!.instance.uuid, pair1.a.session, 'initiator', { batchSize: 10 }),
        syncPeerByRadio(b!, a!.instance.uuid, pair1.b.session, 'responder', { batchSize: 10 }),
      ]);
      while ((await loadRadioKnowledge(a!, b!.instance.uuid)).outgoing.epoch < 1) await new Promise((r) => setTimeout(r, 5));
      await pair1.close();
      const [ra1, rb1] = await runs;
      assert.equal(ra1.status, 'rejected');
      assert.equal(rb1.status, 'rejected');
      const held = (await b!.list('med_hospital')).length;
      assert.ok(held >= 10 && held < 30, `B holds ${held} after the cut`);

      const pair2 = await stationPair({ bitrate: 38_400, latencyMs: 5, seed: 62 });
      try {
        const { ra } = await radioRound(pair2, a!, b!);
        assert.equal(ra.resets, 0);
        assert.equal(ra.sent + ra.skipped, 30, 'the position in the feed had not moved: all 30 are pending again');
        assert.ok(ra.skipped >= 10, `${ra.skipped} left out because B holds them`);
        assert.deepStrictEqual(await snapshot(a!, RESOURCES), await snapshot(b!, RESOURCES));
        assert.equal((await pendingForPeer(a!, await new Peers(a!).get(b!.instance.uuid))).records.length, 0);
      } finally {
        await pair2.close();
      }
    } finally {
      await a!.close();
      await b!.close();
    }
  });
}

for (const kind of kinds) {
  test(`radio obeys the grant (${kind}): only granted resources and records go out, received ungranted ones are refused`, async () => {
    const [a, b] = await openStores(kind, 2);
    const pair = await stationPair({ bitrate: 38_400, latencyMs: 5, loss: 0, corruption: 0, seed: 7 });
    try {
      await pairAll([a!, b!]);
      // B grants A organisations only, and of those only the ones marked OK. A sends everything.
      await new Peers(b!).configure(a!.instance.uuid, { resources: ['org_organisation'], filters: { org_organisation: { acronym: 'OK' } } });
      const granted = await a!.create('org_organisation', { name: 'Granted relief org', acronym: 'OK' });
      const outside = await a!.create('org_organisation', { name: 'Outside the filter', acronym: 'NO' });
      const shelterA = await a!.create('cr_shelter', { name: 'Confidential shelter A', capacity_day: 10 });
      const shelterB = await b!.create('cr_shelter', { name: 'Confidential shelter B', capacity_day: 20 });
      const orgB = await b!.create('org_organisation', { name: 'B org outside the filter', acronym: 'B' });
      const okB = await b!.create('org_organisation', { name: 'B org in the filter', acronym: 'OK' });
      const peerA = await new Peers(b!).get(a!.instance.uuid);
      assert.deepEqual((await pendingForPeer(b!, peerA)).records.map((r) => r.uuid), [okB.uuid], 'B collects only what A is granted');

      const { rb } = await radioRound(pair, a!, b!);
      assert.equal(rb.sent, 1);
      assert.ok(await b!.get('org_organisation', granted.uuid));
      for (const [res, uuid] of [['org_organisation', outside.uuid], ['cr_shelter', shelterA.uuid]] as const) {
        assert.equal(await b!.get(res, uuid, { includeDeleted: true }), undefined, `${res} ${uuid} refused by B`);
      }
      assert.ok(await a!.get('org_organisation', okB.uuid));
      assert.equal(await a!.get('cr_shelter', shelterB.uuid, { includeDeleted: true }), undefined);
      assert.equal(await a!.get('org_organisation', orgB.uuid, { includeDeleted: true }), undefined);
    } finally {
      await pair.close();
      await a!.close();
      await b!.close();
    }
  });
}
