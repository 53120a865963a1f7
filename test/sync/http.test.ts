import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { serveInstance, runCli, type Instance } from './processes.js';
import { snapshot } from './support.js';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { createInvite, hashToken, listConflicts, Peers, readSyncLog } from '../../src/sync/index.js';
import { addHttpPeer, syncOverHttp, SYNC_PATH } from '../../src/transports/http/index.js';

after(dropTestDatabases);

const RES = ['gis_location', 'org_organisation', 'org_office', 'med_hospital', 'med_bed_capacity'];
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Site {
  store: Store;
  inst: Instance;
}

async function startSites(kind: 'sqlite' | 'postgres', n: number): Promise<Site[]> {
  const sites: Site[] = [];
  for (let i = 0; i < n; i++) {
    const db = await freshDatabase(kind);
    const store = await openStore(db, { instanceName: `site-${'abc'[i]}` });
    sites.push({ store, inst: await serveInstance(db) });
  }
  return sites;
}

async function pair(a: Site, b: Site): Promise<void> {
  const { code } = await createInvite(b.store);
  await addHttpPeer(a.store, b.inst.url, { code, myUrl: a.inst.url });
}

async function sync(a: Site, b: Site): Promise<void> {
  const r = await syncOverHttp(a.store, b.store.instance.uuid);
  assert.ok(r.result === 'success', `${r.result}: ${r.message}`);
}

async function stopSites(sites: Site[]): Promise<void> {
  for (const s of sites) {
    await s.inst.stop();
    await s.store.close();
  }
}

async function assertSame(sites: Site[]): Promise<void> {
  const first = await snapshot(sites[0]!.store, RES);
  for (const s of sites.slice(1)) assert.deepEqual(await snapshot(s.store, RES), first);
}

for (const kind of DB_KINDS) {
  describe(`three instances over HTTP on ${kind}`, () => {
    test('chain and ring: edits, deletes, merges and conflicts converge to identical data', async () => {
      const sites = await startSites(kind, 3);
      const [A, B, C] = sites as [Site, Site, Site];
      try {
        await pair(A, B);
        await pair(B, C);
        await pair(C, A);
        const a = A.store;
        const b = B.store;
        const c = C.store;
        // Round 1: records born on all three, spread along the chain A-B-C.
        const shared = await a.create('org_organisation', { name: 'shared' });
        const dup = await a.create('org_organisation', { name: 'shared (dup)' });
        const hosp = await b.create('med_hospital', { name: 'General', total_beds: 10 });
        await b.create('med_bed_capacity', { hospital_id: hosp.uuid, bed_type: 1, beds_available: 3 });
        const loc = await c.create('gis_location', { name: 'Pokhara' });
        const gone = await c.create('gis_location', { name: 'to delete' });
        const back = await c.create('gis_location', { name: 'deleted then edited' });
        for (let i = 0; i < 2; i++) {
          await sync(A, B);
          await sync(B, C);
        }
        await assertSame(sites);
        // Round 2: concurrent edits on all three, a delete, a delete undone by a later edit, a merge.
        await a.update('org_organisation', shared.uuid, { name: 'edited at A' });
        await pause(3);
        await b.update('org_organisation', shared.uuid, { name: 'edited at B' });
        await pause(3);
        await c.update('org_organisation', shared.uuid, { name: 'edited at C' }); // the latest: wins (NEWER)
        await b.update('med_hospital', hosp.uuid, { available_beds: 2 });
        await c.update('med_hospital', hosp.uuid, { doctors: 4 });
        await a.remove('gis_location', gone.uuid);
        await b.remove('gis_location', back.uuid);
        await pause(3);
        await c.update('gis_location', back.uuid, { name: 'edited after the delete' });
        const office = await c.create('org_office', { name: 'Field office', organisation_id: dup.uuid, location_id: loc.uuid });
        await a.merge('org_organisation', dup.uuid, shared.uuid);
        // The ring: A-B, B-C, C-A, twice round.
        for (let i = 0; i < 2; i++) {
          await sync(A, B);
          await sync(B, C);
          await sync(C, A);
        }
        await assertSame(sites);
        for (const s of [a, b, c]) {
          assert.equal((await s.get('org_organisation', shared.uuid))!.data.name, 'edited at C');
          assert.equal(await s.get('gis_location', gone.uuid), undefined);
          assert.equal((await s.get('gis_location', back.uuid))!.data.name, 'edited after the delete');
          assert.equal((await s.get('org_office', office.uuid))!.data.organisation_id, shared.uuid);
          assert.equal((await s.get('org_organisation', dup.uuid, { includeDeleted: true }))!.replaced_by, shared.uuid);
        }
        // Nothing that lost is gone: both losing names are in some conflict log.
        const losers = new Set<unknown>();
        for (const s of [a, b, c]) for (const x of await listConflicts(s)) losers.add(x.decision.fields.name?.[1]);
        assert.ok(losers.has('edited at A') && losers.has('edited at B'), [...losers].join(', '));
        // A sync with nothing to exchange: one round trip.
        const noop = await syncOverHttp(a, B.store.instance.uuid);
        assert.equal(noop.roundTrips, 1);
        assert.ok((await readSyncLog(a.knex)).length > 0);
      } finally {
        await stopSites(sites);
      }
    });
  });
}

