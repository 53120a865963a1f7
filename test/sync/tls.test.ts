import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/open.js';
import { Peers } from '../../src/sync/index.js';
import { addHttpPeer } from '../../src/transports/http/index.js';
import { startService, tidemark, type ServiceProcess } from '../support/processes.js';
import { dropTestDatabases, freshDatabase } from '../support/databases.js';
import { selfSigned } from '../support/certificates.js';
import { tempDir } from '../support/temp.js';

after(dropTestDatabases);

describe('https:// peers with a pinned certificate (two real tidemark serve --tls-cert processes)', () => {
  it('pairs and syncs both ways through the pin; a wrong pin or no pin is refused, nothing paired', async () => {
    const [certA, certB] = [selfSigned('site-a'), selfSigned('site-b')];
    const [dbA, dbB] = [await freshDatabase('sqlite'), await freshDatabase('sqlite')];
    for (const [db, name] of [[dbA, 'site-a'], [dbB, 'site-b']] as const) await (await openStore(db, { instanceName: name })).close();
    const env = { TIDEMARK_DAEMON: '0' };
    // A failed sync leaves a bundle in ./outbox: keep it out of the source tree.
    const cwd = tempDir('tidemark-tls-cwd');
    const services: ServiceProcess[] = [];
    try {
      const A = await startService(['serve', '--db', dbA, '--tls-cert', certA.cert, '--tls-key', certA.key], { env });
      services.push(A);
      const B = await startService(['serve', '--db', dbB, '--tls-cert', certB.cert, '--tls-key', certB.key], { env });
      services.push(B);
      assert.match(B.url, /^https:/);
      const code = (await tidemark(['peer', 'invite', '--db', dbB], { cwd })).stdout.trim();

      const a = await openStore(dbA);
      const b = await openStore(dbB);
      try {
        // The wrong pin (site-a's own fingerprint for site-b) is refused before anything is sent.
        await assert.rejects(addHttpPeer(a, B.url, { code, pin: certA.pin }), (e: { code?: string }) => e.code === 'certificate_mismatch');
        // Without a pin a self-signed certificate is not trusted.
        await assert.rejects(addHttpPeer(a, B.url, { code }));
        // A pin needs https.
        await assert.rejects(addHttpPeer(a, B.url.replace('https:', 'http:'), { code, pin: certB.pin }), (e: { code?: string }) => e.code === 'invalid');
        assert.deepEqual(await new Peers(a).list(), []);
        assert.deepEqual(await new Peers(b).list(), [], 'the code was never presented: nothing paired on site-b');

        const added = await tidemark(['peer', 'add', B.url, '--code', code, '--pin', certB.pin.toLowerCase(), '--my-url', A.url, '--db', dbA], { cwd });
        assert.equal(added.code, 0, added.stderr);
        const atA = await new Peers(a).get('site-b');
        assert.equal(atA.pin, certB.pin);

        const org = await a.create('org_organisation', { name: 'Carried over a pinned TLS link' });
        const pushed = await tidemark(['sync', '--all', '--db', dbA], { cwd });
        assert.equal(pushed.code, 0, pushed.stdout + pushed.stderr);
        assert.equal((await b.get('org_organisation', org.uuid))?.data.name, 'Carried over a pinned TLS link');

        // Site-b calls back: first without trusting site-a's certificate, then with its pin.
        const back = await b.create('org_organisation', { name: 'Back from site-b' });
        assert.notEqual((await tidemark(['sync', '--all', '--db', dbB], { cwd })).code, 0);
        assert.equal(await a.get('org_organisation', back.uuid), undefined);
        const set = await tidemark(['peer', 'set', 'site-a', '--pin', certA.pin, '--db', dbB], { cwd });
        assert.equal(set.code, 0, set.stderr);
        const pulled = await tidemark(['sync', '--all', '--db', dbB], { cwd });
        assert.equal(pulled.code, 0, pulled.stdout + pulled.stderr);
        assert.equal((await a.get('org_organisation', back.uuid))?.data.name, 'Back from site-b');
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      for (const s of services) await s.stop();
    }
  });
});
