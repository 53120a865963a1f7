import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Element } from 'libxmljs2';
import { parseXml } from '../../src/interchange/xml.js';
import { exportRecords, importRecords, type ExportOptions } from '../../src/s3xml/index.js';
import { loadSamples } from '../../src/samples/load.js';
import { openStore } from '../../src/open.js';
import type { Store } from '../../src/store/index.js';
import { createInvite, Peers } from '../../src/sync/index.js';
import { addEdenPeer, EdenClient } from '../../src/transports/eden/index.js';
import { TidemarkError } from '../../src/errors.js';
import { tidemark, type RunResult } from '../support/processes.js';
import { dropTestDatabases, freshDatabase } from '../support/databases.js';
import { serveInstance } from '../sync/processes.js';
import { differencesFromStore, edenRecords } from './compare.js';
import { EDEN_ADMIN, EDEN_DIR, EDEN_PRESENT, startEden, type Eden } from './support.js';
import { tempDir } from '../support/temp.js';

/**
 * Tidemark against a real Sahana Eden (../shared/eden): Eden's exports into Tidemark, Tidemark's
 * records into Eden's REST import, Eden's own sync client against a running Tidemark, and Eden's
 * own stylesheets over Tidemark's feed. One Eden for the suite, reset between cases.
 */

after(dropTestDatabases);

const FORMATS = join(EDEN_DIR, 'web2py', 'applications', 'eden', 'static', 'formats');

async function exportText(store: Store, opts: Partial<ExportOptions>): Promise<string> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  await exportRecords(store, { format: 's3xml', ...opts }, out);
  out.end();
  return Buffer.concat(parts).toString('utf8');
}

const attr = (e: Element, name: string): string | undefined => e.attr(name)?.value();

/** Eden's modified_on of every hospital (with components), organisation and alert: moves with any write. */
async function edenStamps(eden: Eden): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of ['/med/hospital.xml', '/org/organisation.xml', '/cap/alert.xml']) {
    for (const r of parseXml(await (await eden.get(path)).text()).find('//resource[@uuid]') as Element[]) out[`${attr(r, 'name')} ${attr(r, 'uuid')}`] = attr(r, 'modified_on') ?? '';
  }
  return out;
}

