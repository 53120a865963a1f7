import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { importRecords, type ImportOptions } from '../../src/s3xml/index.js';
import { openStore } from '../../src/open.js';
import { type Store } from '../../src/store/index.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { ADULT_ICU, refused, snapshot } from './support.js';

after(dropTestDatabases);

const ORG = 'urn:uuid:0b1c2a1e-0000-4000-8000-000000000001';
const NOWHERE = 'urn:uuid:0b1c2a1e-0000-4000-8000-00000000dead';
const valid = `<resource name="org_organisation" uuid="${ORG}"><data field="name">Valid Org</data></resource>`;
const doc = (...resources: string[]): string => `<?xml version="1.0"?>\n<s3xml>\n${resources.join('\n')}\n</s3xml>\n`;

interface Case {
  name: string;
  input: string;
  format?: ImportOptions['format'];
  opts?: Partial<ImportOptions>;
  code: 'malformed' | 'invalid' | 'too_large' | 'forbidden';
  /** What the error must name. */
  line?: number;
  field?: string;
  message: RegExp;
}

const CASES: Case[] = [
  { name: 'malformed XML', input: doc(valid, '<resource name="org_organisation"><data field="name">x</resource>'), code: 'malformed', line: 4, message: /not well-formed/ },
  { name: 'a document that is not S3XML', input: '<html><body/></html>', code: 'malformed', line: 1, message: /must be <s3xml>/ },
  { name: 'an empty document', input: '', code: 'malformed', message: /empty document|not well-formed/ },
  { name: 'malformed JSON', input: `{"$_org_organisation":[{"name":"Valid"},{"name": nope}]}`, format: 's3json', code: 'malformed', line: 1, message: /not well-formed S3JSON/ },
  { name: 'truncated JSON', input: `{"$_org_organisation":[{"name":"Valid"},\n{"name":"x"`, format: 's3json', code: 'malformed', message: /ends too early/ },
  { name: 'an unknown resource', input: doc(valid, '<resource name="org_secret"><data field="name">x</data></resource>'), code: 'invalid', line: 4, message: /unknown resource "org_secret"/ },
  {
    name: 'an unknown field (strict)',
    input: doc(valid, `<resource name="org_office">\n<data field="name">x</data>\n<data field="colour">red</data>\n<reference field="organisation_id" resource="org_organisation" uuid="${ORG}"/></resource>`),
    opts: { strict: true },
    code: 'invalid',
    line: 6,
    field: 'colour',
    message: /unknown field "colour"/,
  },
  {
    name: 'an unknown component (strict)',
    input: doc(valid, '<resource name="med_hospital">\n<data field="name">H</data>\n<resource name="med_hospital_resources"><data field="type">x</data></resource></resource>'),
    opts: { strict: true },
    code: 'invalid',
    line: 6,
    message: /component "med_hospital_resources" of med_hospital is not modelled/,
  },
  { name: 'a code outside the codes', input: doc(valid, `<resource name="med_hospital"><data field="name">H</data><data field="facility_type" value="7">Seven</data></resource>`), code: 'invalid', field: 'facility_type', message: /not one of the codes/ },
  {
    name: 'a value of the wrong type',
    input: doc(valid, `<resource name="med_hospital">\n<data field="name">H</data>\n<data field="total_beds" value="&quot;many&quot;"/></resource>`),
    code: 'invalid',
    line: 6,
    field: 'total_beds',
    message: /not an integer/,
  },
  { name: 'a value outside the options', input: doc(valid, `<resource name="cr_shelter"><data field="name">S</data><data field="status">Sunny</data></resource>`), code: 'invalid', field: 'status', message: /not one of/ },
  { name: 'a missing required field', input: doc(valid, '<resource name="org_organisation"><data field="acronym">X</data></resource>'), code: 'invalid', line: 4, field: 'name', message: /value required/ },
  {
    name: 'a reference to a uuid that exists nowhere',
    input: doc(valid, `<resource name="org_office"><data field="name">O</data>\n<reference field="organisation_id" resource="org_organisation" uuid="${NOWHERE}"/></resource>`),
    code: 'invalid',
    line: 5,
    field: 'organisation_id',
    message: /neither in the database nor/,
  },
  { name: 'a tuid that no record carries', input: doc(`<resource name="org_office"><data field="name">O</data><reference field="organisation_id" resource="org_organisation" tuid="T9"/></resource>`), code: 'invalid', field: 'organisation_id', message: /tuid "T9"/ },
  { name: 'the same uuid twice in one document', input: doc(valid, `<resource name="org_organisation" uuid="${ORG}"><data field="name">Again</data></resource>`), code: 'invalid', line: 4, message: /same uuid appears twice/ },
  {
    name: 'the same uuid twice, batches apart',
    input: doc(valid, ...Array.from({ length: 30 }, (_, i) => `<resource name="gis_location"><data field="name">L${i}</data></resource>`), `<resource name="org_organisation" uuid="${ORG}"><data field="name">Again</data></resource>`),
    opts: { batchSize: 5 },
    code: 'invalid',
    message: /same uuid appears twice/,
  },
  { name: 'a component under the wrong master', input: doc(`<resource name="org_organisation"><data field="name">O</data><resource name="med_bed_capacity"/></resource>`), code: 'invalid', message: /not a component of org_organisation/ },
  { name: 'new reference data', input: doc(`<resource name="fin_currency" uuid="urn:uuid:0b1c2a1e-0000-4000-8000-0000000000b1"><data field="code">X</data><data field="name">X</data></resource>`), code: 'forbidden', message: /reference data/ },
  {
    name: 'a DOCTYPE with entity expansion (billion laughs)',
    input: `<?xml version="1.0"?>\n<!DOCTYPE s3xml [\n<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n<s3xml><resource name="org_organisation"><data field="name">&b;</data></resource></s3xml>`,
    code: 'malformed',
    message: /DOCTYPE is refused/,
  },
  { name: 'a DOCTYPE with an external entity', input: `<?xml version="1.0"?>\n<!DOCTYPE s3xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<s3xml><resource name="org_organisation"><data field="name">&x;</data></resource></s3xml>`, code: 'malformed', message: /DOCTYPE is refused/ },
  { name: 'a DOCTYPE naming an external DTD', input: `<!DOCTYPE s3xml SYSTEM "http://127.0.0.1:9/s3xml.dtd">\n<s3xml>${valid}</s3xml>`, code: 'malformed', line: 1, message: /DOCTYPE is refused/ },
  { name: 'a document over the size limit', input: doc(valid, ...Array.from({ length: 200 }, (_, i) => `<resource name="gis_location"><data field="name">L${i}</data></resource>`)), opts: { maxBytes: 4096 }, code: 'too_large', message: /larger than the limit of 4096/ },
  {
    name: 'excessive nesting depth',
    input: doc(`${'<resource name="med_hospital"><data field="name">H</data>'.repeat(40)}${'</resource>'.repeat(40)}`),
    code: 'malformed',
    message: /nested deeper than 32/,
  },
  { name: 'excessive JSON nesting depth', input: `{"$_org_organisation":[{"name":${'['.repeat(100)}${']'.repeat(100)}}]}`, format: 's3json', code: 'malformed', message: /nested deeper/ },
];

