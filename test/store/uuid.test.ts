import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRecordUuid } from '../../src/store/index.js';

test('record identities: RFC 4122 uuid URNs and the forms Sahana Eden carries are accepted, nothing that could travel as a path', () => {
  for (const ok of [
    'urn:uuid:0e1e0003-0000-4000-8000-000000000001',
    'urn:uuid:0e1e0003-0000-4000-8000-000000000001-status', // Eden: a record derived from a hospital
    'urn:oid:2.49.0.1.826.0.2026.11.30.1', // Eden: a CAP alert keyed by its OID
    'eden.example.org/ORG-8',
    'ORG-8',
  ]) assert.equal(isRecordUuid(ok), true, ok);
  for (const bad of ['../../etc', 'urn:uuid:../../etc', 'urn:uuid:xyz', 'a b', 'ORG\n8', '', `urn:oid:${'1.'.repeat(40)}1`, 'urn:uuid:0e1e0003-0000-4000-8000-000000000001/../x'])
    assert.equal(isRecordUuid(bad), false, JSON.stringify(bad));
});
