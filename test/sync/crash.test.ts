import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { serveInstance, runCli, type Instance } from './processes.js';
import { snapshot } from './support.js';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { createInvite } from '../../src/sync/index.js';
import { addHttpPeer } from '../../src/transports/http/index.js';

after(dropTestDatabases);

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function bulk(store: Store, n: number, tag: string): Promise<void> {
  const def = store.registry.get('gis_location');
  await store.transaction((w) =>
    w.insertLocal(
      def,
      Array.from({ length: n }, (_, i) => ({
        uuid: `urn:uuid:${tag}-0000-4000-8000-${String(i).padStart(12, '0')}`,
        data: { name: `${tag} ${i}`, level: null, parent: null, lat: i / 100, lon: null, addr_street: null, addr_postcode: null, wkt: null },
      })),
    ),
  );
}

/** Waits until `probe` says the sync is under way, or the process ended. */
async function waitFor(probe: () => Promise<boolean>, ended: () => boolean): Promise<boolean> {
  for (let i = 0; i < 3000; i++) {
    if (ended()) return false;
    if (await probe()) return true;
    await pause(5);
  }
  return false;
}

const cursorOf = async (store: Store, peer: string): Promise<string | undefined> =>
  ((await store.knex('tm_peer_cursor').where({ peer, resource: 'gis_location' }).first()) as { cursor: string } | undefined)?.cursor;

for (const kind of DB_KINDS) {
  describe(`kill -9 during sync on ${kind}`, () => {
    test('killing either process at several points leaves both consistent; the next sync completes', async () => {
      const dbA = await freshDatabase(kind);
      const dbB = await freshDatabase(kind);
      const a = await openStore(dbA, { instanceName: 'centre' });
      const b = await openStore(dbB, { instanceName: 'field' });
      let A: Instance = await serveInstance(dbA);
      const port = Number(new URL(A.url).port);
      const B: Instance = await serveInstance(dbB);
      try {
        const { code } = await createInvite(a);
        await addHttpPeer(b, A.url, { code, myUrl: B.url });
        await bulk(a, 6000, 'aaaaaaaa');
        await bulk(b, 6000, 'bbbbbbbb');
        const total = 12000;
        const sync = () => runCli(['sync', '--db', dbB, '--all', '--limit', '25']);
        let midway = 0;
        // Points: the puller (client) during pull, the feed owner (server) during pull, the
        // pusher (client) during push, the receiver (server) during push.
        for (const point of ['client-pull', 'server-pull', 'client-push', 'server-push'] as const) {
          const run = sync();
          let ended = false;
          void run.done.then(() => (ended = true));
          const pulling = point.endsWith('pull');
          const before = pulling ? await cursorOf(b, a.instance.uuid) : await cursorOf(a, b.instance.uuid);
          const started = await waitFor(async () => {
            const now = pulling ? await cursorOf(b, a.instance.uuid) : await cursorOf(a, b.instance.uuid);
            return now !== undefined && now !== before;
          }, () => ended);
          if (point.startsWith('client')) run.proc.kill('SIGKILL');
          else {
            await A.kill();
            A = await serveInstance(dbA, { port });
          }
          const res = await run.done;
          if (started) midway++;
          if (point.startsWith('client')) assert.equal(res.signal, 'SIGKILL', `${point}: ${res.stderr}`);
          // Consistent now: every cursor covers only data that is there.
          assert.ok((await b.count('gis_location')) <= total);
        }
        assert.ok(midway >= 3, `only ${midway} kills landed mid-sync`);
        const last = await sync().done;
        assert.equal(last.code, 0, last.stdout + last.stderr);
        assert.equal(await a.count('gis_location'), total);
        assert.equal(await b.count('gis_location'), total);
        assert.deepEqual(await snapshot(a, ['gis_location']), await snapshot(b, ['gis_location']));
        const again = await sync().done;
        assert.match(again.stdout, /received 0, applied 0, sent 0/);
      } finally {
        await A.stop();
        await B.stop();
        await a.close();
        await b.close();
      }
    });
  });
}
