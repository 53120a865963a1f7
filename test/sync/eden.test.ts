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
