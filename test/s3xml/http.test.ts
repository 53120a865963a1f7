import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../../src/server/listen.js';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { comparable, schemaProblems, seed, snapshot } from './support.js';
import { fetchAs, userOn } from '../support/auth.js';

after(dropTestDatabases);

for (const kind of DB_KINDS) {
  describe(`/s3xml over real HTTP on ${kind}`, () => {
    let a: Store;
    let b: Store;
    let sa: RunningServer;
    let sb: RunningServer;
    let ids: Record<string, string>;
    let fetchA: ReturnType<typeof fetchAs>;
    let fetchB: ReturnType<typeof fetchAs>;
    before(async () => {
      a = await openStore(await freshDatabase(kind), { instanceName: 'http-a' });
      b = await openStore(await freshDatabase(kind), { instanceName: 'http-b' });
      ids = await seed(a);
      // Reads need a reader, imports an editor (docs/security.md): the tests sign in as one.
      const editorA = await userOn(a, 'editor');
      const editorB = await userOn(b, 'editor');
      fetchA = fetchAs(editorA);
      fetchB = fetchAs(editorB);
      sa = await startServer(a, { port: 0 });
      sb = await startServer(b, { port: 0, bodyLimit: 256 * 1024 });
    });
    after(async () => {
      await sa?.close();
      await sb?.close();
      await a?.close();
      await b?.close();
    });

    it('GET /s3xml/{resource} streams valid S3XML with the cursor in the root and a header', async () => {
      const res = await fetchA(`${sa.url}/s3xml/med_hospital`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /application\/xml/);
      const text = await res.text();
      assert.deepEqual(schemaProblems(text), []);
      const cursor = res.headers.get('x-tidemark-cursor')!;
      assert.ok(cursor);
      assert.match(text, new RegExp(`<s3xml [^>]*cursor="${cursor}"`));
      assert.match(text, new RegExp(`uuid="${ids.h1}"`));
      assert.doesNotMatch(text, new RegExp(`uuid="${ids.h2}"`), 'tombstones only when asked');
      const withDeleted = await (await fetchA(`${sa.url}/s3xml/med_hospital?include_deleted=true`)).text();
      assert.match(withDeleted, new RegExp(`uuid="${ids.h2}" deleted="True"`));
    });

    it('answers S3JSON for a .json suffix and for Accept: application/json', async () => {
      const bySuffix = await fetchA(`${sa.url}/s3xml/med_hospital.json`);
      assert.match(bySuffix.headers.get('content-type')!, /application\/json/);
      const doc = (await bySuffix.json()) as Record<string, unknown>;
      assert.equal((doc.$_med_hospital as unknown[]).length, 1);
      const byAccept = await fetchA(`${sa.url}/s3xml/med_hospital`, { headers: { accept: 'application/json' } });
      assert.deepEqual(await byAccept.json(), doc);
    });

    it('pages with limit and cursor until the feed is exhausted', async () => {
      const uuids: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const res = await fetchA(`${sa.url}/s3xml?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        const doc = (await (await fetchA(`${sa.url}/s3xml.json?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json()) as Record<string, unknown>;
        for (const [k, v] of Object.entries(doc)) if (k.startsWith('$_')) for (const r of v as { '@uuid': string }[]) uuids.push(r['@uuid']);
        assert.equal(res.headers.get('x-tidemark-cursor'), doc['@cursor']);
        await res.text();
        cursor = res.headers.get('x-tidemark-cursor')!;
        if (res.headers.get('x-tidemark-more') !== 'true') break;
      }
      assert.equal(new Set(uuids).size, uuids.length);
      assert.equal(uuids.length, 6, 'every live top-level record once');
      const empty = await fetchA(`${sa.url}/s3xml?cursor=${cursor}`);
      assert.match(await empty.text(), /results="0"/);
    });

    it('refuses unknown resources and foreign cursors with 4xx', async () => {
      const unknown = await fetchA(`${sa.url}/s3xml/org_secret`);
      assert.equal(unknown.status, 404);
      assert.match(((await unknown.json()) as { message: string }).message, /unknown resource/);
      const badCursor = await fetchA(`${sa.url}/s3xml/org_office?cursor=bm90LWEtY3Vyc29y`);
      assert.equal(badCursor.status, 400);
      const foreign = await fetchA(`${sa.url}/s3xml/org_office?cursor=${(await fetchB(`${sb.url}/s3xml`)).headers.get('x-tidemark-cursor')}`);
      assert.equal(foreign.status, 422);
      const badDate = await fetchA(`${sa.url}/s3xml/org_office?since=yesterday`);
      assert.equal(badDate.status, 422);
    });

    it('PUT /s3xml imports a streamed document and answers with Eden’s status message; the records get local versions', async () => {
      const doc = await (await fetchA(`${sa.url}/s3xml`)).text();
      const res = await fetchB(`${sb.url}/s3xml`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: doc });
      const msg = (await res.json()) as Record<string, unknown>;
      assert.equal(res.status, 200, JSON.stringify(msg));
      assert.equal(msg.status, 'success');
      assert.equal(msg.statuscode, '200');
      assert.ok((msg.created as number) > 10);
      const there = await (await fetchB(`${sb.url}/s3xml`)).text();
      // The same records, but versions of this instance: a user's document carries none.
      const versionless = (t: string) => comparable(t.replace(/ tm_(origin|changed_by|version|hlc)="[^"]*"/g, ''));
      assert.equal(versionless(there), versionless(doc));
      assert.ok(!there.includes(a.instance.uuid), 'no version of the other instance was kept');
    });

    it('POST /s3xml/{resource}.json imports S3JSON and refuses records of other resources', async () => {
      const body = JSON.stringify({ $_org_organisation: [{ '@uuid': 'urn:uuid:7a1c2a1e-0000-4000-8000-000000000001', name: 'Posted Org' }] });
      const ok = await fetchB(`${sb.url}/s3xml/org_organisation.json`, { method: 'POST', body });
      assert.equal(ok.status, 200);
      assert.equal(((await ok.json()) as { created: number }).created, 1);
      const wrong = await fetchB(`${sb.url}/s3xml/med_hospital`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(wrong.status, 422);
      assert.match(((await wrong.json()) as { message: string }).message, /only med_hospital records/);
    });

    it('answers bad documents with 4xx, every problem listed, and writes nothing', async () => {
      const before0 = await snapshot(b);
      const bad = `<s3xml>\n<resource name="org_office"><data field="name">x</data></resource>\n<resource name="med_hospital"><data field="beds" value="1"/></resource>\n</s3xml>`;
      const res = await fetchB(`${sb.url}/s3xml`, { method: 'PUT', headers: { 'content-type': 'text/xml' }, body: bad });
      assert.equal(res.status, 422);
      const msg = (await res.json()) as { status: string; statuscode: string; message: string; problems: { message: string; where: { line: number } }[] };
      assert.equal(msg.status, 'failed');
      assert.equal(msg.statuscode, '422');
      assert.equal(msg.problems.length, 2);
      assert.deepEqual(msg.problems.map((p) => p.where.line).sort(), [2, 3]);
      assert.match(msg.message, /\(and 1 more problem\); nothing was imported/);
      const malformed = await fetchB(`${sb.url}/s3xml`, { method: 'PUT', body: '<s3xml><resource name="org_office">' });
      assert.equal(malformed.status, 400);
      const doctype = await fetchB(`${sb.url}/s3xml`, { method: 'PUT', body: '<!DOCTYPE s3xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><s3xml/>' });
      assert.equal(doctype.status, 400);
      const big = `<s3xml>${'<resource name="gis_location"><data field="name">padding padding padding</data></resource>'.repeat(60000)}</s3xml>`;
      const tooLarge = await fetchB(`${sb.url}/s3xml`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: big });
      assert.equal(tooLarge.status, 413);
      assert.equal(await snapshot(b), before0);
    });

    it('?ignore_errors=true commits the valid items and lists the others', async () => {
      const doc = `<s3xml><resource name="org_organisation"><data field="name">Kept</data></resource><resource name="org_organisation"><data field="acronym">nameless</data></resource></s3xml>`;
      const res = await fetchB(`${sb.url}/s3xml/org_organisation?ignore_errors=true`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: doc });
      const msg = (await res.json()) as { status: string; created: number; message: string; problems: unknown[] };
      assert.equal(res.status, 200);
      assert.equal(msg.created, 1);
      assert.equal(msg.problems.length, 1);
      assert.match(msg.message, /1 invalid item ignored/);
    });

    it('describes the routes in the OpenAPI document', async () => {
      const api = (await (await fetchA(`${sa.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary?: string }>> };
      assert.ok(api.paths['/s3xml/{resource}']?.get?.summary);
      assert.ok(api.paths['/s3xml/{resource}']?.put?.summary);
      assert.ok(api.paths['/s3xml']?.post?.summary);
    });
  });
}
