import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/open.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { tidemark } from '../support/processes.js';
import { enterSomeData, pair, snapshot } from './support.js';
import { tempDir } from '../support/temp.js';

after(dropTestDatabases);

/** Two databases paired with each other and holding some data, closed again: the CLI opens them. */
async function setup(kind: (typeof DB_KINDS)[number]): Promise<{ a: string; b: string; dir: string }> {
  const a = await freshDatabase(kind);
  const b = await freshDatabase(kind);
  const sa = await openStore(a, { instanceName: 'site-a' });
  const sb = await openStore(b, { instanceName: 'site-b' });
  await pair(sa, sb);
  await enterSomeData(sa, 'A', 3);
  await enterSomeData(sb, 'B', 2);
  await sa.close();
  await sb.close();
  return { a, b, dir: tempDir('tidemark-cli-bundle') };
}

async function converged(a: string, b: string): Promise<void> {
  const sa = await openStore(a);
  const sb = await openStore(b);
  try {
    assert.deepEqual([...(await snapshot(sa))].sort(), [...(await snapshot(sb))].sort());
    assert.equal((await sa.count('med_hospital')) + (await sa.count('org_organisation')), 10);
  } finally {
    await sa.close();
    await sb.close();
  }
}

const ok = (r: { code: number | null; stderr: string }, what: string): void => assert.equal(r.code, 0, `${what}: ${r.stderr}`);