for (const kind of DB_KINDS) {
  describe(`bad S3XML / S3JSON input on ${kind}`, () => {
    let store: Store;
    let before0: string;
    before(async () => {
      store = await openStore(await freshDatabase(kind), { instanceName: 'bad-input' });
      before0 = await snapshot(store);
    });
    after(async () => {
      await store?.close();
    });

    for (const c of CASES) {
      it(`refuses ${c.name}, naming the place, and writes nothing`, async () => {
        const e = await refused(() => importRecords(store, Readable.from([Buffer.from(c.input)]), { format: c.format ?? 's3xml', ...c.opts }), c.code);
        assert.match(e.message, c.message, e.describe());
        if (c.line !== undefined) assert.equal(e.where.line, c.line, e.describe());
        if (c.field !== undefined) assert.equal(e.where.field, c.field, e.describe());
        assert.equal(await snapshot(store), before0);
      });
    }

    it('reports every problem of a document, each with its line, element and field', async () => {
      const input = doc(
        valid,
        '<resource name="org_office"><data field="name">No organisation</data></resource>',
        '<resource name="med_hospital"><data field="name">H</data><data field="doctors" value="1.5"/></resource>',
        '<resource name="gis_location"><data field="lat" value="north"/><data field="name">L</data></resource>',
      );
      const e = await refused(() => importRecords(store, input, { format: 's3xml' }), 'invalid');
      assert.equal(e.problems.length, 3);
      assert.deepEqual(
        e.problems.map((p) => [p.where.line, p.where.element, p.where.resource, p.where.field]).sort((x, y) => Number(x[0]) - Number(y[0])),
        [
          [4, 'resource', 'org_office', 'organisation_id'],
          [5, 'data', 'med_hospital', 'doctors'],
          [6, 'data', 'gis_location', 'lat'],
        ],
      );
      assert.match(e.message, /\(and 2 more problems\); nothing was imported/);
      assert.equal(await snapshot(store), before0);
    });

    it('with ignoreErrors, commits the valid items and reports the others', async () => {
      const input = doc(
        valid,
        `<resource name="med_hospital" uuid="urn:uuid:0b1c2a1e-0000-4000-8000-0000000000c1"><data field="name">Good</data>
           <resource name="med_bed_capacity" alias="bed_capacity"><data field="bed_type" value="${ADULT_ICU}"/><data field="beds_baseline" value="3"/></resource></resource>`,
        `<resource name="med_hospital" uuid="urn:uuid:0b1c2a1e-0000-4000-8000-0000000000c2"><data field="name">Bad component</data>
           <resource name="med_bed_capacity" alias="bed_capacity"><data field="beds_baseline" value="3"/></resource></resource>`,
        `<resource name="org_office" uuid="urn:uuid:0b1c2a1e-0000-4000-8000-0000000000c3"><data field="name">Refers to a failed record</data>
           <reference field="organisation_id" resource="org_organisation" tuid="BAD"/></resource>`,
        '<resource name="org_organisation" tuid="BAD"><data field="acronym">no name</data></resource>',
      );
      const summary = await importRecords(store, input, { format: 's3xml', ignoreErrors: true });
      assert.equal(summary.created, 3, 'the valid organisation, and the good hospital with its bed capacity');
      assert.equal(summary.errors.length, 3);
      assert.deepEqual(summary.errors.map((p) => p.where.field).sort(), ['bed_type', 'name', 'organisation_id']);
      assert.ok(await store.get('med_hospital', 'urn:uuid:0b1c2a1e-0000-4000-8000-0000000000c1'));
      assert.equal(await store.get('med_hospital', 'urn:uuid:0b1c2a1e-0000-4000-8000-0000000000c2'), undefined, 'a failing component fails its master');
      assert.equal(await store.get('org_office', 'urn:uuid:0b1c2a1e-0000-4000-8000-0000000000c3'), undefined);
      assert.equal((await store.list('med_bed_capacity')).length, 1);
    });

    it('still refuses malformed documents as a whole with ignoreErrors', async () => {
      const before1 = await snapshot(store);
      await refused(() => importRecords(store, doc('<resource name="gis_location"><data field="name">L</data></resource>', '<resource'), { format: 's3xml', ignoreErrors: true }), 'malformed');
      assert.equal(await snapshot(store), before1);
    });

    it('waits for forward references and resolves reference cycles within the document', async () => {
      const A = 'urn:uuid:0b1c2a1e-0000-4000-8000-0000000000d1';
      const B = 'urn:uuid:0b1c2a1e-0000-4000-8000-0000000000d2';
      const fillers = Array.from({ length: 12 }, (_, i) => `<resource name="org_organisation"><data field="name">F${i}</data></resource>`);
      const input = doc(
        `<resource name="gis_location" uuid="${A}"><data field="name">A</data><reference field="parent" resource="gis_location" uuid="${B}"/></resource>`,
        `<resource name="org_office"><data field="name">Forward</data><reference field="organisation_id" resource="org_organisation" uuid="urn:uuid:0b1c2a1e-0000-4000-8000-0000000000d3"/></resource>`,
        ...fillers,
        `<resource name="gis_location" uuid="${B}"><data field="name">B</data><reference field="parent" resource="gis_location" uuid="${A}"/></resource>`,
        `<resource name="org_organisation" uuid="urn:uuid:0b1c2a1e-0000-4000-8000-0000000000d3"><data field="name">Late</data></resource>`,
      );
      const summary = await importRecords(store, input, { format: 's3xml', batchSize: 4 });
      assert.equal(summary.created, 16);
      assert.equal((await store.get('gis_location', A))!.data.parent, B);
      assert.equal((await store.get('gis_location', B))!.data.parent, A);
    });
  });
}
