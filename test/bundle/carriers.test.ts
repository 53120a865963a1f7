import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../src/store/index.js';
import { exportBundle, bundleFileName } from '../../src/transports/bundle/export.js';
import { importBundle } from '../../src/transports/bundle/import.js';
import { bundleToEml, findBundles } from '../../src/transports/bundle/mail.js';
import { fileRouteAfterFailure, offerFileRoute } from '../../src/transports/bundle/outbox.js';
import { syncOverHttp } from '../../src/transports/http/index.js';
import { sendMail, smtpSettings } from '../../src/transports/bundle/smtp.js';
import { SMTPServer } from 'smtp-server';
import { TidemarkError } from '../../src/errors.js';
import { scanFolder } from '../../src/transports/bundle/watch.js';
import { DB_KINDS, type DbKind } from '../support/databases.js';
import { Peers } from '../../src/sync/peers.js';
import { enterSomeData, snapshot, OpenedStores } from './support.js';
import { tempDir } from '../support/temp.js';

const opened = new OpenedStores();
after(() => opened.closeAll());
const sites = (kind: DbKind): Promise<[Store, Store]> => opened.sites(kind);
const tmp = (): string => tempDir('tidemark-carry');

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
      const [fromEml] = await findBundles(join(dir, 'bundle.eml'));
      assert.ok(Buffer.from(fromEml!.bundle).equals(bundle.bytes), 'the attachment decodes to the very bytes');
      // An mbox with an unrelated message before it, and a Maildir holding the message in new/.
      const other = 'From: someone@example.org\r\nSubject: hello\r\n\r\nFrom the field: all well.\r\n';
      writeFileSync(join(dir, 'mbox'), `From someone@example.org Thu Nov 26 10:00:00 2026\n${other.replace(/\r\n/g, '\n').replace(/^From the/m, '>From the')}\nFrom site-a@example.org Thu Nov 26 10:05:00 2026\n${eml.replace(/\r\n/g, '\n')}\n`);
      const inMbox = await findBundles(join(dir, 'mbox'));
      assert.equal(inMbox.length, 1);
      assert.ok(Buffer.from(inMbox[0]!.bundle).equals(bundle.bytes));
      for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(dir, 'Maildir', d), { recursive: true });
      writeFileSync(join(dir, 'Maildir', 'new', '1764151500.M1P1.site-b'), eml);
      const inMaildir = await findBundles(join(dir, 'Maildir'));
      assert.equal(inMaildir.length, 1);
      const r = await importBundle(b, inMaildir[0]!.bundle);
      assert.equal(r.applied, 4);
      // The acknowledgement goes back by mail too.
      const ackEml = bundleToEml(r.ack!.bytes, r.ack!.header, bundleFileName(r.ack!), { from: 'site-b@example.org', to: ['site-a@example.org'] });
      writeFileSync(join(dir, 'ack.eml'), ackEml);
      await importBundle(a, (await findBundles(join(dir, 'ack.eml')))[0]!.bundle);
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

describe('SMTP (a real smtp-server with STARTTLS and AUTH) and MIME reading', () => {
  it('sends the bundle message over STARTTLS after authenticating; the message received carries the very bundle', async () => {
    const [a, b] = await sites('sqlite');
    await enterSomeData(a, 'A', 1);
    const bundle = await exportBundle(a, { peer: b.instance.uuid });
    const eml = bundleToEml(bundle.bytes, bundle.header, bundleFileName(bundle), { from: 'site-a@example.org', to: ['site-b@example.org'] });
    // The relay's certificate, made for this run; the client trusts exactly it (TIDEMARK_SMTP_CA).
    const dir = tmp();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'relay.key'), '-out', join(dir, 'relay.pem'), '-days', '2', '-subj', '/CN=relay', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const received: { data: string; tls: boolean; user?: string; envelope: string[] }[] = [];
    const server = new SMTPServer({
      key: readFileSync(join(dir, 'relay.key')),
      cert: readFileSync(join(dir, 'relay.pem')),
      authMethods: ['PLAIN', 'LOGIN'],
      // AUTH only once the connection is encrypted (smtp-server refuses it before STARTTLS).
      allowInsecureAuth: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'site-a' && auth.password === 'p@ss:word') cb(null, { user: auth.username });
        else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({ data: Buffer.concat(chunks).toString('latin1'), tls: Boolean(session.secure), user: session.user as string | undefined, envelope: session.envelope.rcptTo.map((r) => r.address) });
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.server.address() as { port: number }).port;
    const env = { TIDEMARK_SMTP: `smtp://site-a:${encodeURIComponent('p@ss:word')}@127.0.0.1:${port}?starttls=required`, TIDEMARK_SMTP_CA: join(dir, 'relay.pem') };
    try {
      const settings = smtpSettings(env)!;
      assert.equal(settings.requireTls, true);
      await sendMail(settings, { from: 'site-a@example.org', to: ['site-b@example.org'], message: eml });
      assert.equal(received.length, 1);
      assert.deepEqual({ tls: received[0]!.tls, user: received[0]!.user, to: received[0]!.envelope }, { tls: true, user: 'site-a', to: ['site-b@example.org'] });
      writeFileSync(join(dir, 'received.eml'), received[0]!.data, 'latin1');
      const [got] = await findBundles(join(dir, 'received.eml'));
      assert.ok(Buffer.from(got!.bundle).equals(bundle.bytes));
      assert.equal((await importBundle(b, got!.bundle)).applied, 2);
      // A wrong password is the server's refusal; a certificate the client does not trust stops it before AUTH.
      const wrong = await sendMail({ ...settings, password: 'guess' }, { from: 'a@example.org', to: ['b@example.org'], message: eml }).catch((e: unknown) => e);
      assert.ok(wrong instanceof TidemarkError && wrong.code === 'refused', String(wrong));
      const untrusted = await sendMail({ ...settings, ca: undefined }, { from: 'a@example.org', to: ['b@example.org'], message: eml }).catch((e: unknown) => e);
      assert.ok(untrusted instanceof TidemarkError && /cannot send through SMTP server/.test(untrusted.message), String(untrusted));
      assert.equal(received.length, 1, 'nothing else was delivered');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('finds a bundle whose attachment name is written the RFC 2231 way (encoded, split in pieces)', async () => {
    const [a, b] = await sites('sqlite');
    await enterSomeData(a, 'A', 1);
    const bundle = await exportBundle(a, { peer: b.instance.uuid });
    const b64 = bundle.bytes.toString('base64').replace(/.{1,76}/g, (l) => `${l}\r\n`);
    const message = [
      'From: site-a@example.org',
      'To: site-b@example.org',
      'Subject: bundle',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="XX"',
      '',
      '--XX',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Attached.',
      '--XX',
      // Another mail program: a generic media type, and the name only in RFC 2231 form, in two pieces.
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      "Content-Disposition: attachment;\r\n filename*0*=UTF-8''Kisumu%20h%C3%B4pital-;\r\n filename*1*=to-site-b.tmb",
      '',
      `${b64}--XX--`,
      '',
    ].join('\r\n');
    const dir = tmp();
    writeFileSync(join(dir, 'other-client.eml'), message);
    const found = await findBundles(join(dir, 'other-client.eml'));
    assert.equal(found.length, 1);
    assert.match(found[0]!.source, /\(Kisumu hôpital-to-site-b\.tmb\)$/);
    assert.ok(Buffer.from(found[0]!.bundle).equals(bundle.bytes));
  });
});
