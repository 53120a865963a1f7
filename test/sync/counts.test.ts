import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, dropTestDatabases } from '../support/databases.js';
import { LoopbackCarrier, loopSync, openStores, pairAll } from './support.js';
import { Peers, readSyncLog, syncLogCsv, syncPeer, type Page, type PageResult } from '../../src/sync/index.js';
import { formatHlc, wallClockMs, type Store } from '../../src/store/index.js';

after(dropTestDatabases);

/** A link that delivers every pushed page with its first record stamped a day in the future. */
class FutureStamps extends LoopbackCarrier {
  override push(page: Page): Promise<PageResult> {
    const records = page.records.map((r, i) => (i === 0 ? { ...r, hlc: formatHlc(wallClockMs() + 86_400_000, 0) } : r));
    return super.push({ ...page, records });
  }
}

const rowOf = async (store: Store, direction: string, resource: string) => (await readSyncLog(store.knex, { direction: direction as 'push', resource }))[0]!;

for (const kind of DB_KINDS) {
  describe(`sync log counts on ${kind}`, () => {
    test('created, updated and refused are logged on both sides, and the CSV carries them', async () => {
      const [a, b] = await openStores(kind, 2);
      try {
        await pairAll([a!, b!]);
        const orgs = [await a!.create('org_organisation', { name: 'IFRC' }), await a!.create('org_organisation', { name: 'UNHCR' })];
        assert.equal((await loopSync(a!, b!)).result, 'success');
        let push = await rowOf(a!, 'push', 'org_organisation');
        assert.deepEqual([push.sent, push.created, push.updated, push.refused], [2, 2, 0, 0], 'the peer created both');
        const recv = await rowOf(b!, 'receive', 'org_organisation');
        assert.deepEqual([recv.received, recv.created, recv.updated, recv.refused], [2, 2, 0, 0]);

        await b!.update('org_organisation', orgs[0]!.uuid, { acronym: 'IFRC' });
        const r2 = await loopSync(a!, b!);
        assert.deepEqual([r2.created, r2.updated, r2.refused], [0, 1, 0]);
        const pull = await rowOf(a!, 'pull', 'org_organisation');
        assert.deepEqual([pull.received, pull.created, pull.updated], [1, 0, 1]);
        const sync = (await readSyncLog(a!.knex, { direction: 'sync' }))[0]!;
        assert.deepEqual([sync.created, sync.updated, sync.refused], [0, 1, 0]);

        // A page the peer will not apply (a clock stamp from the future): its records are refused.
        await a!.create('org_organisation', { name: 'WFP' });
        await a!.create('org_organisation', { name: 'UNICEF' });
        const peer = await new Peers(a!).get(b!.instance.uuid);
        const r3 = await syncPeer(a!, peer, new FutureStamps(b!, a!.instance.uuid));
        assert.equal(r3.result, 'error');
        assert.equal(r3.refused, 2);
        push = await rowOf(a!, 'push', 'org_organisation');
        assert.deepEqual([push.result, push.refused, push.created], ['error', 2, 0]);
        const refused = await rowOf(b!, 'receive', 'org_organisation');
        assert.deepEqual([refused.result, refused.refused], ['error', 2]);
        assert.equal((await b!.list('org_organisation', { search: 'WFP' })).length, 0, 'nothing of the refused page applied');

        const csv = syncLogCsv(await readSyncLog(a!.knex)).split('\r\n');
        assert.equal(csv[0], 'at,peer,peer_name,direction,resource,result,sent,received,created,updated,refused,conflicts,bytes,duration_ms,message');
        assert.ok(csv.some((l) => /,push,org_organisation,error,0,0,0,0,2,/.test(l)), csv.join('\n'));
      } finally {
        await a!.close();
        await b!.close();
      }
    });
  });
}
