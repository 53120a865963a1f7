import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { encodeCursor, type Store } from '../../src/store/index.js';
import { openStore } from '../../src/open.js';
import { gzipSync } from 'node:zlib';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { ErrorSchema } from '../../src/server/schemas.js';
import { hasCode } from '../../src/errors.js';
import { checkHello, createInvite, HelloSchema, mySchema, PageResultSchema, PageSchema, Peers, readPage, readSyncLog } from '../../src/sync/index.js';
import { startServer, type RunningServer } from '../../src/server/listen.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { userOn } from '../support/auth.js';

after(dropTestDatabases);

/**
 * The routes' schemas, over real HTTP: a request of the wrong shape is refused with a coded error
 * naming the field, before anything is written; the same schemas are what /openapi.json shows.
 */

type Json = Record<string, unknown>;
const SYNC = '/sync/v1';

for (const kind of DB_KINDS) {
  describe(`route schemas validate and document (${kind})`, () => {
    let store: Store;
    let server: RunningServer;
    let editor: string;
    const peer = randomUUID();
    const token = 't'.repeat(40);

    const count = async (): Promise<number> => Number(((await store.knex('org_organisation').count({ n: '*' }))[0] as { n: number }).n);
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json }> => {
      const r = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-tidemark-instance': peer, ...headers },
        body: JSON.stringify(body),
      });
      return { status: r.status, json: (await r.json()) as Json };
    };
    const field = (r: { json: Json }): unknown => (r.json.where as Json | undefined)?.field;
    const now = new Date().toISOString();
    const page = (): Json => ({
      resource: 'org_organisation',
      from: null,
      cursor: encodeCursor(peer, 1),
      more: false,
      instances: [peer],
      records: [{ uuid: `urn:uuid:${randomUUID()}`, created_on: now, modified_on: now, origin: 0, changed_by: 0, version: [0, 1], hlc: `${Date.now()}.000000`, data: { name: 'Shaped' } }],
    });
    const hello = (): Json => ({ protocol: 1, instance: peer, name: 'site-b', schema_version: 1, registry_hash: 'x', resources: { org_organisation: { head: encodeCursor(peer, 0), have: null } } });

    before(async () => {
      store = await openStore(await freshDatabase(kind), { instanceName: 'site-a' });
      editor = await userOn(store, 'editor');
      server = await startServer(store, { port: 0 });
      const { code } = await createInvite(store);
      const paired = await post(`${SYNC}/pair`, { instance: peer, name: 'site-b', code, token, url: null });
      assert.equal(paired.status, 200, JSON.stringify(paired.json));
      await new Peers(store).configure(peer, { resources: ['org_organisation'] });
    });
    after(async () => {
      await server?.close();
      await store?.close();
    });

    it('a hello, pull or push of the wrong shape is refused naming the field, and nothing is written', async () => {
      const before = await count();
      const logged = (await readSyncLog(store.knex, { limit: 1000 })).length;
      const cases: [string, unknown, string][] = [
        ['/hello', { ...hello(), protocol: '1' }, 'body/protocol'],
        ['/hello', (({ resources: _, ...h }) => h)(hello()), 'body/resources'],
        ['/hello', { ...hello(), resources: { org_organisation: { head: 5, have: null } } }, 'body/resources/org_organisation/head'],
        ['/pull', { resource: 'org_organisation', after: null, limit: 'abc' }, 'body/limit'],
        ['/pull', { resource: 'org_organisation' }, 'body/after'],
        ['/pull', { resource: 'org_organisation', after: null, limit: 100000 }, 'body/limit'],
        ['/pull', { resource: 'org_organisation', after: null, filter: { name: { $ne: 'x' } } }, 'body/filter/name'],
        ['/hello', { ...hello(), plan: { filters: { org_organisation: { name: ['x'] } } } }, 'body/plan/filters/org_organisation/name'],
        ['/push', { ...page(), more: 'no' }, 'body/more'],
        ['/push', (({ cursor: _, ...p }) => p)(page()), 'body/cursor'],
        ['/push', { ...page(), records: [{ ...(page().records as Json[])[0], version: 'v1' }] }, 'body/records/0/version'],
        ['/push', { ...page(), instances: ['not-an-instance'] }, 'body/instances/0'],
      ];
      for (const [path, body, named] of cases) {
        const r = await post(`${SYNC}${path}`, body);
        assert.equal(r.status, 422, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
        assert.equal(r.json.error, 'invalid');
        assert.equal(field(r), named, JSON.stringify(r.json));
        assert.match(String(r.json.message), new RegExp(named.replace(/\//g, '\\/')));
      }
      // A pairing request with a short token: the pairing code stays unspent.
      const { code } = await createInvite(store);
      const short = await post(`${SYNC}/pair`, { instance: randomUUID(), name: 'x', code, token: 'short' }, { authorization: '' });
      assert.equal(short.status, 422);
      assert.equal(field(short), 'body/token');
      assert.equal(await count(), before);
      assert.equal((await readSyncLog(store.knex, { limit: 1000 })).length, logged);
      // A gzip push is inflated (within its limits) and then meets the same schema.
      const zipped = await fetch(`${server.url}${SYNC}/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${token}`, 'x-tidemark-instance': peer },
        body: gzipSync(JSON.stringify({ ...page(), from: 7 })),
      });
      assert.equal(zipped.status, 422);
      assert.equal(((await zipped.json()) as { where: Json }).where.field, 'body/from');
      // The same messages, well formed, pass the schemas.
      const fine = await post(`${SYNC}/push`, page());
      assert.equal(fine.status, 200, JSON.stringify(fine.json));
      assert.equal(await count(), before + 1);
      assert.equal((await post(`${SYNC}/pair`, { instance: randomUUID(), name: 'x', code, token: 'u'.repeat(40) }, { authorization: '' })).status, 200);
    });

    it('the answers are what the schemas say', async () => {
      const mine = mySchema(store);
      const answers: [unknown, TSchema][] = [
        [(await post(`${SYNC}/hello`, { ...hello(), ...mine, plan: {} })).json, HelloSchema],
        [(await post(`${SYNC}/pull`, { resource: 'org_organisation', after: null, limit: 10 })).json, PageSchema],
        [(await post(`${SYNC}/push`, { ...page(), from: encodeCursor(peer, 1), cursor: encodeCursor(peer, 2) })).json, PageResultSchema],
      ];
      for (const [answer, schema] of answers) {
        const v = Compile(schema);
        assert.ok(v.Check(answer), `${JSON.stringify(answer).slice(0, 300)}: ${JSON.stringify(v.Errors(answer)[0])}`);
      }
      const refused = (await post(`${SYNC}/pull`, { resource: 'no_such_table', after: null })).json;
      assert.ok(Compile(ErrorSchema).Check(refused), JSON.stringify(refused));
    });

    it('a page met off HTTP (a bundle, radio) is checked against the same schema', () => {
      assert.throws(
        () => readPage(store.registry, { ...page(), more: 'no' }),
        (e: unknown) => hasCode(e, 'malformed') && e.where.field === 'more' && e.where.resource === 'org_organisation',
      );
      assert.throws(() => readPage(store.registry, { ...page(), instances: [42] }), (e: unknown) => hasCode(e, 'malformed') && e.where.field === 'instances/0');
      assert.throws(() => checkHello({ schema_version: 1, registry_hash: 'x' }, { ...hello(), resources: { org_organisation: { have: null } } }), (e: unknown) => hasCode(e, 'malformed') && e.where.field === 'resources/org_organisation/head');
      assert.equal(readPage(store.registry, page()).versions.length, 1);
    });

    it('a bad query parameter is refused naming it', async () => {
      for (const path of ['/s3xml/org_organisation?limit=abc', '/s3xml?limit=-1', '/feeds/edxl-have?limit=abc', '/conflicts?limit=abc']) {
        const r = await fetch(`${server.url}${path}`, { headers: { authorization: editor } });
        const json = (await r.json()) as Json;
        assert.equal(r.status, 422, path);
        assert.deepEqual([json.error, (json.where as Json).field], ['invalid', 'querystring/limit'], path);
      }
      const r = await fetch(`${server.url}/sync/sync.xml?resource=org_organisation&limit=abc`, { headers: { authorization: editor } });
      const eden = (await r.json()) as Json;
      assert.equal(r.status, 422);
      assert.deepEqual([eden.status, eden.error], ['failed', 'invalid'], 'Eden endpoints keep Eden\'s shape');
      assert.match(String(eden.message), /querystring\/limit/);
    });

    it('/openapi.json documents bodies, queries and answers from the same schemas', async () => {
      const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Json>> };
      const push = doc.paths[`${SYNC}/push`]!.post!;
      const body = ((push.requestBody as Json).content as Record<string, { schema: Json }>)['application/json']!.schema;
      assert.deepEqual([...(body.required as string[])].sort(), ['cursor', 'from', 'instances', 'more', 'records', 'resource']);
      const record = ((body.properties as Json).records as Json).items as Json;
      assert.ok(((record.required as string[]) ?? []).includes('hlc'));
      const ok = ((push.responses as Json)['200'] as Json).content as Record<string, { schema: Json }>;
      assert.ok((ok['application/json']!.schema.properties as Json).applied);
      const refused = ((push.responses as Json)['4XX'] as Json).content as Record<string, { schema: Json }>;
      assert.ok((refused['application/json']!.schema.properties as Json).error);
      const feed = doc.paths['/s3xml/{resource}']!.get!;
      const names = (feed.parameters as { name: string; in: string }[]).map((p) => `${p.in}:${p.name}`);
      for (const q of ['since', 'until', 'cursor', 'limit', 'include_deleted']) assert.ok(names.includes(`query:${q}`), `${q} in ${names.join(' ')}`);
      assert.ok(names.includes('path:resource'));
      for (const path of [`${SYNC}/hello`, `${SYNC}/pull`, `${SYNC}/pair`]) assert.ok(doc.paths[path]!.post!.requestBody, path);
      // Every API route documents itself and its refusals; the console's HTML pages are not the API.
      for (const [path, ops] of Object.entries(doc.paths)) {
        assert.ok(!path.startsWith('/console'), path);
        for (const [method, op] of Object.entries(ops)) {
          assert.ok(op.summary, `${method} ${path}`);
          if (path !== '/health') assert.ok((op.responses as Json)['4XX'], `${method} ${path} documents its 4xx`);
        }
      }
      const eden = doc.paths['/sync/sync.xml']!.get!;
      assert.ok((eden.parameters as { name: string }[]).some((p) => p.name === 'msince'));
    });
  });
}
