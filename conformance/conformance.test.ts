import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cases, runExamples, runExport, runRoundtripCap, runRoundtripHave, runSchemaAgreement, type Result } from './runner.js';

/** The conformance suite as part of `npm test`: one test per case, each failing check named. */
const failures = (results: Result[]): string =>
  results
    .filter((r) => !r.ok)
    .map((r) => `${r.check}${r.detail ? ` (${r.detail})` : ''}`)
    .join('\n');

describe('conformance', () => {
  const c = cases();
  for (const e of c.export) {
    it(`export: ${e.name}`, () => {
      const results = runExport(e, c.envelope);
      assert.equal(failures(results), '');
      assert.ok(results.length > 1);
    });
  }
  it('round trip S3XML -> EDXL-HAVE -> S3XML keeps every mapped field', async () => {
    assert.equal(failures(await runRoundtripHave(c.roundtripHave)), '');
  });
  for (const source of c.roundtripCap) {
    it(`round trip CAP -> S3XML -> CAP: ${source}`, async () => {
      assert.equal(failures(await runRoundtripCap(source)), '');
    });
  }
  it('every official example: valid ones import (or are refused for the stated reason), invalid ones are refused', () => {
    const results = runExamples(c.examples.refusedValid);
    assert.ok(results.length >= 20);
    assert.equal(failures(results), '');
  });
  it("the project's schemas agree with the official ones on every example", () => {
    const results = runSchemaAgreement();
    assert.ok(results.length >= 20);
    assert.equal(failures(results), '');
  });
});
