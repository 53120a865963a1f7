import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import libxml from 'libxmljs2';
import { importRecords } from '../../src/s3xml/index.js';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { populate } from '../../samples/synthetic.js';
import { comparable, exportText, schemaProblems, seed } from './support.js';

after(dropTestDatabases);

for (const kind of DB_KINDS) {
  describe(`S3XML export and round trip on ${kind}`, () => {
    let a: Store;
    let ids: Record<string, string>;
    after(async () => {
      await a?.close();
    });

    it('exports records the way Eden writes them, valid against xsd/s3xml.xsd', async () => {
      a = await openStore(await freshDatabase(kind));
      ids = await seed(a);
      const { text, summary } = await exportText(a, { includeDeleted: true });
      assert.deepEqual(schemaProblems(text), []);
      const doc = libxml.parseXml(text);
      const root = doc.root()!;
      assert.equal(root.name(), 's3xml');
      assert.equal(root.attr('success')!.value(), 'true');
      assert.equal(Number(root.attr('results')!.value()), summary.count);
      assert.equal(root.attr('cursor')!.value(), summary.cursor);
      // Referenced resources come first: locations and organisations before offices and hospitals.
      const names = doc.find('/s3xml/resource').map((r) => (r as libxml.Element).attr('name')!.value());
      assert.ok(names.indexOf('gis_location') < names.indexOf('org_office'));
      assert.ok(names.lastIndexOf('org_organisation') < names.indexOf('med_hospital'));
      assert.ok(!names.includes('med_bed_capacity'), 'components travel nested, not at the top level');
      assert.ok(!names.includes('med_bed_type'), 'reference data is not exported unless asked for');

      const h1 = doc.get(`/s3xml/resource[@uuid="${ids.h1}"]`) as libxml.Element;
      assert.match(h1.attr('created_on')!.value(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal((h1.get('data[@field="name"]') as libxml.Element).text(), 'Jaramogi Hospital');
      assert.ok(!(h1.get('data[@field="name"]') as libxml.Element).attr('value'), 'strings carry text only');
      assert.equal((h1.get('data[@field="total_beds"]') as libxml.Element).attr('value')!.value(), '450');
      assert.equal((h1.get('data[@field="obsolete"]') as libxml.Element).attr('value')!.value(), 'false');
      assert.ok(!h1.get('data[@field="phone_business"]'), 'unset fields are left out');
      const loc = h1.get('reference[@field="location_id"]') as libxml.Element;
      assert.equal(loc.attr('resource')!.value(), 'gis_location');
      assert.equal(loc.attr('uuid')!.value(), ids.loc);
      assert.equal(loc.attr('lat')!.value(), '-0.0917');
      assert.equal(loc.attr('lon')!.value(), '34.7680');
      assert.equal(loc.text(), 'Kisumu <town> & "port"');
      const beds = h1.find('resource[@name="med_bed_capacity"]') as libxml.Element[];
      assert.equal(beds.length, 2);
      assert.equal(beds[0]!.attr('alias')!.value(), 'bed_capacity');
      assert.ok(!beds[0]!.get('reference[@field="hospital_id"]'), 'the join to the master is implied by nesting');
      const date = beds[0]!.get('data[@field="date"]') as libxml.Element;
      assert.equal(date.attr('value')!.value(), '2026-03-01T08:00:00', "datetimes unquoted, in Eden's form (UTC, no zone)");
      assert.equal(date.text(), '2026-03-01 08:00');
      const bedType = beds[0]!.get('data[@field="bed_type"]') as libxml.Element;
      assert.equal(bedType.attr('value')!.value(), '1', "Eden's rule: the stored code in value...");
      assert.equal(bedType.text(), 'Adult ICU', '...and its label as text');
      assert.equal((h1.get('data[@field="obsolete"]') as libxml.Element).text(), 'False');
      const cs = beds[0]!.get('data[@field="capacity_status"]') as libxml.Element;
      assert.equal(cs.attr('value')!.value(), '"VacantAvailable"', 'an option string is JSON-quoted in value');
      assert.equal(cs.text(), 'VacantAvailable');
      assert.equal((h1.get('resource[@name="med_hospital_status"]') as libxml.Element).attr('alias')!.value(), 'status');
      for (const attr of ['tm_origin', 'tm_changed_by', 'tm_version', 'tm_hlc']) assert.ok(h1.attr(attr), `${attr} written`);
      assert.deepEqual(JSON.parse(h1.attr('tm_version')!.value()), { [a.instance.uuid]: 1 });

      const info = doc.get(`//resource[@uuid="${ids.info}"]`) as libxml.Element;
      assert.equal((info.get('data[@field="category"]') as libxml.Element).attr('value')!.value(), '["Met","Safety"]');
      assert.equal((info.get('data[@field="parameter"]') as libxml.Element).attr('value')!.value(), '{"layer":"x","n":2}');
      const alert = doc.get(`/s3xml/resource[@uuid="${ids.alert}"]`) as libxml.Element;
      assert.equal((alert.get('data[@field="sent"]') as libxml.Element).attr('value')!.value(), '2026-03-01T03:00:00', 'UTC, without a zone, as Eden writes it');

      // Tombstones as Eden writes them: identity, deleted, modified_on, replaced_by; no data.
      const merged = doc.get(`/s3xml/resource[@uuid="${ids.dup}"]`) as libxml.Element;
      assert.equal(merged.attr('deleted')!.value(), 'True');
      assert.equal(merged.attr('replaced_by')!.value(), ids.org);
      assert.ok(merged.attr('modified_on'));
      assert.equal(merged.childNodes().filter((n) => n.type() === 'element').length, 0);
      const deleted = doc.get(`/s3xml/resource[@uuid="${ids.h2}"]`) as libxml.Element;
      assert.equal(deleted.attr('deleted')!.value(), 'True');
      assert.ok(!deleted.attr('replaced_by'));
      // The merged office now points at the surviving organisation.
      assert.equal((doc.get(`/s3xml/resource[@uuid="${ids.office}"]/reference[@field="organisation_id"]`) as libxml.Element).attr('uuid')!.value(), ids.org);
      assert.equal((doc.get(`/s3xml/resource[@uuid="${ids.office}"]/data[@field="comments"]`) as libxml.Element).text(), 'line one\nline two\ttabbed');
    });

    it('leaves tombstones out unless asked, and filters by resource and time', async () => {
      const live = await exportText(a);
      assert.ok(!live.text.includes('deleted="True"'));
      const offices = await exportText(a, { resources: ['org_office'] });
      assert.equal(offices.summary.count, 1);
      assert.ok(!offices.text.includes('name="med_hospital"'));
      const future = await exportText(a, { since: '2999-01-01T00:00:00' });
      assert.equal(future.summary.count, 0);
      assert.deepEqual(schemaProblems(future.text), []);
      const components = await exportText(a, { resources: ['med_bed_capacity'] });
      assert.equal(components.summary.count, 2, 'a component asked for on its own travels at the top level');
      assert.match(components.text, /<reference field="hospital_id"/);
    });

    it('pages with a cursor: the pages together are the whole feed, and an empty page says so', async () => {
      const whole = await exportText(a, { includeDeleted: true });
      const seen: string[] = [];
      let after: number | undefined;
      for (let i = 0; i < 50; i++) {
        const page = await exportText(a, { includeDeleted: true, limit: 2, after });
        assert.deepEqual(schemaProblems(page.text), []);
        assert.ok(page.summary.count <= 2);
        const doc = libxml.parseXml(page.text);
        seen.push(...doc.find('/s3xml/resource').map((r) => (r as libxml.Element).attr('uuid')!.value()));
        after = page.summary.last;
        if (!page.summary.more) break;
      }
      const all = libxml.parseXml(whole.text).find('/s3xml/resource').map((r) => (r as libxml.Element).attr('uuid')!.value());
      assert.deepEqual([...seen].sort(), [...all].sort());
      assert.equal(new Set(seen).size, seen.length, 'no record twice');
      const tail = await exportText(a, { after });
      assert.equal(tail.summary.count, 0);
      const o = await a.update('org_office', ids.office!, { phone1: '+254 1' });
      const next = await exportText(a, { after });
      assert.equal(next.summary.count, 1);
      assert.match(next.text, new RegExp(o.uuid));
    });

    for (const format of ['s3xml', 's3json'] as const) {
      it(`${format}: export, import into a fresh database, export again gives the same records`, async () => {
        const first = await exportText(a, { format, includeDeleted: true });
        const b = await openStore(await freshDatabase(kind));
        try {
          const summary = await importRecords(b, first.text, { format, trustVersions: true });
          assert.deepEqual(summary.errors, []);
          assert.ok(summary.created > 10);
          const second = await exportText(b, { format, includeDeleted: true });
          assert.equal(comparable(second.text), comparable(first.text));
          // Importing the same document again changes nothing.
          const head = await b.head();
          const again = await importRecords(b, first.text, { format, trustVersions: true });
          assert.equal(again.created + again.updated + again.deleted + again.merged, 0);
          assert.equal(await b.head(), head);
          // The office in B still refers to the surviving organisation, tombstone and all.
          assert.equal((await b.get('org_organisation', ids.dup!, { includeDeleted: true }))!.replaced_by, ids.org);
        } finally {
          await b.close();
        }
      });
    }

    it('a larger synthetic set survives the trip in batches', async () => {
      const src = await openStore(await freshDatabase(kind));
      const dst = await openStore(await freshDatabase(kind));
      try {
        await populate(src, 2600, 7);
        const first = await exportText(src);
        assert.deepEqual(schemaProblems(first.text), []);
        const summary = await importRecords(dst, first.text, { format: 's3xml', batchSize: 100, trustVersions: true });
        assert.equal(summary.records, 2600);
        assert.equal(summary.created, 2600);
        assert.equal(comparable((await exportText(dst)).text), comparable(first.text));
      } finally {
        await src.close();
        await dst.close();
      }
    });
  });
}
