import { createHash, timingSafeEqual, verify as verifySignatureValue, type X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { TidemarkError } from '../errors.js';
import { ALGORITHMS, DSIG, signatureParent, StrictExclusiveC14n, type TrustStore } from './dsig.js';

/**
 * Verifying an enveloped XML signature, fail-closed and linear in the document. Runs in the
 * verifier worker, so it loads no libxml2 (see dsig.ts).
 *
 * Checked, in this order, each before the next more expensive step:
 * 1. (signature-check.ts, before this runs) size, then with libxml2 in C well-formedness, no DTD
 *    tricks, nesting depth, element count and no processing instruction anywhere (xml-crypto's
 *    canonicaliser would write one's data as text);
 * 2. one walk of the tree: exactly one Signature, where the format puts it; no duplicate Ids;
 * 3. the Signature's exact shape: SignedInfo (CanonicalizationMethod, SignatureMethod, one
 *    Reference of Transforms, DigestMethod, DigestValue), SignatureValue, KeyInfo with one
 *    certificate. Nothing else, no comments: a decoy algorithm element anywhere cannot be the one
 *    used, because the algorithms are read from these positions only and then used as read;
 * 4. the algorithms against the allowlist, the reference against the document element, the
 *    certificate against the trust store and its validity period;
 * 5. SignatureValue over the canonical SignedInfo, then the digest of the canonical document
 *    without its signature.
 *
 * xml-crypto's own checkSignature is not used here: it looks its algorithms up with `.//*` (the
 * first SignatureMethod anywhere in the Signature wins, so a decoy chose the algorithm), resolves the
 * reference with XPath over the whole document (165 s for 100,000 sibling elements) and echoed the
 * whole SignatureValue in its error. Its exclusive canonicaliser is used, as for signing.
 */
export interface VerifiedDocument {
  /** The canonical XML that the signature covers (without the signature): process this. */
  xml: string;
  /** Subject of the partner certificate that signed it. */
  signer: string;
  fingerprint: string;
}

/** Longest base64 SignatureValue accepted: an RSA-8192 signature (1,024 bytes), with line breaks. */
const MAX_SIGNATURE_CHARS = 1500;
/** Longest base64 certificate accepted. */
const MAX_CERTIFICATE_CHARS = 16 * 1024;

type Where = { line?: number; element?: string };

const refuse = (message: string, where: Where = {}): TidemarkError => new TidemarkError('forbidden', `signature refused: ${message}`, where);

/** xmldom keeps the line of each node (its locator); libxml2 elements have line(). */
const at = (node: Node): Where => {
  const line = (node as unknown as { lineNumber?: number }).lineNumber;
  return { ...(line ? { line } : {}), ...(node.nodeType === 1 ? { element: (node as Element).localName } : {}) };
};

const isDsig = (el: Element, name: string): boolean => el.namespaceURI === DSIG && el.localName === name;

/**
 * The element children of `el`, refusing anything else inside it but whitespace: no text, no
 * comments, no processing instructions.
 */
function elementChildren(el: Element): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) out.push(n as Element);
    else if (n.nodeType === 3 && !/\S/.test(n.nodeValue ?? '')) continue;
    else if (n.nodeType === 8) throw refuse(`the signature contains XML comments`, at(n));
    else throw refuse(`unexpected content in <${el.localName}>`, at(el));
  }
  return out;
}

/** Exactly the DSIG children named, in order; `?` marks an optional one. */
function shape(el: Element, names: string[]): Map<string, Element> {
  const children = elementChildren(el);
  const found = new Map<string, Element>();
  let i = 0;
  for (const spec of names) {
    const name = spec.replace('?', '');
    const child = children[i];
    if (child && isDsig(child, name)) {
      found.set(name, child);
      i++;
    } else if (!spec.endsWith('?')) {
      throw refuse(`<${el.localName}> must contain ${name} ${child ? `where it has <${child.localName}>` : 'and does not'}`, at(child ?? el));
    }
  }
  if (i < children.length) throw refuse(`unexpected <${children[i]!.localName}> in <${el.localName}>`, at(children[i]!));
  return found;
}

