import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { logger } from '../../src/log.js';
import { overviewPage } from '../../src/console/pages/overview.js';
import { radioLinks, syncPeerByRadio } from '../../src/transports/radio/engine.js';
import { dropTestDatabases } from '../support/databases.js';
import { openStores, pairAll } from '../sync/support.js';
import { stationPair } from './pair.js';

logger.level = process.env.TIDEMARK_LOG_LEVEL ?? 'silent';

after(() => dropTestDatabases());

test('the overview lists each radio link: last frame heard, link quality of the last session, what waits to be sent', async () => {
  const [a, b] = await openStores('sqlite', 2);
  const pair = await stationPair({ bitrate: 38_400, latencyMs: 5, loss: 0.1, corruption: 0.02, seed: 7 });
  try {
    await pairAll([a!, b!]);
    assert.deepEqual(await radioLinks(a!), []);
    assert.match((await overviewPage(a!)).text, /no radio link in use/);

    const startedAt = new Date().toISOString();
    await a!.create('org_organisation', { name: 'District Health Office' });
    await b!.create('cr_shelter', { name: 'School 4', capacity_day: 300, status: 'Open' });
    await Promise.all([syncPeerByRadio(a!, b!.instance.uuid, pair.a.session, 'initiator', { batchSize: 3 }), syncPeerByRadio(b!, a!.instance.uuid, pair.b.session, 'responder', { batchSize: 3 })]);
    await pair.a.session.linger(200);

    let [link] = await radioLinks(a!);
    assert.equal(link!.peer.uuid, b!.instance.uuid);
    assert.ok(link!.lastHeard && link!.lastHeard >= startedAt.slice(0, 19), `heard ${link!.lastHeard}`);
    assert.ok(link!.intact !== null && link!.intact > 0 && link!.intact <= 1);
    assert.ok(link!.resent !== null && link!.resent >= 0);
    assert.deepEqual([link!.queuedRecords, link!.queuedBytes], [0, 0]);

    // A change made here waits for the next session: records and their encoded size.
    await a!.create('org_organisation', { name: 'Water Board' });
    [link] = await radioLinks(a!);
    assert.equal(link!.queuedRecords, 1);
    assert.ok(link!.queuedBytes > 0);
    const page = (await overviewPage(a!)).text;
    assert.match(page, /<table id="radio-links">/);
    assert.match(page, new RegExp(`<th scope="row">${b!.instance.name}</th><td><time datetime="${link!.lastHeard}">`));
    assert.match(page, /% of frames intact, \d+% of chunks sent again/);
    assert.match(page, /1 records, \d+ B/);
  } finally {
    await pair.close();
    await a!.close();
    await b!.close();
  }
});