for (const kind of DB_KINDS) {
  describe(`tidemark bundle (CLI) on ${kind}`, () => {
    it('export, import, acknowledge: by files on a stick', async () => {
      const { a, b, dir } = await setup(kind);
      const ex = await tidemark(['bundle', 'export', '--peer', 'site-b', '-o', dir, '--db', a]);
      ok(ex, 'export');
      const file = ex.stdout.trim();
      assert.match(file, /site-a-to-site-b-.*\.tmb$/);
      assert.match(ex.stderr, /6 change\(s\) for site-b/);
      const show = await tidemark(['bundle', 'show', file]);
      ok(show, 'show');
      assert.match(show.stdout, /"kind": "changes"/);
      const im = await tidemark(['bundle', 'import', file, '--db', b]);
      ok(im, 'import');
      assert.match(im.stdout, /changes bundle from site-a: 6 record\(s\), 6 applied/);
      const ackFile = /acknowledgement for site-a: (.*)/.exec(im.stdout)![1]!;
      const back = await tidemark(['bundle', 'export', '--peer', 'site-a', '-o', dir, '--db', b]);
      ok(back, 'export back');
      const imA = await tidemark(['bundle', 'import', ackFile, back.stdout.trim(), '--ack-dir', dir, '--db', a]);
      ok(imA, 'import at A');
      assert.match(imA.stdout, /ack bundle from site-b/);
      assert.match(imA.stdout, /changes bundle from site-b: 4 record\(s\), 4 applied/);
      const lastAck = /acknowledgement for site-b: (.*)/.exec(imA.stdout)![1]!;
      ok(await tidemark(['bundle', 'import', lastAck, '--db', b]), 'last ack');
      await converged(a, b);
      const none = await tidemark(['bundle', 'export', '--peer', 'site-b', '-o', dir, '--db', a]);
      assert.match(none.stderr, /0 change\(s\).*nothing new/);
    });

    it('by e-mail: .eml written by export, read back from an mbox and a Maildir', async () => {
      const { a, b, dir } = await setup(kind);
      const ex = await tidemark(['bundle', 'export', '--peer', 'site-b', '--eml', '--to', 'site-b@example.org', '--from', 'site-a@example.org', '-o', join(dir, 'to-b.eml'), '--db', a]);
      ok(ex, 'export eml');
      const eml = readFileSync(join(dir, 'to-b.eml'), 'utf8');
      assert.match(eml, /^To: site-b@example.org/m);
      writeFileSync(join(dir, 'mbox'), `From site-a@example.org Thu Nov 26 10:05:00 2026\n${eml.replace(/\r\n/g, '\n')}\n`);
      const im = await tidemark(['bundle', 'import', join(dir, 'mbox'), '--eml', '--to', 'site-a@example.org', '--from', 'site-b@example.org', '--ack-dir', dir, '--db', b]);
      ok(im, 'import mbox');
      assert.match(im.stdout, /mbox, message 1 .*: changes bundle from site-a: 6 record/);
      const ackEml = /acknowledgement for site-a: (.*\.eml)/.exec(im.stdout)![1]!;
      const back = await tidemark(['bundle', 'export', '--peer', 'site-a', '--eml', '--to', 'site-a@example.org', '--from', 'site-b@example.org', '-o', dir, '--db', b]);
      ok(back, 'export back');
      const maildir = join(dir, 'Maildir');
      for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, d), { recursive: true });
      writeFileSync(join(maildir, 'new', '1.site-a'), readFileSync(ackEml));
      writeFileSync(join(maildir, 'cur', '2.site-a:2,S'), readFileSync(back.stdout.trim()));
      const imA = await tidemark(['bundle', 'import', maildir, '--ack-dir', dir, '--db', a]);
      ok(imA, 'import Maildir');
      assert.match(imA.stdout, /changes bundle from site-b: 4 record/);
      await converged(a, b);
    });

    it('watch --once on a carried stick, with signed bundles', async () => {
      const { a, b, dir } = await setup(kind);
      const key = await tidemark(['bundle', 'key', '--generate', '--db', a]);
      ok(key, 'key');
      assert.match(key.stdout, /^-----BEGIN PUBLIC KEY-----/);
      writeFileSync(join(dir, 'a.pem'), key.stdout);
      const trust = await tidemark(['bundle', 'trust', 'site-a', join(dir, 'a.pem'), '--db', b]);
      ok(trust, 'trust');
      const stick = join(dir, 'stick');
      mkdirSync(stick);
      const w1 = await tidemark(['bundle', 'watch', stick, '--once', '--db', a]);
      ok(w1, 'watch at A');
      assert.match(w1.stdout, /6 change\(s\) for site-b/);
      const waiting = readdirSync(join(stick, 'outbox'));
      const show = await tidemark(['bundle', 'show', join(stick, 'outbox', waiting[0]!)]);
      assert.match(show.stdout, /"signed_by": "[0-9a-f]{32}"/);
      const w2 = await tidemark(['bundle', 'watch', stick, '--once', '--db', b]);
      ok(w2, 'watch at B');
      assert.match(w2.stdout, /changes bundle from site-a, 6 record\(s\), 6 applied/);
      ok(await tidemark(['bundle', 'watch', stick, '--once', '--db', a]), 'watch at A again');
      ok(await tidemark(['bundle', 'watch', stick, '--once', '--db', b]), 'watch at B again');
      await converged(a, b);
    });

    it('a corrupted bundle is refused: exit code 1, one clear line, nothing changed', async () => {
      const { a, b, dir } = await setup(kind);
      const file = (await tidemark(['bundle', 'export', '--peer', 'site-b', '-o', dir, '--db', a])).stdout.trim();
      const bytes = readFileSync(file);
      const mid = Math.floor(bytes.length / 2);
      bytes[mid] = bytes[mid]! ^ 0x55;
      writeFileSync(file, bytes);
      const sb = await openStore(b);
      const before = await snapshot(sb);
      await sb.close();
      const im = await tidemark(['bundle', 'import', file, '--db', b]);
      assert.equal(im.code, 1);
      assert.match(im.stderr, /refused: .*corrupted/);
      const sb2 = await openStore(b);
      assert.deepEqual(await snapshot(sb2), before);
      await sb2.close();
      assert.equal(readdirSync(dir).filter((f) => f.includes('.ack')).length, 0, 'no acknowledgement for a refused bundle');
    });
  });
}
