/**
 * Bundle files of format version 2, written and read as streams: a round trip through files with
 * MACs and a signature, damaged files refused before anything is written, and version-1 files (as
 * still found on sticks in the field) imported.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, sign } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { TidemarkError } from '../../src/errors.js';
import { Peers } from '../../src/sync/peers.js';
import { macKeyFor } from '../../src/sync/tokens.js';
import { bundleFileName, exportBundle, exportBundleFile } from '../../src/transports/bundle/export.js';
import { loadBundle, MAGIC, MAGIC_V1, macOf, peekBundle, readBody, readBundle } from '../../src/transports/bundle/format.js';
import { importBundle, previewBundle } from '../../src/transports/bundle/import.js';
import { generateSigningKey, signingKey, trustKey } from '../../src/transports/bundle/keys.js';
import type { Store } from '../../src/store/index.js';
import { enterSomeData, fingerprint, OpenedStores, snapshot } from './support.js';
import { tempDir } from '../support/temp.js';

const opened = new OpenedStores();
after(() => opened.closeAll());
const tmp = (): string => tempDir('tidemark-stream');

const refusedWith = async (p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof TidemarkError, `a TidemarkError, got ${String(e)}`);
  assert.equal(e.code, code, e.describe());
  assert.match(e.describe(), pattern);
};

/** A's bundle for B as a version-1 file: what an instance of the earlier format wrote (MACs and signature over the whole file). */
async function versionOne(a: Store, b: Store): Promise<Buffer> {
  const v2 = readBundle((await exportBundle(a, { peer: b.instance.uuid })).bytes);
  const signed = Buffer.concat([Buffer.from(MAGIC_V1), Buffer.from(`${JSON.stringify({ ...v2.header, version: 1 })}\n`), v2.body]);
  const key = await signingKey(a);
  const lines = [
    `\n-- sha256 ${createHash('sha256').update(signed).digest('hex')}\n`,
    `-- hmac-sha256 ${b.instance.uuid} ${macOf(macKeyFor(await new Peers(a).get(b.instance.uuid), 'out'), signed)}\n`,
    ...(key ? [`-- ed25519 ${key.id} ${sign(null, signed, key.key).toString('base64')}\n`] : []),
  ];
  return Buffer.concat([signed, Buffer.from(lines.join(''))]);
}

/** What an editor does to a version-2 file: changes its body or header, recomputes the checksum, keeps the authentication lines. */
function reseal(file: Buffer, body: (b: Buffer) => Buffer, edit: (h: Record<string, unknown>) => void = () => undefined): Buffer {
  const nl = file.indexOf(0x0a, MAGIC.length);
  const header = JSON.parse(file.subarray(MAGIC.length, nl).toString()) as Record<string, unknown> & { body: { bytes: number } };
  const end = nl + 1 + header.body.bytes;
  const newBody = body(file.subarray(nl + 1, end));
  edit(header);
  header.body.bytes = newBody.length;
  const signed = Buffer.concat([Buffer.from(MAGIC), Buffer.from(`${JSON.stringify(header)}\n`), newBody]);
  const auth = file.subarray(end).toString('latin1').split('\n').slice(2).join('\n');
  return Buffer.concat([signed, Buffer.from(`\n-- sha256 ${createHash('sha256').update(signed).digest('hex')}\n${auth}`)]);
}

