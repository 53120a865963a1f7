import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { exportDocuments } from '../../src/interchange/outbound.js';
import { importDocument, mapDocument, toS3xml, uuidV5 } from '../../src/interchange/inbound.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { example, fixture, refused, STANDARDS } from './support.js';

after(dropTestDatabases);

const HAVE = exportDocuments('edxl-have', fixture('hospitals.s3xml'))[0]!.xml;
const CAPS = exportDocuments('cap', fixture('alerts.s3xml')).map((d) => d.xml);
const opts = { schemasDir: STANDARDS };

describe('uuidv5', () => {
  it('matches the RFC 4122 test vector (DNS namespace, www.example.com)', () => {
    assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), 'urn:uuid:2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});

for (const kind of DB_KINDS) {
  describe(`standard documents into the store (${kind})`, () => {
    let store: Store;
    before(async () => {
      store = await openStore(await freshDatabase(kind), { instanceName: `inbound-${kind}` });
    });
    after(async () => store?.close());

    it('imports a HAVE document; pushing it again changes nothing', async () => {
      const first = await importDocument(store, 'edxl-have', HAVE, opts);
      assert.ok(first.created >= 7, JSON.stringify(first));
      const head = await store.head();
      const again = await importDocument(store, 'edxl-have', HAVE, opts);
      assert.equal(again.created + again.updated, 0, JSON.stringify(again));
      assert.equal(await store.head(), head, 'no new change numbers');
      const [h] = await store.list('med_hospital', { where: { gov_uuid: 'KE-MFL-10000' } });
      assert.equal(h!.uuid, uuidV5('edxl-have:KE-MFL-10000'), 'a stable uuid from the organisation identifier');
      assert.equal(h!.data.phone_emergency, '+254 716789388');
      const [status] = await store.list('med_hospital_status', { where: { hospital_id: h!.uuid } });
      assert.equal(status!.data.clinical_status, 2, "Eden's code for Full");
      assert.equal(status!.data.staffing, 2, "Eden's code for Insufficient");
      assert.equal(status!.data.or_status, 3, 'from its comment line, by label');
      assert.equal(status!.data.access_status, 'North gate road under water');
      const beds = await store.list('med_bed_capacity', { where: { hospital_id: h!.uuid } });
      assert.equal(beds.length, 2);
    });

    it('a newer report updates the same records; an older one is ignored', async () => {
      const newer = HAVE.replace(/2026-11-25T07:15:00.000Z/g, '2026-11-26T07:15:00.000Z').replace('<have:AvailableCount>4<', '<have:AvailableCount>1<');
      const r = await importDocument(store, 'edxl-have', newer, opts);
      assert.ok(r.updated >= 1, JSON.stringify(r));
      const [h] = await store.list('med_hospital', { where: { gov_uuid: 'KE-MFL-10000' } });
      const beds = await store.list('med_bed_capacity', { where: { hospital_id: h!.uuid } });
      assert.deepEqual(beds.map((b) => b.data.beds_available).sort(), [0, 1]);
      assert.equal((await store.list('med_hospital')).length, 2, 'no duplicate hospital');
      const older = await importDocument(store, 'edxl-have', HAVE, opts);
      assert.equal(older.created + older.updated, 0);
      const again = await store.list('med_bed_capacity', { where: { hospital_id: h!.uuid } });
      assert.deepEqual(again.map((b) => b.data.beds_available).sort(), [0, 1]);
    });

    it("matches a partner's hospital to an existing record with the same government identifier", async () => {
      const own = await store.create('med_hospital', { name: 'Mombasa Coast General', gov_uuid: 'KE-MFL-20000' });
      // The partner's report is newer than the record made here a moment ago.
      const later = new Date(Date.now() + 60_000).toISOString();
      const partner = HAVE.replace(/KE-MFL-10000/g, 'KE-MFL-20000').replace(/2026-11-25T07:15:00.000Z/g, later);
      await importDocument(store, 'edxl-have', partner, opts);
      const found = await store.list('med_hospital', { where: { gov_uuid: 'KE-MFL-20000' } });
      assert.equal(found.length, 1);
      assert.equal(found[0]!.uuid, own.uuid);
      assert.equal(found[0]!.data.name, 'Nairobi County Referral Hospital');
    });

    it('imports CAP alerts keyed by sender and identifier; a Cancel retires the alert it references', async () => {
      for (const c of CAPS) await importDocument(store, 'cap', c, opts);
      const alerts = await store.list('cap_alert', { includeDeleted: true });
      const byId = new Map(alerts.map((a) => [a.data.identifier, a]));
      assert.equal(byId.get('KRCS-2026-77')!.deleted, true, 'cancelled');
      assert.equal(byId.get('KMD-2026-1125-001')!.deleted, false);
      const infos = await store.list('cap_info', { where: { alert_id: byId.get('KMD-2026-1125-001')!.uuid } });
      assert.equal(infos.length, 2);
      const again = await importDocument(store, 'cap', CAPS[0]!, opts);
      assert.equal(again.created + again.updated, 0);
    });

    it('an Update replaces the alert it references (merge: tombstone replaced by the update)', async () => {
      const update = CAPS[0]!.replace('<cap:identifier>KMD-2026-1125-001<', '<cap:identifier>KMD-2026-1125-002<')
        .replace('<cap:msgType>Alert<', '<cap:msgType>Update<')
        .replace('<cap:sent>2026-11-23T06:00:00+00:00</cap:sent>', '<cap:sent>2026-11-23T09:00:00+00:00</cap:sent>')
        .replace('<cap:incidents>', '<cap:references>warnings@meteo.go.ke.example.org,KMD-2026-1125-001,2026-11-23T06:00:00+00:00</cap:references><cap:incidents>');
      await importDocument(store, 'cap', update, opts);
      const alerts = await store.list('cap_alert', { includeDeleted: true });
      const old = alerts.find((a) => a.data.identifier === 'KMD-2026-1125-001')!;
      const neu = alerts.find((a) => a.data.identifier === 'KMD-2026-1125-002')!;
      assert.equal(old.deleted, true);
      assert.equal(old.replaced_by, neu.uuid);
    });

    it('unwraps EDXL-DE 2.0 and 1.0 envelopes, routing each content object by type', async () => {
      const de = exportDocuments('edxl-de', fixture('hospitals.s3xml'))[0]!.xml;
      const r = await importDocument(store, 'edxl-de', de, opts);
      assert.deepEqual(r.contents, ['edxl-have']);
      const bush = await importDocument(store, 'edxl-de-1.0', example('edxl-de/1.0/valid/google-bushfire-with-cap12.xml'), opts);
      assert.ok(bush.contents.length >= 1 && bush.contents.every((c) => c === 'cap'));
      assert.ok(bush.created > 0);
      // S3XML records travel as they are; this instance has no organisation record, so leave that reference out.
      const records = fixture('hospitals.s3xml').replace(/<reference field="organisation_id"[^\n]*\n/, '');
      const s3 = exportDocuments('edxl-de', records, { content: 's3xml' })[0]!.xml;
      const viaS3 = await importDocument(store, 'edxl-de', s3, opts);
      assert.deepEqual(viaS3.contents, ['s3xml']);
      assert.ok(await store.get('med_hospital', 'urn:uuid:1b6ac8a2-e7a0-530d-a18f-8ef51eb2bb72'));
    });

    it('refuses bad input and writes nothing', async () => {
      const head = await store.head();
      await refused(() => importDocument(store, 'edxl-have', '<have:HospitalStatus', opts), 'malformed');
      const wrongRoot = await refused(() => importDocument(store, 'edxl-have', CAPS[0]!, opts), 'malformed');
      assert.match(wrongRoot.message, /not a edxl-have document/);
      const invalid = await refused(() => importDocument(store, 'edxl-have', example('edxl-have/1.0/invalid/have-bad-enum-missing-lastupdate.xml'), opts), 'malformed');
      assert.equal(invalid.where.line, 40);
      assert.equal(invalid.where.element, 'EMSTrafficStatus');
      await refused(() => importDocument(store, 'edxl-de', example('edxl-de/2.0/valid/de2-other-content-polygon.xml'), opts), 'unsupported');
      const unknown = exportDocuments('edxl-de', fixture('alerts.s3xml'))[0]!.xml.replace(
        /<cap:alert[^>]*>[\s\S]*?<\/cap:alert>/,
        '<x:thing xmlns:x="urn:example:unknown"/>',
      );
      const e = await refused(() => importDocument(store, 'edxl-de', unknown), 'unsupported');
      assert.match(e.message, /unknown type \{urn:example:unknown\}thing/);
      await refused(() => importDocument(store, 'cap', CAPS[0]!, { maxBytes: 100 }), 'too_large');
      await refused(() => importDocument(store, 'cap', CAPS[0]!, { allowedResources: ['med_hospital'] }), 'forbidden');
      assert.equal(await store.head(), head);
    });
  });
}

describe('mapping without a store', () => {
  it('maps the official CAP examples (validated first) to S3XML', async () => {
    for (const f of ['google-thunderstorm', 'google-wcatwc-warning', 'google-australia']) {
      const [s3] = await toS3xml('cap', example(`cap/1.2/valid/${f}.xml`), opts);
      assert.match(s3!, /<resource name="cap_alert" uuid="urn:uuid:[0-9a-f-]{36}"/);
    }
    assert.equal(mapDocument('edxl-have', example('edxl-have/1.0/valid/have-two-hospitals.xml'), opts).s3xml.length, 1);
  });
});
