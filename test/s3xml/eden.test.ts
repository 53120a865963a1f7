import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { importRecords } from '../../src/s3xml/index.js';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { ADULT_ICU, FLOOD, exportText } from './support.js';

after(dropTestDatabases);

const H = 'urn:uuid:6f1c2a1e-0000-4000-8000-000000000001';
const BED = 'urn:uuid:6f1c2a1e-0000-4000-8000-000000000002';
const ALERT = 'urn:uuid:6f1c2a1e-0000-4000-8000-000000000003';
const ORG2 = 'urn:uuid:6f1c2a1e-0000-4000-8000-0000000000a2';

/**
 * Written the way Sahana Eden writes S3XML (reference notes §1.8): zone-less timestamps, JSON in
 * value attributes (quoted option strings, lists), representations in the text, a forward and a
 * backward tuid reference, an inline reference, components with their alias, attributes Tidemark
 * does not use (mci, created_by, url).
 */
const EDEN = `<?xml version='1.0' encoding='utf-8'?>
<s3xml success="true" results="3" domain="eden.example.org" url="https://eden.example.org/eden">
  <resource name="org_office" created_on="2024-03-01T09:12:44" modified_on="2024-03-02T14:05:10" mci="1" created_by="admin@example.org" url="https://eden.example.org/eden/org/office/12">
    <data field="name">Depot 3</data>
    <data field="obsolete" value="false">No</data>
    <reference field="organisation_id" resource="org_organisation" tuid="ORG1"/>
    <reference field="location_id" resource="gis_location">
      <resource name="gis_location"><data field="name">Depot 3 site</data>
        <data field="lat">12.1</data><data field="lon" value="45.2">45.2000</data></resource>
    </reference>
  </resource>
  <resource name="org_organisation" tuid="ORG1" modified_on="2024-01-10T08:00:00" mci="2">
    <data field="name">Relief Org</data>
  </resource>
  <resource name="med_hospital" uuid="${H}" created_on="2024-03-01T00:00:00" modified_on="2024-03-02T14:05:10">
    <data field="name">Eden General</data>
    <data field="total_beds" value="120">120</data>
    <data field="facility_type" value="1">Hospital</data>
    <data field="town">Springfield</data>
    <data field="lat_min" value="1.0">1.0</data>
    <data field="obsolete">false</data>
    <reference field="organisation_id" resource="org_organisation" tuid="ORG1">Relief Org</reference>
    <resource name="med_bed_capacity" alias="bed_capacity" uuid="${BED}" modified_on="2024-03-02T14:05:10">
      <data field="bed_type" value="${ADULT_ICU}">Adult ICU</data>
      <data field="beds_baseline" value="30">30</data>
      <data field="date" value="2024-03-02T14:00:00">2024-03-02 14:00</data>
    </resource>
    <resource name="med_hospital_status" alias="status">
      <data field="ems_status" value="2">Advisory</data>
      <data field="staffing">Insufficient</data>
    </resource>
    <resource name="org_gov_uuid_site_tag" alias="gov_uuid"><data field="tag">gov_uuid</data><data field="value">GOV-1</data></resource>
    <resource name="med_hospital_resources" alias="resources"><data field="type">Oxygen</data></resource>
    <resource name="org_site_tag" alias="tag"><data field="tag">gov_uuid</data><data field="value">GOV-1</data></resource>
  </resource>
  <resource name="cap_alert" uuid="${ALERT}" modified_on="2024-03-02T12:00:00">
    <data field="identifier">EDEN-1</data>
    <data field="sender">eden@example.org</data>
    <data field="sent" value="2024-03-02T12:00:00">2024-03-02 12:00:00</data>
    <data field="status" value="&quot;Actual&quot;">Actual</data>
    <data field="msg_type" value="&quot;Alert&quot;">Alert</data>
    <data field="scope" value="&quot;Public&quot;">Public</data>
    <data field="codes" value="[&quot;x&quot;,&quot;y&quot;]">x, y</data>
    <resource name="cap_info" alias="info">
      <data field="category" value="[&quot;Met&quot;]">Met</data>
      <data field="event">Flood</data>
      <reference field="event_type_id" resource="event_event_type" uuid="${FLOOD}"/>
      <data field="urgency" value="&quot;Expected&quot;">Expected</data>
      <data field="severity" value="&quot;Severe&quot;">Severe</data>
      <data field="certainty" value="&quot;Likely&quot;">Likely</data>
      <data field="parameter" value="{&quot;k&quot;: 1}"/>
    </resource>
  </resource>
</s3xml>`;

