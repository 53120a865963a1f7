import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSign } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization, SignedXml } from 'xml-crypto';
import { exportDocuments } from '../../src/interchange/outbound.js';
import { ALGORITHMS, DSIG, signDocument, StrictExclusiveC14n, TrustStore, type SigningKey } from '../../src/interchange/signature.js';
import { verifyDocument, verifySigned } from '../../src/interchange/signature-check.js';
import { getFormat } from '../../src/interchange/formats.js';
import { assertDocumentValid } from '../../src/interchange/validate.js';
import { parseXml } from '../../src/interchange/xml.js';
import { TidemarkError } from '../../src/errors.js';
import { fixture, refused, STANDARDS } from './support.js';
import { tempDir } from '../support/temp.js';

/** A throwaway key pair and self-signed certificate, made with openssl for this test run only. */
function makeKey(dir: string, name: string, kind: 'rsa' | 'ec'): SigningKey {
  const args = kind === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  execFileSync('openssl', ['req', '-x509', ...args, '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { privateKey: readFileSync(join(dir, `${name}.key`), 'utf8'), certificate: readFileSync(join(dir, `${name}.crt`), 'utf8') };
}

/**
 * SignedInfo signed again with another hash, its stated SignatureMethod left as it was: what an
 * attacker holding a partner's key in a weaker tool, or steering the verifier's algorithm, sends.
 */
function resignWith(signed: string, algorithm: 'RSA-SHA1' | 'RSA-SHA512', key: SigningKey): string {
  const dom = new DOMParser().parseFromString(signed, 'text/xml');
  const signedInfo = dom.getElementsByTagNameNS(DSIG, 'SignedInfo')[0]!;
  const canonical = new ExclusiveCanonicalization().process(signedInfo as never, {} as never);
  const value = createSign(algorithm).update(canonical).sign(key.privateKey, 'base64');
  return signed.replace(/<ds:SignatureValue>[^<]*<\/ds:SignatureValue>/, `<ds:SignatureValue>${value}</ds:SignatureValue>`);
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
    dir = tempDir('tidemark-keys');
    rsa = makeKey(dir, 'partner-rsa', 'rsa');
    ec = makeKey(dir, 'partner-ec', 'ec');
    stranger = makeKey(dir, 'stranger', 'rsa');
    assert.equal(TrustStore.fromDirectory(dir).size, 3, 'a folder of certificates loads as a trust store');
    // The store the tests verify against trusts the two partners, not the stranger.
    trust = new TrustStore().add(rsa.certificate).add(ec.certificate);
  });

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

  it('refuses a processing instruction anywhere in a signed document; the canonicaliser never writes one as text', async () => {
    const signed = signDocument(cap, rsa);
    assert.ok(signed.includes('<cap:polygon>-1.20,39.90'));
    // xml-crypto's canonicaliser wrote "<?x -?>1.20" as "-1.20": the signed text, with the sign gone from the tree.
    const altered = signed.replace('<cap:polygon>-1.20,39.90', '<cap:polygon><?x -?>1.20,39.90');
    const e = await refused(() => verifyDocument(altered, trust), 'forbidden');
    assert.match(e.message, /processing instructions/);
    assert.equal(e.where.line, 2);
    await refused(() => verifyDocument(signed.replace('<cap:alert', '<?x y?><cap:alert'), trust), 'forbidden');
    const dom = new DOMParser().parseFromString('<a><?x -?>1</a>', 'text/xml');
    assert.throws(() => new StrictExclusiveC14n().process(dom.documentElement as never, {} as never), /processing instructions/);
    await refused(() => signDocument(cap.replace('<cap:polygon>', '<cap:polygon><?x y?>'), rsa), 'invalid');
  });

  it('uses the algorithms it checks: a decoy SignatureMethod outside SignedInfo cannot make RSA-SHA1 or RSA-SHA512 pass', async () => {
    const signed = signDocument(cap, rsa);
    for (const [algorithm, uri] of [
      ['RSA-SHA1', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'],
      ['RSA-SHA512', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512'],
    ] as const) {
      const weak = resignWith(signed, algorithm, rsa);
      const decoy = weak.replace(/(<ds:Signature[^>]*>)/, `$1<ds:SignatureMethod Algorithm="${uri}"/>`);
      assert.match((await refused(() => verifyDocument(decoy, trust), 'forbidden')).message, /must contain SignedInfo where it has <SignatureMethod>/);
      const inObject = weak.replace('</ds:Signature>', `<ds:Object><ds:SignatureMethod Algorithm="${uri}"/></ds:Object></ds:Signature>`);
      await refused(() => verifyDocument(inObject, trust), 'forbidden');
      // Without a decoy the stated RSA-SHA256 is what is used, and the value does not match it.
      assert.match((await refused(() => verifyDocument(weak, trust), 'forbidden')).message, /does not verify/);
    }
    // The same key signing SHA-256 as stated verifies: the refusals above are about the algorithm.
    assert.equal(verifyDocument(resignWith(signed, 'RSA-SHA512', rsa).replace(/<ds:SignatureValue>[^<]*/, () => `<ds:SignatureValue>${/<ds:SignatureValue>([^<]*)/.exec(signed)![1]}`), trust).signer, 'CN=partner-rsa');
  });

  it('refuses every malformed signature with a coded refusal, never a crash', async () => {
    const signed = signDocument(cap, rsa);
    const cases: [string, string, RegExp][] = [
      ['empty DigestValue', signed.replace(/<ds:DigestValue>[^<]*<\/ds:DigestValue>/, '<ds:DigestValue></ds:DigestValue>'), /DigestValue> is empty/],
      ['missing DigestValue', signed.replace(/<ds:DigestValue>[^<]*<\/ds:DigestValue>/, ''), /must contain DigestValue/],
      ['DigestValue not base64', signed.replace(/<ds:DigestValue>[^<]*/, '<ds:DigestValue>not base64!'), /not base64/],
      ['empty SignatureValue', signed.replace(/<ds:SignatureValue>[^<]*/, '<ds:SignatureValue>'), /SignatureValue> is empty/],
      ['missing SignedInfo', signed.replace(/<ds:SignedInfo>[\s\S]*<\/ds:SignedInfo>/, ''), /must contain SignedInfo/],
      ['missing KeyInfo', signed.replace(/<ds:KeyInfo>[\s\S]*<\/ds:KeyInfo>/, ''), /must contain KeyInfo/],
      ['two References', signed.replace(/(<ds:Reference[\s\S]*<\/ds:Reference>)/, '$1$1'), /unexpected <Reference>/],
      ['no Algorithm', signed.replace(/<ds:DigestMethod Algorithm="[^"]*"/, '<ds:DigestMethod'), /digest method {2}is not allowed/],
      ['element inside DigestValue', signed.replace(/<ds:DigestValue>/, '<ds:DigestValue><x/>'), /may hold only its value/],
      ['garbage certificate', signed.replace(/<ds:X509Certificate>[^<]*/, '<ds:X509Certificate>AAAA'), /not in the trust store/],
      ['no transforms', signed.replace(/<ds:Transforms>[\s\S]*<\/ds:Transforms>/, ''), /transforms \(none\)/],
    ];
    for (const [label, xml, message] of cases) {
      const e = await refused(() => verifyDocument(xml, trust), 'forbidden');
      assert.match(e.message, message, label);
    }
  });

  it('bounds size, element count and message length before the expensive steps', async () => {
    const signed = signDocument(cap, rsa);
    // 100,000 sibling elements (600 KB): refused by count, before any JavaScript tree is built.
    const wide = signed.replace('<cap:note>', `${'<cap:x/>'.repeat(100_000)}<cap:note>`);
    assert.match((await refused(() => verifyDocument(wide, trust), 'too_large')).message, /at most 50000 elements; this one has 1000\d\d/);
    assert.match((await refused(() => verifyDocument(signed, trust, new Date(), { maxBytes: 1000, maxElements: 50_000 }), 'too_large')).message, /over the limit of 1000/);
    // A 9 MB SignatureValue is neither decoded nor quoted back.
    const huge = signed.replace(/<ds:SignatureValue>[^<]*/, `<ds:SignatureValue>${'A'.repeat(9 * 1024 * 1024)}`);
    const e = await refused(() => verifyDocument(huge, trust), 'forbidden');
    assert.match(e.message, /longer than 1500 characters/);
    assert.ok(JSON.stringify(e.toJSON()).length < 1000);
    // Any message is bounded, whatever it quotes.
    assert.ok(new TidemarkError('invalid', 'x'.repeat(100_000)).message.length < 1100);
  });

  it('verifies in a worker with a time limit, with the same verdicts', async () => {
    const signed = signDocument(cap, ec);
    const v = await verifySigned(signed, trust);
    assert.equal(v.signer, 'CN=partner-ec');
    assert.equal(v.xml, verifyDocument(signed, trust).xml);
    const tampered = signed.replace('Flood warning for the lower Tana', 'All clear');
    assert.match((await refused(() => verifySigned(tampered, trust), 'forbidden')).message, /digest mismatch/);
    // A limit far below what reading 49,000 elements takes: the worker is stopped, and the next
    // document gets a new one.
    const wide = signed.replace('<cap:note>', `${'<cap:note>x</cap:note>'.repeat(49_000)}<cap:note>`);
    assert.match((await refused(() => verifySigned(wide, trust, { timeoutMs: 1 }), 'too_large')).message, /longer than 1 ms/);
    assert.equal((await verifySigned(signed, trust)).signer, 'CN=partner-ec');
  });
});
