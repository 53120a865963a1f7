import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readS3json } from '../../src/s3xml/json-reader.js';
import type { S3Item } from '../../src/s3xml/model.js';

/** The S3JSON document `text` fed as a stream of pieces of `size` characters. */
const inPieces = (text: string, size: number): Readable =>
  Readable.from(
    (function* () {
      for (let i = 0; i < text.length; i += size) yield Buffer.from(text.slice(i, i + size));
    })(),
  );

async function read(input: string | Readable): Promise<S3Item[]> {
  const out: S3Item[] = [];
  for await (const item of readS3json(input, { maxBytes: 1 << 30 })) out.push(item);
  return out;
}

describe('S3JSON reader', () => {
  const doc = JSON.stringify({
    '@domain': 'site-a',
    '@results': 2,
    $_org_organisation: [
      { '@uuid': 'urn:uuid:5b0f6d0e-7d1c-4c55-9a7e-2f3b8e1d4a61', name: 'Quote " backslash \\ brace } bracket ]', acronym: { $: 'K{R}C' } },
      { '@uuid': 'urn:uuid:5b0f6d0e-7d1c-4c55-9a7e-2f3b8e1d4a62', name: 'Second', $_org_office: [{ name: 'Nested [x]', phone1: null }] },
    ],
    '@flag': true,
  });

  it('gives the same records however the text is cut into pieces', async () => {
    const whole = await read(doc);
    assert.equal(whole.length, 2);
    assert.equal(whole[0]!.data.find((d) => d.field === 'name')!.text, 'Quote " backslash \\ brace } bracket ]');
    assert.equal(whole[1]!.components[0]!.resource, 'org_office');
    // Every cut: inside strings, between an escape and what it escapes, inside numbers and literals.
    for (let size = 1; size <= doc.length; size++) assert.deepEqual(await read(inPieces(doc, size)), whole, `pieces of ${size}`);
  });

  it('reads one value far larger than a piece without holding up on it (resumed, not rescanned)', async () => {
    const big = 'x'.repeat(8 * 1024 * 1024);
    const text = `{"$_org_organisation":[{"@uuid":"urn:uuid:5b0f6d0e-7d1c-4c55-9a7e-2f3b8e1d4a61","name":"${big}"}]}`;
    const [item] = await read(inPieces(text, 64 * 1024));
    assert.equal(item!.data[0]!.text.length, big.length);
  });

  it('refuses a document cut short inside a value', async () => {
    await assert.rejects(read(inPieces('{"$_org_organisation":[{"name":"abc', 3)), /ends too early/);
    await assert.rejects(read(inPieces('{"@results": 12', 2)), /ends too early/);
  });
});