describe('Tidemark and a real Sahana Eden', { skip: EDEN_PRESENT ? false : `no Sahana Eden at ${EDEN_DIR}` }, () => {
  let eden: Eden;
  const work = tempDir('tidemark-eden-test');
  before(async () => {
    eden = await startEden();
  });
  after(() => eden?.stop());

  it("1. Eden's exports of its hospitals, organisation, location and CAP alert import into Tidemark with every field Eden filled", async () => {
    const store = await openStore(await freshDatabase('sqlite'), { instanceName: 'from-eden' });
    try {
      const docs: Record<string, string> = {};
      for (const [name, path] of [
        ['location', '/gis/location.xml?~.uuid=urn:uuid:0e1e0002-0000-4000-8000-000000000001'],
        ['organisation', '/org/organisation.xml'],
        ['hospital', '/med/hospital.xml'],
        ['alert', '/cap/alert.xml'],
      ] as const) {
        const res = await eden.get(path);
        assert.equal(res.status, 200, path);
        docs[name] = await res.text();
        const summary = await importRecords(store, docs[name], { format: 's3xml' });
        assert.deepEqual(summary.errors, [], `${path}: ${summary.errors.map((e) => e.describe()).join('; ')}`);
      }
      for (const [name, xml] of Object.entries(docs)) assert.deepEqual(await differencesFromStore(store, xml), [], `every field of Eden's ${name} export`);
      const hospitals = await store.list('med_hospital');
      assert.equal(hospitals.length, 3);
      assert.deepEqual(hospitals.map((h) => h.data.gov_uuid).sort(), ['GOV-HOSP-0001', 'GOV-HOSP-0002', 'GOV-HOSP-0003']);
      assert.equal((await store.list('med_bed_capacity')).length, edenRecords(docs.hospital!).filter((r) => r.resource === 'med_bed_capacity').length);
      assert.equal((await store.list('med_hospital_status')).length, 3);
      assert.equal((await store.list('med_hospital_services')).length, 3);
      assert.equal((await store.list('cap_alert')).length, 1);
      // Importing Eden's export again changes nothing.
      const head = await store.head();
      for (const xml of Object.values(docs)) await importRecords(store, xml, { format: 's3xml' });
      assert.equal(await store.head(), head);
      // --strict refuses what Tidemark does not model (Eden's lat_min..., root_organisation).
      await assert.rejects(importRecords(store, docs.location!, { format: 's3xml', strict: true }), /unknown field/);
    } finally {
      await store.close();
    }
  });

  it("2. Tidemark's sample hospitals, organisations, locations, shelters and alerts import into Eden through its REST import, every mapped field equal", async () => {
    await eden.reset();
    const store = await openStore(await freshDatabase('sqlite'), { instanceName: 'to-eden' });
    try {
      await loadSamples(store);
      const paths = [
        ['gis_location', '/gis/location.xml'],
        ['org_organisation', '/org/organisation.xml'],
        ['org_office', '/org/office.xml'],
        ['med_hospital', '/med/hospital.xml'],
        ['cr_shelter', '/cr/shelter.xml'],
        ['cap_alert', '/cap/alert.xml'],
      ] as const;
      for (const [resource, path] of paths) {
        const xml = await exportText(store, { resources: [resource] });
        const res = await eden.post(path, xml);
        const answer = (await res.json()) as { status: string; message?: string; created?: number[] };
        assert.equal(answer.status, 'success', `${path}: ${JSON.stringify(answer).slice(0, 2000)}`);
        const want = (await store.list(resource)).length;
        const back = await (await eden.get(`${path}?mcomponents=none`)).text();
        const uuids = new Set((parseXml(back).find('/s3xml/resource') as Element[]).map((r) => attr(r, 'uuid')));
        for (const r of await store.list(resource)) assert.ok(uuids.has(r.uuid), `${resource} ${r.uuid} in Eden`);
        assert.ok(uuids.size >= want);
      }
      // Fields Eden does not hold as Tidemark sends them: not compared.
      const skip: Record<string, string> = {
        // Eden derives a hospital's bed totals from its bed capacity rows (med_hospital onaccept).
        'med_hospital.total_beds': 'derived',
        'med_hospital.available_beds': 'derived',
        // Tidemark's additions, which Eden has no field for.
        'med_hospital.contact_name': 'Tidemark only',
        'med_bed_capacity.unit_name': 'Tidemark only',
        'med_bed_capacity.capacity_status': 'Tidemark only',
        'med_hospital_status.er_status': 'Tidemark only',
        'med_hospital_status.er_reason': 'Tidemark only',
        'med_hospital_status.staffing_comments': 'Tidemark only',
        'med_hospital_status.comments': 'Tidemark only',
        'med_hospital_services.trauma': 'Tidemark only',
        // Not carried yet (docs/eden.md, "Not carried yet"): Eden keeps these in tables of its own.
        'cr_shelter.shelter_type_id': "Tidemark's reference uuids are not in Eden's cr_shelter_type",
        'cr_shelter.capacity_day': 'Eden: cr_shelter_details component',
        'cr_shelter.capacity_night': 'Eden: cr_shelter_details component',
        'cr_shelter.population': 'Eden: cr_shelter_details component',
        'cr_shelter.status': 'Eden: cr_shelter_details component (integer code)',
        'cap_info.event_type_id': "Tidemark's reference uuids are not in Eden's event_event_type",
        // Eden's S3XML leaves a location's WKT out: the polygons are compared in Eden's CAP export below.
        'cap_area.polygon': "in Eden's gis_location WKT",
      };
      // Every record back out of Eden, with its components: every field both model is equal, both ways.
      const problems: string[] = [];
      for (const [resource, path] of paths) {
        const back = await (await eden.get(path)).text();
        const records = edenRecords(back);
        let mine = 0;
        for (const e of records) {
          const stored = await store.get(e.resource, e.uuid);
          if (!stored) continue; // Eden's own seeded records
          if (e.resource === resource) mine++;
          for (const [field, v] of Object.entries(e.values)) {
            if (skip[`${e.resource}.${field}`]) continue;
            // Where Tidemark holds no value, Eden writes its field default (False for a service, "[]" for CAP event codes).
            if (stored.data[field] === null || stored.data[field] === undefined) continue;
            if (JSON.stringify(v) !== JSON.stringify(stored.data[field])) problems.push(`${e.resource}.${field} of ${e.uuid}: Eden ${JSON.stringify(v)}, Tidemark ${JSON.stringify(stored.data[field])}`);
          }
          for (const [field, v] of Object.entries(stored.data)) {
            if (v === null || v === undefined || skip[`${e.resource}.${field}`]) continue;
            // A component's join to its master is its place in Eden's export, not a field of it.
            if (e.master && v === e.master) continue;
            // A record exported along as a reference comes without its components (an organisation's type link).
            if (e.resource !== resource && `${e.resource}.${field}` === 'org_organisation.organisation_type_id') continue;
            if (!(field in e.values)) problems.push(`${e.resource}.${field} of ${e.uuid}: Tidemark ${JSON.stringify(v)}, not in Eden`);
          }
        }
        assert.equal(mine, (await store.list(resource)).length, `every ${resource} back out of Eden`);
      }
      assert.deepEqual(problems, []);
      // Every area polygon reached Eden (cap_area_location -> gis_location WKT): Eden's own CAP export writes it back.
      const points = (p: string): number[] => p.trim().split(/[\s,]+/).map(Number);
      let polygons = 0;
      for (const alert of await store.list('cap_alert')) {
        const cap = parseXml(await (await eden.get(`/cap/alert.cap?~.uuid=${encodeURIComponent(alert.uuid)}`)).text());
        const ns = { c: 'urn:oasis:names:tc:emergency:cap:1.2' };
        for (const area of await store.list('cap_area', { where: { alert_id: alert.uuid } })) {
          const inEden = (cap.find(`//c:area[c:areaDesc=${JSON.stringify(String(area.data.name))}]/c:polygon`, ns) as Element[]).map((e) => points(e.text()));
          const mine = ((area.data.polygon as string[] | null) ?? []).map(points);
          assert.deepEqual(inEden, mine, `polygons of ${area.uuid} in Eden's CAP export`);
          polygons += mine.length;
        }
      }
      assert.ok(polygons > 0, 'the samples have area polygons');
    } finally {
      await store.close();
    }
  });

  it("3. Eden's own sync client pulls from and pushes to a running Tidemark; a second run moves nothing; an edit on either side travels", async (t) => {
    await eden.reset();
    const db = await freshDatabase('sqlite');
    const store = await openStore(db, { instanceName: 'tidemark-for-eden' });
    await loadSamples(store);
    const { code } = await createInvite(store);
    const svc = await serveInstance(db);
    try {
      // The URL with a trailing slash, as administrators type it (Eden then asks for //sync/...).
      const url = `${svc.url}/`;
      const first = await eden.sync(url, 'eden', code);
      assert.ok(!first.log.some((l) => l.result !== 'success'), first.output);
      const edenHospitals = await (await eden.get('/med/hospital.xml')).text();
      const inEden = edenRecords(edenHospitals);
      for (const h of await store.list('med_hospital')) assert.ok(inEden.some((e) => e.uuid === h.uuid), `Tidemark's ${h.data.name} in Eden`);
      for (const e of inEden.filter((r) => r.resource === 'med_hospital')) assert.ok(await store.get('med_hospital', e.uuid), `Eden's ${e.uuid} in Tidemark`);
      for (const comp of ['med_bed_capacity', 'med_hospital_status', 'med_hospital_services']) {
        const ours = (await store.list(comp)).map((r) => r.uuid).sort();
        const theirs = inEden.filter((r) => r.resource === comp).map((r) => r.uuid).sort();
        assert.deepEqual(theirs, ours, comp);
      }
      assert.deepEqual(await differencesFromStore(store, edenHospitals), [], 'both sides hold the same hospital values');
      // References too (Eden omits an empty one, which the comparison above cannot see).
      for (const e of inEden.filter((r) => r.resource === 'med_hospital')) {
        const t = (await store.get('med_hospital', e.uuid))!.data;
        assert.deepEqual([e.values.location_id, e.values.organisation_id], [t.location_id, t.organisation_id], `references of ${e.uuid}`);
      }
      // Organisations and alerts: the same records on both sides, every field both model equal.
      for (const [resource, path] of [
        ['org_organisation', '/org/organisation.xml'],
        ['cap_alert', '/cap/alert.xml'],
      ] as const) {
        const xml = await (await eden.get(path)).text();
        const theirs = edenRecords(xml).filter((r) => r.resource === resource).map((r) => r.uuid).sort();
        assert.deepEqual(theirs, (await store.list(resource)).map((r) => r.uuid).sort(), `${resource}: the same records`);
        assert.deepEqual(await differencesFromStore(store, xml), [], `${resource}: the same values`);
      }
      // Locations: every location the synced records refer to, on both sides with the same values.
      const referred = new Set<string>();
      for (const resource of ['med_hospital', 'org_organisation']) for (const r of await store.list(resource)) if (r.data.location_id) referred.add(String(r.data.location_id));
      assert.ok(referred.size > 3);
      const locations = await (await eden.get(`/gis/location.xml?~.uuid=${[...referred].map(encodeURIComponent).join(',')}`)).text();
      const inEdenLocations = new Set(edenRecords(locations).map((r) => r.uuid));
      for (const u of referred) assert.ok(inEdenLocations.has(u), `location ${u} in Eden`);
      assert.deepEqual(await differencesFromStore(store, locations), [], 'locations: the same values');

      // A second run moves nothing, on either side: no record written, no version or stamp moved.
      const head = await store.head();
      const stampsBefore = await edenStamps(eden);
      const second = await eden.sync(url, 'eden', code);
      assert.ok(!second.log.some((l) => l.result !== 'success'), second.output);
      assert.deepEqual(second.after, second.before, 'no record added or removed in Eden');
      assert.deepEqual(await edenStamps(eden), stampsBefore, 'no record modified in Eden');
      assert.equal(await store.head(), head, 'no record written in Tidemark');
      for (const l of second.log.filter((x) => x.mode === 'pull')) assert.match(l.message, /No data to import/, `${l.resource}: nothing pulled`);

      // An edit on either side travels on the next run: in Tidemark a bed capacity row (a
      // component: its hospital travels with it) and a hospital field, in Eden through its REST import.
      const [h] = await store.list('med_hospital', { where: { gov_uuid: 'KE-MFL-10000' } });
      const [bed] = await store.list('med_bed_capacity', { where: { hospital_id: h!.uuid } });
      await store.update('med_bed_capacity', bed!.uuid, { beds_available: Number(bed!.data.beds_available ?? 0) + 3 });
      await store.update('med_hospital', h!.uuid, { phone_emergency: '+254 700 000 911' });
      // An organisation too: Eden pushes its older copy along with its hospitals before it pulls
      // organisations, and that stale copy must not turn the edit back.
      const orgUuid = String(h!.data.organisation_id);
      await store.update('org_organisation', orgUuid, { acronym: 'EDITED' });
      const seeded = inEden.find((r) => r.resource === 'med_hospital' && r.values.gov_uuid === 'GOV-HOSP-0002')!;
      const edit = `<s3xml><resource name="med_hospital" uuid="${seeded.uuid}"><data field="nurses" value="21">21</data><data field="phone_emergency">+44 20 7946 0999</data></resource></s3xml>`;
      assert.equal(((await (await eden.post('/med/hospital.xml', edit)).json()) as { status: string }).status, 'success');
      const third = await eden.sync(url, 'eden', code);
      assert.ok(!third.log.some((l) => l.result !== 'success'), third.output);
      const mine = edenRecords(await (await eden.get(`/med/hospital.xml?~.uuid=${encodeURIComponent(h!.uuid)}`)).text());
      assert.equal(mine.find((r) => r.uuid === h!.uuid)!.values.phone_emergency, '+254 700 000 911', "Tidemark's hospital edit in Eden");
      assert.equal(mine.find((r) => r.uuid === bed!.uuid)!.values.beds_available, Number(bed!.data.beds_available ?? 0) + 3, "Tidemark's bed capacity edit in Eden");
      const orgs = edenRecords(await (await eden.get(`/org/organisation.xml?~.uuid=${encodeURIComponent(orgUuid)}`)).text());
      assert.equal(orgs.find((r) => r.uuid === orgUuid)?.values.acronym, 'EDITED', "Tidemark's organisation edit in Eden");
      assert.equal((await store.get('org_organisation', orgUuid))!.data.acronym, 'EDITED', 'and not turned back in Tidemark');
      const theirs = (await store.get('med_hospital', seeded.uuid))!.data;
      assert.deepEqual([theirs.nurses, theirs.phone_emergency], [21, '+44 20 7946 0999'], "Eden's edit in Tidemark");
      assert.deepEqual(await differencesFromStore(store, await (await eden.get('/med/hospital.xml')).text()), [], 'both sides hold the same values after the edits');
      // What Eden's client logged, run by run (in the test report).
      for (const [name, run] of [['first', first], ['second', second], ['third', third]] as const) {
        for (const l of run.log) t.diagnostic(`${name} run: ${l.resource} ${l.mode} ${l.action} ${l.result}: ${l.message}`);
      }
    } finally {
      await svc.stop();
      await store.close();
    }
  });

  it("4. Tidemark's Eden peer syncs with the running Eden both ways: the same records, a second sync moves nothing, edits travel, a concurrent edit is decided by the policy and logged; Eden's refusals are coded errors", async () => {
    await eden.reset();
    const db = await freshDatabase('sqlite');
    const store = await openStore(db, { instanceName: 'eden-peer' });
    const cli = (...args: string[]): Promise<RunResult> => tidemark([...args, '--db', db]);
    const ok = async (...args: string[]): Promise<string> => {
      const r = await cli(...args);
      assert.equal(r.code, 0, `tidemark ${args.join(' ')}: ${r.stdout}${r.stderr}`);
      return r.stdout;
    };
    const exportsOf = async (): Promise<Record<string, string>> => {
      const out: Record<string, string> = {};
      for (const path of ['/gis/location.xml', '/org/organisation.xml', '/med/hospital.xml', '/cap/alert.xml']) {
        const res = await eden.get(path);
        assert.equal(res.status, 200, path);
        out[path] = await res.text();
      }
      return out;
    };
    try {
      await loadSamples(store);
      // A wrong password is refused at once: Eden registers this instance only for its own users.
      await assert.rejects(addEdenPeer(store, eden.url, { user: EDEN_ADMIN.user, password: 'not-the-password' }), (e: unknown) => e instanceof TidemarkError && e.code === 'unauthorized');
      assert.equal((await cli('peer', 'add', eden.url, '--eden', '--user', EDEN_ADMIN.user, '--password', 'not-the-password')).code, 1);
      assert.deepEqual(await new Peers(store).list(), []);
      await ok('peer', 'add', `${eden.url}/`, '--eden', '--user', EDEN_ADMIN.user, '--password', EDEN_ADMIN.password, '--name', 'eden');
      const [peer] = await new Peers(store).list();
      assert.equal(peer!.kind, 'eden');
      // Granted like any peer: what both model (offices and shelters are left to another grant).
      const granted = ['gis_location', 'org_organisation', 'med_hospital', 'med_bed_capacity', 'med_hospital_status', 'med_hospital_services', 'cap_alert', 'cap_info', 'cap_area'];
      await ok('peer', 'set', 'eden', '--resources', granted.join(','), '--policies', 'med_hospital=THIS');

      const first = await ok('sync', 'eden');
      assert.match(first, /eden \([0-9a-f]{8}\): success/);
      const docs = await exportsOf();
      // Where Tidemark holds no value, Eden stores its field default (False for a service), as in case 2.
      const edenDefault = (d: { resource: string; eden: unknown; tidemark: unknown }): boolean => d.resource === 'med_hospital_services' && d.eden === false && d.tidemark === null;
      for (const [path, xml] of Object.entries(docs)) assert.deepEqual((await differencesFromStore(store, xml)).filter((d) => !edenDefault(d)), [], `Eden's ${path} equals Tidemark's records`);
      const inEden = Object.values(docs).flatMap((xml) => edenRecords(xml));
      for (const resource of granted) {
        for (const r of await store.list(resource)) assert.ok(inEden.some((e) => e.resource === resource && e.uuid === r.uuid), `Tidemark's ${resource} ${r.uuid} in Eden`);
      }
      const hospitals = await store.list('med_hospital');
      assert.deepEqual(hospitals.filter((h) => String(h.data.gov_uuid).startsWith('GOV-HOSP-')).length, 3, "Eden's seeded hospitals in Tidemark");
      for (const comp of ['med_bed_capacity', 'med_hospital_status', 'med_hospital_services']) {
        assert.deepEqual(inEden.filter((e) => e.resource === comp).map((e) => e.uuid).sort(), (await store.list(comp)).map((r) => r.uuid).sort(), comp);
      }
      assert.equal(edenRecords(docs['/cap/alert.xml']!).filter((e) => e.resource === 'cap_alert').length, (await store.list('cap_alert')).length, "the same alerts, Eden's seeded one included");

      // A second sync moves nothing, on either side.
      const head = await store.head();
      const second = await ok('sync', 'eden');
      assert.match(second, /success; received 0, applied 0, sent 0, conflicts 0/);
      assert.equal(await store.head(), head, 'nothing changed in Tidemark');
      assert.deepEqual(await exportsOf(), docs, 'nothing changed in Eden');

      // An edit on either side travels on the next sync.
      const mine = hospitals.find((h) => h.data.gov_uuid === 'KE-MFL-10000')!;
      const [status] = await store.list('med_hospital_status', { where: { hospital_id: mine.uuid } });
      await store.update('med_hospital', mine.uuid, { phone_emergency: '+254 700 000 111' });
      await store.update('med_hospital_status', status!.uuid, { facility_status: 2 });
      const seeded = hospitals.find((h) => h.data.gov_uuid === 'GOV-HOSP-0002')!;
      const edit = `<s3xml><resource name="med_hospital" uuid="${seeded.uuid}"><data field="phone_exchange">+44 20 7946 0999</data></resource></s3xml>`;
      assert.equal(((await (await eden.post('/med/hospital.xml', edit)).json()) as { status: string }).status, 'success');
      // The same field changed on both sides: med_hospital is THIS for this peer, so Tidemark's value stays.
      const both = hospitals.find((h) => h.data.gov_uuid === 'GOV-HOSP-0003')!;
      await store.update('med_hospital', both.uuid, { email: 'tidemark@example.org' });
      const clash = `<s3xml><resource name="med_hospital" uuid="${both.uuid}"><data field="email">eden@example.org</data></resource></s3xml>`;
      assert.equal(((await (await eden.post('/med/hospital.xml', clash)).json()) as { status: string }).status, 'success');
      const third = await ok('sync', 'eden');
      assert.match(third, /success - 1 conflict\(s\) decided/);
      const one = async (uuid: string): Promise<Record<string, unknown>> => {
        const [r] = edenRecords(await (await eden.get(`/med/hospital.xml?~.uuid=${encodeURIComponent(uuid)}`)).text()).filter((e) => e.uuid === uuid);
        return r!.values;
      };
      assert.equal((await one(mine.uuid)).phone_emergency, '+254 700 000 111', "Tidemark's edit in Eden");
      const statusInEden = edenRecords(await (await eden.get(`/med/hospital.xml?~.uuid=${encodeURIComponent(mine.uuid)}`)).text()).find((e) => e.uuid === status!.uuid);
      assert.equal(statusInEden!.values.facility_status, 2, "Tidemark's component edit in Eden");
      assert.equal((await store.get('med_hospital', seeded.uuid))!.data.phone_exchange, '+44 20 7946 0999', "Eden's edit in Tidemark");
      assert.equal((await store.get('med_hospital', both.uuid))!.data.email, 'tidemark@example.org', 'the policy kept Tidemark’s value');
      assert.equal((await one(both.uuid)).email, 'tidemark@example.org', 'and it went back to Eden');
      const conflicts = await ok('conflicts');
      const line = conflicts.split('\n').find((l) => l.includes(both.uuid));
      assert.ok(line, conflicts);
      assert.match(line, /med_hospital\t.*THIS\/policy\twinner=local\temail/);
      const [row] = (await store.knex('tm_conflict').where({ uuid: both.uuid })) as { peer: string; detail: string }[];
      assert.equal(row!.peer, peer!.uuid);
      assert.deepEqual((JSON.parse(row!.detail) as { fields: Record<string, unknown> }).fields.email, ['tidemark@example.org', 'eden@example.org'], 'the lost value is kept in the log');
      assert.match(await ok('sync', 'eden'), /success; received 0, applied 0, sent 0, conflicts 0/, 'and then nothing moves');

      // Eden's refusals are coded errors in the sync log, never a crash: wrong credentials (401)...
      await store.knex('tm_peer').where({ uuid: peer!.uuid }).update({ token: 'changed-in-eden' });
      const refused = await cli('sync', 'eden');
      assert.equal(refused.code, 1, refused.stderr);
      await ok('peer', 'set', 'eden', '--url', `${eden.url}/no-such-module`);
      await store.knex('tm_peer').where({ uuid: peer!.uuid }).update({ token: EDEN_ADMIN.password });
      const missing = await cli('sync', 'eden');
      assert.equal(missing.code, 1, missing.stderr);
      const log = JSON.parse(await ok('log', '--peer', 'eden', '--json')) as { direction: string; result: string; message: string | null }[];
      const failures = log.filter((l) => l.direction === 'sync' && l.result !== 'success');
      assert.equal(failures.length, 2, JSON.stringify(log.slice(0, 4)));
      assert.deepEqual(failures.map((f) => f.result).sort(), ['error', 'fatal'], 'a refused login is fatal, a missing page an error');
      // ...and Eden's JSON failure status, which Eden answers with HTTP 200.
      const client = new EdenClient(eden.url, EDEN_ADMIN.user, EDEN_ADMIN.password);
      await assert.rejects(
        client.post('/med/hospital.xml', '<s3xml><resource name="med_hospital"><data field="name">X</data><data field="facility_type" value="777">X</data></resource></s3xml>'),
        (e: unknown) => e instanceof TidemarkError && e.code === 'refused' && /facility_type/.test(e.message),
      );

      // The daemon of `tidemark serve` syncs the Eden peer like any other: a local edit reaches Eden.
      await ok('peer', 'set', 'eden', '--url', eden.url);
      await store.update('med_hospital', mine.uuid, { phone_business: '+254 700 000 222' });
      const svc = await serveInstance(db, { env: { TIDEMARK_DAEMON: '1', TIDEMARK_DAEMON_TICK_MS: '200', TIDEMARK_DAEMON_DEBOUNCE_MS: '200' } });
      try {
        let seen: unknown;
        for (let i = 0; i < 240 && seen !== '+254 700 000 222'; i++) {
          await new Promise((r) => setTimeout(r, 500));
          seen = (await one(mine.uuid)).phone_business;
        }
        assert.equal(seen, '+254 700 000 222', "the daemon pushed Tidemark's edit to Eden");
      } finally {
        await svc.stop();
      }
    } finally {
      await store.close();
    }
  });

  it("5. Eden's have/export.xsl and cap/export.xsl over Tidemark's feed: every hospital and alert, every mapped field filled", async () => {
    const store = await openStore(await freshDatabase('sqlite'), { instanceName: 'feed' });
    try {
      await loadSamples(store);
      const hospitalsFile = join(work, 'hospitals.s3xml');
      writeFileSync(hospitalsFile, await exportText(store, { resources: ['med_hospital'] }));
      const have = parseXml(execFileSync('xsltproc', [join(FORMATS, 'have', 'export.xsl'), hospitalsFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
      const ns = { have: 'urn:oasis:names:tc:emergency:EDXL:HAVE:1.0' };
      const hospitals = await store.list('med_hospital');
      // Eden's stylesheet keeps hospitals proper (facility types 1-3), not health centres.
      const proper = hospitals.filter((h) => [1, 2, 3].includes(h.data.facility_type as number));
      const out = have.find('//have:Hospital', ns) as Element[];
      assert.equal(out.length, proper.length);
      for (const e of out) {
        const id = (e.get('.//*[local-name()="OrganisationName"]/@*[local-name()="ID"]') as unknown as { value(): string } | null)?.value();
        const h = proper.find((x) => x.data.gov_uuid === id);
        assert.ok(h, `hospital ${id} is one of Tidemark's, by its government id`);
        const beds = await store.list('med_bed_capacity', { where: { hospital_id: h.uuid } });
        const caps = e.find('.//have:BedCapacity', ns) as Element[];
        assert.equal(caps.length, beds.length);
        for (const c of caps) {
          assert.notEqual((c.get('have:BedType', ns) as Element).text(), 'Other', 'bed types mapped');
          assert.match((c.get('.//have:AvailableCount', ns) as Element).text(), /^\d+$/, 'bed counts filled');
          assert.match((c.get('.//have:BaselineCount', ns) as Element).text(), /^\d+$/);
        }
        for (const path of ['.//have:EMSTrafficStatus', './/have:FacilityStatus', './/have:ClinicalStatus', './/have:SecurityStatus', './/have:Staffing']) {
          const v = (e.get(path, ns) as Element | null)?.text() ?? '';
          assert.ok(v !== '' && v !== 'Unknown', `${path} filled: "${v}"`);
        }
        assert.ok(e.get('.//have:ServiceCoverageStatus/*', ns), 'services present');
      }
      // Eden's CAP stylesheet writes one alert per document (Eden serves /cap/alert/<id>.cap):
      // one S3XML export per alert, page by page.
      const alerts = await store.list('cap_alert');
      const capNs = { cap: 'urn:oasis:names:tc:emergency:cap:1.2' };
      const got: Element[] = [];
      for (let after = 0, i = 0; ; i++) {
        const out = new PassThrough();
        const parts: Buffer[] = [];
        out.on('data', (c: Buffer) => parts.push(c));
        const page = await exportRecords(store, { format: 's3xml', resources: ['cap_alert'], limit: 1, after }, out);
        out.end();
        if (!page.count) break;
        const alertFile = join(work, `alert-${i}.s3xml`);
        writeFileSync(alertFile, Buffer.concat(parts));
        const cap = parseXml(execFileSync('xsltproc', [join(FORMATS, 'cap', 'export.xsl'), alertFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
        got.push(...(cap.find('//cap:alert', capNs) as Element[]));
        after = page.last;
        if (!page.more) break;
      }
      assert.equal(got.length, alerts.length);
      for (const a of got) {
        for (const f of ['cap:status', 'cap:msgType', 'cap:scope', 'cap:info/cap:urgency', 'cap:info/cap:severity', 'cap:info/cap:certainty', 'cap:info/cap:event']) {
          assert.ok(((a.get(f, capNs) as Element | null)?.text() ?? '') !== '', `${f} filled`);
        }
        assert.match((a.get('cap:sent', capNs) as Element).text(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/, 'CAP time');
      }
    } finally {
      await store.close();
    }
  });
});
