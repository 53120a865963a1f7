import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/open.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { tidemark } from '../support/processes.js';
import { tempDir } from '../support/temp.js';
import { comparable, schemaProblems, seed, snapshot } from './support.js';

const dir = tempDir('tidemark-s3xml-cli');
after(dropTestDatabases);

for (const kind of DB_KINDS) {
  describe(`tidemark export / import as real processes on ${kind}`, () => {
    let a: string;
    let b: string;
    let ids: Record<string, string>;
    before(async () => {
      a = await freshDatabase(kind);
      b = await freshDatabase(kind);
      const store = await openStore(a);
      ids = await seed(store);
      await store.close();
      await (await openStore(b)).close();
    });

    it('exports to a file and to stdout, S3XML and S3JSON', async () => {
      const file = join(dir, `${kind}-all.xml`);
      const out = await tidemark(['export', '--db', a, '--include-deleted', '-o', file]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stderr, /exported 8 records; cursor \S+/);
      assert.deepEqual(schemaProblems(readFileSync(file, 'utf8')), []);
      const json = await tidemark(['export', '--db', a, '--resource', 'med_hospital,org_office', '--format', 's3json']);
      assert.equal(json.code, 0, json.stderr);
      const doc = JSON.parse(json.stdout) as Record<string, unknown[]>;
      assert.deepEqual(Object.keys(doc).filter((k) => k.startsWith('$_')).sort(), ['$_med_hospital', '$_org_office']);
      const none = await tidemark(['export', '--db', a, '--since', '2999-01-01T00:00:00Z']);
      assert.equal(none.code, 0);
      assert.match(none.stdout, /results="0"/);
    });

    it('imports the file into another database: the same records come out', async () => {
      const file = join(dir, `${kind}-all.xml`);
      // Moving a site's own data keeps its versions (an operator's choice; HTTP never does).
      const res = await tidemark(['import', '--keep-versions', '--db', b, file]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^\d+ records: \d+ created, 0 updated/);
      const again = await tidemark(['export', '--db', b, '--include-deleted']);
      assert.equal(comparable(again.stdout), comparable(readFileSync(file, 'utf8')));
      const store = await openStore(b);
      try {
        assert.ok(await store.get('med_hospital', ids.h1!));
      } finally {
        await store.close();
      }
    });

    it('fails with a one-line reason and a non-zero exit, writing nothing', async () => {
      const store = await openStore(b);
      const before0 = await snapshot(store);
      await store.close();
      const bad = await tidemark(['import', '--db', b, '-'], { input: '<s3xml>\n<resource name="org_office"><data field="name">No org</data></resource>\n</s3xml>' });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr.split('\n')[0]!, /^tidemark import: line 2, <resource>, org_office\.organisation_id: value required; nothing was imported$/);
      const malformed = await tidemark(['import', '--db', b, '--format', 's3json', '-'], { input: '{"$_org_office": [' });
      assert.equal(malformed.code, 1);
      assert.match(malformed.stderr, /^tidemark import: line 1: not well-formed S3JSON/);
      const missing = await tidemark(['import', '--db', b, join(dir, 'no-such-file.xml')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /ENOENT/);
      const format = await tidemark(['import', '--db', b, '--format', 'csv', '-'], { input: '' });
      assert.equal(format.code, 1);
      assert.match(format.stderr, /unknown format "csv"/);
      const tooBig = await tidemark(['import', '--db', b, '--max-bytes', '100', join(dir, `${kind}-all.xml`)]);
      assert.equal(tooBig.code, 1);
      assert.match(tooBig.stderr, /larger than the limit of 100 bytes/);
      const check = await openStore(b);
      assert.equal(await snapshot(check), before0);
      await check.close();
    });

    it('--ignore-errors imports the valid items and names the others', async () => {
      const res = await tidemark(['import', '--db', b, '--ignore-errors', '-'], {
        input: '<s3xml><resource name="org_organisation"><data field="name">Kept by CLI</data></resource><resource name="org_nothing"/></s3xml>',
      });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /2 records: 1 created/);
      assert.match(res.stderr, /1 invalid item left out:\n {2}line 1, <resource>, org_nothing: unknown resource "org_nothing"/);
    });
  });
}
