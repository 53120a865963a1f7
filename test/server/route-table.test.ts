import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ACCESS } from '../../src/server/access.js';

test('docs/security.md lists every route of ACCESS with who may call it', () => {
  const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
  const listed = new Set([...doc.matchAll(/^\| `([A-Z]+ \/[^`]*)` \| (.+) \|$/gm)].map((m) => m[1]!));
  const missing = Object.keys(ACCESS).filter((route) => !listed.has(route));
  assert.deepEqual(missing, [], 'add these routes to the table in docs/security.md');
  const stale = [...listed].filter((route) => !(route in ACCESS));
  assert.deepEqual(stale, [], 'these routes in docs/security.md have no rule in ACCESS');
});
