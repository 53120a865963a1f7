import { after, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { DB_KINDS, dropTestDatabases } from '../support/databases.js';
import { tidemark } from '../support/processes.js';
import { loopSync, openStores, pairAll } from '../sync/support.js';
import { importRecords } from '../../src/s3xml/index.js';
import { historyKeep, HISTORY_KEEP_DEFAULT, setHistoryKeep } from '../../src/store/index.js';
import { versionHistory } from '../../src/sync/index.js';
import { TidemarkError } from '../../src/errors.js';
import { openStore } from '../../src/open.js';
import type { Store } from '../../src/store/index.js';
import { tempDir } from '../support/temp.js';

after(dropTestDatabases);

/** Turns a store's history into the layout before row ids: no rid column, the index led by uuid. */
async function toUuidKeyedHistory(store: Store): Promise<void> {
  await store.knex.schema.alterTable('tm_history', (t) => t.dropIndex(['resource', 'rid', 'id']));
  await store.knex.raw('ALTER TABLE tm_history DROP COLUMN rid');
  await store.knex.schema.alterTable('tm_history', (t) => t.index(['resource', 'uuid', 'id']));
}

for (const kind of DB_KINDS) {
  describe(`record versions on ${kind}`, () => {
    test('every write path keeps a version with where it came from, diffs consecutive versions, and keeps the newest N', async () => {
      const [a, b] = await openStores(kind, 2);
      try {
        await pairAll([a!, b!]);
        assert.equal(await historyKeep(a!.knex), HISTORY_KEEP_DEFAULT);
        const org = await a!.create('org_organisation', { name: 'Nepal Red Cross', acronym: 'NRCS' }, { by: 'alice' });
        await a!.update('org_organisation', org.uuid, { acronym: 'NRC' }, { by: 'bob' });
        const s3 = `<s3xml><resource name="org_organisation" uuid="${org.uuid}"><data field="name">Nepal Red Cross Society</data><data field="acronym">NRC</data></resource></s3xml>`;
        await importRecords(a!, s3, { format: 's3xml', source: { kind: 'import', name: 'partner.xml' } });

        let h = await versionHistory(a!, 'org_organisation', org.uuid);
        assert.deepEqual(h.map((v) => [v.source, v.source_label]), [['import', 'partner.xml'], ['user', 'bob'], ['user', 'alice']]);
        assert.deepEqual(h[0]!.changes, [{ field: 'name', before: 'Nepal Red Cross', after: 'Nepal Red Cross Society' }]);
        assert.deepEqual(h[1]!.changes, [{ field: 'acronym', before: 'NRCS', after: 'NRC' }]);
        // The first version kept lists every field it set.
        assert.deepEqual(h[2]!.changes.map((c) => c.field).sort(), ['acronym', 'name']);
        assert.deepEqual(h[0]!.version, { [a!.instance.uuid]: 3 });

        // Versions taken from a peer name the peer and the carrier; a deletion is a version too.
        await loopSync(b!, a!);
        await b!.remove('org_organisation', org.uuid, { by: 'carol' });
        await loopSync(a!, b!);
        h = await versionHistory(a!, 'org_organisation', org.uuid);
        assert.equal(h[0]!.source, 'peer');
        assert.equal(h[0]!.source_label, b!.instance.name);
        assert.equal(h[0]!.via, 'http');
        assert.deepEqual(h[0]!.changes, [{ field: '$deleted', before: 'live', after: 'deleted' }]);
        const onB = await versionHistory(b!, 'org_organisation', org.uuid);
        assert.deepEqual(onB.map((v) => [v.source, v.source_label]), [['user', 'carol'], ['peer', a!.instance.name]]);

        // Retention: the newest N per record; 0 writes none; bad values are refused by field.
        await setHistoryKeep(a!.knex, 2);
        const loc = await a!.create('gis_location', { name: 'Kathmandu', level: 'L1' });
        for (const name of ['Kathmandu Valley', 'Lalitpur', 'Bhaktapur']) await a!.update('gis_location', loc.uuid, { name });
        h = await versionHistory(a!, 'gis_location', loc.uuid);
        assert.deepEqual(h.map((v) => v.data.name), ['Bhaktapur', 'Lalitpur']);
        assert.equal((await versionHistory(a!, 'org_organisation', org.uuid)).length, 4, 'other records keep theirs until they change');
        await setHistoryKeep(a!.knex, 0);
        await a!.update('gis_location', loc.uuid, { name: 'Patan' });
        assert.deepEqual((await versionHistory(a!, 'gis_location', loc.uuid)).map((v) => v.data.name), ['Bhaktapur', 'Lalitpur']);
        await assert.rejects(setHistoryKeep(a!.knex, -1), (e) => e instanceof TidemarkError && e.code === 'invalid' && e.where.field === 'history_keep');
        await assert.rejects(versionHistory(a!, 'gis_location', 'urn:uuid:00000000-0000-4000-8000-000000000000'), (e) => e instanceof TidemarkError && e.code === 'not_found');
      } finally {
        await a!.close();
        await b!.close();
      }
    });

    test('a history kept by uuid (before row ids) is keyed by row id on open, read and pruned as before', async () => {
      const [a] = await openStores(kind, 1);
      let reopened: Store | undefined;
      try {
        const org = await a!.create('org_organisation', { name: 'Nepal Red Cross' }, { by: 'alice' });
        await a!.update('org_organisation', org.uuid, { acronym: 'NRCS' }, { by: 'bob' });
        await toUuidKeyedHistory(a!);
        await a!.close();
        reopened = await openStore(a!.db.url);
        assert.deepEqual((await versionHistory(reopened, 'org_organisation', org.uuid)).map((v) => v.source_label), ['bob', 'alice']);
        await setHistoryKeep(reopened.knex, 2);
        await reopened.update('org_organisation', org.uuid, { acronym: 'NRC' }, { by: 'carol' });
        assert.deepEqual((await versionHistory(reopened, 'org_organisation', org.uuid)).map((v) => v.source_label), ['carol', 'bob']);
      } finally {
        await (reopened ?? a!).close();
      }
    });

    test('a re-keying cut off part way (column added, some versions keyed) is finished at the next open', async () => {
      const [a] = await openStores(kind, 1);
      let reopened: Store | undefined;
      try {
        const org = await a!.create('org_organisation', { name: 'Nepal Red Cross' }, { by: 'alice' });
        await a!.update('org_organisation', org.uuid, { acronym: 'NRCS' }, { by: 'bob' });
        const loc = await a!.create('gis_location', { name: 'Lalitpur' }, { by: 'carol' });
        await toUuidKeyedHistory(a!);
        // Where an interrupted run stops: marked pending, the column there, one version keyed.
        await a!.knex('tm_settings').insert({ key: 'history_rekey_pending', value: '1' });
        await a!.knex.schema.alterTable('tm_history', (t) => t.bigInteger('rid'));
        await a!.knex('tm_history').where({ resource: 'gis_location', uuid: loc.uuid }).update({ rid: loc.id });
        await a!.close();
        reopened = await openStore(a!.db.url);
        assert.deepEqual((await versionHistory(reopened, 'org_organisation', org.uuid)).map((v) => v.source_label), ['bob', 'alice']);
        assert.deepEqual((await versionHistory(reopened, 'gis_location', loc.uuid)).map((v) => v.source_label), ['carol']);
        assert.equal(await reopened.knex('tm_history').whereNull('rid').first(), undefined, 'every version has its row id');
        assert.equal(await reopened.knex('tm_settings').where({ key: 'history_rekey_pending' }).first(), undefined, 'the mark is gone once done');
      } finally {
        await (reopened ?? a!).close();
      }
    });
  });
}

test('re-keying an old store\'s history logs where it starts and how many versions it keyed', async () => {
  const db = `sqlite:${join(tempDir('tm-history'), 'old.db')}`;
  const store = await openStore(db);
  let uuid: string;
  try {
    const org = await store.create('org_organisation', { name: 'Nepal Red Cross' }, { by: 'alice' });
    await store.update('org_organisation', org.uuid, { acronym: 'NRCS' }, { by: 'bob' });
    await store.create('gis_location', { name: 'Lalitpur' }, { by: 'carol' });
    uuid = org.uuid;
    await toUuidKeyedHistory(store);
  } finally {
    await store.close();
  }
  const r = await tidemark(['record', 'history', 'org_organisation', uuid, '--db', db], { env: { TIDEMARK_LOG_LEVEL: 'info' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').filter((l) => !l.startsWith(' ')).length, 2, r.stdout);
  const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; versions?: number; component?: string });
  const start = lines.find((l) => l.msg.startsWith('keying the version history'));
  const end = lines.find((l) => l.msg === 'version history keyed by record row id');
  assert.equal(start?.versions, 3, r.stderr);
  assert.equal(end?.versions, 3, r.stderr);
  assert.equal(end?.component, 'store');
  const again = await tidemark(['record', 'keep', '--db', db], { env: { TIDEMARK_LOG_LEVEL: 'info' } });
  assert.equal(again.stderr, '', 'done once: the next open keys nothing');
});

test('tidemark record history prints the versions, their origin and what changed; record keep sets how many', async () => {
  const dir = tempDir('tm-history');
  const db = `sqlite:${join(dir, 'site.db')}`;
  const doc = join(dir, 'org.xml');
  const uuid = 'urn:uuid:6b1d0f4e-3c1a-4a57-9d2f-2f9a8f0e1a11';
  assert.equal((await tidemark(['init', '--db', db])).code, 0);
  for (const name of ['Nepal Red Cross', 'Nepal Red Cross Society']) {
    writeFileSync(doc, `<s3xml><resource name="org_organisation" uuid="${uuid}"><data field="name">${name}</data></resource></s3xml>`);
    const r = await tidemark(['import', doc, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
  }
  const r = await tidemark(['record', 'history', 'org_organisation', uuid, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /\timport org\.xml\t/);
  assert.equal(lines[1], '  name: Nepal Red Cross -> Nepal Red Cross Society');
  assert.equal(lines.filter((l) => /\timport org\.xml\t/.test(l)).length, 2);
  assert.match((await tidemark(['record', 'keep', '5', '--db', db])).stdout, /versions kept per record: 5/);
  const bad = await tidemark(['record', 'keep', 'many', '--db', db]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /history_keep|whole number/);
});
