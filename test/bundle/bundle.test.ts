import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Store } from '../../src/store/index.js';
import { TidemarkError } from '../../src/errors.js';
import { Peers } from '../../src/sync/peers.js';
import { heldCursor } from '../../src/sync/apply.js';
import { exportBundle } from '../../src/transports/bundle/export.js';
import { importBundle } from '../../src/transports/bundle/import.js';
import { MAGIC, readBundle } from '../../src/transports/bundle/format.js';
import { generateSigningKey, trustKey } from '../../src/transports/bundle/keys.js';
import { DB_KINDS, freshDatabase, type DbKind } from '../support/databases.js';
import { openStore } from '../../src/open.js';
import { enterSomeData, fingerprint, pair, snapshot, OpenedStores } from './support.js';

const opened = new OpenedStores();
after(() => opened.closeAll());
const sites = (kind: DbKind): Promise<[Store, Store]> => opened.sites(kind);

/** Carries a bundle from one site to the other and its acknowledgement back, as a person would. */
async function carry(from: Store, to: Store): Promise<{ records: number; applied: number }> {
  const b = await exportBundle(from, { peer: to.instance.uuid });
  const r = await importBundle(to, b.bytes);
  await importBundle(from, r.ack!.bytes);
  return { records: b.header.body.records, applied: r.applied };
}

const refused = async (p: Promise<unknown>, pattern: RegExp): Promise<TidemarkError> => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TidemarkError, `a TidemarkError, got ${String(e)}`);
    assert.match(e.describe(), pattern);
    return e;
  }
  assert.fail(`expected a refusal matching ${pattern}`);
};

/** Rewrites a bundle's header and recomputes its digest: what a careless or hostile editor does. */
function rewrite(bytes: Buffer, edit: (h: Record<string, unknown>) => void, body?: Buffer): Buffer {
  const nl = bytes.indexOf(0x0a, MAGIC.length);
  const header = JSON.parse(bytes.subarray(MAGIC.length, nl).toString()) as Record<string, unknown> & { body: { bytes: number } };
  const oldBody = bytes.subarray(nl + 1, nl + 1 + header.body.bytes);
  const newBody = body ?? oldBody;
  edit(header);
  header.body.bytes = newBody.length;
  const signed = Buffer.concat([Buffer.from(MAGIC), Buffer.from(`${JSON.stringify(header)}\n`), newBody]);
  return Buffer.concat([signed, Buffer.from(`\n-- sha256 ${createHash('sha256').update(signed).digest('hex')}\n`)]);
}

