import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { registry } from '../../src/registry/registry.js';
import type { RecordVersion } from '../../src/store/types.js';
import { decodeChanges, encodeChanges, readPayloadHeader } from '../../src/transports/radio/codec.js';
import { LinkKnowledge } from '../../src/transports/radio/knowledge.js';
import { TidemarkError } from '../../src/errors.js';
import { full, changeArb, hospitalStatuses, INSTANCES, linkKey, recordArb, statusUpdates } from './fixtures.js';

const A = INSTANCES[0]!;
const B = INSTANCES[1]!;
const link = { from: A, to: B, key: linkKey(A, B) };

/** Sender encodes, receiver decodes and both commit, as after an acknowledged transfer. */
function roundTrip(changes: RecordVersion[], sender: LinkKnowledge, mirror: LinkKnowledge, final = false): RecordVersion[] {
  const enc = encodeChanges(registry, changes, sender, { ...link, final });
  const dec = decodeChanges(registry, enc.bytes, mirror, link);
  assert.equal(dec.final, final);
  mirror.commit(dec.update);
  sender.commit(enc.update);
  assert.equal(sender.epoch, mirror.epoch);
  assert.deepEqual(sender.uuids, mirror.uuids);
  assert.deepEqual(sender.instances, mirror.instances);
  return dec.changes;
}

function byUuid(list: RecordVersion[]): Map<string, RecordVersion> {
  return new Map(list.map((r) => [r.uuid, r]));
}

test('random records of every resource survive the trip exactly, first as new and then as field deltas', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(recordArb(), { minLength: 1, maxLength: 12, selector: (r) => r.uuid }).chain((recs) =>
        fc.tuple(fc.constant(recs), fc.tuple(...recs.map((r) => changeArb(r))), fc.tuple(...recs.map(() => fc.boolean()))),
      ),
      ([recs, next, include]) => {
        const sender = new LinkKnowledge();
        const mirror = new LinkKnowledge();
        const got1 = byUuid(roundTrip(recs, sender, mirror));
        assert.equal(got1.size, recs.length);
        for (const r of recs) assert.deepStrictEqual(got1.get(r.uuid), full(r));
        const second = next.filter((_, i) => include[i]);
        const got2 = byUuid(roundTrip(second, sender, mirror, true));
        for (const r of second) assert.deepStrictEqual(got2.get(r.uuid), full(r));
      },
    ),
    { numRuns: 150 },
  );
});

test('a record that changes twice in one payload and references to records defined in it', () => {
  const [s1, s2] = hospitalStatuses(2, 7);
  const [u1] = statusUpdates([s1!], 8);
  const pointing = { ...s2!, data: { ...s2!.data, hospital_id: s1!.uuid } };
  const merged = { ...u1!, deleted: true, replaced_by: s2!.uuid, version: { ...u1!.version, [B]: 3 } };
  const sender = new LinkKnowledge();
  const mirror = new LinkKnowledge();
  const got = roundTrip([s1!, pointing, merged], sender, mirror);
  assert.deepStrictEqual(got.map((r) => r.uuid).sort(), [s1!.uuid, s2!.uuid, s1!.uuid].sort());
  assert.deepStrictEqual(got.find((r) => r.uuid === s2!.uuid), full(pointing));
  assert.deepStrictEqual(got.filter((r) => r.uuid === s1!.uuid).at(-1), full(merged));
  assert.deepStrictEqual(mirror.bases.get(s1!.uuid), full(merged));
});

