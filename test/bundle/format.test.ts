import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { encodeBody, readBody, readBundle, writeBundle, type BundleHeader } from '../../src/transports/bundle/format.js';

/** A bundle around `body`, with a header that says nothing of interest. */
function bundleOf(body: Buffer): ReturnType<typeof readBundle> {
  const header = { format: 'tidemark-bundle', version: 1, kind: 'changes', id: 'x' } as unknown as Omit<BundleHeader, 'body'>;
  return readBundle(writeBundle(header, body, 0).bytes);
}

async function pagesOf(body: Buffer): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const p of readBody(bundleOf(body))) out.push(p);
  return out;
}

describe('bundle body', () => {
  // Pages of very different sizes: the large ones span many pieces of the decompressed stream.
  const pages = [
    { resource: 'org_organisation', records: [{ name: 'a' }] },
    { resource: 'med_hospital', records: Array.from({ length: 3000 }, (_, i) => ({ name: `hospital ${i} ${'x'.repeat(i % 97)}`, beds: i })) },
    { resource: 'med_hospital_status', records: [] },
    { resource: 'shelter', records: Array.from({ length: 5000 }, (_, i) => ({ name: `shelter «${i}»`, note: 'ü'.repeat(i % 13) })) },
  ];

  it('is written page by page (one gzip member each) and read back page by page, identical', async () => {
    const body = encodeBody(pages);
    assert.deepEqual(await pagesOf(body), pages);
    // A body written in one piece (as earlier versions did) reads the same.
    assert.deepEqual(await pagesOf(gzipSync(pages.map((p) => `${JSON.stringify(p)}\n`).join(''))), pages);
    assert.deepEqual(await pagesOf(encodeBody([])), []);
  });

  it('refuses a damaged body naming what is wrong', async () => {
    await assert.rejects(pagesOf(encodeBody(pages).subarray(0, 5000)), /cannot be decompressed/);
    await assert.rejects(pagesOf(gzipSync('{"resource":"a"}\n{not json\n')), /record line 2 is not JSON/);
  });
});
