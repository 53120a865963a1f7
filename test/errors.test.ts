import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CATALOGUE, coded, isErrorCode, TidemarkError } from '../src/errors.js';
import { openStore } from '../src/open.js';
import { startServer } from '../src/server/listen.js';
import { dropTestDatabases, freshDatabase } from './support/databases.js';
import { tidemark } from './support/processes.js';
import { userOn } from './support/auth.js';

after(dropTestDatabases);

describe('the error catalogue', () => {
  it('gives every code an HTTP error status, an exit code and a template', () => {
    for (const [code, e] of Object.entries(CATALOGUE)) {
      assert.ok(e.status >= 400 && e.status < 600, code);
      assert.ok(e.exit > 0 && e.exit < 128, code);
      assert.ok(e.template.length > 0, code);
      assert.ok(isErrorCode(code));
    }
    assert.equal(isErrorCode('no_such_code'), false);
  });

  it('fills templates from values and places, and keeps the old constructor', () => {
    const moved = coded('cursor_moved', {}, { resource: 'org_office' });
    assert.equal(moved.code, 'cursor_moved');
    assert.equal(moved.status, 409);
    assert.match(moved.describe(), /^org_office: the cursor of org_office moved meanwhile/);
    const old = new TidemarkError('invalid', 'beds must be a number', { resource: 'med_bed_capacity', field: 'beds' });
    assert.deepEqual(old.toJSON(), { error: 'invalid', message: 'med_bed_capacity.beds: beds must be a number', where: { resource: 'med_bed_capacity', field: 'beds' } });
    assert.equal(old.exit, 1);
  });
});

describe('fastify errors in the catalogue shape', () => {
  it('answers unknown routes, bad JSON, too large bodies and schema violations with coded bodies', async () => {
    const store = await openStore(await freshDatabase('sqlite'));
    const server = await startServer(store, { port: 0, bodyLimit: 1024 });
    try {
      const nowhere = await fetch(`${server.url}/no/such/route?x=1`);
      assert.equal(nowhere.status, 404);
      const nb = (await nowhere.json()) as { error: string; message: string };
      assert.equal(nb.error, 'not_found');
      assert.match(nb.message, /GET \/no\/such\/route not found/);

      // A JSON route open to anyone (sync routes now refuse before reading the body).
      const post = (body: string) => fetch(`${server.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const badJson = await post('{"protocol": ');
      assert.equal(badJson.status, 400);
      assert.equal(((await badJson.json()) as { error: string }).error, 'malformed');

      const big = await post(JSON.stringify({ pad: 'x'.repeat(8192) }));
      assert.equal(big.status, 413);
      assert.equal(((await big.json()) as { error: string }).error, 'too_large');

      const badLimit = await fetch(`${server.url}/s3xml/org_office?limit=many`, { headers: { authorization: await userOn(store, 'reader') } });
      assert.equal(badLimit.status, 422);
      const lb = (await badLimit.json()) as { error: string; where: { field: string } };
      assert.equal(lb.error, 'invalid');
      assert.equal(lb.where.field, 'querystring/limit');
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe('command line error exits', () => {
  it('serve --port abc says so in one line and exits 1', async () => {
    const r = await tidemark(['serve', '--db', await freshDatabase('sqlite'), '--port', 'abc']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--port takes a port number \(0-65535\), not "abc"/);
  });
});
