import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openStore } from '../../src/open.js';
import { Accounts } from '../../src/auth/index.js';
import { buildApp } from '../../src/server/app.js';
import { ACCESS, unruledRoutes } from '../../src/server/access.js';
import { startService, tidemark, type ServiceProcess } from '../support/processes.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { basicAuth } from '../support/auth.js';

after(dropTestDatabases);


const office = (uuid: string, name: string): string =>
  `<s3xml><resource name="org_organisation" uuid="urn:uuid:${uuid}"><data field="name">${name}</data></resource></s3xml>`;

describe('the access table', () => {
  it('has a rule for every route the service registers, and the service refuses to start with one missing', async () => {
    const db = await freshDatabase('sqlite');
    const store = await openStore(db);
    try {
      const app = await buildApp({ store });
      await app.ready();
      assert.deepEqual(unruledRoutes(app), []);
      // Every route of the service is in the table (and the table names no route that is gone).
      for (const key of Object.keys(ACCESS)) {
        const [method, url] = key.split(' ') as [string, string];
        assert.ok(app.hasRoute({ method: method as 'GET', url }), `${key} is not a route any more`);
      }
      await app.close();

      const bad = await buildApp({ store });
      bad.get('/secret', async () => 'nothing');
      await assert.rejects(async () => bad.ready(), /routes without an access rule.*GET \/secret/);
      await bad.close().catch(() => undefined);
    } finally {
      await store.close();
    }
  });
});

