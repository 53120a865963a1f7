import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, dropTestDatabases } from '../support/databases.js';
import { LoopbackCarrier, loopSync, openStores, pairAll, snapshot } from './support.js';
import { applyPage, collectPage, listConflicts, Peers, purgeTombstones, reverseConflict, readSyncLog, syncableResources, type PolicyName } from '../../src/sync/index.js';
import type { Store } from '../../src/store/index.js';
import { TidemarkError } from '../../src/errors.js';

after(dropTestDatabases);

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const RES = ['org_organisation', 'org_office', 'gis_location'];

async function same(stores: Store[]): Promise<void> {
  const first = await snapshot(stores[0]!, RES);
  for (const s of stores.slice(1)) assert.deepEqual(await snapshot(s, RES), first);
}

async function closeAll(stores: Store[]): Promise<void> {
  for (const s of stores) await s.close();
}

for (const kind of DB_KINDS) {
  describe(`sync engine on ${kind}`, () => {
    test('changes travel both ways, a no-op sync is one round trip, pages apply once', async () => {
      const [a, b] = await openStores(kind, 2);
      try {
        await pairAll([a!, b!]);
        const org = await a!.create('org_organisation', { name: 'IFRC' });
        const loc = await b!.create('gis_location', { name: 'Kathmandu', level: 'L1' });
        await b!.create('org_office', { name: 'KTM office', organisation_id: org.uuid, location_id: loc.uuid }).catch(() => undefined);
        const r1 = await loopSync(a!, b!);
        assert.equal(r1.result, 'success');
        assert.equal(r1.received, 1);
        assert.equal(r1.sent, 1);
        await b!.create('org_office', { name: 'KTM office', organisation_id: org.uuid, location_id: loc.uuid });
        await a!.remove('org_organisation', org.uuid);
        await loopSync(b!, a!);
        await same([a!, b!]);
        assert.equal((await b!.get('org_organisation', org.uuid, { includeDeleted: true }))!.deleted, true);
        const noop = await loopSync(a!, b!);
        assert.equal(noop.roundTrips, 1);
        assert.equal(noop.received + noop.sent, 0);
        const noop2 = await loopSync(b!, a!);
        assert.equal(noop2.roundTrips, 1);

        // The same page twice: the second is a no-op; a page that does not start where the
        // receiver stands is refused.
        await a!.update('gis_location', loc.uuid, { name: 'Kathmandu Valley' }).catch(async () => {
          await a!.create('gis_location', { name: 'Pokhara' });
        });
        const page = await collectPage(a!, b!.instance.uuid, 'gis_location', null);
        const first = await applyPage(b!, a!.instance.uuid, JSON.parse(JSON.stringify(page)), { policy: 'NEWER' });
        const again = await applyPage(b!, a!.instance.uuid, JSON.parse(JSON.stringify(page)), { policy: 'NEWER' });
        assert.equal(again.duplicate, true);
        assert.ok(first.duplicate === false || first.applied === 0);
        const refused = (code: string) => (e: unknown) => e instanceof TidemarkError && e.code === code;
        // A cursor this peer never issued is malformed; a real one past where b stands needs a new handshake.
        await assert.rejects(applyPage(b!, a!.instance.uuid, { ...page, from: 'bm90LWEtY3Vyc29y', cursor: 'eHh4' }, { policy: 'NEWER' }), refused('malformed'));
        await a!.create('gis_location', { name: 'Bhaktapur' });
        const skipped = await collectPage(a!, b!.instance.uuid, 'gis_location', page.cursor);
        await a!.create('gis_location', { name: 'Lalitpur' });
        const ahead = await collectPage(a!, b!.instance.uuid, 'gis_location', skipped.cursor);
        await assert.rejects(applyPage(b!, a!.instance.uuid, ahead, { policy: 'NEWER' }), refused('handshake_needed'));
        await loopSync(a!, b!);
        await same([a!, b!]);
      } finally {
        await closeAll([a!, b!]);
      }
    });

    for (const [policy, expect] of [
      ['THIS', 'a'],
      ['OTHER', 'b'],
      ['NEWER', 'b'],
      ['MASTER', 'a'],
    ] as const) {
      test(`conflict policy ${policy}: both sides converge and the loser is logged`, async () => {
        const [a, b] = await openStores(kind, 2);
        try {
          await pairAll([a!, b!]);
          await new Peers(a!).configure(b!.instance.uuid, { policy: policy as PolicyName });
          const org = await a!.create('org_organisation', { name: 'start' });
          await loopSync(a!, b!);
          await a!.update('org_organisation', org.uuid, { name: 'edit at a' });
          await pause(5);
          await b!.update('org_organisation', org.uuid, { name: 'edit at b' }); // later: NEWER picks b
          const r = await loopSync(a!, b!);
          assert.equal(r.conflicts, 1);
          await loopSync(a!, b!);
          await same([a!, b!]);
          const got = (await b!.get('org_organisation', org.uuid))!.data.name;
          assert.equal(got, expect === 'a' ? 'edit at a' : 'edit at b');
          const [c] = await listConflicts(a!);
          assert.ok(c);
          assert.equal(c.policy, policy);
          const lost = c.decision.fields.name![1];
          assert.equal(lost, expect === 'a' ? 'edit at b' : 'edit at a');
          // Both sides list the conflict, with the same decision.
          const onB = await listConflicts(b!);
          assert.deepEqual(onB.map((x) => x.decision.id), [c.decision.id]);
          // Reversing the decision brings the loser back everywhere.
          await reverseConflict(a!, c.id);
          await loopSync(a!, b!);
          await same([a!, b!]);
          assert.equal((await b!.get('org_organisation', org.uuid))!.data.name, lost);
        } finally {
          await closeAll([a!, b!]);
        }
      });
    }

    test('deletion rule: an update made after the delete brings the record back on both sides', async () => {
      const [a, b] = await openStores(kind, 2);
      try {
        await pairAll([a!, b!]);
        const x = await a!.create('org_organisation', { name: 'x' });
        const y = await a!.create('org_organisation', { name: 'y' });
        await loopSync(a!, b!);
        // (Pauses: unsynced instances order changes by their clocks, at millisecond resolution.)
        await a!.remove('org_organisation', x.uuid); // delete first ...
        await pause(5);
        await b!.update('org_organisation', x.uuid, { name: 'x edited later' }); // ... update after it
        await b!.update('org_organisation', y.uuid, { name: 'y edited first' }); // update first ...
        await pause(5);
        await a!.remove('org_organisation', y.uuid); // ... delete after it
        await loopSync(b!, a!);
        await loopSync(a!, b!);
        await same([a!, b!]);
        for (const s of [a!, b!]) {
          const gx = await s.get('org_organisation', x.uuid);
          assert.equal(gx?.data.name, 'x edited later', 'live again');
          assert.equal(await s.get('org_organisation', y.uuid), undefined, 'stays deleted');
        }
        const rules = (await listConflicts(a!)).concat(await listConflicts(b!)).map((c) => c.rule).sort();
        assert.deepEqual([...new Set(rules)], ['delete-wins', 'update-after-delete']);
      } finally {
        await closeAll([a!, b!]);
      }
    });

    test('a merge travels and re-points references the merging side never saw', async () => {
      const [a, b] = await openStores(kind, 2);
      try {
        await pairAll([a!, b!]);
        const keep = await a!.create('org_organisation', { name: 'Red Cross' });
        const dup = await a!.create('org_organisation', { name: 'Red-Cross' });
        await loopSync(a!, b!);
        const office = await b!.create('org_office', { name: 'Field office', organisation_id: dup.uuid });
        await a!.merge('org_organisation', dup.uuid, keep.uuid);
        await loopSync(b!, a!);
        await loopSync(a!, b!);
        await same([a!, b!]);
        for (const s of [a!, b!]) {
          assert.equal((await s.get('org_office', office.uuid))!.data.organisation_id, keep.uuid);
          const t = (await s.get('org_organisation', dup.uuid, { includeDeleted: true }))!;
          assert.equal(t.deleted, true);
          assert.equal(t.replaced_by, keep.uuid);
        }
      } finally {
        await closeAll([a!, b!]);
      }
    });

    test('filters: only matching records travel; a changed filter sends what newly matches', async () => {
      const [a, b] = await openStores(kind, 2);
      try {
        await pairAll([a!, b!]);
        const o1 = await a!.create('org_organisation', { name: 'one' });
        const o2 = await a!.create('org_organisation', { name: 'two' });
        for (const o of [o1, o2]) for (let i = 0; i < 3; i++) await a!.create('org_office', { name: `${o.data.name} ${i}`, organisation_id: o.uuid });
        await new Peers(b!).configure(a!.instance.uuid, { filters: { org_office: { organisation_id: o1.uuid } } });
        await loopSync(b!, a!);
        assert.equal(await b!.count('org_office'), 3);
        await new Peers(b!).configure(a!.instance.uuid, { filters: { org_office: { organisation_id: o2.uuid } } });
        await loopSync(b!, a!);
        assert.equal(await b!.count('org_office'), 6);
      } finally {
        await closeAll([a!, b!]);
      }
    });

    test('bad pages are refused whole, naming the problem', async () => {
      const [a, b] = await openStores(kind, 2);
      try {
        await pairAll([a!, b!]);
        await a!.create('org_organisation', { name: 'ok' });
        const page = await collectPage(a!, b!.instance.uuid, 'org_organisation', null);
        const good = page.records[0]!;
        const bad = { ...good, uuid: 'urn:uuid:99999999-9999-4999-8999-999999999999', data: { name: 'x', no_such_field: 1 } };
        await assert.rejects(applyPage(b!, a!.instance.uuid, { ...page, records: [good, bad] }, { policy: 'NEWER' }), /no_such_field/);
        await assert.rejects(applyPage(b!, a!.instance.uuid, { ...page, resource: 'no_such_table' }, { policy: 'NEWER' }), /unknown resource/);
        await assert.rejects(applyPage(b!, a!.instance.uuid, { ...page, records: [{ ...good, version: 'x' }] }, { policy: 'NEWER' }), /version/);
        await assert.rejects(applyPage(b!, a!.instance.uuid, { ...page, records: [{ ...good, data: {} }] }, { policy: 'NEWER' }), /value required/);
        assert.equal(await b!.count('org_organisation'), 0);
      } finally {
        await closeAll([a!, b!]);
      }
    });

    test('an interrupted sync resumes where it stopped, at every point', async () => {
      const [a, b] = await openStores(kind, 2);
      try {
        await pairAll([a!, b!]);
        for (let i = 0; i < 25; i++) await a!.create('gis_location', { name: `a${i}` });
        for (let i = 0; i < 25; i++) await b!.create('gis_location', { name: `b${i}` });
        // Count the messages of a full sync on copies of the same shape first.
        let n = 1;
        for (;;) {
          const carrier = new LoopbackCarrier(b!, a!.instance.uuid);
          carrier.failAt = { n, after: n % 2 === 0 };
          const peer = await new Peers(a!).get(b!.instance.uuid);
          const r = await (await import('../../src/sync/index.js')).syncPeer(a!, peer, carrier, { limit: 7 });
          if (r.result === 'success') break;
          assert.equal(r.result, 'error');
          n++;
          assert.ok(n < 60);
        }
        await loopSync(a!, b!);
        await same([a!, b!]);
        assert.equal(await a!.count('gis_location'), 50);
        const log = await readSyncLog(a!.knex, { limit: 100 });
        assert.ok(log.some((l) => l.result === 'error') && log.some((l) => l.result === 'success'));
      } finally {
        await closeAll([a!, b!]);
      }
    });

    test('clocks hours apart: the sides converge and the losing change is kept', async () => {
      const [a, b] = await openStores(kind, 2);
      try {
        await pairAll([a!, b!]);
        const org = await a!.create('org_organisation', { name: 'v0' });
        await loopSync(a!, b!);
        // Stamps more than TIDEMARK_MAX_CLOCK_AHEAD_S ahead are refused (a forged clock must not win
        // every later decision); a network whose clocks are known to be hours off raises the bound.
        process.env.TIDEMARK_MAX_CLOCK_AHEAD_S = String(12 * 3600);
        process.env.TIDEMARK_CLOCK_OFFSET_MS = String(5 * 3600_000); // a is five hours fast
        await a!.update('org_organisation', org.uuid, { name: 'from fast a' });
        process.env.TIDEMARK_CLOCK_OFFSET_MS = String(-3 * 3600_000); // b three hours slow
        await b!.update('org_organisation', org.uuid, { name: 'from slow b' });
        await loopSync(b!, a!);
        // Later edits on the slow side still win over what it has seen: the HLC moved past a's.
        await b!.update('org_organisation', org.uuid, { name: 'b again' });
        delete process.env.TIDEMARK_CLOCK_OFFSET_MS;
        await loopSync(a!, b!);
        await same([a!, b!]);
        assert.equal((await a!.get('org_organisation', org.uuid))!.data.name, 'b again');
        const lost = (await listConflicts(b!)).map((c) => c.decision.fields.name?.[1]);
        assert.deepEqual(lost, ['from slow b']);
      } finally {
        delete process.env.TIDEMARK_CLOCK_OFFSET_MS;
        delete process.env.TIDEMARK_MAX_CLOCK_AHEAD_S;
        await closeAll([a!, b!]);
      }
    });

    test('tombstones are purged only once every peer has acknowledged them', async () => {
      const [a, b, c] = await openStores(kind, 3);
      try {
        await pairAll([a!, b!, c!]);
        const x = await a!.create('org_organisation', { name: 'gone soon' });
        await a!.remove('org_organisation', x.uuid);
        await loopSync(a!, b!);
        assert.deepEqual((await purgeTombstones(a!)).find((r) => r.resource === 'org_organisation'), { resource: 'org_organisation', purged: 0, kept: 1 });
        await loopSync(a!, c!);
        await loopSync(a!, b!); // b tells a how far it holds a's feed
        assert.deepEqual((await purgeTombstones(a!)).find((r) => r.resource === 'org_organisation'), { resource: 'org_organisation', purged: 1, kept: 0 });
        assert.equal(await a!.get('org_organisation', x.uuid, { includeDeleted: true }), undefined);
        assert.ok(syncableResources(a!.registry).includes('org_organisation'));
      } finally {
        await closeAll([a!, b!, c!]);
      }
    });
  });
}
