import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logger } from '../../src/log.js';
import type { RecordVersion } from '../../src/store/types.js';
import { readPeerKnowledge, writePeerKnowledge } from '../../src/transports/radio/sync.js';
import { join } from 'node:path';
import { full, hospitalStatuses, INSTANCES, statusUpdates } from './fixtures.js';
import { MemorySite } from './memory-site.js';
import { stationPair } from './pair.js';
import { tempDir } from '../support/temp.js';

logger.level = process.env.TIDEMARK_LOG_LEVEL ?? 'silent';

const [A, B] = [INSTANCES[0]!, INSTANCES[1]!];

const sorted = (m: Map<string, RecordVersion>): RecordVersion[] => [...m.values()].map(full).sort((x, y) => x.uuid.localeCompare(y.uuid));

test('two sites converge over a lossy simulated radio link, both directions, in several checkpointed payloads', async () => {
  const pair = await stationPair({ bitrate: 38_400, latencyMs: 5, loss: 0.1, corruption: 0.02, seed: 21 });
  try {
    const a = new MemorySite(A);
    const b = new MemorySite(B);
    a.change(hospitalStatuses(60, 1, A));
    b.change(hospitalStatuses(25, 2, B));
    const [ra, rb] = await Promise.all([a.sync(pair.a.session, B, 'initiator', 20), b.sync(pair.b.session, A, 'responder', 20)]);
    assert.equal(ra.payloadsSent, 3);
    assert.equal(rb.payloadsSent, 2);
    assert.equal(ra.sent, 60);
    assert.equal(ra.received, 25);
    assert.equal(rb.sent, 25);
    assert.equal(a.knowledge.outgoing.epoch, b.knowledge.incoming.epoch);
    assert.deepStrictEqual(sorted(a.records), sorted(b.records));
    assert.equal(a.pending.size + b.pending.size, 0);

    // The next round: updates on both sides travel as deltas against what the other holds.
    const upA = statusUpdates([...a.records.values()].filter((r) => r.origin === A), 3, A);
    const upB = statusUpdates([...b.records.values()].filter((r) => r.origin === B).slice(0, 5), 4, B);
    a.change(upA);
    b.change(upB);
    const [ra2] = await Promise.all([a.sync(pair.a.session, B, 'initiator'), b.sync(pair.b.session, A, 'responder')]);
    assert.ok(ra2.payloadBytesSent / upA.length < ra.payloadBytesSent / 60 / 2, 'updates are much cheaper than first copies');
    assert.deepStrictEqual(sorted(a.records), sorted(b.records));
    await pair.a.session.linger(300);
  } finally {
    await pair.close();
  }
});

test('a site that lost its link state gets a reset payload and still converges; knowledge persists in a file', async () => {
  const pair = await stationPair({ bitrate: 38_400, latencyMs: 5, seed: 23 });
  try {
    const a = new MemorySite(A);
    let b = new MemorySite(B);
    const first = hospitalStatuses(20, 5, A);
    a.change(first);
    await Promise.all([a.sync(pair.a.session, B, 'initiator'), b.sync(pair.b.session, A, 'responder')]);
    const file = join(tempDir('tm-radio'), 'peer.json');
    writePeerKnowledge(file, a.knowledge);
    const back = readPeerKnowledge(file);
    assert.deepStrictEqual(back.outgoing.toJSON(), a.knowledge.outgoing.toJSON());

    // B is reinstalled from a backup: same records, no radio link state.
    const records = b.records;
    b = new MemorySite(B);
    for (const [k, v] of records) b.records.set(k, v);
    a.change(statusUpdates(first, 6, A));
    const [ra] = await Promise.all([a.sync(pair.a.session, B, 'initiator'), b.sync(pair.b.session, A, 'responder')]);
    assert.equal(ra.resets, 1);
    assert.deepStrictEqual(sorted(a.records), sorted(b.records));
    assert.equal(b.knowledge.incoming.epoch, a.knowledge.outgoing.epoch);
  } finally {
    await pair.close();
  }
});

test('alerts travel before hospital status, status before bulk data, in the payload order on air', async () => {
  const pair = await stationPair({ bitrate: 38_400, latencyMs: 5, seed: 25 });
  try {
    const a = new MemorySite(A);
    const b = new MemorySite(B);
    const statuses = hospitalStatuses(5, 8, A);
    const alert: RecordVersion = {
      ...statuses[0]!,
      resource: 'cap_alert',
      uuid: 'urn:uuid:11111111-2222-4333-8444-555555555555',
      hlc: '1800000000000.000000',
      modified_on: new Date(1_800_000_000_000).toISOString(),
      data: { identifier: 'TM-1', sender: 'ops@example.org', sent: '2026-11-20T06:00:00.000Z', status: 'Actual', msg_type: 'Alert', scope: 'Public' },
    };
    const office: RecordVersion = { ...statuses[1]!, resource: 'org_organisation', uuid: 'urn:uuid:11111111-2222-4333-8444-666666666666', data: { name: 'District health office' } };
    a.change([office, ...statuses, alert]);
    await Promise.all([a.sync(pair.a.session, B, 'initiator'), b.sync(pair.b.session, A, 'responder')]);
    const seen = b.arrivals;
    assert.equal(seen[0], 'cap_alert');
    assert.deepStrictEqual(seen.slice(1, 6), Array(5).fill('med_hospital_status'));
    assert.equal(seen[6], 'org_organisation');
  } finally {
    await pair.close();
  }
});
