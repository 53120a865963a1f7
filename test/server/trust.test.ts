import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeCursor, type Store } from '../../src/store/index.js';
import { openStore } from '../../src/open.js';
import { createInvite, Peers } from '../../src/sync/index.js';
import { startService, type ServiceProcess } from '../support/processes.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { userOn } from '../support/auth.js';
import { tempDir } from '../support/temp.js';

after(dropTestDatabases);

/**
 * The numbered attacks against a real `tidemark serve`, each refused or harmless, with
 * nothing written and /health answering within a second throughout.
 */

const SYNC = '/sync/v1';
const org = (uuid: string, name: string, attrs = ''): string =>
  `<s3xml><resource name="org_organisation" uuid="${uuid}"${attrs}><data field="name">${name}</data></resource></s3xml>`;

/** /health's answer time in ms; fails the test if it is not 200 within one second. */
async function healthy(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
  const ms = performance.now() - t0;
  assert.equal(res.status, 200);
  assert.ok(ms < 1000, `/health took ${ms.toFixed(0)} ms`);
  return ms;
}

/**
 * Sends `head` then `drip` one byte a second over a raw socket, as a hostile client on a slow link
 * would; resolves when the server ends the connection, with how long that took and its status line.
 */
function dripUntilCut(url: string, head: string, drip: string, sockets: { destroy(): void }[]): Promise<{ ms: number; status: string; sent: number }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect(Number(u.port), u.hostname);
    sockets.push(socket);
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, status: answer.split('\r\n')[0] ?? '', sent });
    });
    socket.write(head);
    const next = (): void => {
      if (sent >= drip.length) return void reject(new Error('the server let the whole slow request through'));
      socket.write(drip[sent++]!);
      timer = setTimeout(next, 1000);
    };
    next();
  });
}