describe('bundle files, streamed (format version 2)', () => {
  it('a signed, authenticated bundle goes through a file both ways; the target appears only when complete', async () => {
    const [a, b] = await opened.sites('sqlite');
    const key = await generateSigningKey(a);
    await trustKey(b, a.instance.uuid, key.publicPem);
    await enterSomeData(a, 'A', 5);
    const dir = tmp();
    const f = (await exportBundleFile(a, { peer: b.instance.uuid, limit: 3 }, (n) => join(dir, bundleFileName(n))))!;
    assert.deepEqual(readdirSync(dir), [bundleFileName(f)], 'no temporary file is left beside it');
    const bytes = readFileSync(f.path);
    assert.equal(bytes.length, f.size);
    assert.ok(bytes.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC)));
    assert.deepEqual({ version: f.header.version, records: f.header.body.records }, { version: 2, records: 10 });
    const trailer = bytes.subarray(bytes.length - 400).toString('latin1');
    assert.match(trailer, new RegExp(`-- hmac-sha256 ${b.instance.uuid} [0-9a-f]{64}\\n`));
    assert.match(trailer, new RegExp(`-- ed25519 ${key.id} [A-Za-z0-9+/=]+\\n$`));
    assert.deepEqual(peekBundle(f.path).ranges, f.header.ranges);
    const preview = await previewBundle(b, f.path);
    assert.equal(preview.resources.reduce((n, r) => n + r.create, 0), 10);
    const r = await importBundle(b, f.path);
    assert.equal(r.applied, 10);
    assert.deepEqual([...(await snapshot(b))].sort(), [...(await snapshot(a))].sort());
    // The acknowledgement (in memory, small) closes the round.
    await importBundle(a, r.ack!.bytes);
    assert.equal(await exportBundleFile(a, { peer: b.instance.uuid }, (n) => join(dir, bundleFileName(n)), (h) => h.body.records > 0), undefined);
    assert.equal(readdirSync(dir).length, 1, 'a bundle not worth carrying leaves no file');
  });

  describe('a damaged file is refused before anything is written', () => {
    let a: Store;
    let b: Store;
    let good: Buffer;
    let before: string;
    const dir = tmp();
    const file = (name: string, bytes: Buffer): string => {
      writeFileSync(join(dir, name), bytes);
      return join(dir, name);
    };

    it('setup', async () => {
      [a, b] = await opened.sites('sqlite');
      await enterSomeData(a, 'A', 4);
      const f = (await exportBundleFile(a, { peer: b.instance.uuid }, (n) => join(dir, bundleFileName(n))))!;
      good = readFileSync(f.path);
      before = await fingerprint(b);
    });

    const bodyAt = (x: Buffer): number => x.indexOf(0x0a, MAGIC.length) + 1;
    const cases: [string, () => Buffer, string, RegExp][] = [
      ['truncated in the records', () => good.subarray(0, Math.floor(good.length * 0.5)), 'truncated', /truncated/],
      ['truncated in its trailer', () => good.subarray(0, good.length - 10), 'truncated', /truncated/],
      ['corrupted: a byte of the records flipped', () => {
        const x = Buffer.from(good);
        x[bodyAt(x) + 25] = x[bodyAt(x) + 25]! ^ 0xff;
        return x;
      }, 'malformed', /checksum mismatch/],
      ['tampered: a record changed, the checksum recomputed', () => reseal(good, (body) => gzipSync(gunzipSync(body).toString().replace('A hospital 0', 'X hospital 0'))), 'forbidden', /tampered/],
      ['tampered: the header edited, the checksum recomputed', () => reseal(good, (body) => body, (h) => (h.cluster = 'elsewhere')), 'forbidden', /tampered/],
    ];
    for (const [name, make, code, pattern] of cases) {
      it(name, async () => {
        const path = file(`${name.replace(/\W+/g, '-')}.tmb`, make());
        await refusedWith(previewBundle(b, path), code, pattern);
        await refusedWith(importBundle(b, path), code, pattern);
        assert.equal(await fingerprint(b), before);
        assert.equal(await b.knex('tm_bundle_log').count({ n: '*' }).first().then((x) => Number(x!.n)), 0);
      });
    }

    it('a file that changes after its checksum was checked is caught when read again', async () => {
      const path = file('changing.tmb', good);
      const parsed = await loadBundle(path);
      // The first member's time stamp (gzip header bytes 4-7) changed: still a valid body, not the one checked.
      const x = Buffer.from(good);
      x[bodyAt(x) + 4] = x[bodyAt(x) + 4]! ^ 0x01;
      writeFileSync(path, x);
      const read = async (): Promise<void> => {
        for await (const page of readBody(parsed)) assert.ok(page);
      };
      await assert.rejects(read(), (e: unknown) => e instanceof TidemarkError && e.code === 'malformed' && /changed while it was being read/.test(e.message));
      writeFileSync(path, good);
      await read();
    });

    it('the whole file imports', async () => {
      assert.equal((await importBundle(b, file('good.tmb', good))).applied, 8);
    });
  });

  it('a version-1 bundle (MACs and signature over the whole file) is still imported, from a file or from memory', async () => {
    const [a, b] = await opened.sites('sqlite');
    const key = await generateSigningKey(a);
    await trustKey(b, a.instance.uuid, key.publicPem);
    await enterSomeData(a, 'A', 3);
    const v1 = await versionOne(a, b);
    assert.ok(v1.subarray(0, MAGIC_V1.length).equals(Buffer.from(MAGIC_V1)));
    const path = join(tmp(), 'old.tmb');
    writeFileSync(path, v1);
    assert.equal(peekBundle(path).version, 1);
    const before = await fingerprint(b);
    // Its header edited and its checksum recomputed: the MAC over the whole file no longer matches.
    const nl = v1.indexOf(0x0a, MAGIC_V1.length);
    const edited = Buffer.from(v1.toString('latin1').replace('"cluster":null', '"cluster":"zz"'), 'latin1');
    const signedEnd = edited.lastIndexOf('\n-- sha256 ');
    const signed = edited.subarray(0, signedEnd);
    const tampered = Buffer.concat([signed, Buffer.from(edited.subarray(signedEnd).toString('latin1').replace(/-- sha256 [0-9a-f]{64}/, `-- sha256 ${createHash('sha256').update(signed).digest('hex')}`), 'latin1')]);
    assert.ok(nl > 0 && !tampered.equals(v1));
    await refusedWith(importBundle(b, tampered), 'forbidden', /authentication code does not match/);
    assert.equal(await fingerprint(b), before);
    const r = await importBundle(b, path);
    assert.equal(r.applied, 6);
    assert.equal(r.header.version, 1);
    assert.ok((await importBundle(b, v1)).repeat, 'the same bundle from memory is recognised as a repeat');
    assert.ok(existsSync(path));
  });
});