test('known records travel by short id with only their changed fields', () => {
  const base = hospitalStatuses(100, 3);
  const sender = new LinkKnowledge();
  const mirror = new LinkKnowledge();
  const first = encodeChanges(registry, base, sender, link);
  roundTrip(base, sender, mirror);
  const updates = statusUpdates(base, 4);
  const enc = encodeChanges(registry, updates, sender, link);
  // Far smaller than the first sync of the same records, and well under the 40 B/record goal.
  assert.ok(enc.bytes.length < first.bytes.length / 2, `${enc.bytes.length} vs ${first.bytes.length}`);
  assert.ok(enc.bytes.length / 100 <= 40, `${enc.bytes.length / 100} B/record`);
  const dec = decodeChanges(registry, enc.bytes, mirror, link);
  assert.deepStrictEqual(byUuid(dec.changes), byUuid(updates.map(full)));

  const one = { ...updates[5]!, data: { ...updates[5]!.data, ems_status: 3 }, version: { ...updates[5]!.version } };
  mirror.commit(dec.update);
  sender.commit(enc.update);
  one.version[A] = (one.version[A] ?? 0) + 1;
  const single = encodeChanges(registry, [one], sender, link);
  assert.ok(single.bytes.length <= 30, `single-field update: ${single.bytes.length} B`);
  assert.deepStrictEqual(decodeChanges(registry, single.bytes, mirror, link).changes, [full(one)]);
});

test('alerts and hospital status come before bulk data', () => {
  fc.assert(
    fc.property(fc.uniqueArray(recordArb(), { minLength: 2, maxLength: 20, selector: (r) => r.uuid }), (recs) => {
      const dec = decodeChanges(registry, encodeChanges(registry, recs, new LinkKnowledge(), link).bytes, new LinkKnowledge(), link);
      const prios = dec.changes.map((r) => registry.get(r.resource).priority);
      assert.deepStrictEqual(prios, [...prios].sort((a, b) => a - b));
    }),
    { numRuns: 40 },
  );
});

test('a payload the sender never saw acknowledged is taken back and re-read; stale and foreign payloads are refused', () => {
  const base = hospitalStatuses(10, 5);
  const sender = new LinkKnowledge();
  const mirror = new LinkKnowledge();
  roundTrip(base, sender, mirror);
  const upd = statusUpdates(base, 6);
  // Received and committed by the receiver, but the acknowledgement was lost: the sender does not commit.
  const lost = encodeChanges(registry, upd.slice(0, 5), sender, link);
  mirror.commit(decodeChanges(registry, lost.bytes, mirror, link).update);
  const again = encodeChanges(registry, upd, sender, link);
  const dec = decodeChanges(registry, again.bytes, mirror, link);
  assert.equal(dec.rolledBack, true);
  assert.deepStrictEqual(byUuid(dec.changes), byUuid(upd.map(full)));
  mirror.commit(dec.update);
  sender.commit(again.update);

  // Replaying the old payload later is refused (it builds on knowledge that has moved on).
  const next = encodeChanges(registry, statusUpdates(upd, 9).slice(0, 1), sender, link);
  mirror.commit(decodeChanges(registry, next.bytes, mirror, link).update);
  sender.commit(next.update);
  assert.throws(() => decodeChanges(registry, again.bytes, mirror, link), (e: unknown) => e instanceof TidemarkError && e.code === 'reset_needed');

  // A mirror that lost part of its table (state out of step) asks for a reset rather than guessing.
  const torn = LinkKnowledge.fromJSON({ ...JSON.parse(JSON.stringify(mirror)), uuids: [] });
  const upd4 = statusUpdates(upd, 11).slice(0, 2);
  assert.throws(() => decodeChanges(registry, encodeChanges(registry, upd4, sender, link).bytes, torn, link), (e: unknown) => e instanceof TidemarkError && e.code === 'reset_needed');

  // A payload meant for another instance, or from another sender.
  assert.throws(() => decodeChanges(registry, next.bytes, mirror, { from: A, to: INSTANCES[2]!, key: linkKey(A, INSTANCES[2]!) }), (e: unknown) => e instanceof TidemarkError && e.code === 'forbidden');

  // A receiver that lost its mirror asks for a reset; the reset payload carries everything.
  const fresh = new LinkKnowledge();
  const upd3 = statusUpdates(upd, 10);
  assert.throws(() => decodeChanges(registry, encodeChanges(registry, upd3, sender, link).bytes, fresh, link), /reset is needed/);
  const reset = encodeChanges(registry, upd3, sender, { ...link, reset: true });
  assert.equal(readPayloadHeader(reset.bytes).reset, true);
  const got = decodeChanges(registry, reset.bytes, fresh, link);
  assert.deepStrictEqual(byUuid(got.changes), byUuid(upd3.map(full)));
  fresh.commit(got.update);
  sender.commit(reset.update);
  assert.equal(sender.epoch, 1);
  assert.deepEqual(sender.uuids, fresh.uuids);
});

