import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src/store/index.js';
import { exportBundle, bundleFileName } from '../../src/transports/bundle/export.js';
import { importBundle } from '../../src/transports/bundle/import.js';
import { bundleToEml, findBundles } from '../../src/transports/bundle/mail.js';
import { fileRouteAfterFailure, offerFileRoute } from '../../src/transports/bundle/outbox.js';
import { syncOverHttp } from '../../src/transports/http/index.js';
import { sendMail } from '../../src/transports/bundle/smtp.js';
import { scanFolder } from '../../src/transports/bundle/watch.js';
import { DB_KINDS, type DbKind } from '../support/databases.js';
import { Peers } from '../../src/sync/peers.js';
import { enterSomeData, snapshot, OpenedStores } from './support.js';

const opened = new OpenedStores();
after(() => opened.closeAll());
const sites = (kind: DbKind): Promise<[Store, Store]> => opened.sites(kind);
const tmp = (): string => mkdtempSync(join(tmpdir(), 'tidemark-carry-'));

for (const kind of DB_KINDS) {
  describe(`carriers on ${kind}`, () => {
    it('one USB stick carried back and forth between two watched sites brings them in step', async () => {
      const [a, b] = await sites(kind);
      await enterSomeData(a, 'A', 3);
      await enterSomeData(b, 'B', 2);
      const stick = tmp();
      const r1 = await scanFolder(a, stick);
      assert.equal(r1.written.length, 1, 'A writes one bundle for B');
      const r2 = await scanFolder(b, stick);
      assert.equal(r2.imported.length, 1);
      assert.equal(r2.imported[0]!.applied, 6);
      assert.equal(r2.written.length, 2, "B writes its acknowledgement and its own changes for A");
      assert.ok(existsSync(join(stick, 'imported', readdirSync(join(stick, 'imported'))[0]!)));
      const r3 = await scanFolder(a, stick);
      assert.deepEqual(r3.imported.map((x) => x.kind).sort(), ['ack', 'changes']);
      assert.equal(r3.written.length, 1, 'A acknowledges; it has nothing new for B');
      await scanFolder(b, stick);
      assert.deepEqual([...(await snapshot(a))].sort(), [...(await snapshot(b))].sort());
      // In step: further scans carry nothing new.
      const quiet = await scanFolder(a, stick);
      assert.deepEqual([quiet.imported.length, quiet.written.length], [0, 0]);
      assert.deepEqual(readdirSync(join(stick, 'outbox')), [], 'everything carried was consumed');
    });

    it('a damaged file dropped in the inbox is set aside with the reason, and changes nothing', async () => {
      const [a, b] = await sites(kind);
      await enterSomeData(a, 'A', 1);
      const stick = tmp();
      const bundle = await exportBundle(a, { peer: b.instance.uuid });
      const name = bundleFileName(bundle);
      await scanFolder(b, stick); // the stick's folders exist once a site has scanned it
      writeFileSync(join(stick, 'inbox', name), bundle.bytes.subarray(0, bundle.bytes.length - 100));
      const old = new Date(Date.now() - 60_000);
      utimesSync(join(stick, 'inbox', name), old, old);
      const before = await snapshot(b);
      const r = await scanFolder(b, stick);
      assert.equal(r.refused.length, 1);
      assert.match(r.refused[0]!.reason, /truncated/);
      assert.match(readFileSync(join(stick, 'refused', `${name}.why.txt`), 'utf8'), /truncated/);
      assert.deepEqual(await snapshot(b), before);
    });

    it('bundles travel as .eml attachments, in an mbox and in a Maildir', async () => {
      const [a, b] = await sites(kind);
      await enterSomeData(a, 'A', 2);
      const bundle = await exportBundle(a, { peer: b.instance.uuid });
      const eml = bundleToEml(bundle.bytes, bundle.header, bundleFileName(bundle), { from: 'site-a@example.org', to: ['site-b@example.org'] });
      assert.match(eml, /^Content-Type: multipart\/mixed; boundary=/m);
      assert.match(eml, /Content-Disposition: attachment; filename=".*\.tmb"/);
      const dir = tmp();
      writeFileSync(join(dir, 'bundle.eml'), eml);
      const [fromEml] = findBundles(join(dir, 'bundle.eml'));
      assert.ok(fromEml!.bytes.equals(bundle.bytes), 'the attachment decodes to the very bytes');
      // An mbox with an unrelated message before it, and a Maildir holding the message in new/.
      const other = 'From: someone@example.org\r\nSubject: hello\r\n\r\nFrom the field: all well.\r\n';
      writeFileSync(join(dir, 'mbox'), `From someone@example.org Thu Nov 26 10:00:00 2026\n${other.replace(/\r\n/g, '\n').replace(/^From the/m, '>From the')}\nFrom site-a@example.org Thu Nov 26 10:05:00 2026\n${eml.replace(/\r\n/g, '\n')}\n`);
      const inMbox = findBundles(join(dir, 'mbox'));
      assert.equal(inMbox.length, 1);
      assert.ok(inMbox[0]!.bytes.equals(bundle.bytes));
      for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(dir, 'Maildir', d), { recursive: true });
      writeFileSync(join(dir, 'Maildir', 'new', '1764151500.M1P1.site-b'), eml);
      const inMaildir = findBundles(join(dir, 'Maildir'));
      assert.equal(inMaildir.length, 1);
      const r = await importBundle(b, inMaildir[0]!.bytes);
      assert.equal(r.applied, 4);
      // The acknowledgement goes back by mail too.
      const ackEml = bundleToEml(r.ack!.bytes, r.ack!.header, bundleFileName(r.ack!), { from: 'site-b@example.org', to: ['site-a@example.org'] });
      writeFileSync(join(dir, 'ack.eml'), ackEml);
      await importBundle(a, findBundles(join(dir, 'ack.eml'))[0]!.bytes);
      assert.equal((await exportBundle(a, { peer: b.instance.uuid })).header.body.records, 0);
    });

    it('when an online sync fails, the bundle for that peer is put in the outbox and the user is told where', async () => {
      const [a, b] = await sites(kind);
      await enterSomeData(a, 'A', 2);
      const outbox = tmp();
      const peer = await new Peers(a).get(b.instance.uuid);
      const offer = await offerFileRoute(a, peer, 'connection refused', outbox);
      assert.ok(offer.path && existsSync(offer.path));
      assert.equal(offer.records, 4);
      assert.match(offer.message, /failed \(connection refused\)/);
      assert.ok(offer.message.includes(offer.path!));
      const again = await offerFileRoute(a, b.instance.uuid, 'still down', outbox);
      assert.equal(again.path, offer.path, 'nothing new: the waiting bundle is pointed at');
      assert.match(again.message, /waiting in/);
      assert.equal((await importBundle(b, readFileSync(offer.path!))).applied, 4);
    });

    it('a real online sync that cannot reach the peer leads to the file route; a refusal by the peer does not', async () => {
      const [a, b] = await sites(kind);
      await enterSomeData(a, 'A', 1);
      // Nothing listens on this port of 127.0.0.1: the connection is refused.
      const closed = await new Promise<number>((resolve) => {
        const srv = createServer().listen(0, '127.0.0.1', () => {
          const port = (srv.address() as { port: number }).port;
          srv.close(() => resolve(port));
        });
      });
      await new Peers(a).configure(b.instance.uuid, { url: `http://127.0.0.1:${closed}` });
      const report = await syncOverHttp(a, b.instance.uuid);
      assert.equal(report.result, 'error');
      const outbox = tmp();
      const offer = await fileRouteAfterFailure(a, report, outbox);
      assert.ok(offer?.path && existsSync(offer.path), 'the bundle is in the outbox');
      assert.match(offer.message, /Online sync with site-b failed/);
      assert.equal((await importBundle(b, readFileSync(offer.path))).applied, 2);
      assert.equal(await fileRouteAfterFailure(a, { ...report, result: 'fatal' }, outbox), undefined);
    });
  });
}

