import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { TidemarkError } from '../errors.js';

/**
 * What signing and verifying share, free of libxml2: the verifier worker loads this, and libxmljs2
 * cannot be loaded in a worker thread once the main thread has it ("Module did not self-register").
 */
export const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
export const ALGORITHMS = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  ecdsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
} as const;

/**
 * Exclusive c14n that refuses processing instructions. xml-crypto's canonicaliser writes a
 * processing instruction's data as if it were text (`<?x -?>0.25` canonicalises as `-0.25`), so a
 * signature over the canonical form would vouch for text the document does not contain. Signed
 * documents carry no processing instructions (they are refused before this runs); this makes sure.
 */
export class StrictExclusiveC14n extends ExclusiveCanonicalization {
  override processInner(node: { nodeType: number }, ...rest: [unknown, unknown, unknown, string[]]): string {
    if (node.nodeType === 7) throw new TidemarkError('forbidden', 'signature refused: processing instructions are not allowed in a signed document');
    return super.processInner(node, ...rest);
  }
}

/** Where a format carries its enveloped signature. */
export function signatureParent(rootName: string, rootNs: string): 'root' | 'other' {
  if (rootNs === 'urn:oasis:names:tc:emergency:cap:1.2' && rootName === 'alert') return 'root';
  if (rootNs === 'urn:oasis:names:tc:emergency:EDXL:DE:2.0' && rootName === 'edxlDistribution') return 'other';
  throw new TidemarkError('unsupported', `{${rootNs}}${rootName} documents are not signed (sign the EDXL-DE 2.0 envelope around them)`);
}

/** Certificates of partners whose signatures Tidemark accepts. */
export class TrustStore {
  private readonly certs = new Map<string, X509Certificate>();

  /** A certificate file (`*.pem`, `*.crt`), or a folder of them. */
  static fromPath(path: string): TrustStore {
    return /\.(pem|crt)$/.test(path) ? new TrustStore().add(readFileSync(path, 'utf8')) : TrustStore.fromDirectory(path);
  }

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

  /** The certificates as PEM (to hand the store to a worker). */
  pems(): string[] {
    return [...this.certs.values()].map((c) => c.toString());
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
