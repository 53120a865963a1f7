import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFormat } from '../../src/interchange/formats.js';
import { signDocument, TrustStore, type SigningKey } from '../../src/interchange/signature.js';
import { verifyDocument } from '../../src/interchange/signature-check.js';
import { validateDocument } from '../../src/interchange/validate.js';
import { parseXml } from '../../src/interchange/xml.js';
import { startService, tidemark, type ServiceProcess } from '../support/processes.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { example, STANDARDS } from './support.js';
import { userOn } from '../support/auth.js';
import { openStore } from '../../src/open.js';
import { tempDir } from '../support/temp.js';

after(dropTestDatabases);

function makeKey(dir: string, name: string): SigningKey {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { privateKey: readFileSync(join(dir, `${name}.key`), 'utf8'), certificate: readFileSync(join(dir, `${name}.pem`), 'utf8') };
}

const officialErrors = (xml: string, format: string): string[] =>
  validateDocument(parseXml(xml), getFormat(format), 'official', { schemasDir: STANDARDS }).map((i) => i.message);

for (const kind of DB_KINDS) {
  describe(`feeds and partner pushes over HTTP (${kind}, real processes)`, () => {
    let dir: string;
    let db: string;
    let svc: ServiceProcess;
    let county: SigningKey;
    let stranger: SigningKey;
    let reader: string;

    before(async () => {
      dir = tempDir('tidemark-svc');
      county = makeKey(dir, 'county');
      stranger = makeKey(dir, 'stranger');
      writeFileSync(
        join(dir, 'partners.json'),
        JSON.stringify({
          partners: [
            { name: 'hospital-board', token: 'board-secret', formats: ['edxl-have', 'edxl-de'], resources: ['med_hospital'] },
            { name: 'county-health', token: 'county-secret', formats: ['cap', 'edxl-de'], resources: ['cap_alert'], requireSignature: true, certificates: ['county.pem'] },
          ],
        }),
      );
      db = await freshDatabase(kind);
      assert.equal((await tidemark(['init', '--db', db])).code, 0);
      assert.equal((await tidemark(['samples', '--db', db])).code, 0);
      // Agencies pull these feeds without credentials: the operator publishes them.
      assert.equal((await tidemark(['publish', 'feed:edxl-have', 'feed:cap', 'feed:edxl-de', 'feed:edxl-de-1.0', '--db', db])).code, 0);
      const store = await openStore(db);
      reader = await userOn(store, 'reader');
      await store.close();
      // The service signs its CAP and EDXL-DE feeds with its own key.
      makeKey(dir, 'site');
      svc = await startService(['serve', '--db', db], {
        env: {
          TIDEMARK_PARTNERS: join(dir, 'partners.json'),
          TIDEMARK_SCHEMAS: STANDARDS,
          TIDEMARK_SIGN_KEY: join(dir, 'site.key'),
          TIDEMARK_SIGN_CERT: join(dir, 'site.pem'),
        },
      });
    });
    after(() => svc?.stop());

    it('serves an EDXL-HAVE feed of the sample hospitals, valid against the official schema; area narrows it', async () => {
      const res = await fetch(`${svc.url}/feeds/edxl-have`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/xml/);
      const xml = await res.text();
      assert.deepEqual(officialErrors(xml, 'edxl-have'), []);
      const all = parseXml(xml).find('//*[local-name()="Hospital"]').length;
      assert.ok(all >= 10, `${all} hospitals`);
      const near = await (await fetch(`${svc.url}/feeds/edxl-have?area=-1.6,36.5,-1.0,37.2`)).text();
      const some = parseXml(near).find('//*[local-name()="Hospital"]').length;
      assert.ok(some > 0 && some < all, `${some} of ${all} hospitals near Nairobi`);
      assert.equal((await fetch(`${svc.url}/feeds/edxl-have?since=2999-01-01T00:00:00Z`)).status, 404);
    });

    it('serves CAP as an Atom feed of current alerts, one alert by uuid, and EDXL-DE envelopes of alerts', async () => {
      const atom = await fetch(`${svc.url}/feeds/cap`);
      assert.equal(atom.status, 200);
      assert.match(atom.headers.get('content-type') ?? '', /application\/atom\+xml/);
      const feed = parseXml(await atom.text());
      const id = (feed.get('//*[local-name()="entry"]/*[local-name()="id"]') as unknown as { text(): string }).text();
      const one = await fetch(`${svc.url}/feeds/cap?uuid=${encodeURIComponent(id)}`);
      assert.equal(one.status, 200);
      assert.match(one.headers.get('content-type') ?? '', /application\/cap\+xml/);
      const alert = await one.text();
      assert.deepEqual(officialErrors(alert, 'cap'), []);
      const site = new TrustStore().add(readFileSync(join(dir, 'site.pem'), 'utf8'));
      assert.equal(verifyDocument(alert, site).signer, 'CN=site', 'the served alert is signed by the site');
      const de = await (await fetch(`${svc.url}/feeds/edxl-de?resource=cap_alert`)).text();
      assert.deepEqual(officialErrors(de, 'edxl-de'), []);
      assert.equal(verifyDocument(de, site).signer, 'CN=site');
      assert.ok(parseXml(de).find('//*[local-name()="contentObject"]').length >= 2);
      const old = await (await fetch(`${svc.url}/feeds/edxl-de-1.0?resource=cap_alert`)).text();
      assert.deepEqual(officialErrors(old, 'edxl-de-1.0'), []);
      // Unpublished: closed to anyone; a reader is told the format is not served.
      assert.equal((await fetch(`${svc.url}/feeds/edxl-sitrep`)).status, 401);
      assert.equal((await fetch(`${svc.url}/feeds/edxl-sitrep`, { headers: { authorization: reader } })).status, 415);
    });

    it('accepts a partner push with its credential: 401 without, 403 outside its formats and resources, 400 for an invalid document', async () => {
      const have = example('edxl-have/1.0/valid/have-two-hospitals.xml');
      const post = (format: string, body: string, token?: string) =>
        fetch(`${svc.url}/inbound/${format}`, {
          method: 'POST',
          headers: { 'content-type': 'application/xml', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body,
        });
      assert.equal((await post('edxl-have', have)).status, 401);
      assert.equal((await post('edxl-have', have, 'guess')).status, 401);
      assert.equal((await post('cap', example('cap/1.2/valid/google-thunderstorm.xml'), 'board-secret')).status, 403);
      const bad = await post('edxl-have', example('edxl-have/1.0/invalid/have-bad-enum-missing-lastupdate.xml'), 'board-secret');
      assert.equal(bad.status, 400);
      const problem = (await bad.json()) as { message: string; where: { line: number; element: string } };
      assert.equal(problem.where.line, 40);
      assert.equal(problem.where.element, 'EMSTrafficStatus');
      const ok = await post('edxl-have', have, 'board-secret');
      assert.equal(ok.status, 200, await ok.clone().text());
      const first = (await ok.json()) as { created: number };
      assert.ok(first.created >= 2);
      const again = (await (await post('edxl-have', have, 'board-secret')).json()) as { created: number; updated: number; unchanged: number };
      assert.equal(again.created + again.updated, 0);
      // An envelope of alerts from a partner that may only write hospitals.
      const alerts = await (await fetch(`${svc.url}/feeds/edxl-de?resource=cap_alert`)).text();
      assert.equal((await post('edxl-de', alerts, 'board-secret')).status, 403);
    });

    it('requires a valid signature from partners that must sign', async () => {
      const cap = example('cap/1.2/valid/google-thunderstorm.xml');
      const post = (body: string) =>
        fetch(`${svc.url}/inbound/cap`, { method: 'POST', headers: { 'content-type': 'application/cap+xml', authorization: 'Bearer county-secret' }, body });
      const unsigned = await post(cap);
      assert.equal(unsigned.status, 403);
      assert.match(((await unsigned.json()) as { message: string }).message, /not signed/);
      assert.equal((await post(signDocument(cap, stranger))).status, 403);
      const tampered = signDocument(cap, county).replace('SEVERE THUNDERSTORM WARNING', 'NOTHING TO SEE');
      assert.equal((await post(tampered)).status, 403);
      const good = await post(signDocument(cap, county));
      assert.equal(good.status, 200, await good.clone().text());
      assert.equal(((await good.json()) as { signer: string }).signer, 'CN=county');
    });
  });
}
