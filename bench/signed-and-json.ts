/**
 * Hostile-input costs that must stay linear: the S3JSON reader on one huge string value, and
 * signature verification of a wide signed document (the time one verifier worker spends, and what
 * the element bound refuses before any of it).
 *
 *   node --import tsx bench/signed-and-json.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { verifyDocument } from '../src/interchange/signature-check.js';
import { exportDocuments } from '../src/interchange/outbound.js';
import { signDocument, TrustStore } from '../src/interchange/signature.js';
import { readS3json } from '../src/s3xml/json-reader.js';

const ms = (t: number): string => `${Math.round(performance.now() - t)} ms`;

console.log('S3JSON, one record whose name is one string of N MB, read as a stream of 64 KB pieces');
for (const mb of [4, 16, 64]) {
  const text = `{"$_org_organisation":[{"@uuid":"urn:uuid:5b0f6d0e-7d1c-4c55-9a7e-2f3b8e1d4a61","name":"${'x'.repeat(mb * 1024 * 1024)}"}]}`;
  const pieces = Readable.from((function* () { for (let i = 0; i < text.length; i += 65536) yield Buffer.from(text.slice(i, i + 65536)); })());
  const t = performance.now();
  for await (const item of readS3json(pieces, { maxBytes: 1 << 30 })) void item;
  console.log(`  ${String(mb).padStart(3)} MB: ${ms(t)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-sig-'));
try {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.key'), '-out', join(dir, 'k.pem'), '-days', '2', '-subj', '/CN=bench'], { stdio: 'ignore' });
  const key = { privateKey: readFileSync(join(dir, 'k.key'), 'utf8'), certificate: readFileSync(join(dir, 'k.pem'), 'utf8') };
  const trust = new TrustStore().add(key.certificate);
  const cap = exportDocuments('cap', readFileSync(new URL('../test/interchange/fixtures/alerts.s3xml', import.meta.url), 'utf8'))[0]!.xml;
  console.log('Signed CAP alert with N extra sibling elements: verification on one thread');
  for (const n of [10_000, 50_000, 100_000]) {
    const signed = signDocument(cap.replace('<cap:note>', `${'<cap:x/>'.repeat(n)}<cap:note>`), key);
    let t = performance.now();
    verifyDocument(signed, trust, new Date(), { maxBytes: 1 << 30, maxElements: 1_000_000 });
    const verified = ms(t);
    t = performance.now();
    try {
      verifyDocument(signed, trust);
    } catch {
      // refused by the default element bound
    }
    console.log(`  ${String(n).padStart(7)} elements (${Math.round(signed.length / 1024)} KB): verified in ${verified}; with the default bound: ${ms(t)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