for (const kind of DB_KINDS) {
  describe(`who may call what (${kind}, real tidemark serve)`, () => {
    let db: string;
    let svc: ServiceProcess;
    const pw = { admin: 'admin-password-1', editor: 'editor-password-1', reader: 'reader-password-1' };
    let token: string;
    let tokenId: string;

    before(async () => {
      db = await freshDatabase(kind);
      const store = await openStore(db);
      try {
        const accounts = new Accounts(store);
        await accounts.add('ada', 'admin', pw.admin);
        await accounts.add('ed', 'editor', pw.editor);
        await accounts.add('rita', 'reader', pw.reader);
        const t = await accounts.createToken('ed', 'importer script');
        token = t.token;
        tokenId = t.info.id;
      } finally {
        await store.close();
      }
      svc = await startService(['serve', '--db', db]);
    });
    after(async () => {
      await svc?.stop();
    });

    const count = async (): Promise<number> => {
      const r = await fetch(`${svc.url}/s3xml/org_organisation.json`, { headers: { authorization: basicAuth('rita', pw.reader) } });
      assert.equal(r.status, 200);
      const doc = (await r.json()) as { $_org_organisation?: unknown[] };
      return doc.$_org_organisation?.length ?? 0;
    };
    const put = (headers: Record<string, string>, body = office(randomUUID(), 'Relief Office')) =>
      fetch(`${svc.url}/s3xml/org_organisation`, { method: 'PUT', headers: { 'content-type': 'application/xml', ...headers }, body });

    it('refuses anonymous and reader writes, with nothing written; /health stays open', async () => {
      const before = await count();
      const anon = await put({});
      assert.equal(anon.status, 401);
      assert.equal(((await anon.json()) as { error: string }).error, 'unauthorized');
      const deleteAll = await put({}, `<s3xml><resource name="org_organisation" uuid="urn:uuid:${randomUUID()}" deleted="True"/></s3xml>`);
      assert.equal(deleteAll.status, 401);
      const reader = await put({ authorization: basicAuth('rita', pw.reader) });
      assert.equal(reader.status, 403);
      assert.equal(((await reader.json()) as { error: string }).error, 'forbidden');
      const wrong = await put({ authorization: basicAuth('ed', 'not-the-password') });
      assert.equal(wrong.status, 401);
      assert.equal(await count(), before);
      assert.equal((await fetch(`${svc.url}/health`)).status, 200);
      assert.equal((await fetch(`${svc.url}/s3xml/org_organisation`)).status, 401);
      assert.equal((await fetch(`${svc.url}/feeds/edxl-have`)).status, 401);
    });

    it('lets an editor write with Basic or an API token, until the token is revoked', async () => {
      const before = await count();
      assert.equal((await put({ authorization: basicAuth('ed', pw.editor) })).status, 200);
      assert.equal((await put({ authorization: `Bearer ${token}` })).status, 200);
      assert.equal(await count(), before + 2);
      const revoked = await tidemark(['token', 'revoke', tokenId, '--db', db]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal((await put({ authorization: `Bearer ${token}` })).status, 401);
      assert.equal((await put({ authorization: 'Bearer tmk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status, 401);
      assert.equal(await count(), before + 2);
    });

    it('signs a console user in with a session cookie; writes need its CSRF token; logout ends it', async () => {
      const bad = await fetch(`${svc.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ed', password: 'wrong-password' }) });
      assert.equal(bad.status, 401);
      const res = await fetch(`${svc.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ user: 'ed', password: pw.editor }).toString(),
      });
      assert.equal(res.status, 200);
      const setCookie = res.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Strict/);
      const cookie = setCookie.split(';')[0]!;
      const { csrf, role } = (await res.json()) as { csrf: string; role: string };
      assert.equal(role, 'editor');
      const who = (await (await fetch(`${svc.url}/auth/session`, { headers: { cookie } })).json()) as { user: string; csrf: string };
      assert.equal(who.user, 'ed');
      assert.equal(who.csrf, csrf);
      const before = await count();
      const noCsrf = await put({ cookie });
      assert.equal(noCsrf.status, 403);
      assert.equal((await put({ cookie, 'x-csrf-token': 'x'.repeat(csrf.length) })).status, 403);
      assert.equal(await count(), before);
      assert.equal((await put({ cookie, 'x-csrf-token': csrf })).status, 200);
      assert.equal(await count(), before + 1);
      assert.equal((await fetch(`${svc.url}/auth/logout`, { method: 'POST', headers: { cookie } })).status, 200);
      assert.equal((await put({ cookie, 'x-csrf-token': csrf })).status, 401);
      assert.equal(await count(), before + 1);
    });

    it('serves a feed without sign-in only once an admin publishes it', async () => {
      assert.equal((await fetch(`${svc.url}/s3xml/org_organisation`)).status, 401);
      const pub = await tidemark(['publish', 's3xml:org_organisation', 'feed:edxl-have', '--db', db]);
      assert.equal(pub.code, 0, pub.stderr);
      assert.match(pub.stdout, /s3xml:org_organisation/);
      assert.equal((await fetch(`${svc.url}/s3xml/org_organisation`)).status, 200);
      assert.equal((await fetch(`${svc.url}/s3xml/org_organisation.json`)).status, 200);
      // Only that resource: the whole feed and others stay closed.
      assert.equal((await fetch(`${svc.url}/s3xml`)).status, 401);
      assert.equal((await fetch(`${svc.url}/s3xml/org_office`)).status, 401);
      assert.equal((await fetch(`${svc.url}/s3xml/org_organisation,org_office`)).status, 401);
      assert.notEqual((await fetch(`${svc.url}/feeds/edxl-have`)).status, 401);
      assert.equal((await fetch(`${svc.url}/feeds/cap`)).status, 401);
      // Publishing is not writing.
      assert.equal((await put({})).status, 401);
      const unpub = await tidemark(['publish', '--remove', 's3xml:org_organisation', '--db', db]);
      assert.equal(unpub.code, 0, unpub.stderr);
      assert.equal((await fetch(`${svc.url}/s3xml/org_organisation`)).status, 401);
    });
  });
}

describe('tidemark user and token commands', () => {
  it('adds, lists, re-roles and removes users, keeps the last admin, and init makes the first admin once', async () => {
    const db = await freshDatabase('sqlite');
    const init = await tidemark(['init', '--db', db], { env: { TIDEMARK_ADMIN_PASSWORD: 'scripted-password-1' } });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout.trim(), /^[0-9a-f-]{36}$/);
    assert.match(init.stderr, /admin account: admin/);
    const again = await tidemark(['init', '--db', db]);
    assert.doesNotMatch(again.stderr, /admin account/);

    const add = await tidemark(['user', 'add', 'nuru', '--role', 'operator', '--db', db]);
    assert.equal(add.code, 0, add.stderr);
    const shown = /password \(shown once\): (\S+)/.exec(add.stdout)?.[1];
    assert.ok(shown && shown.length >= 10 && !shown.startsWith('-'));
    const store = await openStore(db);
    try {
      const accounts = new Accounts(store);
      assert.equal((await accounts.checkPassword('nuru', shown))?.role, 'operator');
      assert.equal((await accounts.checkPassword('admin', 'scripted-password-1'))?.role, 'admin');
      assert.equal(await accounts.checkPassword('admin', 'wrong'), undefined);
      // Only a hash is kept.
      const row = (await store.knex('tm_user').where({ name: 'nuru' }).first()) as { password_hash: string };
      assert.ok(!row.password_hash.includes(shown));
      assert.match(row.password_hash, /^scrypt\$/);
    } finally {
      await store.close();
    }
    const stdinPw = await tidemark(['user', 'passwd', 'nuru', '--password-stdin', '--db', db], { input: 'a-new-password-2\n' });
    assert.equal(stdinPw.code, 0, stdinPw.stderr);
    const role = await tidemark(['user', 'role', 'nuru', 'admin', '--db', db]);
    assert.equal(role.code, 0, role.stderr);
    const badRole = await tidemark(['user', 'role', 'nuru', 'king', '--db', db]);
    assert.equal(badRole.code, 1);
    const list = await tidemark(['user', 'list', '--db', db]);
    assert.match(list.stdout, /^admin\tadmin/m);
    assert.match(list.stdout, /^nuru\tadmin/m);
    assert.equal((await tidemark(['user', 'remove', 'admin', '--db', db])).code, 0);
    const last = await tidemark(['user', 'remove', 'nuru', '--db', db]);
    assert.equal(last.code, 1);
    assert.match(last.stderr, /last admin/);

    const tok = await tidemark(['token', 'create', 'nuru', '--label', 'backup script', '--db', db]);
    assert.equal(tok.code, 0, tok.stderr);
    const secret = tok.stdout.trim();
    assert.match(secret, /^tmk_[0-9a-f]{12}_/);
    const tokens = await tidemark(['token', 'list', '--db', db]);
    assert.match(tokens.stdout, /\tnuru\tbackup script\t/);
    assert.ok(!tokens.stdout.includes(secret.slice(17)));
  });
});
