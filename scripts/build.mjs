#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm ci` runs it): src/**/*.ts -> dist/**/*.js, one file per
// module. No bundling: a command's dependencies still load only when it runs, and dist/ sits at
// the same depth as src/, so paths built from import.meta.url stay right. esbuild only strips
// types (a second or two for the whole tree where tsc took 91 s); `tsc --noEmit` is the type
// check. Then the stylesheets are compiled to SEF (docs/operations.md, "Start-up").
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST_DIR, SRC_DIR, STAMP } from './build-state.mjs';

function files(dir, keep) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p, keep);
    return keep(e.name) ? [p] : [];
  });
}

const started = Date.now();
const entryPoints = files(SRC_DIR, (n) => n.endsWith('.ts') && !n.endsWith('.d.ts'));
mkdirSync(DIST_DIR, { recursive: true });
// Files are rewritten in place (never a moment without dist/ for a CLI starting meanwhile) ...
await build({
  entryPoints,
  outdir: DIST_DIR,
  outbase: SRC_DIR,
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// knex as one file: the package is ~340 modules (255 of them lodash's), and resolving and reading
// them was most of what `tidemark log` spent starting; one file loads in half the time.
// src/store/knex.ts picks it up. Its drivers and small dependencies stay ordinary packages.
const KNEX_VENDOR = join(DIST_DIR, 'vendor', 'knex.cjs');
await build({
  entryPoints: [createRequire(import.meta.url).resolve('knex')],
  outfile: KNEX_VENDOR,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  plugins: [
    {
      name: 'only-knex-and-lodash',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (a) => (/^lodash(\/|$)/.test(a.path) ? undefined : { path: a.path, external: true }));
      },
    },
  ],
});
// TypeBox likewise: ~700 small modules, ~0.23 s of CPU to load (~0.38 s with its compiler) for
// every command that loads the wire protocol; as two entries and their shared chunk, 14 ms
// (20 ms with the compiler). Our modules' imports of it are pointed at these files below.
const VENDOR_DIR = join(DIST_DIR, 'vendor');
const typebox = await build({
  entryPoints: { typebox: createRequire(import.meta.url).resolve('typebox'), 'typebox-compile': createRequire(import.meta.url).resolve('typebox/compile') },
  outdir: VENDOR_DIR,
  bundle: true,
  splitting: true,
  chunkNames: 'typebox-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  metafile: true,
  logLevel: 'warning',
});
const TYPEBOX_FILES = { typebox: join(VENDOR_DIR, 'typebox.js'), 'typebox/compile': join(VENDOR_DIR, 'typebox-compile.js') };
for (const file of entryPoints.map((p) => join(DIST_DIR, relative(SRC_DIR, p)).replace(/\.ts$/, '.js'))) {
  const code = readFileSync(file, 'utf8');
  if (!code.includes('"typebox')) continue;
  const pointed = code.replace(/(from\s*|import\(\s*)"(typebox(?:\/compile)?)"/g, (_, how, pkg) => {
    const to = relative(dirname(file), TYPEBOX_FILES[pkg]);
    return `${how}"${to.startsWith('.') ? to : `./${to}`}"`;
  });
  if (pointed !== code) writeFileSync(file, pointed);
}
// ... and a module deleted from src/ does not linger in dist/.
const expected = new Set(entryPoints.flatMap((p) => {
  const js = join(DIST_DIR, relative(SRC_DIR, p)).replace(/\.ts$/, '.js');
  return [js, `${js}.map`];
}));
expected.add(KNEX_VENDOR);
for (const out of Object.keys(typebox.metafile.outputs)) expected.add(join(process.cwd(), out));
for (const f of files(DIST_DIR, (n) => /\.(c?js|js\.map)$/.test(n))) if (!expected.has(f)) rmSync(f);
const quiet = process.argv.includes('--quiet');
if (!quiet) process.stdout.write(`built ${entryPoints.length} modules into dist/ in ${Date.now() - started} ms\n`);

// Every format's stylesheet compiled to SEF now, not on the first request (seconds each); only
// the ones whose content hash has no SEF yet, so a rebuild without stylesheet edits skips this.
process.env.TIDEMARK_LOG_LEVEL ??= 'warn';
const sefStarted = Date.now();
const { precompile, pruneSefCache } = await import(pathToFileURL(join(DIST_DIR, 'interchange', 'stylesheets.js')).href);
const compiled = await precompile();
if (!quiet && compiled.length) process.stdout.write(`compiled ${compiled.join(', ')} to SEF in ${Date.now() - sefStarted} ms\n`);
// SEFs of earlier stylesheet contents and code caches of other versions are never read again.
const pruned = pruneSefCache();
if (!quiet && pruned.length) process.stdout.write(`removed ${pruned.length} stale file(s) from the SEF cache\n`);

// V8's code cache for SaxonJS (docs/formats.md, "Cold start"): made once per SaxonJS and Node
// version, after the shipped partner samples went through every import and export stylesheet, so
// it holds what a transform compiles on first use too; made again when a stylesheet changed (the
// code its transforms use may have changed with it).
const stylesheets = await import(pathToFileURL(join(DIST_DIR, 'interchange', 'stylesheets.js')).href);
if (compiled.length || !existsSync(stylesheets.saxonCodeCacheFile())) {
  const cacheStarted = Date.now();
  const partners = join(DIST_DIR, '..', 'samples', 'partners');
  const s3xml = [
    ['cap-to-s3xml.xsl', 'county-flood.cap.xml'],
    ['edxl-have-to-s3xml.xsl', 'county-hospitals.have.xml'],
  ].map(([sheet, file]) => stylesheets.transform(sheet, readFileSync(join(partners, file), 'utf8')));
  for (const sheet of stylesheets.exportStylesheets()) for (const doc of s3xml) {
    try {
      stylesheets.transform(sheet, doc);
    } catch {
      // A stylesheet may refuse a sample (no alert in a hospital list): what ran is compiled.
    }
  }
  stylesheets.writeSaxonCodeCache();
  if (!quiet) process.stdout.write(`wrote the SaxonJS code cache in ${Date.now() - cacheStarted} ms\n`);
}
// Last: the stamp says the build is complete (scripts/build-state.mjs).
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
