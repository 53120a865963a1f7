import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFormat } from '../../src/interchange/formats.js';
import { validateDocument, formatForElement } from '../../src/interchange/validate.js';
import { parseXml } from '../../src/interchange/xml.js';
import { STANDARDS } from './support.js';

const manifest = readFileSync(join(STANDARDS, 'examples', 'manifest.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => l.split('\t')[0]!)
  .filter((p) => !p.includes('/edxl-rm/'));

describe('schema validation', () => {
  it('reports line, element and rule for each problem', () => {
    const doc = parseXml(readFileSync(join(STANDARDS, 'examples/edxl-have/1.0/invalid/have-bad-enum-missing-lastupdate.xml'), 'utf8'));
    const issues = validateDocument(doc, getFormat('edxl-have'), 'project');
    const bad = issues.find((i) => i.element === 'EMSTrafficStatus');
    assert.ok(bad, JSON.stringify(issues));
    assert.equal(bad.line, 40);
    assert.match(bad.message, /'Diversion' is not an element of the set/);
  });

  it('finds the same problems, lines and elements in a read-only parse (libxml2 compact mode) as in a normal one', () => {
    let invalid = 0;
    for (const path of manifest) {
      const text = readFileSync(join(STANDARDS, path), 'utf8');
      const doc = parseXml(text);
      const format = formatForElement(doc.root()!);
      assert.ok(format, `a format for ${path}`);
      const normal = validateDocument(doc, format, 'project');
      assert.deepEqual(validateDocument(parseXml(text, { readOnly: true }), format, 'project'), normal, path);
      if (normal.length) invalid++;
    }
    assert.ok(invalid > 0, 'some examples are invalid, so problems are compared too');
  });

  for (const path of manifest) {
    const expectValid = path.includes('/valid/');
    it(`project and official schemas agree on ${path} (${expectValid ? 'valid' : 'invalid'})`, () => {
      const doc = parseXml(readFileSync(join(STANDARDS, path), 'utf8'));
      const format = formatForElement(doc.root()!);
      assert.ok(format, `a format for ${path}`);
      const project = validateDocument(doc, format, 'project');
      const official = validateDocument(doc, format, 'official', { schemasDir: STANDARDS });
      assert.equal(official.length === 0, expectValid, `official: ${JSON.stringify(official.slice(0, 2))}`);
      assert.equal(project.length === 0, expectValid, `project: ${JSON.stringify(project.slice(0, 2))}`);
    });
  }
});
