import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dropTestDatabases } from '../support/databases.js';
import { LoopbackCarrier, loopSync, openStores, pairAll, snapshot } from './support.js';
import { compareVersions, type VersionVector } from '../../src/store/index.js';
import { listConflicts, loserOf, Peers, syncPeer } from '../../src/sync/index.js';

after(dropTestDatabases);

const SITES = 3;
type Op =
  | { kind: 'create'; site: number }
  | { kind: 'update'; site: number; rec: number }
  | { kind: 'delete'; site: number; rec: number }
  | { kind: 'sync'; from: number; to: number; failAt: number | null; after: boolean };

const site = fc.integer({ min: 0, max: SITES - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('create' as const), site }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('update' as const), site, rec: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), site, rec: fc.nat(4) }) },
  {
    weight: 4,
    arbitrary: fc
      .record({ kind: fc.constant('sync' as const), from: site, to: site, failAt: fc.option(fc.integer({ min: 1, max: 8 }), { freq: 2 }), after: fc.boolean() })
      .filter((s) => s.from !== s.to),
  },
);

interface Change {
  uuid: string;
  token: string | null; // null: a delete
  version: VersionVector;
}

test('random edits, deletes and interrupted syncs on three instances: identical data, every lost change in a conflict log', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40 }), async (ops) => {
      const stores = await openStores('sqlite', SITES);
      try {
        await pairAll(stores);
        const uuids: string[] = [];
        const changes: Change[] = [];
        // Three records everyone has, so that edits meet.
        for (let i = 0; i < 3; i++) {
          const r = await stores[0]!.create('org_organisation', { name: `seed${i}` });
          uuids.push(r.uuid);
          changes.push({ uuid: r.uuid, token: `seed${i}`, version: r.version });
        }
        for (let i = 1; i < SITES; i++) await loopSync(stores[0]!, stores[i]!);
        for (const o of ops) {
          if (o.kind === 'create') {
            const token = `t${n++}`;
            const r = await stores[o.site]!.create('org_organisation', { name: token });
            uuids.push(r.uuid);
            changes.push({ uuid: r.uuid, token, version: r.version });
          } else if (o.kind === 'update' || o.kind === 'delete') {
            const uuid = uuids[o.rec % Math.max(uuids.length, 1)];
            const s = stores[o.site]!;
            if (!uuid || !(await s.get('org_organisation', uuid, { includeDeleted: true }))) continue;
            if (o.kind === 'update') {
              const token = `t${n++}`;
              const r = await s.update('org_organisation', uuid, { name: token });
              changes.push({ uuid, token, version: r.version });
            } else {
              const before = await s.get('org_organisation', uuid, { includeDeleted: true });
              if (before!.deleted) continue;
              const r = await s.remove('org_organisation', uuid);
              changes.push({ uuid, token: null, version: r.version });
            }
          } else {
            const a = stores[o.from]!;
            const b = stores[o.to]!;
            const carrier = new LoopbackCarrier(b, a.instance.uuid);
            if (o.failAt !== null) carrier.failAt = { n: o.failAt, after: o.after };
            await syncPeer(a, await new Peers(a).get(b.instance.uuid), carrier, { limit: 2 });
          }
        }
        // Heal: full rounds until nothing moves.
        for (let round = 0; round < 6; round++) {
          let moved = 0;
          for (let i = 0; i < SITES; i++) {
            for (let j = 0; j < SITES; j++) {
              if (i === j) continue;
              const r = await loopSync(stores[i]!, stores[j]!);
              assert.equal(r.result, 'success', r.message ?? '');
              moved += r.received + r.sent;
            }
          }
          if (!moved) break;
        }
        const snaps = await Promise.all(stores.map((s) => snapshot(s, ['org_organisation'])));
        for (const s of snaps.slice(1)) assert.deepEqual(s, snaps[0]);
        // Nothing lost: a change nobody built on afterwards either survived or is a conflict loser.
        const losers: { uuid: string; name: unknown; deleted: boolean }[] = [];
        for (const s of stores) for (const c of await listConflicts(s)) for (const l of loserOf(c)) losers.push({ uuid: c.uuid, name: l.data.name, deleted: l.deleted });
        const final = new Map((snaps[0]!.org_organisation as { uuid: string; deleted: boolean; data: { name: string } }[]).map((r) => [r.uuid, r]));
        for (const c of changes) {
          const superseded = changes.some((d) => d !== c && d.uuid === c.uuid && compareVersions(d.version, c.version) === 'newer');
          if (superseded) continue;
          const f = final.get(c.uuid)!;
          if (c.token === null) {
            assert.ok(f.deleted || losers.some((l) => l.uuid === c.uuid && l.deleted), `delete of ${c.uuid} lost`);
          } else {
            assert.ok(f.data.name === c.token || losers.some((l) => l.uuid === c.uuid && l.name === c.token), `change ${c.token} lost`);
          }
        }
      } finally {
        for (const s of stores) await s.close();
        await dropTestDatabases();
      }
    }),
    { numRuns: Number(process.env.TIDEMARK_PROPERTY_RUNS ?? 30) },
  );
});
