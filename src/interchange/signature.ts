import { createPrivateKey, createPublicKey, createSign, createVerify, KeyObject, X509Certificate, type KeyLike } from 'node:crypto';
import type { Element } from 'libxmljs2';
import { SignedXml } from 'xml-crypto';
import { coded, TidemarkError } from '../errors.js';
import { ALGORITHMS, DSIG, signatureParent, StrictExclusiveC14n } from './dsig.js';
import { parseXml, serialize } from './xml.js';

export { ALGORITHMS, DSIG, signatureParent, StrictExclusiveC14n, TrustStore } from './dsig.js';

/**
 * Enveloped XML signatures (XML-DSig) on CAP alerts and EDXL-DE 2.0 envelopes, with xml-crypto
 * (6.x, free of the 2025 DigestValue-comment and multiple-SignedInfo bypasses).
 *
 * Signing: one Reference with URI="" (the whole document), transforms enveloped-signature and
 * exclusive c14n, SHA-256, RSA-SHA256 or ECDSA-SHA256, the signer's certificate in KeyInfo. In CAP
 * the signature closes the alert (CAP 1.2 3.3.3); in EDXL-DE 2.0 it sits in the envelope's last
 * `other` element.
 *
 * Verification is in signature-verify.ts (run in a worker by signature-check.ts).
 */
/** ECDSA over P-256 with SHA-256; XML-DSig carries r||s (IEEE P1363), not DER. */
class EcdsaSha256 {
  getSignature(signedInfo: string | Buffer, privateKey: KeyLike): string {
    const key = privateKey instanceof KeyObject ? privateKey : createPrivateKey(privateKey as string | Buffer);
    return createSign('SHA256').update(signedInfo).sign({ key, dsaEncoding: 'ieee-p1363' }, 'base64');
  }
  verifySignature(material: string, key: KeyLike, signatureValue: string): boolean {
    const pub = key instanceof KeyObject ? key : createPublicKey(key as string | Buffer);
    return createVerify('SHA256').update(material).verify({ key: pub, dsaEncoding: 'ieee-p1363' }, signatureValue, 'base64');
  }
  getAlgorithmName(): string {
    return ALGORITHMS.ecdsaSha256;
  }
}

function withEcdsa(sig: SignedXml): SignedXml {
  (sig.SignatureAlgorithms as Record<string, unknown>)[ALGORITHMS.ecdsaSha256] = EcdsaSha256;
  (sig.CanonicalizationAlgorithms as Record<string, unknown>)[ALGORITHMS.excC14n] = StrictExclusiveC14n;
  return sig;
}

export interface SigningKey {
  /** PEM private key (RSA or EC P-256). */
  privateKey: string;
  /** PEM certificate of that key. */
  certificate: string;
}

/** Signs a CAP alert or an EDXL-DE 2.0 envelope; returns the signed document text. */
export function signDocument(xml: string, key: SigningKey): string {
  const doc = parseXml(xml);
  const root = doc.root()!;
  const ns = root.namespace()?.href() ?? '';
  if (doc.find('//ds:Signature', { ds: DSIG }).length) {
    throw coded('already_signed');
  }
  const pi = doc.get<Element>('//processing-instruction()');
  if (pi) throw new TidemarkError('invalid', 'a document with processing instructions is not signed (they are not covered by the signature)', { line: pi.line() });
  const where = signatureParent(root.name(), ns);
  let location = '/*';
  if (where === 'other') {
    root.node('other');
    const other = root.get<Element>('*[last()]')!;
    other.namespace(ns);
    location = '/*/*[last()]';
  }
  const ec = /BEGIN EC PRIVATE KEY|id-ecPublicKey/.test(key.privateKey) || new X509Certificate(key.certificate).publicKey.asymmetricKeyType === 'ec';
  const sig = withEcdsa(
    new SignedXml({
      privateKey: key.privateKey,
      publicCert: key.certificate,
      signatureAlgorithm: ec ? ALGORITHMS.ecdsaSha256 : ALGORITHMS.rsaSha256,
      canonicalizationAlgorithm: ALGORITHMS.excC14n,
    }),
  );
  sig.addReference({ xpath: '/*', uri: '', isEmptyUri: true, digestAlgorithm: ALGORITHMS.sha256, transforms: [ALGORITHMS.enveloped, ALGORITHMS.excC14n] });
  sig.computeSignature(serialize(doc), { prefix: 'ds', location: { reference: location, action: 'append' } });
  return sig.getSignedXml();
}

/** Whether the document carries an XML signature at all. */
export function isSigned(xml: string): boolean {
  return Boolean(parseXml(xml).get('//ds:Signature', { ds: DSIG }));
}
