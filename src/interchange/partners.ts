import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TidemarkError } from '../errors.js';
import { getFormat } from './formats.js';
import { TrustStore } from './signature.js';

/**
 * Partners who push standard documents: each with its own credential (a bearer token, stored as
 * its SHA-256), the formats and master resources it may write, whether it must sign, and the
 * certificates its signatures are checked against. Read from a JSON file (TIDEMARK_PARTNERS):
 *
 *   { "partners": [ { "name": "county-health", "tokenSha256": "…", "formats": ["edxl-have"],
 *                     "resources": ["med_hospital"], "requireSignature": true,
 *                     "certificates": ["county-health.pem"] } ] }
 *
 * Certificate paths are relative to the file.
 */
export interface Partner {
  name: string;
  tokenSha256: string;
  formats: string[];
  resources: string[];
  requireSignature: boolean;
  trust: TrustStore;
}

interface PartnerFile {
  partners: {
    name: string;
    token?: string;
    tokenSha256?: string;
    formats: string[];
    resources: string[];
    requireSignature?: boolean;
    certificates?: string[];
  }[];
}

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export function loadPartners(file: string): Partner[] {
  let raw: PartnerFile;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as PartnerFile;
  } catch (e) {
    throw new TidemarkError('invalid', `partners file ${file}: ${(e as Error).message}`);
  }
  return raw.partners.map((p) => {
    for (const f of p.formats) getFormat(f);
    const hash = p.tokenSha256 ?? (p.token ? sha256Hex(p.token) : undefined);
    if (!hash || !/^[0-9a-f]{64}$/.test(hash)) throw new TidemarkError('invalid', `partner ${p.name}: no token or tokenSha256`);
    const trust = new TrustStore();
    for (const c of p.certificates ?? []) {
      const path = resolve(dirname(file), c);
      let pem: string;
      try {
        pem = readFileSync(path, 'utf8');
      } catch {
        throw new TidemarkError('invalid', `partner ${p.name}: certificate file ${path} cannot be read`);
      }
      trust.add(pem);
    }
    if (p.requireSignature && !trust.size) throw new TidemarkError('invalid', `partner ${p.name} must sign but has no certificates`);
    return { name: p.name, tokenSha256: hash, formats: p.formats, resources: p.resources, requireSignature: p.requireSignature ?? false, trust };
  });
}

/** The partner a bearer token belongs to (constant-time comparison), or 401. */
export function authenticate(partners: readonly Partner[], authorization: string | undefined): Partner {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token) throw new TidemarkError('unauthorized', 'a partner credential is required (Authorization: Bearer TOKEN)');
  const given = Buffer.from(sha256Hex(token), 'hex');
  const found = partners.find((p) => timingSafeEqual(Buffer.from(p.tokenSha256, 'hex'), given));
  if (!found) throw new TidemarkError('unauthorized', 'unknown partner credential');
  return found;
}