describe('SMTP', () => {
  it('hands the bundle message to a relay (a local test listener on 127.0.0.1), dot-stuffed and intact', async () => {
    const [a, b] = await sites('sqlite');
    await enterSomeData(a, 'A', 1);
    const bundle = await exportBundle(a, { peer: b.instance.uuid });
    const eml = bundleToEml(bundle.bytes, bundle.header, bundleFileName(bundle), { from: 'site-a@example.org', to: ['site-b@example.org'] });
    const transcript: string[] = [];
    let data = '';
    const server = createServer((sock: Socket) => {
      let inData = false;
      let buf = '';
      sock.write('220 test relay ESMTP\r\n');
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (inData) {
            if (line === '.') {
              inData = false;
              sock.write('250 queued\r\n');
            } else data += `${line.startsWith('..') ? line.slice(1) : line}\r\n`;
            continue;
          }
          transcript.push(line);
          if (/^EHLO/.test(line)) sock.write('250-test relay\r\n250 8BITMIME\r\n');
          else if (/^(MAIL FROM|RCPT TO):/.test(line)) sock.write('250 ok\r\n');
          else if (line === 'DATA') {
            inData = true;
            sock.write('354 go ahead\r\n');
          } else if (line === 'QUIT') sock.end('221 bye\r\n');
          else sock.write('500 what\r\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      await sendMail({ host: '127.0.0.1', port }, { from: 'site-a@example.org', to: ['site-b@example.org'], message: eml });
    } finally {
      server.close();
    }
    assert.deepEqual(transcript.slice(1, 4), ['MAIL FROM:<site-a@example.org>', 'RCPT TO:<site-b@example.org>', 'DATA']);
    const dir = tmp();
    writeFileSync(join(dir, 'received.eml'), data);
    const [got] = findBundles(join(dir, 'received.eml'));
    assert.ok(got!.bytes.equals(bundle.bytes));
    assert.equal((await importBundle(b, got!.bytes)).applied, 2);
    await assert.rejects(sendMail({ host: '127.0.0.1', port }, { from: 'a@example.org', to: ['b@example.org'], message: eml }), /cannot send through SMTP server/);
  });
});
