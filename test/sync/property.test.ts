import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { logger } from '../../src/log.js';
import { dropTestDatabases } from '../support/databases.js';
import { LoopbackCarrier, loopSync, openStores, pairAll, snapshot } from './support.js';
import { compareVersions, type Store, type VersionVector } from '../../src/store/index.js';
import { listConflicts, Peers, reverseConflict, syncPeer } from '../../src/sync/index.js';
import { exportBundle } from '../../src/transports/bundle/export.js';
import { importBundle } from '../../src/transports/bundle/import.js';
import { syncPeerByRadio } from '../../src/transports/radio/engine.js';
import { stationPair, type Pair } from '../radio/pair.js';

logger.level = process.env.TIDEMARK_LOG_LEVEL ?? 'silent';
after(dropTestDatabases);

/**
 * Convergence as a property: three instances edit the same records (the same fields and
 * different ones), delete them, and sync in random order over every carrier (JSON pages as over
 * HTTP, file bundles, radio frames), with syncs cut off half-way and bundles lost on the way.
 * Afterwards: identical data everywhere, nothing offered back to the instance it came from,
 * and every overwritten value in the conflict log of every instance involved.
 */
const SITES = 3;
const FIELDS = ['name', 'acronym', 'phone'] as const;
type Op =
  | { kind: 'create'; site: number }
  | { kind: 'update'; site: number; rec: number; field: number }
  | { kind: 'delete'; site: number; rec: number }
  | { kind: 'http'; from: number; to: number; failAt: number | null; after: boolean }
  | { kind: 'bundle'; from: number; to: number; lost: 'none' | 'bundle' | 'ack' }
  | { kind: 'radio'; from: number; to: number };

const site = fc.integer({ min: 0, max: SITES - 1 });
const link = <K extends string>(kind: K) => ({ kind: fc.constant(kind), from: site, to: site });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('create' as const), site }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('update' as const), site, rec: fc.nat(4), field: fc.nat(FIELDS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), site, rec: fc.nat(4) }) },
  {
    weight: 3,
    arbitrary: fc.record({ ...link('http' as const), failAt: fc.option(fc.integer({ min: 1, max: 8 }), { freq: 2 }), after: fc.boolean() }).filter((s) => s.from !== s.to),
  },
  { weight: 2, arbitrary: fc.record({ ...link('bundle' as const), lost: fc.constantFrom('none' as const, 'none' as const, 'bundle' as const, 'ack' as const) }).filter((s) => s.from !== s.to) },
  { weight: 1, arbitrary: fc.record(link('radio' as const)).filter((s) => s.from !== s.to) },
);

interface Change {
  uuid: string;
  field: string;
  value: string | null; // null: a delete
  version: VersionVector;
  site: string;
}

/** A radio link per pair of sites, set up once for the whole test. */
const links = new Map<string, Pair>();
async function radio(a: Store, b: Store, i: number, j: number): Promise<void> {
  const key = `${Math.min(i, j)}-${Math.max(i, j)}`;
  let pair = links.get(key);
  if (!pair) links.set(key, (pair = await stationPair({ bitrate: 38_400, latencyMs: 5, loss: 0.05, seed: 7 + i + j })));
  const [sa, sb] = i < j ? [pair.a.session, pair.b.session] : [pair.b.session, pair.a.session];
  await Promise.all([
    syncPeerByRadio(a, b.instance.uuid, sa, 'initiator', { batchSize: 4 }),
    syncPeerByRadio(b, a.instance.uuid, sb, 'responder', { batchSize: 4 }),
  ]);
  await sa.linger(100);
}
after(async () => {
  for (const p of links.values()) await p.close();
});

async function bundle(a: Store, b: Store, lost: 'none' | 'bundle' | 'ack'): Promise<void> {
  const written = await exportBundle(a, { peer: b.instance.uuid, limit: 2 });
  if (lost === 'bundle') return; // the stick never arrived
  const r = await importBundle(b, written.bytes, { writeAck: true });
  if (lost === 'ack' || !r.ack) return;
  await importBundle(a, r.ack.bytes);
}

