import { createPrivateKey, createPublicKey, createSign, createVerify, KeyObject, X509Certificate, type KeyLike } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Element } from 'libxmljs2';
import { SignedXml } from 'xml-crypto';
import { coded, TidemarkError } from '../errors.js';
import { parseXml, serialize } from './xml.js';

/**
 * Enveloped XML signatures (XML-DSig) on CAP alerts and EDXL-DE 2.0 envelopes, with xml-crypto
 * (6.x, free of the 2025 DigestValue-comment and multiple-SignedInfo bypasses).
 *
 * Signing: one Reference with URI="" (the whole document), transforms enveloped-signature and
 * exclusive c14n, SHA-256, RSA-SHA256 or ECDSA-SHA256, the signer's certificate in KeyInfo. In CAP
 * the signature closes the alert (CAP 1.2 3.3.3); in EDXL-DE 2.0 it sits in the envelope's last
 * `other` element.
 *
 * Verification fails closed and resists signature wrapping: exactly one Signature, where the
 * format puts it; exactly one Reference, to the whole document or the document element's own Id;
 * no duplicate Ids; only the algorithms above; the certificate in KeyInfo must be one of the
 * trusted partner certificates and within its validity period. What the caller then processes is
 * the canonical XML that was verified (xml-crypto's signed reference), never the original tree.
 */
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
export const ALGORITHMS = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  ecdsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
} as const;

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
  return sig;
}

export interface SigningKey {
  /** PEM private key (RSA or EC P-256). */
  privateKey: string;
  /** PEM certificate of that key. */
  certificate: string;
}

/** Where a format carries its enveloped signature. */
function signatureParent(rootName: string, rootNs: string): 'root' | 'other' {
  if (rootNs === 'urn:oasis:names:tc:emergency:cap:1.2' && rootName === 'alert') return 'root';
  if (rootNs === 'urn:oasis:names:tc:emergency:EDXL:DE:2.0' && rootName === 'edxlDistribution') return 'other';
  throw new TidemarkError('unsupported', `{${rootNs}}${rootName} documents are not signed (sign the EDXL-DE 2.0 envelope around them)`);
}

/** Signs a CAP alert or an EDXL-DE 2.0 envelope; returns the signed document text. */
export function signDocument(xml: string, key: SigningKey): string {
  const doc = parseXml(xml);
  const root = doc.root()!;
  const ns = root.namespace()?.href() ?? '';
  if (doc.find('//ds:Signature', { ds: DSIG }).length) {
    throw coded('already_signed');
  }
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

/** Certificates of partners whose signatures Tidemark accepts. */
export class TrustStore {
  private readonly certs = new Map<string, X509Certificate>();

  /** Every `*.pem` / `*.crt` file in `dir`. */
  static fromDirectory(dir: string): TrustStore {
    const t = new TrustStore();
    for (const f of readdirSync(dir).filter((n) => /\.(pem|crt)$/.test(n))) t.add(readFileSync(join(dir, f), 'utf8'));
    return t;
  }

  add(pem: string): this {
    for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
      const c = new X509Certificate(block);
      this.certs.set(c.fingerprint256, c);
    }
    return this;
  }

  get size(): number {
    return this.certs.size;
  }

  find(certBase64: string): X509Certificate | undefined {
    let c: X509Certificate;
    try {
      c = new X509Certificate(Buffer.from(certBase64.replace(/\s+/g, ''), 'base64'));
    } catch {
      return undefined;
    }
    return this.certs.get(c.fingerprint256);
  }
}

export interface VerifiedDocument {
  /** The canonical XML that the signature covers (without the signature): process this. */
  xml: string;
  /** Subject of the partner certificate that signed it. */
  signer: string;
  fingerprint: string;
}

const refuse = (message: string, el?: Element): TidemarkError =>
  new TidemarkError('forbidden', `signature refused: ${message}`, el ? { line: el.line(), element: el.name() } : {});

function only(el: Element, xpath: string, what: string): Element {
  const found = el.find(xpath, { ds: DSIG }) as Element[];
  if (found.length !== 1) throw refuse(`expected exactly one ${what}, found ${found.length}`, el);
  return found[0]!;
}

/** Whether the document carries an XML signature at all. */
export function isSigned(xml: string): boolean {
  return parseXml(xml).find('//ds:Signature', { ds: DSIG }).length > 0;
}

