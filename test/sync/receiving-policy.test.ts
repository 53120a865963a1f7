import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configuredPolicy, policyFor, receivingPolicy, type SyncConfig } from '../../src/sync/peers.js';

// One precedence rule for every carrier: per-resource beats general, then the peer beats its clusters.
describe('the receiving policy', () => {
  const cluster: SyncConfig = { policies: { med_hospital: 'MASTER' }, policy: 'THIS' };
  const peer: SyncConfig = { policy: 'NEWER' };

  it("keeps a cluster's per-resource policy over a peer's general one", () => {
    assert.equal(configuredPolicy([cluster, peer], 'med_hospital'), 'MASTER');
    assert.equal(configuredPolicy([cluster, peer], 'org_office'), 'NEWER');
    assert.equal(configuredPolicy([cluster, { policies: { med_hospital: 'THIS' } }], 'med_hospital'), 'THIS');
  });

  it('agrees with the effective config the active side uses', () => {
    // effective() merges per-resource maps and general policies the same way.
    const effective = { policy: 'NEWER' as const, policies: { med_hospital: 'MASTER' as const } };
    for (const r of ['med_hospital', 'org_office']) assert.equal(policyFor(effective, r), configuredPolicy([cluster, peer], r));
  });

  it("takes the sender's hint only when nothing is configured", () => {
    const p = receivingPolicy([{}, {}]);
    assert.equal(p('org_office', 'OTHER'), 'OTHER');
    assert.equal(p('org_office'), 'NEWER');
    assert.equal(receivingPolicy([cluster, peer])('med_hospital', 'OTHER'), 'MASTER');
  });
});