test('knowledge survives a JSON round trip (kept per peer between runs)', () => {
  const base = hospitalStatuses(5, 11);
  const sender = new LinkKnowledge();
  const mirror = new LinkKnowledge();
  roundTrip(base, sender, mirror);
  const s2 = LinkKnowledge.fromJSON(JSON.parse(JSON.stringify(sender)));
  const m2 = LinkKnowledge.fromJSON(JSON.parse(JSON.stringify(mirror)));
  const upd = statusUpdates(base, 12);
  assert.deepStrictEqual(byUuid(roundTrip(upd, s2, m2)), byUuid(upd.map(full)));

  // The receiver restarts after committing a payload whose acknowledgement was lost: it can still take it back.
  const upd2 = statusUpdates(upd, 13);
  const lost = encodeChanges(registry, upd2.slice(0, 2), s2, link);
  m2.commit(decodeChanges(registry, lost.bytes, m2, link).update);
  const m3 = LinkKnowledge.fromJSON(JSON.parse(JSON.stringify(m2)));
  const again = decodeChanges(registry, encodeChanges(registry, upd2, s2, link).bytes, m3, link);
  assert.equal(again.rolledBack, true);
  assert.deepStrictEqual(byUuid(again.changes), byUuid(upd2.map(full)));
});

test('truncated and damaged payloads are errors, never silently different records', () => {
  const base = hospitalStatuses(20, 13);
  const enc = encodeChanges(registry, base, new LinkKnowledge(), link);
  for (let cut = 1; cut < enc.bytes.length; cut += 7) {
    assert.throws(() => decodeChanges(registry, enc.bytes.subarray(0, cut), new LinkKnowledge(), link), TidemarkError);
  }
  // An altered registry fingerprint fails the MAC before anything else is read.
  const other = new Uint8Array(enc.bytes);
  other[1]! ^= 0xff;
  assert.throws(() => decodeChanges(registry, other, new LinkKnowledge(), link), (e: unknown) => e instanceof TidemarkError && e.code === 'forbidden');
});

test('every payload is authenticated by the pairing key: a wrong key, an altered byte or another link is refused', () => {
  const recs = hospitalStatuses(5, 11);
  const enc = encodeChanges(registry, recs, new LinkKnowledge(), { ...link, final: true });
  const refused = (bytes: Uint8Array, opts: { from: string; to: string; key: Uint8Array }): void =>
    assert.throws(() => decodeChanges(registry, bytes, new LinkKnowledge(), opts), (e: unknown) => e instanceof TidemarkError && e.code === 'forbidden');
  refused(enc.bytes, { ...link, key: linkKey(B, A) });
  refused(enc.bytes, { from: B, to: A, key: link.key });
  for (const at of [0, 1, 4, enc.bytes.length - 1]) {
    const bad = Uint8Array.from(enc.bytes);
    bad[at]! ^= 0x01;
    refused(bad, link);
  }
  assert.equal(decodeChanges(registry, enc.bytes, new LinkKnowledge(), link).changes.length, recs.length);
});

test('a final payload carries the part of the feed the turn covered; other payloads carry none', () => {
  const recs = hospitalStatuses(3, 12);
  const reach = [
    { resource: 'med_hospital', from: 0, to: 7 },
    { resource: 'cap_alert', from: 120, to: 4000 },
  ];
  const final = encodeChanges(registry, recs, new LinkKnowledge(), { ...link, final: true, reach });
  assert.deepEqual(decodeChanges(registry, final.bytes, new LinkKnowledge(), link).reach, reach);
  const middle = encodeChanges(registry, recs, new LinkKnowledge(), { ...link, reach });
  assert.deepEqual(decodeChanges(registry, middle.bytes, new LinkKnowledge(), link).reach, []);
});