/** An element with no content (an algorithm identifier). */
function algorithmOf(el: Element): string {
  if (elementChildren(el).length) throw refuse(`<${el.localName}> takes no parameters here`, at(el));
  return el.getAttribute('Algorithm') ?? '';
}

/** The text of an element that holds only text (a base64 value), bounded. */
function textOf(el: Element, max: number): string {
  let text = '';
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 8) throw refuse('the signature contains XML comments', at(n));
    if (n.nodeType !== 3) throw refuse(`<${el.localName}> may hold only its value`, at(el));
    text += n.nodeValue ?? '';
    if (text.length > max) throw refuse(`<${el.localName}> is longer than ${max} characters`, at(el));
  }
  const value = text.replace(/\s+/g, '');
  if (!value) throw refuse(`<${el.localName}> is empty`, at(el));
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4) throw refuse(`<${el.localName}> is not base64`, at(el));
  return value;
}

interface Walked {
  signatures: Element[];
  duplicateId?: Element;
}

/** One pass over every element: the signatures and any repeated Id. */
function walk(root: Element): Walked {
  const out: Walked = { signatures: [] };
  const ids = new Set<string>();
  const stack: Element[] = [root];
  while (stack.length) {
    const el = stack.pop()!;
    if (isDsig(el, 'Signature')) out.signatures.push(el);
    for (const name of ['Id', 'ID', 'id']) {
      const v = el.getAttribute(name);
      if (v === null || v === '') continue;
      if (ids.has(v)) out.duplicateId ??= el;
      ids.add(v);
    }
    for (let n = el.lastChild; n; n = n.previousSibling) if (n.nodeType === 1) stack.push(n as Element);
  }
  return out;
}

function parseDom(xml: string): Document {
  const problems: string[] = [];
  const dom = new DOMParser({ errorHandler: (level: string, msg: unknown) => void (level !== 'warning' && problems.push(String(msg))) }).parseFromString(xml, 'text/xml');
  if (problems.length || !dom.documentElement) throw new TidemarkError('malformed', `not well-formed XML: ${problems[0] ?? 'no document element'}`);
  return dom as unknown as Document;
}

const c14n = (el: Element): string => new StrictExclusiveC14n().process(el as never, { defaultNsForPrefix: { ds: DSIG } } as never);

/**
 * Verifies the enveloped signature of a document that passed signature-check.ts's precheck
 * (bounds, well-formedness, no processing instructions); throws `forbidden` on anything amiss.
 */
