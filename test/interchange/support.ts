import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TidemarkError } from '../../src/errors.js';
import { PROJECT_ROOT } from '../../src/interchange/formats.js';

/** The official OASIS schemas and examples: ../shared/standards beside the project (CI layout). */
export const STANDARDS = resolve(process.env.TIDEMARK_SCHEMAS ?? join(PROJECT_ROOT, '..', 'shared', 'standards'));

export const fixture = (name: string): string => readFileSync(join(PROJECT_ROOT, 'test', 'interchange', 'fixtures', name), 'utf8');
export const example = (path: string): string => readFileSync(join(STANDARDS, 'examples', path), 'utf8');

/** Runs `fn` and returns the TidemarkError it throws, checking its code. */
export async function refused(fn: () => unknown, code: TidemarkError['code']): Promise<TidemarkError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof TidemarkError, `expected a TidemarkError, got ${String(e)}`);
    assert.equal(e.code, code, e.describe());
    return e;
  }
  return assert.fail('expected a refusal');
}
