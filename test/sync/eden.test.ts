import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { dropTestDatabases, freshDatabase } from '../support/databases.js';
import { serveInstance } from './processes.js';
import { openStore } from '../../src/open.js';
import { createInvite, Peers } from '../../src/sync/index.js';
import { publish } from '../../src/auth/index.js';
import { userOn } from '../support/auth.js';

after(dropTestDatabases);

/** A refusal as Eden's sync client reads and logs it: its JSON status shape, with our code. */
async function edenRefusal(res: Response, status: number, code: string): Promise<void> {
  assert.equal(res.status, status);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.status, 'failed');
  assert.equal(body.statuscode, String(status));
  assert.equal(typeof body.message, 'string');
  assert.equal(body.error, code);
}

test("Sahana Eden's endpoints: pull S3XML with msince, 403 before registration, register with a pairing code, push", async () => {
  const dbA = await freshDatabase('sqlite');
  const dbB = await freshDatabase('sqlite');
  const a = await openStore(dbA, { instanceName: 'tidemark-a' });
  const b = await openStore(dbB, { instanceName: 'tidemark-b' });
  const A = await serveInstance(dbA);
  const B = await serveInstance(dbB);
  try {
    const org = await a.create('org_organisation', { name: 'Kenya Red Cross', acronym: 'KRCS' });
    const gone = await a.create('org_organisation', { name: 'Closed office' });
    await a.remove('org_organisation', gone.uuid);
    const eden = `urn:uuid:${randomUUID()}`;

    // Eden answers anonymous pulls only of what is configured so (docs/security.md): refused
    // until the operator publishes the resource.
    await edenRefusal(await fetch(`${A.url}/sync/sync.xml?resource=org_organisation&repository=${eden}`), 401, 'unauthorized');
    await publish(a, ['s3xml:org_organisation']);
    // An Eden pull: GET with the repository uuid, msince (Eden's zone-less form) and tombstones.
    const pull = await fetch(`${A.url}/sync/sync.xml?resource=org_organisation&repository=${eden}&msince=2000-01-01T00:00:00&include_deleted=True`);
    assert.equal(pull.status, 200);
    const xml = await pull.text();
    assert.match(xml, /<s3xml/);
    assert.ok(xml.includes(org.uuid) && xml.includes(gone.uuid));
    const later = await (await fetch(`${A.url}/sync/sync.xml?resource=org_organisation&repository=${eden}&msince=2999-01-01T00:00:00`)).text();
    assert.ok(!later.includes(org.uuid), 'msince filters');
    const reader = await userOn(a, 'reader');
    assert.equal((await fetch(`${A.url}/sync/sync.xml?resource=mixed&repository=${eden}`, { headers: { authorization: reader } })).status, 400);

    // An Eden push before registering: 403 "Registration required".
    // As every Eden sends it: form-urlencoded whatever the body, from a URL that ended in "/".
    const push = (auth?: string, body = xml) =>
      fetch(`${B.url}//sync/sync.xml?resource=org_organisation&repository=${eden}&strategy=create,update&update_policy=NEWER&conflict_policy=MASTER`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}) },
        body,
      });
    await edenRefusal(await push('admin:whatever'), 403, 'forbidden');

    // Registration as Eden does it, the pairing code as the password.
    const { code } = await createInvite(b);
    const reg = await fetch(`${B.url}//sync/repository/register.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`admin:${code}`).toString('base64')}` },
      body: JSON.stringify({ uuid: eden, name: 'eden.example.org', apitype: 'eden' }),
    });
    assert.equal(reg.status, 200);
    const regBody = (await reg.json()) as { status: string; sender: string };
    assert.equal(regBody.status, 'success');
    assert.equal(regBody.sender, b.instance.uuid);
    const bad = await fetch(`${B.url}/sync/repository/register.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uuid: `urn:uuid:${randomUUID()}` }) });
    await edenRefusal(bad, 403, 'forbidden');

    await edenRefusal(await push(`admin:wrong`), 401, 'unauthorized');
    const ok = await push(`admin:${code}`);
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(((await ok.json()) as { status: string }).status, 'success');
    assert.equal((await b.get('org_organisation', org.uuid))?.data.name, 'Kenya Red Cross');
    // Pushing the same document again changes nothing.
    const head = await b.head();
    assert.equal((await push(`admin:${code}`)).status, 200);
    assert.equal(await b.head(), head);
    // A push that cannot be applied is an HTTP error, which Eden's client logs as a failure.
    const broken = await push(`admin:${code}`, '<s3xml><resource name="org_organisation"><data field="acronym">no name</data></resource></s3xml>');
    assert.equal(broken.status, 422);
    const failed = (await broken.json()) as { status: string; statuscode: string; message: string };
    assert.equal(failed.status, 'failed');
    assert.equal(failed.statuscode, '422');
    assert.match(failed.message, /1 invalid item/);
    assert.equal(await b.head(), head, 'nothing written');
    // The grant: a repository granted offices only may not push organisations.
    await new Peers(b).configure(eden.slice('urn:uuid:'.length), { resources: ['org_office'] });
    await edenRefusal(await push(`admin:${code}`), 403, 'forbidden');
    assert.equal(await b.head(), head, 'nothing written');
  } finally {
    await A.stop();
    await B.stop();
    await a.close();
    await b.close();
  }
});

test("An Eden push carries the records its records refer to: written where the repository's grant covers them, else only resolving the reference; what it sent is not pulled back", async () => {
  const db = await freshDatabase('sqlite');
  const store = await openStore(db, { instanceName: 'tidemark-refs' });
  const svc = await serveInstance(db);
  try {
    const eden = `urn:uuid:${randomUUID()}`;
    const { code } = await createInvite(store);
    const auth = `Basic ${Buffer.from(`eden:${code}`).toString('base64')}`;
    const send = (method: 'GET' | 'PUT', resource: string, body?: string, query = '') =>
      fetch(`${svc.url}/sync/sync.xml?resource=${resource}&repository=${eden}${query}`, { method, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body });
    const reg = await fetch(`${svc.url}/sync/repository/register.json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body: JSON.stringify({ uuid: eden, name: 'eden' }) });
    assert.equal(reg.status, 200);
    const known = await store.create('gis_location', { name: 'Kisumu', lat: -0.0917, lon: 34.768 });
    // Eden's export: the referenced location and organisation at the top level, then the office.
    const fresh = (): string => `urn:uuid:${randomUUID()}`;
    // Eden's stamp for its copy of the organisation: a minute before the test, to the second.
    const past = new Date(Date.now() - 60_000).toISOString().slice(0, 19);
    const [loc, org, office, newLoc] = [fresh(), fresh(), fresh(), fresh()];
    const doc = (officeLoc: string, extra = '') => `<s3xml>
      <resource name="gis_location" uuid="${loc}"><data field="name">Nakuru</data><data field="lat" value="-0.3031">-0.3031</data><data field="lon" value="36.08">36.08</data></resource>
      <resource name="gis_location"><data field="name">Kisumu</data><data field="lat" value="-0.0917">-0.0917</data><data field="lon" value="34.768">34.768</data></resource>
      ${extra}
      <resource name="org_organisation" uuid="${org}" modified_on="${past}"><data field="name">Nakuru Relief</data></resource>
      <resource name="org_office" uuid="${office}"><data field="name">Nakuru office</data>
        <reference field="organisation_id" resource="org_organisation" uuid="${org}"/>
        <reference field="location_id" resource="gis_location" uuid="${officeLoc}"/></resource>
    </s3xml>`;

    // Granted everything (the default): the referenced records are written with the office.
    const all = await send('PUT', 'org_office', doc(loc));
    assert.equal(all.status, 200, await all.clone().text());
    assert.equal((await store.get('gis_location', loc))?.data.name, 'Nakuru');
    assert.equal((await store.get('org_organisation', org))?.data.name, 'Nakuru Relief');
    assert.equal((await store.get('org_office', office))?.data.location_id, loc);
    assert.equal((await store.list('gis_location', { where: { name: 'Kisumu' } })).length, 1, 'the uuid-less location matched, not duplicated');

    // What came from the repository is not offered back to it; a local edit is.
    const pull = async (): Promise<string> => (await send('GET', 'org_office', undefined, '&include_deleted=True')).text();
    assert.ok(!(await pull()).includes(office), 'its own office is not sent back');
    await store.update('org_office', office, { email: 'nakuru@example.org', location_id: known.uuid });
    const edited = await pull();
    assert.ok(edited.includes(office), 'an edit made here travels');
    // The records it refers to travel along first (for Eden to resolve), unless they came from Eden.
    assert.ok(edited.includes(`<resource name="gis_location" uuid="${known.uuid}"`));
    assert.ok(edited.indexOf(`uuid="${known.uuid}"`) < edited.indexOf(`uuid="${office}"`), 'its location goes first');
    assert.ok(!edited.includes(`<resource name="org_organisation" uuid="${org}"`), 'the organisation Eden sent is not sent back');

    // Eden sends everything every time: its older copy does not turn back a change made here since.
    await store.update('org_organisation', org, { acronym: 'NR' });
    const stale = await send('PUT', 'org_office', doc(loc));
    const staleAnswer = (await stale.json()) as { status: string; warnings?: string[] };
    assert.equal(stale.status, 200);
    assert.ok(staleAnswer.warnings?.some((w) => /older than the record held here/.test(w)), JSON.stringify(staleAnswer));
    assert.equal((await store.get('org_organisation', org))?.data.acronym, 'NR');

    // Granted only offices: locations and organisations are not written, only resolve references.
    await new Peers(store).configure(eden.slice(9), { resources: ['org_office'] });
    const head = await store.head();
    const office2 = `urn:uuid:${randomUUID()}`;
    const narrow = await send('PUT', 'org_office', doc(known.uuid, '').replace(office, office2).replace('Nakuru Relief', 'Renamed by Eden').replace('>Nakuru<', '>Renamed<'));
    const answer = (await narrow.json()) as { status: string; message: string; warnings?: string[] };
    assert.equal(narrow.status, 200, answer.message);
    assert.match(answer.warnings?.[0] ?? '', /not granted/);
    assert.equal((await store.get('org_organisation', org))?.data.name, 'Nakuru Relief', 'an ungranted record is not written');
    assert.equal((await store.get('gis_location', loc))?.data.name, 'Nakuru');
    assert.equal((await store.get('org_office', office2))?.data.location_id, known.uuid, 'the office refers to the location held here');
    assert.ok((await store.head()) > head);
    // A reference to an ungranted record this instance does not hold cannot be applied: 422, nothing written.
    const head2 = await store.head();
    const missing = await send('PUT', 'org_office', doc(newLoc, `<resource name="gis_location" uuid="${newLoc}"><data field="name">Eldoret</data></resource>`).replace(office, `urn:uuid:${randomUUID()}`));
    assert.equal(missing.status, 422);
    const failed = (await missing.json()) as { status: string; message: string };
    assert.equal(failed.status, 'failed');
    assert.match(failed.message, /may not write/);
    assert.equal(await store.get('gis_location', newLoc), undefined);
    assert.equal(await store.head(), head2, 'nothing written');
  } finally {
    await svc.stop();
    await store.close();
  }
});
