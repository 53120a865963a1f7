#!/usr/bin/env node
// Runs the JavaScript built from src/ into dist/ (`npm ci` builds it through `prepare`;
// `npm run build` rebuilds it after an edit). Nothing is compiled at start.
import { existsSync } from 'node:fs';
import { isStale } from '../scripts/build-state.mjs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('tidemark: no build in dist/; run "npm run build" (npm ci runs it)\n');
  process.exit(70);
}
if (isStale()) process.stderr.write('tidemark: warning: src/ changed since the last build; run "npm run build"\n');
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
