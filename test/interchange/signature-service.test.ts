import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportDocuments } from '../../src/interchange/outbound.js';
import { signDocument, type SigningKey } from '../../src/interchange/signature.js';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { openStore } from '../../src/open.js';
import { startService, tidemark, type ServiceProcess } from '../support/processes.js';
import { fixture } from './support.js';
import { tempDir } from '../support/temp.js';

after(dropTestDatabases);

/**
 * Crafted signed documents against the real CLI and a real service: altered, malformed, decoyed and
 * oversized signatures are refused with a coded answer, the service keeps answering /health while
 * they arrive, and a signed file is imported as exactly what was verified.
 */
function makeKey(dir: string, name: string): SigningKey {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { privateKey: readFileSync(join(dir, `${name}.key`), 'utf8'), certificate: readFileSync(join(dir, `${name}.pem`), 'utf8') };
}

/** One line on stderr, naming the refusal, no stack trace. */
function oneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\n\s+at |internal error/);
}

for (const kind of DB_KINDS) describe(`signed documents through the CLI and POST /inbound (${kind}, real processes)`, () => {
  let dir: string;
  let db: string;
  let svc: ServiceProcess;
  let county: SigningKey;
  let signed: string;
  let altered: string;

  before(async () => {
    dir = tempDir('tidemark-sigsvc');
    county = makeKey(dir, 'county');
    writeFileSync(
      join(dir, 'partners.json'),
      JSON.stringify({ partners: [{ name: 'county-health', token: 'county-secret', formats: ['cap'], resources: ['cap_alert'], requireSignature: true, certificates: ['county.pem'] }] }),
    );
    signed = signDocument(exportDocuments('cap', fixture('alerts.s3xml'))[0]!.xml, county);
    // The signed text says -1.20; with the processing instruction the tree says 1.20.
    altered = signed.replace('<cap:polygon>-1.20,39.90 -1.20,40.30', '<cap:polygon><?x -?>1.20,39.90 <?x -?>1.20,40.30');
    assert.notEqual(altered, signed);
    db = await freshDatabase(kind);
    assert.equal((await tidemark(['init', '--db', db])).code, 0);
    svc = await startService(['serve', '--db', db], { env: { TIDEMARK_PARTNERS: join(dir, 'partners.json') } });
  });
  after(() => svc?.stop());

  const inbound = (body: string) =>
    fetch(`${svc.url}/inbound/cap`, { method: 'POST', headers: { 'content-type': 'application/cap+xml', authorization: 'Bearer county-secret' }, body });

  it('verify refuses an alert altered with processing instructions, and malformed signatures, with one line and exit 1', async () => {
    writeFileSync(join(dir, 'altered.xml'), altered);
    const r = await tidemark(['verify', '--trust', join(dir, 'county.pem'), join(dir, 'altered.xml')]);
    assert.equal(r.code, 1);
    oneLine(r.stderr, /processing instructions/);
    for (const [name, xml] of [
      ['empty-digest', signed.replace(/<ds:DigestValue>[^<]*/, '<ds:DigestValue>')],
      ['no-digest', signed.replace(/<ds:DigestValue>[^<]*<\/ds:DigestValue>/, '')],
      ['decoy', signed.replace(/(<ds:Signature[^>]*>)/, '$1<ds:SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>')],
    ]) {
      writeFileSync(join(dir, `${name}.xml`), xml!);
      const m = await tidemark(['verify', '--trust', join(dir, 'county.pem'), join(dir, `${name}.xml`)]);
      assert.equal(m.code, 1, name!);
      oneLine(m.stderr, /signature refused/);
    }
    writeFileSync(join(dir, 'signed.xml'), signed);
    const ok = await tidemark(['verify', '--trust', join(dir, 'county.pem'), join(dir, 'signed.xml'), '-o', join(dir, 'verified.xml')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /signature valid: CN=county/);
    const verified = readFileSync(join(dir, 'verified.xml'), 'utf8');
    assert.ok(verified.includes('<cap:polygon>-1.20,39.90 -1.20,40.30') && !verified.includes('Signature'), 'the verified canonical alert, without its signature');
  });

  it('import of a signed file imports what was verified: the altered alert is refused, latitudes never flipped', async () => {
    const file = join(dir, 'altered.xml');
    const unverified = await tidemark(['import', '--db', db, '--format', 'cap', file]);
    assert.equal(unverified.code, 1);
    oneLine(unverified.stderr, /signed: name the certificates/);
    const bad = await tidemark(['import', '--db', db, '--format', 'cap', '--trust', join(dir, 'county.pem'), file]);
    assert.equal(bad.code, 1);
    oneLine(bad.stderr, /processing instructions/);
    const polygons = async () => {
      const out = await tidemark(['export', '--db', db, '--resource', 'cap_alert', '--format', 's3json']);
      assert.equal(out.code, 0, out.stderr);
      return [...out.stdout.matchAll(/-?1\.20,39\.90/g)].map((m) => m[0]);
    };
    assert.deepEqual(await polygons(), [], 'nothing was imported');
    const good = await tidemark(['import', '--db', db, '--format', 'cap', '--trust', join(dir, 'county.pem'), join(dir, 'signed.xml')]);
    assert.equal(good.code, 0, good.stderr);
    const stored = await polygons();
    assert.ok(stored.length > 0 && stored.every((p) => p.startsWith('-')), `stored ${stored.join(' ')}`);
    writeFileSync(join(dir, 'unsigned.xml'), exportDocuments('cap', fixture('alerts.s3xml'))[0]!.xml);
    const unsigned = await tidemark(['import', '--db', db, '--format', 'cap', join(dir, 'unsigned.xml')]);
    assert.equal(unsigned.code, 0, `an unsigned alert needs no --trust: ${unsigned.stderr}`);
  });

  it('answers every malformed signature on /inbound with a coded 4xx, never a 500, and never echoes a huge value', async () => {
    const cases: [string, string][] = [
      ['processing instruction', altered],
      ['empty DigestValue', signed.replace(/<ds:DigestValue>[^<]*/, '<ds:DigestValue>')],
      ['missing DigestValue', signed.replace(/<ds:DigestValue>[^<]*<\/ds:DigestValue>/, '')],
      ['decoy SignatureMethod', signed.replace(/(<ds:Signature[^>]*>)/, '$1<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"/>')],
      ['9 MB SignatureValue', signed.replace(/<ds:SignatureValue>[^<]*/, `<ds:SignatureValue>${'QUJD'.repeat(9 * 256 * 1024)}`)],
    ];
    const store = await openStore(db);
    const alerts = async (): Promise<number> => Number(((await store.knex('cap_alert').count({ n: '*' }))[0] as { n: number }).n);
    const before0 = await alerts();
    for (const [label, body] of cases) {
      const res = await inbound(body);
      const text = await res.text();
      assert.equal(res.status, 403, `${label}: ${text.slice(0, 300)}`);
      assert.equal((JSON.parse(text) as { error: string }).error, 'forbidden', label);
      assert.ok(text.length < 2000, `${label}: ${text.length} characters answered`);
    }
    assert.equal(await alerts(), before0, 'nothing written');
    await store.close();
    const good = await inbound(signed);
    assert.equal(good.status, 200, await good.clone().text());
  });

  it('keeps answering /health while wide documents and repeated DOCTYPEs arrive', async () => {
    // 100,000 sibling elements (about 600 KB), and 1 MB of repeated "<!DOCTYPE".
    const wide = signed.replace('<cap:note>', `${'<cap:x/>'.repeat(100_000)}<cap:note>`);
    const doctypes = `${'<!DOCTYPE'.repeat(110_000)}${signed}`;
    let attacking = true;
    const attack = (async () => {
      const statuses: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (const body of [wide, doctypes]) statuses.push((await inbound(body)).status);
      }
      attacking = false;
      return statuses;
    })();
    const waits: number[] = [];
    while (attacking) {
      const started = performance.now();
      const res = await fetch(`${svc.url}/health`, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 200);
      waits.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 20));
    }
    const statuses = await attack;
    assert.ok(statuses.every((s) => s === 413 || s === 400), statuses.join(' '));
    // Generous: each answer within 2 s on a loaded machine (before, one such document held the service for minutes).
    assert.ok(Math.max(...waits) < 2000, `slowest /health answer during the attack: ${Math.round(Math.max(...waits))} ms`);
  });
});
