import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { logger } from '../../src/log.js';
import { buildApp } from '../../src/server/app.js';
import type { Store } from '../../src/store/index.js';
import { Peers, readSyncLog, syncPeer } from '../../src/sync/index.js';
import { exportBundle } from '../../src/transports/bundle/export.js';
import { importBundle, previewBundle } from '../../src/transports/bundle/import.js';
import { HttpCarrier } from '../../src/transports/http/client.js';
import { syncPeerByRadio } from '../../src/transports/radio/engine.js';
import { stationPair } from '../radio/pair.js';
import { DB_KINDS, dropTestDatabases } from '../support/databases.js';
import { openStores, pairAll } from './support.js';

logger.level = process.env.TIDEMARK_LOG_LEVEL ?? 'silent';
after(() => dropTestDatabases());

const kinds = process.env.TIDEMARK_TEST_PG ? DB_KINDS : (['sqlite'] as const);

/** The receiver's sync-log row of what it took from `sender` (HTTP, bundle: receive; radio: the session's). */
async function receivedRow(store: Store, sender: string, direction: 'receive' | 'sync') {
  const rows = await readSyncLog(store.knex, { peer: sender, direction });
  assert.ok(rows[0], `a ${direction} row on ${store.instance.name}`);
  return rows[0];
}

for (const kind of kinds) {
  test(`one grant on every carrier (${kind}): the same ungranted record is refused alone and counted by HTTP, bundle and radio`, async () => {
    const [a, http, bundle, radio] = await openStores(kind, 4);
    const app = await buildApp({ store: http! });
    const link = await stationPair({ bitrate: 38_400, latencyMs: 5, loss: 0, corruption: 0, seed: 11 });
    try {
      await pairAll([a!, http!, bundle!, radio!]);
      const sender = a!.instance.uuid;
      // Each receiver grants A organisations marked OK only; A grants them everything, so it sends both.
      for (const b of [http!, bundle!, radio!]) await new Peers(b).configure(sender, { resources: ['org_organisation'], filters: { org_organisation: { acronym: 'OK' } } });
      const granted = await a!.create('org_organisation', { name: 'Granted relief org', acronym: 'OK' });
      const outside = await a!.create('org_organisation', { name: 'Outside the grant', acronym: 'NO' });

      // HTTP: A's sync pushes one page of both records to a real server.
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const toHttp = await new Peers(a!).get(http!.instance.uuid);
      const report = await syncPeer(a!, toHttp, new HttpCarrier(url, sender, toHttp.token));
      assert.equal(report.refused, 1, 'the pusher hears of the refusal');
      // Bundle: the same two records in one page of a file.
      const file = (await exportBundle(a!, { peer: bundle!.instance.uuid })).bytes;
      const preview = (await previewBundle(bundle!, file)).resources.find((r) => r.resource === 'org_organisation');
      assert.deepEqual([preview?.records, preview?.create, preview?.refused], [2, 1, 1], 'the preview tells what the import will refuse');
      const imported = await importBundle(bundle!, file, { writeAck: false });
      assert.equal(imported.refused, 1);
      assert.deepEqual(imported.advanced, ['org_organisation'], 'the position moves past the page, refused record and all');
      // Radio: the same two records in one payload.
      await Promise.all([
        syncPeerByRadio(a!, radio!.instance.uuid, link.a.session, 'initiator', { batchSize: 3 }),
        syncPeerByRadio(radio!, sender, link.b.session, 'responder', { batchSize: 3 }),
      ]);
      await link.a.session.linger(200);

      const rows = { http: await receivedRow(http!, sender, 'receive'), bundle: await receivedRow(bundle!, sender, 'receive'), radio: await receivedRow(radio!, sender, 'sync') };
      for (const [carrier, b] of [['http', http!], ['bundle', bundle!], ['radio', radio!]] as const) {
        assert.ok(await b.get('org_organisation', granted.uuid), `${carrier}: the granted record of the page is applied`);
        assert.equal(await b.get('org_organisation', outside.uuid, { includeDeleted: true }), undefined, `${carrier}: the ungranted record is refused`);
        const row = rows[carrier];
        assert.deepEqual([row.received, row.created, row.refused, row.result], [2, 1, 1, 'warning'], `${carrier}: the same counts in the receiver's sync log`);
      }

      // A wider grant restarts the position, so the refused record comes with the next sync.
      await new Peers(http!).configure(sender, { filters: {} });
      const again = await syncPeer(a!, toHttp, new HttpCarrier(url, sender, toHttp.token));
      assert.equal(again.refused, 0);
      assert.equal((await http!.get('org_organisation', outside.uuid))?.data.acronym, 'NO');
    } finally {
      await app.close();
      await link.close();
      for (const s of [a, http, bundle, radio]) await s?.close();
    }
  });
}