test('random edits to shared and separate fields, deletes, and interrupted syncs over HTTP pages, bundles and radio: one result, no echo, every loss logged everywhere', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 8, maxLength: 30 }), async (ops) => {
      const stores = await openStores('sqlite', SITES);
      const uuid = (s: Store): string => s.instance.uuid;
      try {
        await pairAll(stores);
        const uuids: string[] = [];
        const changes: Change[] = [];
        for (let i = 0; i < 3; i++) {
          const r = await stores[0]!.create('org_organisation', { name: `seed${i}` });
          uuids.push(r.uuid);
        }
        for (let i = 1; i < SITES; i++) await loopSync(stores[0]!, stores[i]!);
        for (const o of ops) {
          if (o.kind === 'create') {
            const r = await stores[o.site]!.create('org_organisation', { name: `t${n++}` });
            uuids.push(r.uuid);
          } else if (o.kind === 'update' || o.kind === 'delete') {
            const id = uuids[o.rec % uuids.length]!;
            const s = stores[o.site]!;
            const before = await s.get('org_organisation', id, { includeDeleted: true });
            // (An update of a tombstone would bring it back: a change of its own kind, left out here.)
            if (!before || before.deleted) continue;
            if (o.kind === 'update') {
              const field = FIELDS[o.field]!;
              const value = field === 'acronym' ? `a${n++}` : `t${n++}`;
              const r = await s.update('org_organisation', id, { [field]: value });
              changes.push({ uuid: id, field, value, version: r.version, site: uuid(s) });
            } else {
              const r = await s.remove('org_organisation', id);
              changes.push({ uuid: id, field: '$deleted', value: null, version: r.version, site: uuid(s) });
            }
          } else if (o.kind === 'http') {
            const a = stores[o.from]!;
            const b = stores[o.to]!;
            const carrier = new LoopbackCarrier(b, uuid(a));
            if (o.failAt !== null) carrier.failAt = { n: o.failAt, after: o.after };
            await syncPeer(a, await new Peers(a).get(uuid(b)), carrier, { limit: 2 });
          } else if (o.kind === 'bundle') {
            await bundle(stores[o.from]!, stores[o.to]!, o.lost);
          } else {
            await radio(stores[o.from]!, stores[o.to]!, o.from, o.to);
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
        // Identical data (values, versions, per-field versions, carried decisions) everywhere.
        const snaps = await Promise.all(stores.map((s) => snapshot(s, ['org_organisation'])));
        for (const s of snaps.slice(1)) assert.deepEqual(s, snaps[0]);
        // No echo: once healed, no instance has anything to offer a peer that the peer sent it.
        for (const a of stores) for (const b of stores) if (a !== b) assert.equal((await loopSync(a, b)).sent, 0);

        const final = new Map((snaps[0]!.org_organisation as { uuid: string; deleted: boolean; data: Record<string, unknown> }[]).map((r) => [r.uuid, r]));
        const logs = await Promise.all(stores.map((s) => listConflicts(s, { all: true })));
        for (const c of changes) {
          // A change someone built on afterwards (for that field) was seen, not overwritten.
          const superseded = changes.some((d) => d !== c && d.uuid === c.uuid && d.field === c.field && compareVersions(d.version, c.version) === 'newer');
          if (superseded) continue;
          const f = final.get(c.uuid)!;
          const survived = c.value === null ? f.deleted : f.data[c.field] === c.value;
          if (survived) continue;
          // Overwritten: the loss is in the conflict log of every instance (all three took part).
          const lostValue = (lost: unknown): boolean => (c.value === null ? (lost as { deleted?: boolean } | null)?.deleted === true : lost === c.value);
          logs.forEach((log, i) => {
            const found = log.some((e) => e.uuid === c.uuid && e.decision.fields[c.field] !== undefined && lostValue(e.decision.fields[c.field]![1]));
            assert.ok(found, `${c.field}=${String(c.value)} of ${c.uuid} by ${c.site} was overwritten but is not in the log of instance ${i}`);
          });
        }
      } finally {
        for (const s of stores) await s.close();
        await dropTestDatabases();
      }
    }),
    // Each run opens three databases and may run radio sessions: kept small for a shared 2-core machine.
    { numRuns: Number(process.env.TIDEMARK_PROPERTY_RUNS ?? 8) },
  );
});