/** Peak resident memory of a process (VmHWM), in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

for (const kind of DB_KINDS) {
  describe(`the trust boundary (${kind}, real tidemark serve)`, () => {
    let db: string;
    let dir: string;
    let svc: ServiceProcess;
    let editor: string;
    let store: Store;
    const peer = randomUUID();
    const peerToken = 'p'.repeat(40);
    let instance: string;

    const count = async (resource = 'org_organisation'): Promise<number> => Number(((await store.knex(resource).count({ n: '*' }))[0] as { n: number }).n);
    const put = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${svc.url}/s3xml/org_organisation`, { method: 'PUT', headers: { 'content-type': 'application/xml', authorization: editor, ...headers }, body });
    const sync = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${svc.url}${SYNC}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${peerToken}`, 'x-tidemark-instance': peer, ...headers },
        body: typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body),
      });
    const page = (resource: string, records: { uuid: string; name: string; hlc?: string }[], from: number | null, to: number) => ({
      resource,
      from: from === null ? null : encodeCursor(peer, from),
      cursor: encodeCursor(peer, to),
      more: false,
      instances: [peer],
      records: records.map((r) => ({
        uuid: r.uuid,
        created_on: new Date().toISOString(),
        modified_on: new Date().toISOString(),
        origin: 0,
        changed_by: 0,
        version: [0, 1],
        hlc: r.hlc ?? `${Date.now()}.000000`,
        data: resource === 'gis_location' ? { name: r.name, level: 'L4' } : { name: r.name },
      })),
    });

    before(async () => {
      db = await freshDatabase(kind);
      dir = tempDir('tidemark-trust');
      writeFileSync(join(dir, 'partners.json'), JSON.stringify({ partners: [{ name: 'board', token: 'board-secret', formats: ['edxl-have'], resources: ['med_hospital'] }] }));
      store = await openStore(db);
      instance = store.instance.uuid;
      editor = await userOn(store, 'editor');
      svc = await startService(['serve', '--db', db], { env: { TIDEMARK_DB_BUSY_MS: '1500', TIDEMARK_PARTNERS: join(dir, 'partners.json') } });
      // A peer pairs over HTTP with a one-time code, and is granted two resources.
      const { code } = await createInvite(store);
      const paired = await fetch(`${svc.url}${SYNC}/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instance: peer, name: 'site-b', code, token: peerToken, url: null }) });
      assert.equal(paired.status, 200, await paired.clone().text());
      await new Peers(store).configure(peer, { resources: ['org_organisation', 'org_office'] });
    });
    after(async () => {
      await svc?.stop();
      await store?.close();
    });

    it('1: anonymous writes and deletes are refused, nothing written', async () => {
      const before0 = await count();
      const uuid = `urn:uuid:${randomUUID()}`;
      assert.equal((await put(org(uuid, 'X'), { authorization: '' })).status, 401);
      assert.equal((await fetch(`${svc.url}/s3xml`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: `<s3xml><resource name="org_organisation" uuid="${uuid}" deleted="True"/></s3xml>` })).status, 401);
      assert.equal(await count(), before0);
      await healthy(svc.url);
    });

    it('2: forged versions and clock stamps in a user import are replaced; a peer push from the future is refused', async () => {
      const uuid = `urn:uuid:${randomUUID()}`;
      const forged = org(uuid, 'Forged', ` tm_version="{&quot;${instance}&quot;:1000000}" tm_hlc="9999999999999.000000" tm_origin="${instance}" tm_changed_by="${instance}"`);
      assert.equal((await put(forged)).status, 200);
      const rec = await store.get('org_organisation', uuid);
      assert.ok(rec);
      assert.ok((rec.version[instance] ?? 0) < 1000, JSON.stringify(rec.version));
      const horizon = Date.now() + 10 * 60 * 1000;
      assert.ok(Number(rec.hlc.split('.')[0]) < horizon, rec.hlc);
      // A later local write is stamped now, not in 2286.
      const next = `urn:uuid:${randomUUID()}`;
      assert.equal((await put(org(next, 'Later'))).status, 200);
      assert.ok(Number((await store.get('org_organisation', next))!.hlc.split('.')[0]) < horizon);

      const before0 = await count();
      const future = await sync('/push', page('org_organisation', [{ uuid: `urn:uuid:${randomUUID()}`, name: 'From the future', hlc: '9999999999999.000000' }], null, 1));
      assert.equal(future.status, 422);
      assert.equal(((await future.json()) as { where: { field: string } }).where.field, 'tm_hlc');
      assert.equal(await count(), before0);
      await healthy(svc.url);
    });

    it('3: a slow upload holds no lock: /health and other writes go through meanwhile', async () => {
      const uuid = `urn:uuid:${randomUUID()}`;
      const doc = org(uuid, 'Slow upload');
      const auth = editor;
      const url = new URL(`${svc.url}/s3xml/org_organisation`);
      const slow = new Promise<number>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'PUT', headers: { 'content-type': 'application/xml', authorization: auth, 'transfer-encoding': 'chunked' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        let i = 0;
        const drip = (): void => {
          if (i >= doc.length) return void req.end();
          req.write(doc.slice(i, i + 4));
          i += 4;
          setTimeout(drip, 100);
        };
        drip();
      });
      const healthMs: number[] = [];
      const writeMs: number[] = [];
      for (let k = 0; k < 5; k++) {
        healthMs.push(await healthy(svc.url));
        const t0 = performance.now();
        assert.equal((await put(org(`urn:uuid:${randomUUID()}`, `Meanwhile ${k}`))).status, 200);
        writeMs.push(performance.now() - t0);
      }
      assert.equal(await slow, 200);
      assert.ok(await store.get('org_organisation', uuid));
      process.stdout.write(`# slow upload (${kind}): /health max ${Math.max(...healthMs).toFixed(0)} ms, other writes max ${Math.max(...writeMs).toFixed(0)} ms\n`);
    });

    it('3: a slow upload is cut by the time limits (headers and body); /health and other writes go through meanwhile', async () => {
      const quick = await startService(['serve', '--db', db, '--request-timeout', '3'], { env: { TIDEMARK_DAEMON: '0' } });
      const sockets: { destroy(): void }[] = [];
      try {
        await fetch(`${quick.url}/health`); // the service's first answer, before the drips start
        const before0 = await count();
        const uuid = `urn:uuid:${randomUUID()}`;
        const doc = org(uuid, 'Dripped');
        const path = '/s3xml/org_organisation';
        const headers = `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${editor}\r\nContent-Type: application/xml\r\n`;
        const cuts = [
          dripUntilCut(quick.url, `${headers}X-Slow: `, 'x'.repeat(120), sockets),
          dripUntilCut(quick.url, `${headers}Transfer-Encoding: chunked\r\n\r\n`, doc.split('').map((c) => `1\r\n${c}\r\n`).join(''), sockets),
        ];
        const healthMs: number[] = [];
        const writeMs: number[] = [];
        for (let k = 0; k < 3; k++) {
          healthMs.push(await healthy(quick.url));
          const t0 = performance.now();
          assert.equal((await put(org(`urn:uuid:${randomUUID()}`, `Beside the drip ${k}`))).status, 200);
          writeMs.push(performance.now() - t0);
        }
        const [slowHeaders, slowBody] = await Promise.all(cuts);
        for (const cut of [slowHeaders!, slowBody!]) {
          // Cut by the server (408 or a closed socket) long before the drip could have finished.
          assert.ok(cut.status === '' || /^HTTP\/1\.1 408/.test(cut.status), cut.status);
          assert.ok(cut.sent < 60, `the server took ${cut.sent} bytes at one a second`);
        }
        assert.equal(await store.get('org_organisation', uuid), undefined);
        assert.equal(await count(), before0 + 3);
        await healthy(quick.url);
        process.stdout.write(
          `# slow upload cut (${kind}, --request-timeout 3, one byte a second): headers after ${(slowHeaders!.ms / 1000).toFixed(1)} s (${slowHeaders!.status || 'closed'}), body after ${(slowBody!.ms / 1000).toFixed(1)} s (${slowBody!.status || 'closed'}); /health max ${Math.max(...healthMs).toFixed(0)} ms, other writes max ${Math.max(...writeMs).toFixed(0)} ms\n`,
        );
      } finally {
        for (const s of sockets) s.destroy();
        await quick.stop();
      }
    });

    it('4: a decompression bomb is refused before it is inflated, unless from a paired peer, and then bounded', async () => {
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
      assert.ok(bomb.length < 100 * 1024);
      const rssBefore = await peakRssMb(svc.child.pid!);
      const send = (path: string, headers: Record<string, string>) =>
        fetch(`${svc.url}${SYNC}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...headers }, body: new Uint8Array(bomb) });
      const t0 = performance.now();
      const answers = await Promise.all([
        ...Array.from({ length: 3 }, () => send('/hello', {})),
        ...Array.from({ length: 3 }, () => send('/pair', {})),
      ]);
      const anonMs = performance.now() - t0;
      assert.deepEqual(answers.slice(0, 3).map((r) => r.status), [403, 403, 403]);
      assert.deepEqual(answers.slice(3).map((r) => r.status), [415, 415, 415]);
      await healthy(svc.url);
      const t1 = performance.now();
      const fromPeer = await Promise.all(Array.from({ length: 6 }, () => send('/hello', { authorization: `Bearer ${peerToken}`, 'x-tidemark-instance': peer })));
      const peerMs = performance.now() - t1;
      for (const r of fromPeer) assert.equal(r.status, 413);
      await healthy(svc.url);
      assert.equal((await put(org(`urn:uuid:${randomUUID()}`, 'After the bomb'))).status, 200);
      const rssAfter = await peakRssMb(svc.child.pid!);
      assert.ok(rssAfter - rssBefore < 300, `peak RSS grew ${rssBefore} -> ${rssAfter} MB`);
      process.stdout.write(`# bomb (${kind}): 6 anonymous in ${anonMs.toFixed(0)} ms, 6 from a paired peer in ${peerMs.toFixed(0)} ms, peak RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MB\n`);
    });

    it('5: a code pairs a new instance once; re-pairing a known peer needs an admin code; codes never start with "-"', async () => {
      const { code } = await createInvite(store);
      const newcomer = randomUUID();
      const pair = (instance: string, c: string, token: string, url: string | null = null) =>
        fetch(`${svc.url}${SYNC}/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instance, name: 'x', code: c, token, url }) });
      assert.equal((await pair(newcomer, code, 'n'.repeat(40))).status, 200);
      assert.equal((await pair(newcomer, code, 'm'.repeat(40))).status, 403, 'a code is used once, even by the same instance');
      const { code: other } = await createInvite(store);
      const hijack = await pair(peer, other, 'h'.repeat(40), 'http://attacker.example:8080');
      assert.equal(hijack.status, 403);
      const kept = await new Peers(store).get(peer);
      assert.equal(kept.token, peerToken);
      assert.equal(kept.url, null);
      assert.equal((await sync('/hello', { protocol: 1 })).status !== 401, true, 'the real peer still signs in');
      const { code: repair } = await createInvite(store, 3600, { forPeer: peer });
      assert.equal((await pair(newcomer, repair, 'r'.repeat(40))).status, 403, 'a repair code is for its peer only');
      for (let i = 0; i < 200; i++) assert.ok(!(await createInvite(store, 60)).code.startsWith('-'));
    });

    it('6: a peer gets only what it is granted: ungranted pulls and pushes are refused, nothing written', async () => {
      const pulled = await sync('/pull', { resource: 'org_organisation', after: null });
      assert.equal(pulled.status, 200);
      const refused = await sync('/pull', { resource: 'gis_location', after: null });
      assert.equal(refused.status, 403);
      const before0 = await count('gis_location');
      const push = await sync('/push', page('gis_location', [{ uuid: `urn:uuid:${randomUUID()}`, name: 'Village' }], null, 1));
      assert.equal(push.status, 403);
      assert.equal(await count('gis_location'), before0);
      // Direction: this side only sends to the peer -> its pushes are refused.
      await new Peers(store).configure(peer, { direction: 'push' });
      const orgs = await count();
      assert.equal((await sync('/push', page('org_organisation', [{ uuid: `urn:uuid:${randomUUID()}`, name: 'Not taken' }], null, 1))).status, 403);
      assert.equal(await count(), orgs);
      await new Peers(store).configure(peer, { direction: 'both' });
      await healthy(svc.url);
    });

    it('7: a busy database answers 503 with Retry-After and writes nothing; the write goes through after', async () => {
      const before0 = await count();
      const uuid = `urn:uuid:${randomUUID()}`;
      let release: () => Promise<void>;
      if (kind === 'sqlite') {
        const Database = (await import('better-sqlite3')).default;
        const holder = new Database(db.slice('sqlite:'.length));
        holder.exec('BEGIN IMMEDIATE');
        release = async () => {
          holder.exec('ROLLBACK');
          holder.close();
        };
      } else {
        const trx = await store.knex.transaction();
        // Writers wait; readers (/health) do not.
        await trx.raw('LOCK TABLE tm_counter IN EXCLUSIVE MODE');
        release = async () => {
          await trx.rollback();
        };
      }
      try {
        const waiting = put(org(uuid, 'While busy'));
        // The write waits for the lock (1.5 s here); /health does not wait with it.
        const healthMs = [await healthy(svc.url), await healthy(svc.url), await healthy(svc.url)];
        const res = await waiting;
        process.stdout.write(`# busy wait (${kind}): /health max ${Math.max(...healthMs).toFixed(0)} ms while a write waited for the lock\n`);
        assert.equal(res.status, 503, await res.clone().text());
        assert.equal(((await res.json()) as { error: string }).error, 'busy');
        assert.ok(Number(res.headers.get('retry-after')) > 0);
      } finally {
        await release();
      }
      assert.equal(await count(), before0);
      assert.equal(await store.get('org_organisation', uuid), undefined);
      assert.equal((await put(org(uuid, 'After'))).status, 200);
    });

    it('8: input is checked at the edge: numbers, uuids, cursors, media types', async () => {
      const big = await fetch(`${svc.url}/s3xml/org_organisation?limit=99999999999999999999`, { headers: { authorization: editor } });
      assert.equal(big.status, 422);
      assert.equal(((await big.json()) as { where: { field: string } }).where.field, 'querystring/limit');
      const abc = await sync('/pull', { resource: 'org_organisation', after: null, limit: 'abc' });
      assert.equal(abc.status, 422);
      assert.equal(((await abc.json()) as { where: { field: string } }).where.field, 'body/limit');
      const before0 = await count();
      const dots = await put(org('../../etc', 'Traversal'));
      assert.equal(dots.status, 422);
      assert.equal(await count(), before0);
      // A push whose cursor goes backwards.
      const first = await sync('/push', page('org_organisation', [{ uuid: `urn:uuid:${randomUUID()}`, name: 'Page one' }], null, 5));
      assert.equal(first.status, 200, await first.clone().text());
      const back = await sync('/push', page('org_organisation', [{ uuid: `urn:uuid:${randomUUID()}`, name: 'Backwards' }], 5, 2));
      assert.equal(back.status, 422);
      assert.equal(await count(), before0 + 1);
      // /inbound takes XML only.
      const png = await fetch(`${svc.url}/inbound/edxl-have`, { method: 'POST', headers: { 'content-type': 'image/png', authorization: 'Bearer board-secret' }, body: '<x/>' });
      assert.equal(png.status, 415);
      const s3png = await put(org(`urn:uuid:${randomUUID()}`, 'As an image'), { 'content-type': 'image/png' });
      assert.equal(s3png.status, 415);
      assert.equal(await count(), before0 + 1);
      await healthy(svc.url);
    });

    it('9: a token received at pairing is kept only as its hash; each side signs in with its own', async () => {
      const { code } = await createInvite(store);
      const site = randomUUID();
      const mine = 's'.repeat(40);
      const res = await fetch(`${svc.url}${SYNC}/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instance: site, name: 'site-s', code, token: mine, url: null, split: true }) });
      assert.equal(res.status, 200);
      const theirs = ((await res.json()) as { token: string }).token;
      assert.ok(theirs.length >= 32 && theirs !== mine);
      const row = (await store.knex('tm_peer').where({ uuid: site }).first()) as Record<string, unknown>;
      assert.ok(!Object.values(row).some((v) => typeof v === 'string' && v.includes(mine)), 'the received token is not stored');
      assert.equal(row.token_in_hash, createHash('sha256').update(mine).digest('hex'));
      const hello = (token: string) =>
        fetch(`${svc.url}${SYNC}/hello`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-tidemark-instance': site }, body: '{}' });
      assert.equal((await hello(theirs)).status, 401, "this side's own token does not sign in as the peer");
      assert.notEqual((await hello(mine)).status, 401);
      await healthy(svc.url);
    });

    if (kind === 'sqlite') {
      it('9: the database file is readable by its owner only', () => {
        assert.equal(statSync(db.slice('sqlite:'.length)).mode & 0o777, 0o600);
      });
    }
  });
}

describe('9: serve over TLS', () => {
  it('serves HTTPS with --tls-cert and --tls-key, and a session cookie is Secure there', async () => {
    const dir = tempDir('tidemark-tls');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const db = await freshDatabase('sqlite');
    const store = await openStore(db);
    const auth = await userOn(store, 'reader');
    await store.close();
    const svc = await startService(['serve', '--db', db, '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
    try {
      assert.match(svc.url, /^https:/);
      const ca = readFileSync(join(dir, 'cert.pem'));
      const get = (path: string, method = 'GET', body?: string, headers: Record<string, string> = {}) =>
        new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
          const u = new URL(`${svc.url}${path}`);
          const req = httpsRequest({ host: u.hostname, port: u.port, path: u.pathname, method, ca, headers }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          });
          req.on('error', reject);
          req.end(body);
        });
      assert.equal((await get('/health')).status, 200);
      assert.equal((await get('/s3xml/org_office')).status, 401);
      assert.equal((await get('/s3xml/org_office', 'GET', undefined, { authorization: auth })).status, 200);
      const login = await get('/auth/login', 'POST', JSON.stringify({ user: 'reader', password: 'reader-test-password' }), { 'content-type': 'application/json' });
      assert.equal(login.status, 200);
      assert.match(String(login.headers['set-cookie']), /; Secure/);
      // Plain HTTP to the TLS port gets no answer from the service.
      await assert.rejects(fetch(`${svc.url.replace('https:', 'http:')}/health`, { signal: AbortSignal.timeout(5000) }));
    } finally {
      await svc.stop();
    }
  });
});
