import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/open.js';
import type { Store } from '../../src/store/index.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { startService } from '../support/processes.js';
import { userOn } from '../support/auth.js';
import { loopSync, pairAll } from '../sync/support.js';

after(dropTestDatabases);

type Json = Record<string, unknown>;

for (const kind of DB_KINDS) {
  describe(`conflicts over the HTTP API (${kind}, real tidemark serve)`, () => {
    test('list, show field by field, resolve by a side or by fields, reverse; each under its rule', async () => {
      const dbA = await freshDatabase(kind);
      const a: Store = await openStore(dbA, { instanceName: 'site-a' });
      const b: Store = await openStore(await freshDatabase(kind), { instanceName: 'site-b' });
      let reader: string;
      let operator: string;
      const orgs: string[] = [];
      try {
        await pairAll([a, b]);
        for (const name of ['Red Cross', 'Red Crescent']) orgs.push((await a.create('org_organisation', { name, acronym: 'RC' })).uuid);
        await loopSync(a, b);
        for (const uuid of orgs) {
          await a.update('org_organisation', uuid, { acronym: 'A-side', comments: 'noted at A' });
          await b.update('org_organisation', uuid, { acronym: 'B-side', website: 'https://b.example' });
        }
        await loopSync(a, b);
        reader = await userOn(a, 'reader', 'rita');
        operator = await userOn(a, 'operator', 'olga');
      } finally {
        await a.close();
        await b.close();
      }
      const svc = await startService(['serve', '--db', dbA], { env: { TIDEMARK_DAEMON: '0', TIDEMARK_DISCOVERY: 'off' } });
      const call = async (who: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
        const r = await fetch(`${svc.url}${path}`, {
          method,
          headers: { ...(who ? { authorization: who } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
        return { status: r.status, json: (await r.json()) as Json };
      };
      try {
        assert.equal((await call(null, 'GET', '/conflicts')).status, 401);
        const list = await call(reader, 'GET', '/conflicts?resource=org_organisation');
        assert.equal(list.status, 200);
        const entries = list.json.conflicts as Json[];
        assert.deepEqual(entries.map((e) => e.uuid).sort(), [...orgs].sort());
        assert.deepEqual(entries[0]!.fields, ['acronym']);
        const bad = await call(reader, 'GET', '/conflicts?resource=no_such_table');
        assert.equal(bad.status, 422);
        assert.deepEqual([bad.json.error, (bad.json.where as Json).field], ['invalid', 'resource']);
        assert.equal((await call(reader, 'GET', '/conflicts?limit=abc')).status, 422);

        const [first, second] = entries.map((e) => e.id as number);
        const shown = await call(reader, 'GET', `/conflicts/${first}`);
        assert.equal(shown.status, 200);
        const acronym = (shown.json.diff as Json[]).find((d) => d.field === 'acronym')!;
        assert.deepEqual([acronym.local, acronym.remote, acronym.differs], ['A-side', 'B-side', true]);
        assert.match(String((shown.json.kept as Json).site) + String((shown.json.lost as Json).site), /site-b/);
        assert.equal((await call(reader, 'GET', '/conflicts/999999')).status, 404);

        // Deciding is an operator's: a reader is refused and nothing changes.
        assert.equal((await call(reader, 'POST', `/conflicts/${first}/resolve`, { take: 'remote' })).status, 403);
        const wrong = await call(operator, 'POST', `/conflicts/${first}/resolve`, { take: 'both' });
        assert.equal(wrong.status, 422);
        assert.match(String((wrong.json.where as Json).field), /^body/);
        const taken = await call(operator, 'POST', `/conflicts/${first}/resolve`, { take: 'remote' });
        assert.equal(taken.status, 200);
        assert.equal((taken.json.record as Json & { data: Json }).data.acronym, 'B-side');
        const merged = await call(operator, 'POST', `/conflicts/${second}/resolve`, { fields: { acronym: 'local' } });
        assert.equal(merged.status, 200);
        assert.equal((merged.json.record as Json & { data: Json }).data.acronym, 'A-side');

        // Reversing the decision by hand brings back what it set aside; twice is refused.
        const byHand = taken.json.entry as number;
        const reversed = await call(operator, 'POST', `/conflicts/${byHand}/reverse`, {});
        assert.equal(reversed.status, 200, JSON.stringify(reversed.json));
        assert.notEqual((reversed.json.record as Json & { data: Json }).data.acronym, 'B-side');
        const again = await call(operator, 'POST', `/conflicts/${byHand}/reverse`, {});
        assert.equal(again.status, 409);
        assert.equal(again.json.error, 'already_reversed');
        const all = await call(reader, 'GET', '/conflicts?all=true&resource=org_organisation');
        assert.ok((all.json.conflicts as Json[]).some((e) => e.id === byHand && e.reversed_on));
      } finally {
        await svc.stop();
      }
    });
  });
}