export function verifyTree(xml: string, trust: TrustStore, now = new Date()): VerifiedDocument {
  const dom = parseDom(xml);
  const root = dom.documentElement;
  const { signatures, duplicateId } = walk(root);
  if (signatures.length === 0) throw refuse('the document is not signed');
  if (signatures.length > 1) throw refuse(`the document carries ${signatures.length} signatures`, at(signatures[1]!));
  const sigEl = signatures[0]!;
  // The signature must sit where the format puts it: a moved or nested signed document is refused.
  const where = signatureParent(root.localName, root.namespaceURI ?? '');
  const parent = sigEl.parentNode as Element;
  const placed = where === 'root' ? parent === root : parent.parentNode === root && parent.localName === 'other' && parent.namespaceURI === root.namespaceURI;
  if (!placed) throw refuse(`the signature is not where a ${root.localName} document carries it`, at(sigEl));
  if (duplicateId) throw refuse('the document has duplicate Id attributes', at(duplicateId));

  const parts = shape(sigEl, ['SignedInfo', 'SignatureValue', 'KeyInfo']);
  const signedInfo = parts.get('SignedInfo')!;
  const info = shape(signedInfo, ['CanonicalizationMethod', 'SignatureMethod', 'Reference']);
  const ref = info.get('Reference')!;
  const refParts = shape(ref, ['Transforms?', 'DigestMethod', 'DigestValue']);

  // The algorithms, read from where they sit in SignedInfo and nowhere else, then used as read.
  const c14nMethod = algorithmOf(info.get('CanonicalizationMethod')!);
  if (c14nMethod !== ALGORITHMS.excC14n) throw refuse(`canonicalization ${c14nMethod} is not allowed (exclusive c14n without comments only)`, at(signedInfo));
  const method = algorithmOf(info.get('SignatureMethod')!);
  if (method !== ALGORITHMS.rsaSha256 && method !== ALGORITHMS.ecdsaSha256) throw refuse(`signature method ${method} is not allowed`, at(signedInfo));
  const digestMethod = algorithmOf(refParts.get('DigestMethod')!);
  if (digestMethod !== ALGORITHMS.sha256) throw refuse(`digest method ${digestMethod} is not allowed`, at(ref));
  const transformsEl = refParts.get('Transforms');
  const transforms = transformsEl ? elementChildren(transformsEl).map((t) => (isDsig(t, 'Transform') ? algorithmOf(t) : `<${t.localName}>`)) : [];
  if (transforms.length !== 2 || transforms[0] !== ALGORITHMS.enveloped || transforms[1] !== ALGORITHMS.excC14n) {
    throw refuse(`transforms ${transforms.join(', ') || '(none)'} are not allowed (enveloped-signature then exclusive c14n)`, at(ref));
  }
  const digestValue = Buffer.from(textOf(refParts.get('DigestValue')!, 200), 'base64');
  const signatureValue = Buffer.from(textOf(parts.get('SignatureValue')!, MAX_SIGNATURE_CHARS), 'base64');

  // The reference must cover the document element itself: the whole document, or its own Id.
  const uri = ref.getAttribute('URI') ?? '';
  if (uri !== '') {
    const rootId = root.getAttribute('Id') || root.getAttribute('ID') || root.getAttribute('id');
    if (uri !== `#${rootId ?? ''}`) throw refuse(`the signature covers ${uri.slice(0, 100)}, not the document element`, at(ref));
  }

  const cert = certificate(parts.get('KeyInfo'), trust, now);
  const keyType = cert.publicKey.asymmetricKeyType;
  if ((method === ALGORITHMS.rsaSha256) !== (keyType === 'rsa') || (method === ALGORITHMS.ecdsaSha256) !== (keyType === 'ec')) {
    throw refuse(`a ${keyType} certificate cannot make a ${method} signature`, at(signedInfo));
  }
  const ok = verifySignatureValue('sha256', Buffer.from(c14n(signedInfo)), method === ALGORITHMS.ecdsaSha256 ? { key: cert.publicKey, dsaEncoding: 'ieee-p1363' } : cert.publicKey, signatureValue);
  if (!ok) throw refuse('the signature does not verify', at(sigEl));

  // Enveloped-signature transform, then the canonical document: exactly what the digest covers.
  parent.removeChild(sigEl);
  let verified = c14n(root);
  const digest = createHash('sha256').update(verified).digest();
  if (digest.length !== digestValue.length || !timingSafeEqual(digest, digestValue)) throw refuse('the signed content was changed (digest mismatch)', at(ref));
  if (where === 'other' && !parent.firstChild) {
    // The envelope's `other` element held nothing but the signature: drop the empty wrapper too.
    root.removeChild(parent);
    verified = c14n(root);
  }
  return { xml: verified, signer: cert.subject, fingerprint: cert.fingerprint256 };
}

function certificate(keyInfo: Element | undefined, trust: TrustStore, now: Date): X509Certificate {
  if (!keyInfo) throw refuse('no X.509 certificate in KeyInfo');
  const data = shape(keyInfo, ['X509Data']).get('X509Data')!;
  const certText = textOf(shape(data, ['X509Certificate']).get('X509Certificate')!, MAX_CERTIFICATE_CHARS);
  const cert = trust.find(certText);
  if (!cert) throw refuse('the signing certificate is not in the trust store', at(keyInfo));
  if (new Date(cert.validFrom) > now || new Date(cert.validTo) < now) throw refuse('the signing certificate is outside its validity period', at(keyInfo));
  return cert;
}
