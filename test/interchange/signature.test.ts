import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignedXml } from 'xml-crypto';
import { exportDocuments } from '../../src/interchange/outbound.js';
import { ALGORITHMS, signDocument, TrustStore, verifyDocument, type SigningKey } from '../../src/interchange/signature.js';
import { getFormat } from '../../src/interchange/formats.js';
import { assertDocumentValid } from '../../src/interchange/validate.js';
import { parseXml } from '../../src/interchange/xml.js';
import { fixture, refused, STANDARDS } from './support.js';

/** A throwaway key pair and self-signed certificate, made with openssl for this test run only. */
function makeKey(dir: string, name: string, kind: 'rsa' | 'ec'): SigningKey {
  const args = kind === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  execFileSync('openssl', ['req', '-x509', ...args, '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { privateKey: readFileSync(join(dir, `${name}.key`), 'utf8'), certificate: readFileSync(join(dir, `${name}.crt`), 'utf8') };
}

describe('XML signatures', () => {
  let dir: string;
  let rsa: SigningKey;
  let ec: SigningKey;
  let stranger: SigningKey;
  let trust: TrustStore;
  const cap = exportDocuments('cap', fixture('alerts.s3xml'))[0]!.xml;
  const de = exportDocuments('edxl-de', fixture('alerts.s3xml'))[0]!.xml;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tidemark-keys-'));
    rsa = makeKey(dir, 'partner-rsa', 'rsa');
    ec = makeKey(dir, 'partner-ec', 'ec');
    stranger = makeKey(dir, 'stranger', 'rsa');
    assert.equal(TrustStore.fromDirectory(dir).size, 3, 'a folder of certificates loads as a trust store');
    // The store the tests verify against trusts the two partners, not the stranger.
    trust = new TrustStore().add(rsa.certificate).add(ec.certificate);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [label, key] of [['RSA-SHA256', () => rsa], ['ECDSA-SHA256', () => ec]] as const) {
    it(`signs CAP and EDXL-DE 2.0 with ${label}; the signed documents verify and stay valid against the official schemas`, () => {
      for (const [format, xml] of [['cap', cap], ['edxl-de', de]] as const) {
        const signed = signDocument(xml, key());
        assertDocumentValid(parseXml(signed), getFormat(format), { schemasDir: STANDARDS, code: 'invalid' });
        const v = verifyDocument(signed, trust);
        assert.match(v.signer, /CN=partner-/);
        assert.ok(!v.xml.includes('Signature>'), 'the verified XML is the document without its signature');
        assert.ok(parseXml(v.xml).root()!.name() === parseXml(xml).root()!.name());
      }
    });
  }

  it('refuses a document whose signed content was changed', async () => {
    const signed = signDocument(cap, rsa).replace('Flood warning for the lower Tana', 'All clear for the lower Tana');
    const e = await refused(() => verifyDocument(signed, trust), 'forbidden');
    assert.match(e.message, /does not verify|digest/i);
  });

  it('refuses unsigned documents and signers outside the trust store', async () => {
    assert.match((await refused(() => verifyDocument(cap, trust), 'forbidden')).message, /not signed/);
    assert.match((await refused(() => verifyDocument(signDocument(cap, stranger), trust), 'forbidden')).message, /not in the trust store/);
  });

  it('refuses two signatures', async () => {
    const signed = signDocument(cap, rsa);
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    const twice = signed.replace('</cap:alert>', `${sig}</cap:alert>`);
    assert.match((await refused(() => verifyDocument(twice, trust), 'forbidden')).message, /2 signatures/);
  });

  it('refuses a signed document moved inside another one (wrapping)', async () => {
    const signed = signDocument(cap, rsa).replace(/^<\?xml[^>]*>\s*/, '');
    const evil = cap.replace('<cap:identifier>KMD-2026-1125-001</cap:identifier>', '<cap:identifier>EVIL-1</cap:identifier>');
    // The genuine signed alert rides inside an envelope; the envelope is what would be processed.
    const wrapper = de.replace(/<cap:alert[^>]*>[\s\S]*?<\/cap:alert>/, () => signed);
    assert.match((await refused(() => verifyDocument(wrapper, trust), 'forbidden')).message, /not where/);
    // The genuine signature moved onto different content.
    const sigText = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    const moved = evil.replace('</cap:alert>', `${sigText}</cap:alert>`);
    await refused(() => verifyDocument(moved, trust), 'forbidden');
  });

  it('refuses a signature over another id than the document element', async () => {
    const sig = new SignedXml({ privateKey: rsa.privateKey, publicCert: rsa.certificate, signatureAlgorithm: ALGORITHMS.rsaSha256, canonicalizationAlgorithm: ALGORITHMS.excC14n });
    sig.addReference({ xpath: "//*[local-name()='info'][1]", digestAlgorithm: ALGORITHMS.sha256, transforms: [ALGORITHMS.enveloped, ALGORITHMS.excC14n] });
    sig.computeSignature(cap.replace(/^<\?xml[^>]*>\s*/, ''), { prefix: 'ds', location: { reference: '/*', action: 'append' } });
    const e = await refused(() => verifyDocument(sig.getSignedXml(), trust), 'forbidden');
    assert.match(e.message, /covers #.*not the document element/);
  });

  it('refuses comment tricks in DigestValue and algorithms outside the allowlist', async () => {
    const signed = signDocument(cap, rsa);
    const comment = signed.replace(/<ds:DigestValue>([^<]{4})/, '<ds:DigestValue>$1<!--x-->');
    assert.match((await refused(() => verifyDocument(comment, trust), 'forbidden')).message, /comments/);
    const sha1 = signed.replace(ALGORITHMS.rsaSha256, 'http://www.w3.org/2000/09/xmldsig#rsa-sha1');
    assert.match((await refused(() => verifyDocument(sha1, trust), 'forbidden')).message, /not allowed/);
    const withComments = signed.replace(`CanonicalizationMethod Algorithm="${ALGORITHMS.excC14n}"`, `CanonicalizationMethod Algorithm="${ALGORITHMS.excC14n}WithComments"`);
    assert.match((await refused(() => verifyDocument(withComments, trust), 'forbidden')).message, /not allowed/);
  });

  it('will not sign a document twice or a format that carries no signature slot', async () => {
    await refused(() => signDocument(signDocument(cap, rsa), rsa), 'already_signed');
    await refused(() => signDocument(exportDocuments('edxl-have', fixture('hospitals.s3xml'))[0]!.xml, rsa), 'unsupported');
  });
});
