import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { getFormat, listFormats, PROJECT_ROOT, XSD_DIR, XSLT_DIR } from '../../src/interchange/formats.js';
import { refused } from './support.js';
import { tempDir } from '../support/temp.js';

describe('formats as data', () => {
  it('declares every format Tidemark speaks, with files that exist', () => {
    const names = listFormats().map((f) => f.name);
    for (const n of ['s3xml', 's3json', 'edxl-have', 'cap', 'cap-atom', 'edxl-de', 'edxl-de-1.0']) assert.ok(names.includes(n), n);
    for (const f of listFormats()) {
      for (const s of [f.export, f.import]) if (s) assert.ok(existsSync(join(XSLT_DIR, s)), `${f.name}: xslt/${s}`);
      if (f.schema?.project) assert.ok(existsSync(join(XSD_DIR, f.schema.project)), `${f.name}: xsd/${f.schema.project}`);
      assert.ok(f.mediaType.includes('/'), f.name);
    }
  });

  it('refuses an unknown format by name', async () => {
    const e = await refused(() => getFormat('edxl-sitrep'), 'unsupported');
    assert.match(e.message, /unknown format "edxl-sitrep"/);
  });
});

describe('stylesheets compiled once to SEF', () => {
  it('compiles on first use into the cache, then reuses the cached SEF (fresh process, empty cache)', () => {
    const cache = tempDir('tidemark-sef');
    const script = `import { stylesheet } from './src/interchange/stylesheets.js';
      const t = Date.now(); const s = stylesheet('s3xml-to-cap.xsl'); console.log(JSON.stringify({ ms: Date.now() - t, file: s.sefFile }));`;
    const run = () =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TIDEMARK_SEF_CACHE: cache, TIDEMARK_LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      });
    const first = run();
    assert.equal(first.status, 0, first.stderr);
    const a = JSON.parse(first.stdout.trim()) as { ms: number; file: string };
    assert.ok(existsSync(a.file));
    assert.deepEqual(readdirSync(cache).filter((f) => f.endsWith('.sef.json')).length, 1);
    const compiledAt = statSync(a.file).mtimeMs;
    const second = run();
    const b = JSON.parse(second.stdout.trim()) as { ms: number; file: string };
    assert.equal(b.file, a.file, 'same content hash, same SEF');
    assert.equal(statSync(b.file).mtimeMs, compiledAt, 'the second process read the SEF, it did not compile it again');
  });
});

/** Runs `fn` with the SEF cache in a fresh temporary folder of its own (TIDEMARK_SEF_CACHE). */
async function inFreshSefCache(fn: (cache: string) => Promise<void>): Promise<void> {
  const cache = tempDir('tidemark-sef');
  const before = process.env.TIDEMARK_SEF_CACHE;
  process.env.TIDEMARK_SEF_CACHE = cache;
  try {
    await fn(cache);
  } finally {
    if (before === undefined) delete process.env.TIDEMARK_SEF_CACHE;
    else process.env.TIDEMARK_SEF_CACHE = before;
  }
}

describe('stylesheets compiled at build time', () => {
  it('precompile() compiles what has no SEF for its content yet, and nothing the second time', async () => {
    await inFreshSefCache(async (cache) => {
      const { formatStylesheets, precompile, stylesheet } = await import('../../src/interchange/stylesheets.js');
      // Every stylesheet a format names is on the build's list.
      for (const f of listFormats()) for (const s of [f.export, f.import]) if (s) assert.ok(formatStylesheets().includes(s), s);
      const small = 's3xml-embedded-to-s3xml.xsl';
      assert.deepEqual(await precompile([small]), [small]);
      const [sef] = readdirSync(cache).filter((f) => f.endsWith('.sef.json'));
      assert.ok(sef?.startsWith('s3xml-embedded-to-s3xml.'), String(sef));
      assert.deepEqual(await precompile([small]), [], 'same content: nothing to compile');
      assert.equal(stylesheet(small).sefFile, join(cache, sef!), 'the run-time lookup finds the build\'s SEF');
    });
  });
});

describe('the SEF cache keeps what is used', () => {
  it('pruneSefCache() removes SEFs of earlier contents and code caches of other versions, nothing else', async () => {
    await inFreshSefCache(async (cache) => {
      const { precompile, pruneSefCache, saxonCodeCacheFile } = await import('../../src/interchange/stylesheets.js');
      const small = 's3xml-embedded-to-s3xml.xsl';
      await precompile([small]);
      // (stylesheet() would answer from this process's memory, made with another cache folder.)
      const current = join(cache, readdirSync(cache).find((f) => f.endsWith('.sef.json'))!);
      const old = join(cache, `s3xml-embedded-to-s3xml.${'0'.repeat(32)}.sef.json`);
      const otherVersion = join(cache, 'saxon-js-2.6.0.node-v18.0.0-x64.v8cache');
      const unknown = join(cache, `someone-elses.${'1'.repeat(32)}.sef.json`);
      const writing = `${current}.12345.tmp`;
      for (const f of [old, otherVersion, unknown, writing]) writeFileSync(f, '{}');
      writeFileSync(saxonCodeCacheFile(), 'cache');
      assert.deepEqual(pruneSefCache([small]), [basename(old), basename(otherVersion)].sort());
      for (const f of [current, saxonCodeCacheFile(), unknown, writing]) assert.ok(existsSync(f), `kept ${basename(f)}`);
      for (const f of [old, otherVersion]) assert.ok(!existsSync(f), `removed ${basename(f)}`);
      assert.deepEqual(pruneSefCache([small]), [], 'nothing left to remove');
    });
  });
});

describe('SaxonJS from its code cache', () => {
  it('loads from the cache the build writes, and from source, with the same results, when the cache does not match', () => {
    const cache = tempDir('tidemark-sef');
    // The build's SEF of a small stylesheet, when there is one (else the first child compiles it).
    const built = join(PROJECT_ROOT, '.cache', 'sef');
    for (const f of existsSync(built) ? readdirSync(built) : []) if (f.startsWith('s3xml-embedded-to-s3xml.')) copyFileSync(join(built, f), join(cache, f));
    const script = `import { saxonCodeCache, saxonCodeCacheFile, transform, writeSaxonCodeCache } from './src/interchange/stylesheets.js';
      const out = transform('s3xml-embedded-to-s3xml.xsl', '<s3xml xmlns="urn:x"><resource name="org_office" tm_match="{}"><data field="name">A</data></resource></s3xml>');
      const state = saxonCodeCache();
      if (process.argv[1] === 'write') writeSaxonCodeCache();
      console.log(JSON.stringify({ out, state, file: saxonCodeCacheFile() }));`;
    const run = (arg: string) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, arg], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TIDEMARK_SEF_CACHE: cache, TIDEMARK_LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim()) as { out: string; state: string; file: string };
    };
    const first = run('write');
    assert.equal(first.state, 'none');
    assert.ok(existsSync(first.file), 'the cache was written');
    assert.match(first.out, /<resource name="org_office"><data field="name">A<\/data><\/resource>/);
    const cached = run('read');
    assert.equal(cached.state, 'used');
    assert.equal(cached.out, first.out);
    writeFileSync(first.file, Buffer.alloc(4096, 7));
    const spoiled = run('read');
    assert.equal(spoiled.state, 'rejected');
    assert.equal(spoiled.out, first.out);
  });
});
