import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/open.js';
import { encodeCursor, decodeCursor, compareVersions, formatHlc, wallClockMs, type Store } from '../../src/store/index.js';
import { REFERENCE_DATA } from '../../src/registry/reference-data.js';
import { TidemarkError } from '../../src/errors.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';

const KES = REFERENCE_DATA.fin_currency!.find((c) => c.code === 'KES')!.uuid;
/** Eden's bed_type code for an adult ICU. */
const ADULT_ICU = 1;

after(dropTestDatabases);

async function rejects(p: Promise<unknown>, code: string, field?: string): Promise<TidemarkError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TidemarkError, `expected a TidemarkError, got ${String(e)}`);
    assert.equal(e.code, code, e.describe());
    if (field) assert.equal(e.where.field, field, e.describe());
    return e;
  }
  assert.fail('expected the call to be refused');
}

for (const kind of DB_KINDS) {
  describe(`record store on ${kind}`, () => {
    let store: Store;
    it('opens and migrates twice without harm, keeping the instance identity', async () => {
      const url = await freshDatabase(kind);
      const first = await openStore(url, { instanceName: 'district-office' });
      const id = first.instance.uuid;
      await first.close();
      store = await openStore(url);
      assert.equal(store.instance.uuid, id);
      assert.equal(store.instance.name, 'district-office');
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('ships reference data under the fixed uuids, outside the change feed', async () => {
      const currencies = await store.list('fin_currency');
      assert.deepEqual(currencies.map((b) => b.uuid).sort(), REFERENCE_DATA.fin_currency!.map((b) => b.uuid).sort());
      assert.equal((await store.changes('fin_currency', { after: 0 })).records.length, 0);
      await rejects(store.update('fin_currency', KES, { name: 'x' }), 'forbidden');
    });

    it('creates, updates, soft-deletes and hides tombstones from normal queries', async () => {
      const org = await store.create('org_organisation', { name: 'Relief Org', acronym: 'RO' });
      assert.match(org.uuid, /^urn:uuid:/);
      assert.match(org.created_on, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const office = await store.create('org_office', { name: 'North', organisation_id: org.uuid, obsolete: 'false' });
      assert.equal(office.data.obsolete, false);
      const updated = await store.update('org_office', office.uuid, { phone1: '+254 700 000' });
      assert.ok(updated.seq > office.seq);
      assert.equal(compareVersions(updated.version, office.version), 'newer');
      assert.equal((await store.get('org_office', office.uuid))!.data.phone1, '+254 700 000');
      await store.remove('org_office', office.uuid);
      assert.equal(await store.get('org_office', office.uuid), undefined);
      const tomb = await store.get('org_office', office.uuid, { includeDeleted: true });
      assert.equal(tomb!.deleted, true);
      assert.equal(tomb!.data.name, 'North');
      assert.ok(!(await store.list('org_office')).some((o) => o.uuid === office.uuid));
      assert.ok((await store.list('org_office', { includeDeleted: true })).some((o) => o.uuid === office.uuid));
    });

    it('deletes components with their master and moves the master in the feed when a component changes', async () => {
      const h = await store.create('med_hospital', { name: 'General Hospital', total_beds: 120 });
      const bed = await store.create('med_bed_capacity', { hospital_id: h.uuid, bed_type: ADULT_ICU, beds_available: 4 });
      const master = await store.get('med_hospital', h.uuid);
      assert.ok(master!.seq > h.seq, 'the hospital moved forward in the feed');
      await store.update('med_bed_capacity', bed.uuid, { beds_available: 2 });
      const page = await store.changes('med_hospital', { after: master!.seq });
      assert.deepEqual(page.records.map((r) => r.uuid), [h.uuid]);
      await store.remove('med_hospital', h.uuid);
      assert.equal((await store.get('med_bed_capacity', bed.uuid, { includeDeleted: true }))!.deleted, true);
    });

    it('merges: tombstone with replaced_by, references re-pointed as local changes', async () => {
      const keep = await store.create('org_organisation', { name: 'Health Action' });
      const dup = await store.create('org_organisation', { name: 'Health Action (dup)' });
      const o1 = await store.create('org_office', { name: 'A', organisation_id: dup.uuid });
      const o2 = await store.create('org_office', { name: 'B', organisation_id: dup.uuid });
      const { tombstone, repointed } = await store.merge('org_organisation', dup.uuid, keep.uuid);
      assert.equal(repointed, 2);
      assert.equal(tombstone.deleted, true);
      assert.equal(tombstone.replaced_by, keep.uuid);
      for (const o of [o1, o2]) {
        const now = await store.get('org_office', o.uuid);
        assert.equal(now!.data.organisation_id, keep.uuid);
        assert.ok(now!.seq > o.seq);
      }
      await rejects(store.merge('org_organisation', keep.uuid, keep.uuid), 'invalid');
    });

    it('refuses bad writes with the field named, and writes nothing', async () => {
      const before = await store.head();
      await rejects(store.create('org_office', { name: 'X', organisation_id: 'urn:uuid:00000000-0000-4000-8000-000000000000' }), 'invalid', 'organisation_id');
      await rejects(store.create('org_organisation', { name: 'X', bogus: 1 }), 'invalid', 'bogus');
      await rejects(store.create('org_organisation', { acronym: 'X' }), 'invalid', 'name');
      await rejects(store.create('med_hospital', { name: 'X', total_beds: 'many' }), 'invalid', 'total_beds');
      await rejects(store.create('cap_alert', { identifier: 'a', sender: 's', sent: 'yesterday', status: 'Actual', msg_type: 'Alert', scope: 'Public' }), 'invalid', 'sent');
      await rejects(store.create('cap_alert', { identifier: 'a', sender: 's', sent: '2026-01-01T00:00:00Z', status: 'Real', msg_type: 'Alert', scope: 'Public' }), 'invalid', 'status');
      await rejects(store.create('no_such_table', { name: 'X' }), 'not_found');
      assert.equal(await store.head(), before, 'no change sequence was consumed');
    });

    it('rolls a whole transaction back when any write in it fails', async () => {
      const count = await store.count('org_organisation');
      await assert.rejects(
        store.transaction(async (w) => {
          await w.create('org_organisation', { name: 'Kept?' });
          await w.create('org_organisation', { name: 'Bad', website: 42, country: 'TOO LONG' });
        }),
      );
      assert.equal(await store.count('org_organisation'), count);
    });

    it('reads zone-less timestamps as UTC and writes them with Z and milliseconds', async () => {
      const a = await store.create('cap_alert', { identifier: 'TZ-1', sender: 'met@example.org', sent: '2024-03-02T14:05:10', status: 'Actual', msg_type: 'Alert', scope: 'Public' });
      assert.equal(a.data.sent, '2024-03-02T14:05:10.000Z');
      const b = await store.create('cap_alert', { identifier: 'TZ-2', sender: 'met@example.org', sent: '2024-03-02T17:05:10+03:00', status: 'Actual', msg_type: 'Alert', scope: 'Public' });
      assert.equal(b.data.sent, '2024-03-02T14:05:10.000Z');
    });

    it('pages the change feed by sequence, tombstones included, with a time window', async () => {
      const made = [];
      for (let i = 0; i < 7; i++) made.push(await store.create('gis_location', { name: `Town ${i}`, lat: 1.5 + i, lon: 36.8 }));
      await store.remove('gis_location', made[3]!.uuid);
      let after = 0;
      const seen: string[] = [];
      for (;;) {
        const page = await store.changes('gis_location', { after, limit: 3 });
        seen.push(...page.records.map((r) => r.uuid));
        after = page.last;
        if (!page.more) break;
      }
      assert.deepEqual(new Set(seen), new Set(made.map((m) => m.uuid)));
      assert.equal(seen.length, 7, 'each record once, at its latest change');
      assert.equal(seen[seen.length - 1], made[3]!.uuid, 'the deletion is the newest change');
      const live = await store.changes('gis_location', { after: 0, includeDeleted: false });
      assert.equal(live.records.length, 6);
      const future = await store.changes('gis_location', { after: 0, since: '2999-01-01T00:00:00.000Z' });
      assert.equal(future.records.length, 0);
      const past = await store.changes('gis_location', { after: 0, until: '2000-01-01T00:00:00.000Z' });
      assert.equal(past.records.length, 0);
    });

    it('stores versions made elsewhere exactly, at new local sequence numbers', async () => {
      const peer = '11111111-2222-4333-8444-555555555555';
      // A peer whose clock runs a minute ahead (within TIDEMARK_MAX_CLOCK_AHEAD_S).
      const hlc = formatHlc(wallClockMs() + 60_000, 3);
      const [stored] = await store.applyVersions([
        {
          resource: 'org_organisation',
          uuid: 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001',
          created_on: '2025-01-01T00:00:00.000Z',
          modified_on: '2025-01-02T00:00:00.000Z',
          deleted: false,
          replaced_by: null,
          origin: peer,
          changed_by: peer,
          version: { [peer]: 3 },
          hlc,
          data: { name: 'From afar', acronym: null, organisation_type_id: null, country: 'KE', website: null, phone: null, comments: null },
        },
      ]);
      const got = await store.get('org_organisation', stored!.uuid);
      assert.deepEqual(got!.version, { [peer]: 3 });
      assert.equal(got!.hlc, hlc);
      assert.equal(got!.origin, peer);
      assert.equal(got!.data.country, 'KE');
      const mine = await store.create('org_organisation', { name: 'After' });
      assert.ok(mine.hlc > hlc, 'the local clock moved past the stamp it observed');
    });

    it('issues cursors that only this instance accepts', async () => {
      const c = encodeCursor(store.instance.uuid, 42);
      assert.equal(decodeCursor(c, store.instance.uuid), 42);
      assert.throws(() => decodeCursor(c, 'ffffffff-0000-4000-8000-000000000000'), /another instance/);
      assert.throws(() => decodeCursor('garbage!', store.instance.uuid), /not a cursor/);
    });

    it('gives every change its own sequence number under concurrent writers', async () => {
      const start = await store.head();
      const made = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create('gis_location', { name: `P${i}` })));
      const seqs = made.map((m) => m.seq).sort((a, b) => a - b);
      assert.equal(new Set(seqs).size, 20);
      assert.ok(seqs[0]! > start);
      await store.close();
    });
  });
}
