import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openStore } from '../../src/open.js';
import { hashToken, macKeyFor, Peers } from '../../src/sync/index.js';
import { exportBundle } from '../../src/transports/bundle/export.js';
import { importBundle } from '../../src/transports/bundle/import.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';

after(dropTestDatabases);

for (const kind of DB_KINDS) {
  describe(`peer tokens per direction (${kind})`, () => {
    it('a database paired with one shared token migrates: the received side is kept hashed, bundles still pass', async () => {
      const urls = [await freshDatabase(kind), await freshDatabase(kind)];
      let [a, b] = [await openStore(urls[0]), await openStore(urls[1])];
      const shared = randomBytes(24).toString('base64url');
      await new Peers(a).save({ uuid: b.instance.uuid, name: 'site-b', token: shared });
      await new Peers(b).save({ uuid: a.instance.uuid, name: 'site-a', token: shared });
      // As a database written before tokens per direction holds them: no hash, no MAC key.
      for (const s of [a, b]) await s.knex('tm_peer').update({ token_in_hash: null, mac_in: null });
      await a.close();
      await b.close();
      [a, b] = [await openStore(urls[0]), await openStore(urls[1])];
      try {
        const atA = await new Peers(a).get('site-b');
        assert.equal(atA.token, shared, 'the token this side presents stays as it was');
        assert.equal(atA.token_in_hash, hashToken(shared));
        assert.deepEqual(macKeyFor(atA, 'in'), macKeyFor(await new Peers(b).get('site-a'), 'out'));
        const row = (await a.knex('tm_peer').where({ uuid: b.instance.uuid }).first()) as Record<string, unknown>;
        assert.ok(!Object.entries(row).some(([k, v]) => k !== 'token' && v === shared), 'the token appears once, as the one this side sends');
        const org = await b.create('org_organisation', { name: 'Carried after the migration' });
        const bundle = await exportBundle(b, { peer: a.instance.uuid });
        const r = await importBundle(a, bundle.bytes);
        assert.equal(r.applied, 1);
        assert.equal((await a.get('org_organisation', org.uuid))?.data.name, 'Carried after the migration');
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('a bundle keyed with the receiver\'s own token (not the sender\'s) is refused, nothing written', async () => {
      const [a, b] = [await openStore(await freshDatabase(kind)), await openStore(await freshDatabase(kind))];
      try {
        const aToB = randomBytes(24).toString('base64url');
        const bToA = randomBytes(24).toString('base64url');
        await new Peers(a).save({ uuid: b.instance.uuid, name: 'site-b', token: aToB, tokenIn: bToA });
        // b believes it presents aToB: its bundles carry a MAC a does not accept from b.
        await new Peers(b).save({ uuid: a.instance.uuid, name: 'site-a', token: aToB, tokenIn: aToB });
        await b.create('org_organisation', { name: 'Forged' });
        const head = await a.head();
        const bundle = await exportBundle(b, { peer: a.instance.uuid });
        await assert.rejects(importBundle(a, bundle.bytes), (e: { code?: string }) => e.code === 'forbidden');
        assert.deepEqual(await a.head(), head);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