describe('pairing and authentication over HTTP', () => {
  test('an unregistered instance cannot push or pull; a wrong code cannot pair; another schema is refused', async () => {
    const [A, B] = await startSites('sqlite', 2);
    try {
      const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${B!.inst.url}${SYNC_PATH}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      const page = { resource: 'org_organisation', from: null, cursor: 'x', more: false, records: [] };
      assert.equal((await post('/push', page)).status, 403);
      assert.equal((await post('/push', page, { authorization: 'Bearer nope', 'x-tidemark-instance': A!.store.instance.uuid })).status, 403);
      assert.equal((await post('/pull', { resource: 'org_organisation', after: null })).status, 403);
      await assert.rejects(addHttpPeer(A!.store, B!.inst.url, { code: 'wrong-code' }), /registration required/);
      await pair(A!, B!);
      // A token per direction: B keeps only a hash of A's, and cannot sign in to A with its own.
      const atB = await new Peers(B!.store).get(A!.store.instance.uuid);
      const atA = await new Peers(A!.store).get(B!.store.instance.uuid);
      assert.notEqual(atA.token, atB.token);
      assert.equal(atB.token_in_hash, hashToken(atA.token));
      assert.equal(atA.token_in_hash, hashToken(atB.token));
      assert.equal((await post('/push', page, { authorization: 'Bearer wrong-token', 'x-tidemark-instance': A!.store.instance.uuid })).status, 401);
      assert.equal((await post('/push', page, { authorization: `Bearer ${atB.token}`, 'x-tidemark-instance': A!.store.instance.uuid })).status, 401, "B's own token does not sign in as A");
      const auth = { authorization: `Bearer ${atA.token}`, 'x-tidemark-instance': A!.store.instance.uuid };
      const hello = { protocol: 1, instance: A!.store.instance.uuid, name: 'a', schema_version: 1, registry_hash: 'another-schema', resources: {} };
      const r = await post('/hello', hello, auth);
      assert.equal(r.status, 415);
      assert.match(((await r.json()) as { message: string }).message, /upgrade one side/);
      const bad = await post('/push', { ...page, resource: 'no_such_table' }, auth);
      assert.equal(bad.status, 422);
      // Re-pairing (an admin's --repair code) gives both directions new tokens: the old one is refused.
      const { code: repair } = await createInvite(B!.store, 3600, { forPeer: A!.store.instance.uuid });
      await addHttpPeer(A!.store, B!.inst.url, { code: repair, myUrl: A!.inst.url });
      assert.equal((await post('/pull', { resource: 'org_organisation', after: null }, auth)).status, 401);
      await sync(A!, B!);
      // The CLI: a failed sync exits non-zero and says why.
      await B!.inst.stop();
      const out = await runCli(['sync', '--db', A!.inst.db, '--all']).done;
      assert.equal(out.code, 1);
      assert.match(out.stdout, /error/);
    } finally {
      for (const s of [A!, B!]) {
        await s.inst.stop();
        await s.store.close();
      }
    }
  });
});

describe('gzip on the wire', () => {
  test('pages travel gzipped when asked, with the same result and far fewer bytes', async () => {
    const sites = await startSites('sqlite', 2);
    const [A, B] = sites as [Site, Site];
    try {
      await pair(A, B);
      for (let i = 0; i < 300; i++) await A.store.create('org_organisation', { name: `Organisation ${i}`, comments: 'A partner in the district response.' });
      const plain = await syncOverHttp(A.store, B.store.instance.uuid);
      for (let i = 0; i < 300; i++) await B.store.create('gis_location', { name: `Village ${i}`, level: 'L4' });
      const before = process.env.TIDEMARK_HTTP_GZIP;
      process.env.TIDEMARK_HTTP_GZIP = '1';
      try {
        const zipped = await syncOverHttp(A.store, B.store.instance.uuid);
        assert.equal(zipped.result, 'success', zipped.message ?? '');
        assert.equal(zipped.received, 300);
        assert.ok(zipped.bytes * 3 < plain.bytes, `${zipped.bytes} vs ${plain.bytes}`);
      } finally {
        if (before === undefined) delete process.env.TIDEMARK_HTTP_GZIP;
        else process.env.TIDEMARK_HTTP_GZIP = before;
      }
      await assertSame(sites);
    } finally {
      await stopSites(sites);
    }
  });
});
