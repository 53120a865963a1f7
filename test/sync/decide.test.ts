import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, swapPolicy, type Decision } from '../../src/sync/policy.js';
import type { RecordVersion } from '../../src/store/index.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000000';
const B = 'bbbbbbbb-0000-4000-8000-000000000000';
const C = 'cccccccc-0000-4000-8000-000000000000';

function v(over: Partial<RecordVersion> & { version: Record<string, number> }): RecordVersion {
  return {
    resource: 'org_organisation',
    uuid: 'urn:uuid:11111111-2222-4333-8444-555555555555',
    created_on: '2026-01-01T00:00:00.000Z',
    modified_on: '2026-01-01T00:00:00.000Z',
    deleted: false,
    replaced_by: null,
    origin: A,
    changed_by: A,
    hlc: '1700000000000.000000',
    data: { name: 'x' },
    ...over,
  };
}

const winner = (d: Decision): string => (d.kind === 'resolve' ? d.winner : d.kind);

test('a new record, a newer version and an older or equal one', () => {
  const base = v({ version: { [A]: 1 } });
  assert.equal(decide(undefined, base, { policy: 'NEWER' }).kind, 'take');
  assert.equal(decide(base, v({ version: { [A]: 2 }, data: { name: 'y' } }), { policy: 'THIS' }).kind, 'take');
  assert.equal(decide(v({ version: { [A]: 2 } }), base, { policy: 'OTHER' }).kind, 'skip');
  assert.equal(decide(base, { ...base }, { policy: 'OTHER' }).kind, 'skip');
});

test('concurrent versions: each policy, and the stored vector dominates both sides', () => {
  const local = v({ version: { [A]: 2, [B]: 1 }, changed_by: A, hlc: '1700000000005.000000', data: { name: 'mine' } });
  const remote = v({ version: { [A]: 1, [B]: 2 }, changed_by: B, hlc: '1700000000009.000000', data: { name: 'theirs' } });
  for (const [policy, expected] of [
    ['THIS', 'local'],
    ['OTHER', 'remote'],
    ['NEWER', 'remote'],
    ['MASTER', 'local'], // origin A made the local change
  ] as const) {
    const d = decide(local, remote, { policy });
    assert.equal(d.kind, 'resolve');
    if (d.kind !== 'resolve') continue;
    assert.equal(d.winner, expected, policy);
    assert.equal(d.conflict, true);
    assert.deepEqual(d.result.version, { [A]: 2, [B]: 2 });
    assert.equal(d.result.data.name, expected === 'local' ? 'mine' : 'theirs');
  }
});

test('NEWER ties on the HLC are broken by instance uuid, the same way on both sides', () => {
  const x = v({ version: { [A]: 1, [B]: 1 }, changed_by: A, data: { name: 'a' } });
  const y = v({ version: { [A]: 1, [C]: 1 }, changed_by: C, data: { name: 'c' } });
  const atX = decide(x, y, { policy: 'NEWER' });
  const atY = decide(y, x, { policy: 'NEWER' });
  assert.ok(atX.kind === 'resolve' && atY.kind === 'resolve');
  assert.equal(atX.result.data.name, 'c');
  assert.equal(atY.result.data.name, 'c');
  assert.deepEqual(atX.result, atY.result);
});

test('MASTER: neither change by the originator falls back to the later change', () => {
  const local = v({ version: { [A]: 1, [B]: 1 }, changed_by: B, hlc: '1700000000001.000000', data: { name: 'b' } });
  const remote = v({ version: { [A]: 1, [C]: 1 }, changed_by: C, hlc: '1700000000002.000000', data: { name: 'c' } });
  const d = decide(local, remote, { policy: 'MASTER' });
  assert.ok(d.kind === 'resolve');
  assert.equal(d.winner, 'remote');
  assert.equal(d.rule, 'policy-fallback-newer');
});

test('deletion rule: an update made after the delete wins, an earlier one loses, whatever the policy', () => {
  const del = v({ version: { [A]: 2 }, deleted: true, changed_by: A, hlc: '1700000000005.000000' });
  const laterUpdate = v({ version: { [A]: 1, [B]: 1 }, changed_by: B, hlc: '1700000000009.000000', data: { name: 'edited' } });
  const earlierUpdate = { ...laterUpdate, hlc: '1700000000001.000000' };
  for (const policy of ['THIS', 'OTHER', 'NEWER', 'MASTER'] as const) {
    assert.equal(winner(decide(del, laterUpdate, { policy })), 'remote', policy);
    assert.equal(winner(decide(laterUpdate, del, { policy })), 'local', policy);
    assert.equal(winner(decide(del, earlierUpdate, { policy })), 'local', policy);
    assert.equal(winner(decide(earlierUpdate, del, { policy })), 'remote', policy);
  }
  const d = decide(del, laterUpdate, { policy: 'NEWER' });
  assert.ok(d.kind === 'resolve' && !d.result.deleted && d.rule === 'update-after-delete');
});

test('a resolver decides before the policy and may merge field by field', () => {
  const local = v({ version: { [A]: 2 }, data: { name: 'n1', acronym: 'L' } });
  const remote = v({ version: { [A]: 1, [B]: 1 }, changed_by: B, hlc: '1700000000009.000000', data: { name: 'n2', acronym: 'R' } });
  const d = decide(local, remote, { policy: 'OTHER', resolver: (l) => ({ data: { acronym: l.data.acronym as string } }) });
  assert.ok(d.kind === 'resolve');
  assert.equal(d.winner, 'merged');
  assert.deepEqual(d.result.data, { name: 'n2', acronym: 'L' });
  assert.equal(winner(decide(local, remote, { policy: 'OTHER', resolver: () => 'local' })), 'local');
});

test('concurrent but identical content is not a conflict; equal vectors with different content converge', () => {
  const x = v({ version: { [A]: 1, [B]: 1 }, changed_by: A, data: { name: 'same' } });
  const y = v({ version: { [A]: 1, [C]: 1 }, changed_by: C, data: { name: 'same' } });
  const d = decide(x, y, { policy: 'NEWER' });
  assert.ok(d.kind === 'resolve' && d.conflict === false);
  const p = v({ version: { [A]: 2, [B]: 2 }, data: { name: 'p' } });
  const q = v({ version: { [A]: 2, [B]: 2 }, data: { name: 'q' } });
  const atP = decide(p, q, { policy: 'THIS' });
  const atQ = decide(q, p, { policy: 'THIS' });
  assert.ok(atP.kind === 'resolve' && atQ.kind === 'resolve');
  assert.equal(atP.result.data.name, atQ.result.data.name);
});

test('policies swap sides for pushes', () => {
  assert.equal(swapPolicy('THIS'), 'OTHER');
  assert.equal(swapPolicy('OTHER'), 'THIS');
  assert.equal(swapPolicy('NEWER'), 'NEWER');
  assert.equal(swapPolicy('MASTER'), 'MASTER');
});
