/**
 * The dry run and the cancellable sync behind the console's "Dry run", "Sync now", "Cancel" and
 * "Resume": real instances over HTTP (the peer is a `tidemark serve` process).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { serveInstance } from './processes.js';
import { openStore } from '../../src/open.js';
import { createInvite, Peers, planSync, syncPeer } from '../../src/sync/index.js';
import { addHttpPeer, httpCarrierFor } from '../../src/transports/http/index.js';

after(dropTestDatabases);

for (const kind of DB_KINDS) {
  describe(`dry run and cancel on ${kind}`, () => {
    test('the dry run counts what the sync then moves; a cancelled sync resumes where it stopped', async () => {
      const dbA = await freshDatabase(kind);
      const dbB = await freshDatabase(kind);
      const a = await openStore(dbA, { instanceName: 'site-a' });
      const b = await openStore(dbB, { instanceName: 'site-b' });
      const B = await serveInstance(dbB);
      try {
        await a.transaction(async (w) => {
          for (let i = 0; i < 240; i++) await w.create('org_organisation', { name: `Organisation ${i}`, comments: 'x'.repeat(200) });
        });
        await b.transaction(async (w) => {
          for (let i = 0; i < 15; i++) await w.create('org_organisation', { name: `Partner ${i}` });
        });
        const { code } = await createInvite(b);
        const peer = await addHttpPeer(a, B.url, { code });
        const carrier = () => httpCarrierFor(a, peer)!;

        const plan = await planSync(a, peer, carrier());
        const byResource = Object.fromEntries(plan.resources.map((r) => [r.resource, r]));
        assert.equal(byResource.org_organisation?.send, 240);
        assert.equal(byResource.org_organisation?.receive, 15);
        assert.equal(plan.send, 240);
        assert.equal(plan.receive, 15);
        assert.ok(byResource.org_organisation!.sendBytes > 240 * 200, `${byResource.org_organisation!.sendBytes} bytes`);
        // A dry run moves nothing.
        assert.equal(await b.count('org_organisation'), 15);
        assert.equal(await a.count('org_organisation'), 240);

        // Cancel once the first page of organisations has been taken by the peer.
        const controller = new AbortController();
        const first = await syncPeer(a, peer, carrier(), {
          limit: 50,
          signal: controller.signal,
          onPage: (r, dir) => {
            if (dir === 'push' && r.sent >= 50) controller.abort();
          },
        });
        assert.equal(first.result, 'warning');
        assert.match(first.message ?? '', /cancelled/);
        assert.equal(first.received, 15, 'the pull before the push was complete');
        const held = (await b.count('org_organisation')) - 15;
        assert.ok(held >= 50 && held < 240, `the peer holds ${held} after the cancel`);

        // Resume: the next sync starts from the acknowledged pages, not from zero.
        const second = await syncPeer(a, (await new Peers(a).get(peer.uuid)), carrier(), { limit: 50 });
        assert.equal(second.result, 'success');
        // Exactly what the peer did not hold yet (a page in flight at the cancel was applied there).
        assert.equal(second.sent, 240 - held);
        assert.equal(await b.count('org_organisation'), 255);
        assert.equal(await a.count('org_organisation'), 255);
        assert.equal(second.received, 0);

        // And now the dry run finds nothing to move.
        const after = await planSync(a, peer, carrier());
        assert.equal(after.send + after.receive, 0);
      } finally {
        await B.stop();
        await a.close();
        await b.close();
      }
    });
  });
}