test('concurrent edits to different fields of one record merge without a conflict, on every instance alike', async () => {
  const [a, b] = await openStores('sqlite', 2);
  try {
    await pairAll([a!, b!]);
    const h = await a!.create('med_hospital', { name: 'Riverside General', total_beds: 120, available_beds: 40, phone_emergency: '+254 1' });
    await loopSync(a!, b!);
    await a!.update('med_hospital', h.uuid, { available_beds: 12 });
    await b!.update('med_hospital', h.uuid, { phone_emergency: '+254 2' });
    const r = await loopSync(a!, b!);
    assert.equal(r.conflicts, 0);
    await loopSync(b!, a!);
    for (const s of [a!, b!]) {
      const got = (await s.get('med_hospital', h.uuid))!;
      assert.equal(got.data.available_beds, 12);
      assert.equal(got.data.phone_emergency, '+254 2');
      assert.deepEqual(await listConflicts(s), []);
    }
    assert.deepEqual(await snapshot(a!, ['med_hospital']), await snapshot(b!, ['med_hospital']));
  } finally {
    await a!.close();
    await b!.close();
  }
});

test('no echo: a pull of masters with their components sends nothing back in the same sync', async () => {
  const [a, b] = await openStores('sqlite', 2);
  try {
    await pairAll([a!, b!]);
    for (let i = 0; i < 5; i++) {
      const h = await a!.create('med_hospital', { name: `Hospital ${i}`, total_beds: 10 });
      // A component change re-sequences its master on the receiving side too.
      await a!.create('med_hospital_status', { hospital_id: h.uuid, ems_status: 'Normal' });
    }
    const r = await loopSync(b!, a!);
    assert.equal(r.received, 10);
    assert.equal(r.sent, 0, 'nothing taken from a goes back to a');
    assert.equal((await loopSync(b!, a!)).sent, 0);
  } finally {
    await a!.close();
    await b!.close();
  }
});

test('a conflict is listed on both sides, and a reversal travels, is listed everywhere and can itself be reversed', async () => {
  const [a, b] = await openStores('sqlite', 2);
  try {
    await pairAll([a!, b!]);
    const org = await a!.create('org_organisation', { name: 'start' });
    await loopSync(a!, b!);
    await a!.update('org_organisation', org.uuid, { name: 'edit at a' });
    await b!.update('org_organisation', org.uuid, { name: 'edit at b', phone: '+254 9' });
    await loopSync(a!, b!);
    const [onA] = await listConflicts(a!);
    const [onB] = await listConflicts(b!);
    assert.ok(onA && onB);
    assert.equal(onA.decision.id, onB.decision.id);
    assert.deepEqual(Object.keys(onA.decision.fields), ['name'], 'the phone only b changed merged without a conflict');
    const [kept, lost] = onA.decision.fields.name!;
    // Reversed on the losing side: the lost value comes back everywhere.
    await reverseConflict(b!, onB.id);
    await loopSync(a!, b!);
    for (const s of [a!, b!]) assert.equal((await s.get('org_organisation', org.uuid))!.data.name, lost);
    const reversal = (await listConflicts(a!)).find((c) => c.decision.rule === 'reversal');
    assert.ok(reversal, 'the reversal is logged where it was not made');
    assert.equal((await listConflicts(a!, { all: true })).find((c) => c.decision.id === onA.decision.id)?.reversed_on !== null, true);
    // And reversed again, from the other side.
    await reverseConflict(a!, reversal.id);
    await loopSync(a!, b!);
    for (const s of [a!, b!]) {
      const got = (await s.get('org_organisation', org.uuid))!;
      assert.equal(got.data.name, kept);
      assert.equal(got.data.phone, '+254 9');
    }
  } finally {
    await a!.close();
    await b!.close();
  }
});
