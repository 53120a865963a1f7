import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { openStore } from '../../src/open.js';
import { LinkSimulator } from './simulator.js';
import { dropTestDatabases, freshDatabase } from '../support/databases.js';
import { tidemark } from '../support/processes.js';
import { pairAll, snapshot } from '../sync/support.js';

after(() => dropTestDatabases());

const RESOURCES = ['org_organisation', 'med_hospital', 'med_hospital_status', 'cr_shelter'];

test('tidemark radio: two processes sync through their TNCs over a lossy simulated channel; radio estimate', async () => {
  const [urlA, urlB] = [await freshDatabase('sqlite'), await freshDatabase('sqlite')];
  const a = await openStore(urlA, { instanceName: 'district' });
  const b = await openStore(urlB, { instanceName: 'hospital' });
  await pairAll([a, b]);
  const hosp = await a.create('med_hospital', { name: 'Riverside General', total_beds: 120 });
  await a.create('med_hospital_status', { hospital_id: hosp.uuid, ems_status: 2, morgue_units: 2 });
  await b.create('cr_shelter', { name: 'School 4', capacity_day: 300, status: 'Open' });
  const [idA, idB] = [a.instance.uuid, b.instance.uuid];
  await a.close();
  await b.close();

  const sim = await new LinkSimulator({ bitrate: 19_200, latencyMs: 5, loss: 0.1, seed: 41 }).start();
  try {
    const common = ['--bitrate', '19200', '--txdelay', '10'];
    const [ra, rb] = await Promise.all([
      tidemark(['radio', '--db', urlA, '--kiss', `127.0.0.1:${sim.ports[0]}`, '--peer', idB, '--call', 'TM1DST', '--peer-call', 'TM2HSP', ...common]),
      tidemark(['radio', '--db', urlB, '--kiss', `127.0.0.1:${sim.ports[1]}`, '--peer', 'district', '--call', 'TM2HSP', '--peer-call', 'TM1DST', '--answer', ...common]),
    ]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(ra.stdout, /radio sync with hospital: sent 2, received 1, conflicts 0/);
    // The hospital B re-sequenced when the status arrived came from A: it is not even offered back.
    assert.match(rb.stdout, /radio sync with district: sent 1, received 2/);

    const a2 = await openStore(urlA);
    const b2 = await openStore(urlB);
    try {
      assert.deepStrictEqual(await snapshot(a2, RESOURCES), await snapshot(b2, RESOURCES));
      const status = (await a2.list('med_hospital_status'))[0]!;
      await a2.update('med_hospital_status', status.uuid, { ems_status: 3 });
    } finally {
      await a2.close();
      await b2.close();
    }
    const est = await tidemark(['radio', 'estimate', '--db', urlA, '--peer', 'hospital', '--bitrate', '1200']);
    assert.equal(est.code, 0, est.stderr);
    const m = /hospital: 1 record\(s\) to send \(1 more pending that the peer holds already\), (\d+) bytes, ([\d.]+) s of air time at 1200 bit\/s/.exec(est.stdout);
    assert.ok(m, est.stdout);
    assert.ok(Number(m[1]) < 40);
    assert.equal(Number(m[2]), Math.round((Number(m[1]) * 8 * 10) / 1200) / 10);

    const bad = await tidemark(['radio', '--db', urlA, '--kiss', 'nohostport', '--peer', idB, '--call', 'TM1DST', '--peer-call', 'TM2HSP']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /HOST:PORT/);
    void idA;
  } finally {
    await sim.close();
  }
});
