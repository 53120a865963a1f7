import { TidemarkError } from '../../errors.js';

/** The DNS-SD service type every Tidemark instance advertises (`_tidemark._tcp.local`). */
export const SERVICE_TYPE = 'tidemark';

/** What an instance says about itself in its TXT record. Untrusted until a person pairs it. */
export interface Advertisement {
  /** Instance uuid (plain RFC 4122, the key of version vectors). */
  uuid: string;
  name: string;
  clusters: string[];
  schemaVersion: number;
  /** Digest of the declared resources: peers with another digest speak another schema. */
  registryHash?: string;
  /** HTTP port of the sync service. */
  port: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** TXT keys are short (RFC 6763 §6: keep the record small, ideally under 200 bytes). */
export function encodeTxt(ad: Advertisement): Record<string, string> {
  return {
    txtvers: '1',
    uuid: ad.uuid,
    name: ad.name.slice(0, 63),
    clusters: ad.clusters.join(','),
    sv: String(ad.schemaVersion),
    ...(ad.registryHash ? { rh: ad.registryHash } : {}),
    port: String(ad.port),
  };
}

/**
 * Reads a TXT record heard on the network. Anyone on the LAN can send anything, so every value
 * is checked; a record that does not describe a Tidemark instance is refused.
 */
export function decodeTxt(txt: unknown, srvPort?: number): Advertisement {
  if (!txt || typeof txt !== 'object') throw new TidemarkError('malformed', 'no TXT record');
  const t = txt as Record<string, unknown>;
  const text = (k: string): string | undefined => {
    const v = t[k];
    if (typeof v === 'string') return v;
    if (Buffer.isBuffer(v)) return v.toString('utf8');
    return undefined;
  };
  const uuid = text('uuid')?.toLowerCase();
  if (!uuid || !UUID.test(uuid)) throw new TidemarkError('malformed', 'TXT record has no valid uuid', { field: 'uuid' });
  const sv = Number(text('sv'));
  if (!Number.isInteger(sv) || sv < 1) throw new TidemarkError('malformed', 'TXT record has no schema version', { field: 'sv' });
  const port = Number(text('port') ?? srvPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TidemarkError('malformed', 'TXT record has no valid port', { field: 'port' });
  const clusters = (text('clusters') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => /^[\w.-]{1,64}$/.test(c));
  const rh = text('rh');
  return {
    uuid,
    name: [...(text('name') ?? uuid)].filter((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f).join('').slice(0, 63),
    clusters,
    schemaVersion: sv,
    ...(rh && /^[0-9a-f]{1,64}$/.test(rh) ? { registryHash: rh } : {}),
    port,
  };
}