/** Verifies the enveloped signature against the trust store; throws `forbidden` on anything amiss. */
export function verifyDocument(xml: string, trust: TrustStore, now = new Date()): VerifiedDocument {
  const doc = parseXml(xml);
  const root = doc.root()!;
  const sigs = doc.find('//ds:Signature', { ds: DSIG }) as Element[];
  if (sigs.length === 0) throw refuse('the document is not signed');
  if (sigs.length > 1) throw refuse(`the document carries ${sigs.length} signatures`, sigs[1]);
  const sigEl = sigs[0]!;
  // The signature must sit where the format puts it: a moved or nested signed document is refused.
  const where = signatureParent(root.name(), root.namespace()?.href() ?? '');
  const parent = sigEl.parent() as Element;
  const placed = where === 'root' ? parent === root || parent.path() === root.path() : (parent.parent() as Element).path() === root.path() && parent.name() === 'other';
  if (!placed) throw refuse(`the signature is not where a ${root.name()} document carries it`, sigEl);

  // Comments have no business inside a signature (the 2025 DigestValue-comment bypass hid one there).
  if (sigEl.find('.//comment()').length) throw refuse('the signature contains XML comments', sigEl);
  const signedInfo = only(sigEl, 'ds:SignedInfo', 'SignedInfo');
  const ref = only(signedInfo, 'ds:Reference', 'Reference');
  const c14n = only(signedInfo, 'ds:CanonicalizationMethod', 'CanonicalizationMethod').attr('Algorithm')?.value();
  if (c14n !== ALGORITHMS.excC14n) throw refuse(`canonicalization ${c14n} is not allowed (exclusive c14n without comments only)`, signedInfo);
  const method = only(signedInfo, 'ds:SignatureMethod', 'SignatureMethod').attr('Algorithm')?.value();
  if (method !== ALGORITHMS.rsaSha256 && method !== ALGORITHMS.ecdsaSha256) throw refuse(`signature method ${method} is not allowed`, signedInfo);
  const digest = only(ref, 'ds:DigestMethod', 'DigestMethod').attr('Algorithm')?.value();
  if (digest !== ALGORITHMS.sha256) throw refuse(`digest method ${digest} is not allowed`, ref);
  const transforms = (ref.find('ds:Transforms/ds:Transform', { ds: DSIG }) as Element[]).map((t) => t.attr('Algorithm')?.value());
  if (!transforms.includes(ALGORITHMS.enveloped) || transforms.some((t) => t !== ALGORITHMS.enveloped && t !== ALGORITHMS.excC14n)) {
    throw refuse(`transforms ${transforms.join(', ')} are not allowed (enveloped-signature and exclusive c14n only)`, ref);
  }

  // The reference must cover the document element itself: the whole document, or its own Id.
  const uri = ref.attr('URI')?.value() ?? '';
  const ids = (doc.find('//@Id | //@ID | //@id') as unknown as { value(): string }[]).map((a) => a.value());
  if (new Set(ids).size !== ids.length) throw refuse('the document has duplicate Id attributes', root);
  if (uri !== '') {
    const rootId = root.attr('Id')?.value() ?? root.attr('ID')?.value() ?? root.attr('id')?.value();
    if (uri !== `#${rootId ?? ''}`) throw refuse(`the signature covers ${uri}, not the document element`, ref);
  }

  const certText = (sigEl.get('ds:KeyInfo/ds:X509Data/ds:X509Certificate', { ds: DSIG }) as Element | null)?.text();
  if (!certText) throw refuse('no X.509 certificate in KeyInfo', sigEl);
  const cert = trust.find(certText);
  if (!cert) throw refuse('the signing certificate is not in the trust store', sigEl);
  if (new Date(cert.validFrom) > now || new Date(cert.validTo) < now) throw refuse('the signing certificate is outside its validity period', sigEl);

  const sig = withEcdsa(new SignedXml({ publicCert: cert.toString(), getCertFromKeyInfo: () => null }));
  sig.loadSignature(sigEl.toString(false));
  let ok: boolean;
  try {
    ok = sig.checkSignature(xml);
  } catch (e) {
    throw refuse((e as Error).message, sigEl);
  }
  if (!ok) throw refuse('the signature does not verify', sigEl);
  const signed = sig.getSignedReferences();
  if (signed.length !== 1) throw refuse(`expected one signed reference, got ${signed.length}`, sigEl);
  let verified = signed[0]!;
  if (where === 'other') {
    // The envelope's `other` element held nothing but the signature: drop the empty wrapper too.
    const out = parseXml(verified);
    const last = out.root()!.get<Element>('*[last()]');
    if (last?.name() === 'other' && last.childNodes().length === 0) last.remove();
    verified = serialize(out);
  }
  return { xml: verified, signer: cert.subject, fingerprint: cert.fingerprint256 };
}