for (const kind of DB_KINDS) {
  describe(`bundles on ${kind}`, () => {
    it('two sites that never meet converge by bundles carried both ways', async () => {
      const [a, b] = await sites(kind);
      await enterSomeData(a, 'A', 4);
      const bOnly = await enterSomeData(b, 'B', 2);
      // Both edit one of B's hospitals before they ever meet: after the first crossing A holds it.
      const first = await carry(b, a);
      assert.equal(first.records, 4);
      await a.update('med_hospital', bOnly[1]!, { available_beds: 7 });
      await b.update('med_hospital', bOnly[1]!, { available_beds: 3 });
      await b.remove('org_organisation', bOnly[2]!);
      const ab = await carry(a, b);
      assert.equal(ab.records, 8 + 1, "A's eight records and its edit of B's hospital");
      await carry(b, a);
      assert.deepEqual([...(await snapshot(a))].sort(), [...(await snapshot(b))].sort(), 'same records, versions and tombstones on both');
      const hosp = await a.get('med_hospital', bOnly[1]!);
      assert.equal(hosp?.data.available_beds, (await b.get('med_hospital', bOnly[1]!))?.data.available_beds);
      assert.equal(await a.get('org_organisation', bOnly[2]!), undefined, 'the deletion travelled');
      const conflictsA = await a.knex('tm_conflict').where({ uuid: bOnly[1] });
      const conflictsB = await b.knex('tm_conflict').where({ uuid: bOnly[1] });
      // The decision travels: both sites list the concurrent edit, once each, as the same decision.
      assert.equal(conflictsA.length, 1);
      assert.equal(conflictsB.length, 1);
      assert.equal(conflictsA[0].decision, conflictsB[0].decision);
    });

    it('after the acknowledgement, the next bundle carries only what is new', async () => {
      const [a, b] = await sites(kind);
      await enterSomeData(a, 'A', 5);
      assert.equal((await carry(a, b)).records, 10);
      const again = await exportBundle(a, { peer: b.instance.uuid });
      assert.equal(again.header.body.records, 0, 'nothing new');
      assert.deepEqual(again.header.ranges, {});
      const org = (await a.list('org_organisation'))[0]!;
      await a.update('org_organisation', org.uuid, { acronym: 'NEW' });
      const next = await exportBundle(a, { peer: b.instance.uuid });
      assert.equal(next.header.body.records, 1);
      assert.notEqual(next.header.ranges.org_organisation!.from, null, 'starts after the acknowledged position');
      // Without the acknowledgement the sender keeps offering everything since the last one.
      const unacked = await exportBundle(a, { peer: b.instance.uuid });
      assert.equal(unacked.header.body.records, 1);
    });

    it('the deletion rule holds across bundles: an update made after the delete brings the record back', async () => {
      const [a, b] = await sites(kind);
      const [orgUuid] = await enterSomeData(a, 'A', 1);
      await carry(a, b);
      await a.remove('org_organisation', orgUuid!);
      await new Promise((r) => setTimeout(r, 5));
      await b.update('org_organisation', orgUuid!, { phone: '+1 555 0100' });
      await carry(a, b);
      await carry(b, a);
      for (const s of [a, b]) {
        const rec = await s.get('org_organisation', orgUuid!);
        assert.ok(rec, `${s.instance.name}: the later update wins over the delete`);
        assert.equal(rec.data.phone, '+1 555 0100');
      }
    });

    it('importing the same bundle twice changes nothing the second time, and acknowledges again', async () => {
      const [a, b] = await sites(kind);
      await enterSomeData(a, 'A', 3);
      const bundle = await exportBundle(a, { peer: b.instance.uuid });
      const first = await importBundle(b, bundle.bytes);
      assert.equal(first.applied, 6);
      const before = await fingerprint(b);
      const second = await importBundle(b, bundle.bytes);
      assert.equal(second.repeat, true);
      assert.equal(second.applied, 0);
      assert.ok(second.ack, 'a repeat still answers with an acknowledgement (the first may be lost)');
      assert.equal(await fingerprint(b), before);
    });

    it('bundles imported out of order: the older one changes nothing and the position never goes back', async () => {
      const [a, b] = await sites(kind);
      const [org] = await enterSomeData(a, 'A', 2);
      const older = await exportBundle(a, { peer: b.instance.uuid });
      await a.update('org_organisation', org!, { acronym: 'V2' });
      await enterSomeData(a, 'A2', 1);
      const newer = await exportBundle(a, { peer: b.instance.uuid });
      await importBundle(b, newer.bytes);
      const held = await heldCursor(b.knex, a.instance.uuid, 'org_organisation');
      const before = await fingerprint(b);
      const late = await importBundle(b, older.bytes);
      assert.equal(late.applied, 0, 'older versions lose to the newer ones already held');
      assert.equal(await heldCursor(b.knex, a.instance.uuid, 'org_organisation'), held);
      assert.equal(await fingerprint(b), before);
      assert.equal((await b.get('org_organisation', org!))?.data.acronym, 'V2');
    });

    it('a bundle that starts after a missing one is applied without moving the position past the gap', async () => {
      const [a, b] = await sites(kind);
      await enterSomeData(a, 'A', 1);
      const first = await exportBundle(a, { peer: b.instance.uuid });
      // B's acknowledgement of "first" reaches A; then B loses what "first" brought (a restore
      // from an older backup), so A's next bundle starts after changes B no longer holds.
      await importBundle(a, (await importBundle(b, first.bytes)).ack!.bytes);
      await b.knex('tm_peer_cursor').where({ peer: a.instance.uuid }).delete();
      await b.knex('tm_bundle_log').where({ id: first.header.id }).delete();
      const [, hosp] = await enterSomeData(a, 'A2', 1);
      const second = await exportBundle(a, { peer: b.instance.uuid });
      assert.notEqual(second.header.ranges.med_hospital?.from, null);
      const r = await importBundle(b, second.bytes);
      assert.match(r.warnings.join('\n'), /earlier bundle is missing/);
      assert.ok(await b.get('med_hospital', hosp!), 'the data arrived');
      assert.equal(await heldCursor(b.knex, a.instance.uuid, 'med_hospital'), null, 'position not moved past the gap');
      // The earlier bundle arrives after all: now the position moves.
      await importBundle(b, first.bytes);
      assert.notEqual(await heldCursor(b.knex, a.instance.uuid, 'med_hospital'), null);
    });

    it('one bundle for a cluster serves each of its peers, and waits for the slowest acknowledgement', async () => {
      const [a, b] = await sites(kind);
      const c = await openStore(await freshDatabase(kind), { instanceName: 'site-c' });
      opened.keep(c);
      await pair(a, c);
      for (const p of [b, c]) await new Peers(a).configure(p.instance.uuid, { clusters: ['north'] });
      await enterSomeData(a, 'A', 2);
      const bundle = await exportBundle(a, { cluster: 'north' });
      assert.deepEqual([...bundle.header.receivers].sort(), [b.instance.uuid, c.instance.uuid].sort());
      assert.equal(bundle.header.cluster, 'north');
      const atB = await importBundle(b, bundle.bytes);
      const atC = await importBundle(c, bundle.bytes);
      assert.deepEqual([atB.applied, atC.applied], [4, 4]);
      await importBundle(a, atB.ack!.bytes);
      assert.equal((await exportBundle(a, { cluster: 'north' })).header.body.records, 4, 'site-c has not acknowledged yet');
      assert.equal((await exportBundle(a, { peer: b.instance.uuid })).header.body.records, 0);
      await importBundle(a, atC.ack!.bytes);
      assert.equal((await exportBundle(a, { cluster: 'north' })).header.body.records, 0);
      assert.deepEqual([...(await snapshot(b))].sort(), [...(await snapshot(c))].sort());
    });

    describe('bad bundles are refused with a clear error and change nothing', () => {
      let a: Store;
      let b: Store;
      let good: Buffer;
      let before: string;

      it('setup', async () => {
        [a, b] = await sites(kind);
        await enterSomeData(a, 'A', 3);
        good = (await exportBundle(a, { peer: b.instance.uuid })).bytes;
        before = await fingerprint(b);
      });

      const cases: [string, () => Buffer, RegExp][] = [
        ['truncated in the records', () => good.subarray(0, Math.floor(good.length * 0.6)), /truncated/],
        ['truncated in its checksum', () => good.subarray(0, good.length - 20), /truncated/],
        ['truncated in its header', () => good.subarray(0, 40), /truncated/],
        ['corrupted (one byte flipped in the records)', () => {
          const x = Buffer.from(good);
          const nl = x.indexOf(0x0a, MAGIC.length);
          x[nl + 30] = x[nl + 30]! ^ 0xff;
          return x;
        }, /checksum mismatch/],
        ['not a bundle', () => Buffer.from('PK\u0003\u0004 a zip file'), /not a Tidemark bundle/],
        ['tampered with (a record changed and the checksum recomputed)', () => {
          const parsed = readBundle(good);
          const text = gunzipSync(parsed.body).toString().replace('A hospital 0', 'X hospital 0');
          return rewrite(good, () => undefined, gzipSync(Buffer.from(text)));
        }, /tampered/],
        ['tampered with (header edited, checksum recomputed)', () => rewrite(good, (h) => (h.cluster = 'other')), /tampered/],
      ];
      for (const [name, make, pattern] of cases) {
        it(name, async () => {
          await refused(importBundle(b, make()), pattern);
          // A truncated file has its own code (a watcher waits for a copy to finish on it).
          if (name.startsWith('truncated')) await assert.rejects(importBundle(b, make()), (e: unknown) => e instanceof TidemarkError && e.code === 'truncated');
          assert.equal(await fingerprint(b), before);
        });
      }

      it('meant for another instance', async () => {
        const c = await openStore(await freshDatabase(kind), { instanceName: 'site-c' });
        try {
          await pair(a, c);
          const forC = (await exportBundle(a, { peer: c.instance.uuid })).bytes;
          await refused(importBundle(b, forC), /meant for .*not for this instance/);
          assert.equal(await fingerprint(b), before);
        } finally {
          await c.close();
        }
      });

      it('from an instance this one is not paired with', async () => {
        const c = await openStore(await freshDatabase(kind), { instanceName: 'stranger' });
        try {
          // The stranger knows B, B does not know the stranger.
          await new Peers(c).save({ uuid: b.instance.uuid, name: 'b', token: 'x'.repeat(32) });
          await enterSomeData(c, 'C', 1);
          await refused(importBundle(b, (await exportBundle(c, { peer: b.instance.uuid })).bytes), /not paired with this instance/);
          assert.equal(await fingerprint(b), before);
        } finally {
          await c.close();
        }
      });

      it('with a registered signing key: unsigned, or signed by another key, is refused; signed is taken', async () => {
        const key = await generateSigningKey(a);
        await trustKey(b, a.instance.uuid, key.publicPem);
        // The signature is over the same bytes: a bundle written before the key existed is unsigned.
        await refused(importBundle(b, good), /not signed/);
        const other = await openStore(await freshDatabase(kind), { instanceName: 'other-key' });
        const otherKey = await generateSigningKey(other);
        await other.close();
        await trustKey(b, a.instance.uuid, otherKey.publicPem);
        await refused(importBundle(b, (await exportBundle(a, { peer: b.instance.uuid })).bytes), /signed by key .* not by the registered key/);
        assert.equal(await fingerprint(b), before);
        await trustKey(b, a.instance.uuid, key.publicPem);
        const signed = await exportBundle(a, { peer: b.instance.uuid });
        assert.ok(readBundle(signed.bytes).signature);
        assert.equal((await importBundle(b, signed.bytes)).applied, 6);
      });

    });
  });
}