for (const kind of DB_KINDS) {
  describe(`an Eden-written S3XML document on ${kind}`, () => {
    let store: Store;
    after(async () => {
      await store?.close();
    });

    it('imports: zone-less times as UTC, JSON values, tuid and inline references, components', async () => {
      store = await openStore(await freshDatabase(kind), { instanceName: 'site-a' });
      const summary = await importRecords(store, EDEN, { format: 's3xml' });
      assert.deepEqual(summary.errors, []);
      assert.equal(summary.records, 8);
      assert.equal(summary.created, 8);
      assert.deepEqual(
        summary.warnings.map((w) => [w.where.resource, w.where.field]),
        [
          ['med_hospital', 'lat_min'],
          ['med_hospital_resources', undefined],
        ],
        'what Tidemark does not model is skipped with a warning; the gov_uuid site tag is read',
      );

      const [org] = await store.list('org_organisation');
      assert.equal(org!.data.name, 'Relief Org');
      assert.match(org!.uuid, /^urn:uuid:[0-9a-f-]{36}$/, 'a tuid is not kept; the record gets a fresh uuid');
      assert.equal(org!.modified_on, '2024-01-10T08:00:00.000Z');
      const [office] = await store.list('org_office');
      assert.equal(office!.data.organisation_id, org!.uuid, 'forward tuid reference resolved');
      assert.equal(office!.data.obsolete, false);
      assert.equal(office!.created_on, '2024-03-01T09:12:44.000Z');
      assert.equal(office!.modified_on, '2024-03-02T14:05:10.000Z');
      const loc = await store.get('gis_location', office!.data.location_id as string);
      assert.equal(loc!.data.name, 'Depot 3 site', 'inline reference became a record of its own');
      assert.equal(loc!.data.lat, 12.1);
      assert.equal(loc!.data.lon, 45.2);

      const h = await store.get('med_hospital', H);
      assert.equal(h!.data.total_beds, 120);
      assert.equal(h!.data.facility_type, 1, "Eden's integer option code");
      assert.equal(h!.data.town, 'Springfield');
      assert.equal(h!.data.gov_uuid, 'GOV-1', "from Eden's gov_uuid site tag");
      assert.equal(h!.data.obsolete, false);
      assert.equal(h!.data.organisation_id, org!.uuid, 'backward tuid reference resolved');
      const bed = await store.get('med_bed_capacity', BED);
      assert.equal(bed!.data.hospital_id, H, 'nested component joined to its master');
      assert.equal(bed!.data.bed_type, ADULT_ICU);
      assert.equal(bed!.data.date, '2024-03-02T14:00:00.000Z');
      const status = await store.list('med_hospital_status');
      assert.equal(status.length, 1);
      assert.equal(status[0]!.data.ems_status, 2);
      assert.equal(status[0]!.data.staffing, 2, 'a code given by its label only');

      const alert = await store.get('cap_alert', ALERT);
      assert.equal(alert!.data.sent, '2024-03-02T12:00:00.000Z');
      assert.deepEqual(alert!.data.codes, ['x', 'y']);
      const [info] = await store.list('cap_info');
      assert.deepEqual(info!.data.category, ['Met']);
      assert.deepEqual(info!.data.parameter, { k: 1 });
      assert.equal(info!.data.alert_id, ALERT);
    });

    it('updates by uuid, and matches a single component to the master’s existing row', async () => {
      const again = `<s3xml>
  <resource name="med_hospital" uuid="${H}" modified_on="2024-03-03T10:00:00">
    <data field="available_beds" value="7"/>
    <resource name="med_hospital_status" alias="status"><data field="ems_status" value="3">Closed</data></resource>
  </resource>
</s3xml>`;
      const summary = await importRecords(store, again, { format: 's3xml' });
      assert.equal(summary.updated, 2);
      assert.equal(summary.created, 0);
      const h = await store.get('med_hospital', H);
      assert.equal(h!.data.available_beds, 7);
      assert.equal(h!.data.total_beds, 120, 'fields the document does not name keep their values');
      assert.equal(h!.modified_on, '2024-03-03T10:00:00.000Z');
      const status = await store.list('med_hospital_status');
      assert.equal(status.length, 1, 'still one status row');
      assert.equal(status[0]!.data.ems_status, 3);
    });

    it('importing the same document again changes nothing: every record unchanged, versions untouched', async () => {
      const doc = `<s3xml><resource name="med_hospital" uuid="${H}" modified_on="2024-03-03T10:00:00">
    <data field="available_beds" value="7">7</data><data field="town">Springfield</data>
    <resource name="med_hospital_status" alias="status"><data field="ems_status" value="3">Closed</data></resource>
  </resource></s3xml>`;
      const head = await store.head();
      const before = await store.get('med_hospital', H);
      const summary = await importRecords(store, doc, { format: 's3xml' });
      assert.equal(summary.updated + summary.created, 0, JSON.stringify(summary));
      assert.equal(summary.skipped, 2);
      assert.equal(await store.head(), head, 'no new change');
      assert.deepEqual((await store.get('med_hospital', H))!.version, before!.version);
    });

    it('matches records without uuid as Eden does: hospital by government id then name, organisation by name or acronym, location by name and parent', async () => {
      const doc = (beds: number) => `<s3xml>
  <resource name="med_hospital"><data field="name">Uuid-less General</data><data field="total_beds" value="${beds}">${beds}</data>
    <reference field="organisation_id" resource="org_organisation"><resource name="org_organisation"><data field="name">Uuid-less Relief</data><data field="acronym">ULR</data></resource></reference>
    <reference field="location_id" resource="gis_location"><resource name="gis_location"><data field="name">Uuid-less site</data></resource></reference>
    <resource name="org_site_tag" alias="gov_uuid"><data field="tag">gov_uuid</data><data field="value">GOV-UL-1</data></resource>
    <resource name="med_bed_capacity" alias="bed_capacity"><data field="bed_type" value="6">General Medical/Surgical</data><data field="beds_baseline" value="${beds}">${beds}</data></resource>
    <resource name="med_hospital_services" alias="services"><data field="surg" value="true">True</data></resource>
  </resource>
</s3xml>`;
      const first = await importRecords(store, doc(10), { format: 's3xml' });
      assert.equal(first.created, 5, JSON.stringify(first));
      const head = await store.head();
      const again = await importRecords(store, doc(10), { format: 's3xml' });
      assert.equal(again.created + again.updated, 0, JSON.stringify(again));
      assert.equal(await store.head(), head, 'importing it twice never duplicates');
      const renamed = doc(12).replace('Uuid-less General', 'Renamed General');
      const third = await importRecords(store, renamed, { format: 's3xml' });
      assert.equal(third.created, 0, 'the hospital is found by its government id although renamed');
      const [h] = await store.list('med_hospital', { where: { gov_uuid: 'GOV-UL-1' } });
      assert.equal(h!.data.name, 'Renamed General');
      assert.equal(h!.data.total_beds, 12);
      const beds = await store.list('med_bed_capacity', { where: { hospital_id: h!.uuid } });
      assert.deepEqual(beds.map((b) => b.data.beds_baseline), [12], 'the bed capacity matched by master and bed type');
      const byAcronym = await importRecords(store, '<s3xml><resource name="org_organisation"><data field="name">Another name</data><data field="acronym">ULR</data></resource></s3xml>', { format: 's3xml' });
      assert.equal(byAcronym.created, 0, 'an organisation found by its acronym');
      assert.equal((await store.list('org_organisation', { where: { acronym: 'ULR' } })).length, 1);
    });

    it('deletes on deleted="True" and merges on replaced_by, re-pointing references', async () => {
      const [org] = await store.list('org_organisation');
      await importRecords(store, `<s3xml><resource name="org_organisation" uuid="${ORG2}"><data field="name">Relief Org (new)</data></resource></s3xml>`, { format: 's3xml' });
      const summary = await importRecords(
        store,
        `<s3xml>
  <resource name="org_organisation" uuid="${org!.uuid}" deleted="True" modified_on="2024-03-05T08:00:00" replaced_by="${ORG2}"/>
  <resource name="med_hospital" uuid="${H}" deleted="True" modified_on="2024-03-05T08:01:00"/>
  <resource name="org_office" uuid="urn:uuid:6f1c2a1e-0000-4000-8000-0000000000ff" deleted="True" modified_on="2024-03-05T08:01:00"/>
</s3xml>`,
        { format: 's3xml' },
      );
      assert.equal(summary.merged, 1);
      assert.equal(summary.deleted, 1);
      assert.equal(summary.skipped, 1, 'a tombstone for a record never seen changes nothing');
      const gone = await store.get('org_organisation', org!.uuid, { includeDeleted: true });
      assert.equal(gone!.deleted, true);
      assert.equal(gone!.replaced_by, ORG2);
      const [office] = await store.list('org_office');
      assert.equal(office!.data.organisation_id, ORG2, 'references re-pointed to the surviving record');
      assert.equal(await store.get('med_hospital', H), undefined);
      assert.equal((await store.get('med_hospital', H, { includeDeleted: true }))!.modified_on, '2024-03-05T08:01:00.000Z');
      assert.equal((await store.list('med_bed_capacity', { where: { hospital_id: H } })).length, 0, 'components go with their master');
    });

    it('reads Eden’s domain-prefixed uids: its own domain is stripped, others are kept', async () => {
      const summary = await importRecords(
        store,
        `<s3xml>
  <resource name="org_organisation" uuid="site-a/ORG-7"><data field="name">Local</data></resource>
  <resource name="org_organisation" uuid="eden.example.org/ORG-8"><data field="name">Remote</data></resource>
</s3xml>`,
        { format: 's3xml' },
      );
      assert.equal(summary.created, 2);
      assert.equal((await store.get('org_organisation', 'ORG-7'))!.data.name, 'Local');
      assert.equal((await store.get('org_organisation', 'eden.example.org/ORG-8'))!.data.name, 'Remote');
      // And written back qualified, as Eden's export_uid does; URNs are never prefixed.
      const { text } = await exportText(store, { resources: ['org_organisation'] });
      assert.match(text, /uuid="site-a\/ORG-7"/);
      assert.match(text, /uuid="eden\.example\.org\/ORG-8"/);
      assert.doesNotMatch(text, /uuid="site-a\/urn:/);
    });

    it('reads a CAP area’s polygon and geocodes and an info’s parameters from Eden’s components, nested or under the alert', async () => {
      const A = 'urn:uuid:6f1c2a1e-0000-4000-8000-0000000000c1';
      const AREA1 = 'urn:uuid:6f1c2a1e-0000-4000-8000-0000000000c2';
      const AREA2 = 'urn:uuid:6f1c2a1e-0000-4000-8000-0000000000c3';
      const INFO = 'urn:uuid:6f1c2a1e-0000-4000-8000-0000000000c4';
      const xml = `<s3xml><resource name="cap_alert" uuid="${A}">
        <data field="identifier">EDEN-AREA-1</data><data field="sender">a@example.org</data><data field="sent" value="2024-03-01T08:00:00">x</data>
        <data field="status" value="&quot;Actual&quot;">Actual</data><data field="msg_type">Alert</data><data field="scope">Public</data>
        <resource name="cap_area" uuid="${AREA1}"><data field="name">Tana basin</data>
          <resource name="cap_area_location"><reference field="location_id" resource="gis_location"><resource name="gis_location">
            <data field="gis_feature_type" value="3">Polygon</data><data field="name">Tana basin</data>
            <data field="wkt">POLYGON ((39.9 -1.2, 40.3 -1.2, 40.3 -2.3, 39.9 -2.3, 39.9 -1.2))</data></resource></reference></resource>
          <resource name="cap_area_tag"><data field="tag">KE-COUNTY</data><data field="value">Tana</data></resource>
          <resource name="cap_area_tag"><data field="tag">SAME</data><data field="value">006113</data></resource>
        </resource>
        <resource name="cap_area" uuid="${AREA2}"><data field="name">Coast</data></resource>
        <resource name="cap_info" uuid="${INFO}"><data field="category" value="[&quot;Met&quot;]">Met</data><data field="event">Flood</data>
          <data field="urgency" value="&quot;Immediate&quot;">Immediate</data><data field="severity" value="&quot;Severe&quot;">Severe</data><data field="certainty" value="&quot;Likely&quot;">Likely</data></resource>
        <resource name="cap_info_parameter"><data field="name">EAS-ORG</data><data field="value">WXR</data><data field="mobile" value="false">No</data><reference field="info_id" resource="cap_info" uuid="${INFO}"/></resource>
        <resource name="cap_area_tag" alias="tag"><data field="tag">KE-COUNTY</data><data field="value">Kilifi</data><reference field="area_id" resource="cap_area" uuid="${AREA2}">Coast</reference></resource>
      </resource></s3xml>`;
      const summary = await importRecords(store, xml, { format: 's3xml' });
      assert.deepEqual(summary.errors, []);
      const a1 = await store.get('cap_area', AREA1);
      assert.deepEqual(a1!.data.polygon, ['-1.2,39.9 -1.2,40.3 -2.3,40.3 -2.3,39.9 -1.2,39.9']);
      assert.deepEqual(a1!.data.geocode, [{ valueName: 'KE-COUNTY', value: 'Tana' }, { valueName: 'SAME', value: '006113' }]);
      assert.deepEqual((await store.get('cap_area', AREA2))!.data.geocode, [{ valueName: 'KE-COUNTY', value: 'Kilifi' }]);
      assert.deepEqual((await store.get('cap_info', INFO))!.data.parameter, [{ valueName: 'EAS-ORG', value: 'WXR' }]);
      // Tidemark's own export carries both the fields and the components; reading it back changes nothing.
      const head = await store.head();
      await importRecords(store, (await exportText(store, { resources: ['cap_alert'] })).text, { format: 's3xml' });
      assert.equal(await store.head(), head);
      assert.deepEqual((await store.get('cap_area', AREA1))!.data.polygon, a1!.data.polygon);
    });

    it('reads an organisation’s type from Eden’s link component by the type’s name; Eden’s own type records resolve to Tidemark’s by name', async () => {
      const ORG = 'urn:uuid:6f1c2a1e-0000-4000-8000-0000000000d1';
      const EDEN_TYPE = 'urn:uuid:a289ba7f-5235-4433-bd1c-b01e54138379';
      const xml = `<s3xml><resource name="org_organisation" uuid="${ORG}"><data field="name">Typed Org</data>
          <resource name="org_organisation_organisation_type" uuid="${ORG}-type"><reference field="organisation_type_id" resource="org_organisation_type" uuid="${EDEN_TYPE}">UN agency</reference></resource>
        </resource>
        <resource name="org_organisation_type" uuid="${EDEN_TYPE}"><data field="name">UN agency</data></resource>
        <resource name="org_organisation_type" uuid="urn:uuid:6f1c2a1e-0000-4000-8000-0000000000d2"><data field="name">Supplier</data></resource></s3xml>`;
      const summary = await importRecords(store, xml, { format: 's3xml' });
      assert.deepEqual(summary.errors, []);
      const [un] = await store.list('org_organisation_type', { where: { code: 'UN' } });
      assert.equal((await store.get('org_organisation', ORG))!.data.organisation_type_id, un!.uuid);
      assert.ok(summary.warnings.some((w) => /Supplier/.test(w.message)), 'a type Tidemark lacks is skipped with a warning');
      assert.equal(await store.get('org_organisation_type', EDEN_TYPE), undefined);
      // Tidemark's export carries the link with the type by Eden's name; reading it back changes nothing.
      const out = (await exportText(store, { resources: ['org_organisation'] })).text;
      assert.match(out, /<resource name="org_organisation_organisation_type"[^>]*><reference field="organisation_type_id" resource="org_organisation_type"><resource name="org_organisation_type"><data field="name">UN agency<\/data>/);
      const head = await store.head();
      await importRecords(store, out, { format: 's3xml' });
      assert.equal(await store.head(), head);
    });

    it('imports the same records as S3JSON (Eden’s JSON twin)', async () => {
      const json = JSON.stringify({
        '@success': 'true',
        $_org_organisation: [{ '@tuid': 'O', name: 'JSON Org' }],
        $_med_hospital: [
          {
            '@uuid': 'urn:uuid:6f1c2a1e-0000-4000-8000-0000000000b1',
            '@modified_on': '2024-04-01T00:00:00',
            name: 'JSON Hospital',
            total_beds: { '@value': 55, $: '55' },
            obsolete: { '@value': true, $: 'Yes' },
            $k_organisation_id: { '@resource': 'org_organisation', '@tuid': 'O' },
            $k_location_id: { '@resource': 'gis_location', $_gis_location: [{ name: 'Inline place', lat: { '@value': 1.5 } }] },
            $_med_bed_capacity: [{ '@alias': 'bed_capacity', bed_type: { '@value': ADULT_ICU }, beds_baseline: { '@value': 4 } }],
          },
        ],
      });
      const summary = await importRecords(store, json, { format: 's3json' });
      assert.deepEqual(summary.errors, []);
      assert.equal(summary.created, 4);
      const h = await store.get('med_hospital', 'urn:uuid:6f1c2a1e-0000-4000-8000-0000000000b1');
      assert.equal(h!.data.total_beds, 55);
      assert.equal(h!.data.obsolete, true);
      assert.equal(h!.modified_on, '2024-04-01T00:00:00.000Z');
      const org = await store.get('org_organisation', h!.data.organisation_id as string);
      assert.equal(org!.data.name, 'JSON Org');
      assert.equal((await store.get('gis_location', h!.data.location_id as string))!.data.lat, 1.5);
      const beds = await store.list('med_bed_capacity', { where: { hospital_id: h!.uuid } });
      assert.equal(beds[0]!.data.beds_baseline, 4);
    });
  });
}
